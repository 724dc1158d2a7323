#include <rampart/server/access_log.hpp>

#include "common.hpp"
#include "support/http_client.hpp"
#include "support/run.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/server.hpp>

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

using namespace rampart;

namespace {

struct collect {
    std::vector<std::string>* lines;
    std::mutex* mutex;
    void operator()(std::string_view line) {
        std::lock_guard lock{*mutex};
        lines->emplace_back(line);
    }
};

// Takes 1.5 ms of the manual clock's time, then answers.
struct timed_handler {
    manual_clock* clock;
    asio::awaitable<response> operator()(context& ctx) {
        clock->advance(std::chrono::microseconds{1500});
        if (ctx.path() == "/missing")
            throw not_found{};
        co_return text_response(http::status::ok, "ok");
    }
};

// Marks the request as a user's, the way authentication would.
struct as_user {
    std::string id;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        ctx.principal().user_id = id;
        co_return co_await next(ctx);
    }
};

} // namespace

TEST_CASE("access_log writes one line with time, method, path, status, duration, who") {
    std::vector<std::string> lines;
    std::mutex mutex;
    manual_clock clock;
    auto h = stack(error_envelope<>{}, access_log{collect{&lines, &mutex}, clock_ref{clock}})
                 .wrap(timed_handler{&clock});

    context ctx{test::make_request(http::verb::get, "/v1/items?token=secret"),
                {asio::ip::make_address("203.0.113.7"), 4242}};
    auto res = test::run(h(ctx));
    CHECK(res.result() == http::status::ok);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "2023-11-14T22:13:20.000Z GET /v1/items 200 1500us peer=203.0.113.7:4242");

    context missing{test::make_request(http::verb::delete_, "/missing"),
                    {asio::ip::make_address("2001:db8::1"), 80}};
    missing.client_key() = "ip:2001:db8::/64";
    CHECK(test::run(h(missing)).result() == http::status::not_found);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1] ==
          "2023-11-14T22:13:20.001Z DELETE /missing 404 1500us client=ip:2001:db8::/64");

    context ipv6{test::make_request(http::verb::get, "/"),
                 {asio::ip::make_address("2001:db8::1"), 80}};
    test::run(h(ipv6));
    REQUIRE(lines.size() == 3);
    CHECK(lines[2].ends_with(" peer=[2001:db8::1]:80"));
}

TEST_CASE("access_log names the authenticated user and escapes what a client controls") {
    std::vector<std::string> lines;
    std::mutex mutex;
    manual_clock clock;
    auto h = stack(access_log{collect{&lines, &mutex}, clock_ref{clock}},
                   as_user{"42\r\nforged line \"x\"\\"})
                 .wrap(timed_handler{&clock});
    request req{http::verb::get, "/a\r\nb c\x7f", 11};
    context ctx{std::move(req)};
    test::run(h(ctx));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "2023-11-14T22:13:20.000Z GET /a\\x0d\\x0ab\\x20c\\x7f 200 1500us "
                      "user=42\\x0d\\x0aforged\\x20line\\x20\\x22x\\x22\\x5c");
    CHECK(lines[0].find('\n') == std::string::npos);
}

TEST_CASE("access_log sees the request even when a Beast-style handler takes it") {
    std::vector<std::string> lines;
    std::mutex mutex;
    manual_clock clock;
    auto beast_style = [](request&& req) {
        response res{http::status::created, req.version()};
        res.body() = std::string(req.target());
        res.prepare_payload();
        return res;
    };
    auto h = stack(access_log{collect{&lines, &mutex}, clock_ref{clock}}).wrap(beast_style);
    context ctx{test::make_request(http::verb::post, "/things", "{}")};
    test::run(h(ctx));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "2023-11-14T22:13:20.000Z POST /things 201 0us peer=0.0.0.0:0");
}

TEST_CASE("access_log logs every request the server serves", "[concurrency]") {
    std::vector<std::string> lines;
    std::mutex mutex;
    auto h =
        stack(error_envelope<>{}, access_log{collect{&lines, &mutex}}).wrap(test::test_handler{});
    server srv{std::move(h), test::local_config()};
    srv.start();
    test::http_client client{srv.port()};
    client.roundtrip(test::make_get("/one"));
    client.roundtrip(test::make_get("/missing"));
    client.roundtrip(test::make_get("/boom"));
    srv.stop();
    srv.join();
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].find(" GET /one 200 ") != std::string::npos);
    CHECK(lines[1].find(" GET /missing 404 ") != std::string::npos);
    CHECK(lines[2].find(" GET /boom 500 ") != std::string::npos);
    CHECK(lines[0].find(" peer=127.0.0.1:") != std::string::npos);
}

TEST_CASE("one record sink takes the access lines, the 500 causes and the server's refusals",
          "[concurrency]") {
    struct seen {
        log_level level;
        std::string source, message;
        bool with_request;
    };
    std::vector<seen> records;
    std::mutex mutex;
    auto sink = [&](const log_record& r) {
        std::lock_guard lock{mutex};
        records.push_back(
            {r.level, std::string(r.source), std::string(r.message), r.request != nullptr});
    };
    auto config = test::local_config();
    config.access_log_sink = sink;
    auto h = stack(error_envelope<>{envelope_format{}, sink}, access_log{sink})
                 .wrap(test::test_handler{});
    server srv{std::move(h), std::move(config)};
    srv.start();
    {
        test::http_client client{srv.port()};
        client.roundtrip(test::make_get("/one"));
        client.roundtrip(test::make_get("/boom"));
    }
    test::http_client refused{srv.port()};
    refused.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello");
    CHECK(refused.receive().result_int() == 400);
    CHECK(refused.wait_closed(std::chrono::seconds{10}));
    srv.stop();
    srv.join();

    std::lock_guard lock{mutex};
    REQUIRE(records.size() == 4);
    CHECK(records[0].source == "access");
    CHECK(records[0].level == log_level::info);
    CHECK(records[0].message.find(" GET /one 200 ") != std::string::npos);
    CHECK(records[0].with_request);
    CHECK(records[1].source == "errors");
    CHECK(records[1].level == log_level::error);
    CHECK(records[1].message == "rampart: internal error on GET /boom: secret internal detail");
    CHECK(records[2].source == "access");
    CHECK(records[2].message.find(" GET /boom 500 ") != std::string::npos);
    CHECK(records[3].source == "access"); // the server's own 400: no handler, so no request
    CHECK(records[3].message.find(" POST / 400 ") != std::string::npos);
    CHECK_FALSE(records[3].with_request);
}
