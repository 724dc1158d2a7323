// Request ids (X-Request-ID) over real sockets: taken from the client when sane, made otherwise,
// echoed in every response the server sends (the handler's, the error envelope's and its own
// refusals), and recorded in the access log in both formats.

#include "common.hpp"
#include "support/http_client.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/core/request_id.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/access_log.hpp>
#include <rampart/server/request_id_generator.hpp>
#include <rampart/server/server.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace rampart;

namespace {

struct collect {
    std::vector<std::string>* lines;
    std::mutex* mutex;
    void operator()(std::string_view line) const {
        std::lock_guard lock{*mutex};
        lines->emplace_back(line);
    }
};

/// Answers the request id the handler sees, as text; `/missing` is a 404 from the envelope.
struct id_handler {
    asio::awaitable<response> operator()(context& ctx) {
        if (ctx.path() == "/missing")
            throw not_found{};
        co_return text_response(http::status::ok, std::string(ctx.request_id()));
    }
};

bool is_uuid4(std::string_view text) {
    static const std::regex uuid{
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"};
    return std::regex_match(std::string(text), uuid);
}

std::string id_of(const response& res) {
    auto it = res.find("X-Request-ID");
    return it == res.end() ? std::string{} : std::string(it->value());
}

/// A server answering with id_handler inside the envelope and an access log.
struct id_server {
    explicit id_server(server_config config = test::local_config(),
                       access_log_format format = access_log_format::text)
        : srv(stack(error_envelope<>{}, access_log{collect{&lines, &mutex}, format})
                  .wrap(id_handler{}),
              with_sink(std::move(config), format)) {
        srv.start();
    }
    server_config with_sink(server_config config, access_log_format format) {
        config.access_log_sink = collect{&lines, &mutex};
        config.access_log_format = format;
        return config;
    }
    std::vector<std::string> log() {
        std::lock_guard lock{mutex};
        return lines;
    }
    std::vector<std::string> lines;
    std::mutex mutex;
    server<decltype(make_handler(
        stack(error_envelope<>{}, access_log{collect{}}).wrap(id_handler{})))>
        srv;
};

response get_with(unsigned short port, const std::vector<std::string>& ids,
                  std::string target = "/") {
    test::http_client client{port};
    request req = test::make_get(std::move(target));
    for (const auto& id : ids)
        req.insert("X-Request-ID", id);
    return client.roundtrip(std::move(req));
}

} // namespace

TEST_CASE("request ids: the sanity rule") {
    CHECK(request_id::is_sane("a"));
    CHECK(request_id::is_sane("0f8a3c52-7a0e-4c1b-9d2e-5b7f2a9c0e14"));
    CHECK(request_id::is_sane("svc:frontend.1234_abc-Z"));
    CHECK(request_id::is_sane(std::string(128, 'x')));
    CHECK_FALSE(request_id::is_sane(""));
    CHECK_FALSE(request_id::is_sane(std::string(129, 'x')));
    CHECK_FALSE(request_id::is_sane("a b"));
    CHECK_FALSE(request_id::is_sane("a\tb"));
    CHECK_FALSE(request_id::is_sane("a\r\nb"));
    CHECK_FALSE(request_id::is_sane(std::string_view{"a\0b", 3}));
    CHECK_FALSE(request_id::is_sane("\"quoted\""));
    CHECK_FALSE(request_id::is_sane("caf\xc3\xa9"));
    CHECK_FALSE(request_id::is_sane("a\xe2\x80\xa8"));
    CHECK_FALSE(request_id::is_sane("a/b"));
    CHECK_FALSE(request_id::parse("a b").has_value());
    CHECK(request_id::parse("abc")->view() == "abc");
}

TEST_CASE("request ids: generated ids are version 4 UUIDs, all different") {
    request_id_generator ids, other;
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto id = ids.next();
        CHECK(is_uuid4(id.view()));
        seen.emplace(id.view());
        seen.emplace(other.next().view()); // a second generator: another random seed
    }
    CHECK(seen.size() == 2000);
}

TEST_CASE("request ids: a sane X-Request-ID is echoed and is the handler's ctx.request_id()") {
    id_server s;
    response res = get_with(s.srv.port(), {"client-id:42.a_b"});
    CHECK(res.result() == http::status::ok);
    CHECK(id_of(res) == "client-id:42.a_b");
    CHECK(res.body() == "client-id:42.a_b");
    std::string longest(128, 'z');
    res = get_with(s.srv.port(), {longest});
    CHECK(id_of(res) == longest);
}

TEST_CASE("request ids: an insane or ambiguous X-Request-ID is replaced by a new one") {
    id_server s;
    const std::vector<std::vector<std::string>> cases = {
        {std::string(129, 'z')}, // too long
        {"has space"},
        {"tab\there"}, // HTAB is allowed in a field value, not in an id
        {""},          // empty
        {"\"quoted\""},
        {"caf\xc3\xa9"},    // bytes above 0x7f (obs-text)
        {"a\xe2\x80\xa8z"}, // U+2028
        {"one", "two"},     // two headers: which one is it?
        {"same", "same"},
    };
    std::set<std::string> seen;
    for (const auto& ids : cases) {
        response res = get_with(s.srv.port(), ids);
        CHECK(res.result() == http::status::ok);
        std::string id = id_of(res);
        INFO("sent: " << (ids.empty() ? "" : ids[0]) << " (" << ids.size() << " headers)");
        CHECK(is_uuid4(id));
        CHECK(res.body() == id);
        seen.insert(id);
    }
    CHECK(seen.size() == cases.size());
    // No header at all: a new one too.
    response res = get_with(s.srv.port(), {});
    CHECK(is_uuid4(id_of(res)));
}

