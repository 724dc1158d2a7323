#include <rampart/server/access_log.hpp>

#include "common.hpp"
#include "support/http_client.hpp"
#include "support/run.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/server.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

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

// Sets what the router and the throttle would.
struct route_and_client {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        ctx.set_route_template("/items/{id:int}/");
        ctx.client_key() = "ip:198.51.100.1";
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

TEST_CASE("access_log as JSON: one valid object a line, whatever bytes a client controls") {
    std::vector<std::string> lines;
    std::mutex mutex;
    manual_clock clock;
    // Every hostile byte a path, user agent or user id could bring: CR LF (a forged line), a
    // quote and backslash (a broken or extended object), NUL and other controls, DEL, U+2028
    // and U+2029 (line ends to JavaScript), invalid UTF-8 (a lone continuation byte, a
    // truncated sequence, an overlong form, a surrogate), and a valid 4-byte character.
    const std::string hostile = std::string("a\r\n{\"forged\":1}\\\"\t") + std::string(1, '\0') +
                                "\x01\x1f\x7f|\xe2\x80\xa8|\xe2\x80\xa9|\x80|\xe2\x82|\xc0\xaf|"
                                "\xed\xa0\x80|\xf0\x9f\x98\x80|caf\xc3\xa9";
    auto h = stack(access_log{collect{&lines, &mutex}, clock_ref{clock}, access_log_format::json},
                   as_user{hostile})
                 .wrap(timed_handler{&clock});
    request req{http::verb::get, "/p" + hostile + "?q=secret", 11};
    req.set(http::field::user_agent, hostile);
    context ctx{std::move(req), {asio::ip::make_address("203.0.113.7"), 4242}};
    ctx.set_request_id(*request_id::parse("req-1"));
    test::run(h(ctx));
    REQUIRE(lines.size() == 1);
    const std::string& line = lines[0];
    CHECK(line.find('\n') == std::string::npos);
    CHECK(std::all_of(line.begin(), line.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
    }));
    // What a JSON reader gets back: every valid character as it was, each invalid byte as
    // U+FFFD, nothing else.
    const std::string decoded = std::string("a\r\n{\"forged\":1}\\\"\t") + std::string(1, '\0') +
                                "\x01\x1f\x7f|\u2028|\u2029|\ufffd|\ufffd\ufffd|\ufffd\ufffd|"
                                "\ufffd\ufffd\ufffd|\U0001F600|caf\u00e9";
    boost::json::object o = boost::json::parse(line).as_object();
    CHECK(o.at("time") == "2023-11-14T22:13:20.000Z");
    CHECK(o.at("request_id") == "req-1");
    CHECK(o.at("method") == "GET");
    CHECK(std::string(o.at("path").as_string()) == "/p" + decoded);
    CHECK(std::string(o.at("user_agent").as_string()) == decoded);
    CHECK(std::string(o.at("user").as_string()) == decoded);
    CHECK(o.at("status") == 200);
    CHECK(o.at("duration_us") == 1500);
    CHECK(o.at("bytes") == 2);
    CHECK(o.at("peer") == "203.0.113.7:4242");
    CHECK(o.at("client").is_null());
    CHECK(o.at("route").is_null());
    CHECK(line.find("\\u2028") != std::string::npos);
    CHECK(line.find("\\u2029") != std::string::npos);
    CHECK(line.find("secret") == std::string::npos);

    // The text format of the same request stays one escaped line, now ending in the id.
    lines.clear();
    auto text = stack(access_log{collect{&lines, &mutex}, clock_ref{clock}}, as_user{"u1"})
                    .wrap(timed_handler{&clock});
    request again{http::verb::get, "/p" + hostile, 11};
    context ctx2{std::move(again)};
    ctx2.set_request_id(*request_id::parse("req-2"));
    test::run(text(ctx2));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find('\n') == std::string::npos);
    CHECK(lines[0].find('\r') == std::string::npos);
    CHECK(lines[0].ends_with(" user=u1 id=req-2"));
}

TEST_CASE("access_log as JSON: the route template, the user and the client key") {
    std::vector<std::string> lines;
    std::mutex mutex;
    manual_clock clock;
    auto h = stack(access_log{collect{&lines, &mutex}, clock_ref{clock}, access_log_format::json},
                   route_and_client{}, as_user{"42"})
                 .wrap(timed_handler{&clock});
    context ctx{test::make_request(http::verb::get, "/items/7/")};
    test::run(h(ctx));
    REQUIRE(lines.size() == 1);
    boost::json::object o = boost::json::parse(lines[0]).as_object();
    CHECK(o.at("route") == "/items/{id:int}/");
    CHECK(o.at("user") == "42");
    CHECK(o.at("client") == "ip:198.51.100.1");
    CHECK(o.at("request_id").is_null()); // no server: no id
    CHECK(o.at("user_agent").is_null());
}