TEST_CASE("request ids: a control byte in X-Request-ID is the parser's 400, still with an id") {
    id_server s;
    test::http_client client{s.srv.port()};
    client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\x01z\r\n\r\n");
    response res = client.receive();
    CHECK(res.result() == http::status::bad_request);
    CHECK(is_uuid4(id_of(res)));
}

TEST_CASE("request ids: errors and the server's own refusals carry one, and the log records it",
          "[concurrency]") {
    auto config = test::local_config();
    config.header_limit = 1024;
    config.body_limit = 16;
    id_server s{config};
    const auto port = s.srv.port();

    // The envelope's 404: the client's id.
    response missing = get_with(port, {"req-404"}, "/missing");
    CHECK(missing.result() == http::status::not_found);
    CHECK(id_of(missing) == "req-404");

    // 413, refused before the body is read: the header was parsed, so the client's id.
    {
        test::http_client client{port};
        client.send("POST / HTTP/1.1\r\nHost: x\r\nX-Request-ID: req-413\r\n"
                    "Content-Length: 100\r\n\r\n");
        response res = client.receive();
        CHECK(res.result() == http::status::payload_too_large);
        CHECK(id_of(res) == "req-413");
    }
    // 400 for ambiguous framing: the client's id.
    {
        test::http_client client{port};
        client.send("POST / HTTP/1.1\r\nHost: x\r\nX-Request-ID: req-400\r\n"
                    "Content-Length: 5, 5\r\n\r\nhello");
        response res = client.receive();
        CHECK(res.result() == http::status::bad_request);
        CHECK(id_of(res) == "req-400");
    }
    // 431: the header never finished, so no id of the client's is known: a new one.
    std::string made_431;
    {
        test::http_client client{port};
        client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: req-431\r\nX-Big: " +
                    std::string(2000, 'b') + "\r\n\r\n");
        response res = client.receive();
        CHECK(res.result() == http::status::request_header_fields_too_large);
        made_431 = id_of(res);
        CHECK(is_uuid4(made_431));
    }
    // A request line that is not HTTP: 400 with a new id.
    {
        test::http_client client{port};
        client.send("NOT HTTP AT ALL\r\n\r\n");
        response res = client.receive();
        CHECK(res.result() == http::status::bad_request);
        CHECK(is_uuid4(id_of(res)));
    }
    s.srv.stop();
    s.srv.join();

    auto lines = s.log();
    auto logged = [&](std::string_view needle) {
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.find(needle) != l.npos; });
    };
    CHECK(logged(" GET /missing 404 "));
    CHECK(logged("id=req-404"));
    CHECK(logged(" POST / 413 "));
    CHECK(logged("id=req-413"));
    CHECK(logged("id=req-400"));
    CHECK(logged("id=" + made_431));
    CHECK_FALSE(logged("req-431"));
}

TEST_CASE("request ids: 503 beyond the connection cap carries one") {
    auto config = test::local_config();
    config.max_connections = 1;
    id_server s{config};
    test::http_client first{s.srv.port()};
    first.roundtrip(test::make_get("/")); // the one connection is open and counted
    test::http_client second{s.srv.port()};
    auto res = second.try_receive();
    REQUIRE(res);
    CHECK(res->result() == http::status::service_unavailable);
    CHECK(is_uuid4(id_of(*res)));
}

TEST_CASE("request ids: off, and clients' ids not accepted") {
    SECTION("request_ids = false: no header, an empty id") {
        auto config = test::local_config();
        config.request_ids = false;
        id_server s{config};
        response res = get_with(s.srv.port(), {"client-1"});
        CHECK(res.find("X-Request-ID") == res.end());
        CHECK(res.body().empty());
    }
    SECTION("accept_request_id = false: always a new one") {
        auto config = test::local_config();
        config.accept_request_id = false;
        id_server s{config};
        response res = get_with(s.srv.port(), {"client-1"});
        CHECK(is_uuid4(id_of(res)));
        CHECK(res.body() == id_of(res));
    }
}

TEST_CASE("request ids: JSON access lines carry the id, one object a line, refusals included",
          "[concurrency]") {
    id_server s{test::local_config(), access_log_format::json};
    const auto port = s.srv.port();
    response ok = get_with(port, {"json-1"}, "/things?secret=1");
    CHECK(id_of(ok) == "json-1");
    {
        test::http_client client{port};
        client.send(
            "POST / HTTP/1.1\r\nHost: x\r\nX-Request-ID: json-2\r\n"
            "User-Agent: evil\"\\\xe2\x80\xa8\xff agent\r\nContent-Length: 5, 5\r\n\r\nhello");
        CHECK(client.receive().result() == http::status::bad_request);
    }
    s.srv.stop();
    s.srv.join();
    auto lines = s.log();
    REQUIRE(lines.size() == 2);
    for (const auto& line : lines) {
        CHECK(line.find('\n') == std::string::npos);
        CHECK(std::all_of(line.begin(), line.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
        }));
    }
    auto handled = boost::json::parse(lines[0]).as_object();
    CHECK(handled.at("request_id") == "json-1");
    CHECK(handled.at("method") == "GET");
    CHECK(handled.at("path") == "/things");
    CHECK(handled.at("status") == 200);
    CHECK(handled.at("bytes") == 6);
    CHECK(handled.at("route").is_null()); // no router: no route template
    CHECK(handled.at("user").is_null());
    CHECK(std::string(handled.at("peer").as_string()).starts_with("127.0.0.1:"));
    auto refused = boost::json::parse(lines[1]).as_object();
    CHECK(refused.at("request_id") == "json-2");
    CHECK(refused.at("status") == 400);
    CHECK(refused.at("path") == "/");
    CHECK(std::string(refused.at("user_agent").as_string()) == "evil\"\\\u2028\ufffd agent");
}
