// Request framing (RFC 9112 §6, §2-§5 where they decide where a request ends) and the Host rule
// (§3.2), over real sockets: every refusal is an envelope with Connection: close, the socket is
// then closed, and the request smuggled after the refused one is never handled.

#include "common.hpp"
#include "support/http_client.hpp"

#include <rampart/server/host.hpp>
#include <rampart/server/server.hpp>

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using test::http_client;

namespace {

/// What the server did: the targets the handler saw and the access-log lines of its refusals.
struct record {
    std::mutex mutex;
    std::vector<std::string> handled;
    std::vector<std::string> refusals;

    std::vector<std::string> handled_targets() {
        std::lock_guard lock{mutex};
        return handled;
    }
    std::vector<std::string> refusal_lines() {
        std::lock_guard lock{mutex};
        return refusals;
    }
};

/// Answers `TARGET BODY hosts=N trailer=X` and records the target.
struct recording_handler {
    record* log;
    asio::awaitable<response> operator()(context& ctx) {
        {
            std::lock_guard lock{log->mutex};
            log->handled.emplace_back(ctx.target());
        }
        std::string body{ctx.target()};
        body += ' ';
        body += ctx.req().body();
        body += " hosts=" + std::to_string(ctx.req().count(http::field::host));
        body += " trailer=" + std::string{ctx.req()["X-Trailer"]};
        co_return text_response(http::status::ok, std::move(body));
    }
};

struct fixture {
    record log;
    server<decltype(make_handler(recording_handler{}))> srv;

    explicit fixture(server_config config = test::local_config())
        : srv(recording_handler{&log}, with_sink(std::move(config), &log)) {
        srv.start();
    }

    static server_config with_sink(server_config config, record* log) {
        config.access_log_sink = [log](std::string_view line) {
            std::lock_guard lock{log->mutex};
            log->refusals.emplace_back(line);
        };
        return config;
    }
};

/// A request the server must never answer: it follows a refused one on the same connection.
constexpr std::string_view smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

/// Sends `bytes` then the smuggled request; expects `status` with `detail` (unless empty) in the
/// envelope, Connection: close, the socket closed, and nothing answered after it.
void expect_refused(fixture& f, const std::string& bytes, unsigned status,
                    std::string_view detail) {
    INFO("request: " << bytes);
    http_client client{f.srv.port()};
    client.send(bytes + std::string{smuggled});
    auto res = client.receive();
    CHECK(res.result_int() == status);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res[http::field::connection] == "close");
    CHECK(!res.keep_alive());
    auto body = test::envelope_of(res);
    CHECK(body.at("status") == "error");
    CHECK(body.at("code") == status);
    if (!detail.empty())
        CHECK(body.at("errors").at("detail").as_string() == detail);
    CHECK(client.wait_closed(std::chrono::seconds{10}));
    CHECK(client.unread().empty()); // no second response: the smuggled request was not served
    CHECK(f.log.handled_targets().empty());
}

/// Sends `bytes`; expects one 200 whose body starts with `body_prefix`.
std::string expect_served(fixture& f, const std::string& bytes, std::string_view body_prefix) {
    INFO("request: " << bytes);
    http_client client{f.srv.port()};
    client.send(bytes);
    auto res = client.receive();
    CHECK(res.result() == http::status::ok);
    CHECK(res.body().starts_with(body_prefix));
    return res.body();
}

constexpr std::string_view malformed = "Malformed HTTP request.";
constexpr std::string_view must_end_chunked = "Transfer-Encoding must end in chunked.";

} // namespace

TEST_CASE("a Transfer-Encoding not ending in chunked is refused, never read as an empty body",
          "[framing]") {
    fixture f;
    for (std::string te : {"xchunked", "identity", "gzip", "chunked, identity", "chunked;x=1", "",
                           "chunked , gzip"}) {
        // The "body" is a whole request: served as the next one before the fix.
        expect_refused(f,
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                           "\r\n\r\nGET /body HTTP/1.1\r\nHost: x\r\n\r\n",
                       400, must_end_chunked);
    }
    // Two fields: joined, the last coding decides.
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: gzip\r\n\r\n",
                   400, malformed); // Beast already refuses a second field after chunked
    expect_refused(f, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                   400, "The chunked transfer coding is applied more than once.");
    expect_refused(f, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ch@nked\r\n\r\n", 400,
                   "Malformed Transfer-Encoding.");
    CHECK(f.log.refusal_lines().size() == 10);
}

TEST_CASE("a transfer coding other than chunked is not implemented: 501, no raw coded body",
          "[framing]") {
    fixture f;
    std::string body = "5\r\nhello\r\n0\r\n\r\n";
    for (std::string te : {"gzip, chunked", "identity, chunked", "x-custom;q=1, chunked"})
        expect_refused(f,
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n" + body,
                       501, "Only the chunked transfer coding is supported.");
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" +
                       body,
                   501, "Only the chunked transfer coding is supported.");
    // Empty list elements are allowed (RFC 9110 §5.6.1), and the coding name is case-insensitive.
    expect_served(f, "POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , Chunked\r\n\r\n" + body,
                  "/ok hello");
}

TEST_CASE("Transfer-Encoding with Content-Length, or in HTTP/1.0, is refused", "[framing]") {
    fixture f;
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Length: 5\r\n\r\n0\r\n\r\n",
                   400, malformed);
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   400, malformed);
    // Beast takes this one (the coding is not chunked): the Content-Length would frame it.
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                   "Content-Length: 5\r\n\r\nhello",
                   400, "Transfer-Encoding and Content-Length must not both be sent.");
    expect_refused(f,
                   "POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n0\r\n\r\n",
                   400, "Transfer-Encoding is not allowed in an HTTP/1.0 request.");
}

TEST_CASE("Content-Length must be one decimal value", "[framing]") {
    fixture f;
    expect_refused(f, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", 400,
                   "Invalid Content-Length.");
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
                   "hello",
                   400, "Invalid Content-Length.");
    for (std::string cl : {"5, 6", "+5", "-5", "0x5", "5 5", "5.0", "18446744073709551616", ""})
        expect_refused(f, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + "\r\n\r\nhello",
                       400, "");
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                   "hello!",
                   400, malformed);
    // Leading zeros and surrounding white space are valid.
    expect_served(f, "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length:  005 \r\n\r\nhello",
                  "/ok hello");
}

TEST_CASE("chunked bodies: size overflow, extensions, endless lines, trailers", "[framing]") {
    fixture f;
    std::string head = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect_refused(f, head + "10000000000000000\r\n", 400, malformed);
    expect_refused(f, head + "-5\r\nhello\r\n0\r\n\r\n", 400, malformed);
    expect_refused(f, head + "5 x\r\nhello\r\n0\r\n\r\n", 400, malformed);
    expect_refused(f, head + "5\nhello\r\n0\r\n\r\n", 400, malformed);
    // A chunk extension that never ends: Beast does not bound it, the connection's buffer does.
    expect_refused(f, head + "5;" + std::string(200 * 1024, 'a'), 400, malformed);
    expect_served(f, head + "5;name=value;q=\"a b\"\r\nhello\r\n0\r\n\r\n", "/c hello");
    // Trailer fields never reach the handler (a Host or Authorization after the body).
    auto body = expect_served(f, head + "5\r\nhello\r\n0\r\nX-Trailer: t\r\nHost: evil\r\n\r\n",
                              "/c hello");
    CHECK(body == "/c hello hosts=1 trailer=");
}

TEST_CASE("a chunked body's end split into one-byte writes is still one request", "[framing]") {
    // Beast 1.81 asserted on the first split (the last chunk alone, then one byte), a wrong
    // assertion that aborted Debug builds; found by fuzz_framing.
    fixture f;
    std::string head = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    struct split {
        std::vector<std::string> writes;
        std::string_view answer;
    };
    for (const auto& [writes, answer] :
         {split{{head + "0\r\n", "\r", "\n"}, "/c  hosts=1 trailer="},
          split{{head + "5\r\nhello", "\r\n", "0\r\n", "\r", "\n"}, "/c hello hosts=1 trailer="},
          split{{head + "0\r\nX-Trailer: t", "\r", "\n", "\r", "\n"}, "/c  hosts=1 trailer="}}) {
        INFO("first write: " << writes.front());
        http_client client{f.srv.port()};
        for (const auto& bytes : writes) {
            client.send(bytes);
            std::this_thread::sleep_for(std::chrono::milliseconds{30}); // one read each
        }
        auto res = client.receive();
        CHECK(res.result() == http::status::ok);
        CHECK(res.body() == answer);
        client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"); // still in step
        CHECK(client.receive().body().starts_with("/after"));
    }
    CHECK(f.log.handled_targets() ==
          std::vector<std::string>{"/c", "/after", "/c", "/after", "/c", "/after"});
}

TEST_CASE("field syntax: bare LF, obs-fold, white space around names", "[framing]") {
    fixture f;
    expect_refused(f, "GET / HTTP/1.1\nHost: x\n\n", 400, malformed);
    expect_refused(f, "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400, malformed);
    expect_refused(f, "GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400, malformed);
    expect_refused(f, "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400, malformed);
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                   "0\r\n\r\n",
                   400, malformed);
    expect_refused(f, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, malformed);
    expect_refused(f, "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400, malformed);
    expect_refused(f, "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01\r\n\r\n", 400, malformed);
}

TEST_CASE("request line oddities", "[framing]") {
    fixture f;
    for (std::string line : {"GET  / HTTP/1.1", "GET / HTTP/1.2", "GET / HTTP/2.0",
                             "GET /a b HTTP/1.1", "GET / HTTP/1.1 ", "GET /", " GET / HTTP/1.1",
                             "G(T / HTTP/1.1", "GET / http/1.1", "\r\n\r\nGET / HTTP/1.1"})
        expect_refused(f, line + "\r\nHost: x\r\n\r\n", 400, malformed);
    // One empty line before a request line is ignored (RFC 9112 §2.2), also between requests.
    expect_served(f, "\r\nGET /one HTTP/1.1\r\nHost: x\r\n\r\n", "/one");
    http_client client{f.srv.port()};
    client.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na\r\n"
                "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(client.receive().body().starts_with("/a a"));
    CHECK(client.receive().body().starts_with("/b"));
}

TEST_CASE("a CRLF after a body leaves the connection idle, not mid-request", "[framing]") {
    auto config = test::local_config();
    config.read_timeout = std::chrono::milliseconds{200};
    config.idle_timeout = std::chrono::seconds{10};
    fixture f{config};
    http_client client{f.srv.port()};
    client.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na\r\n");
    CHECK(client.receive().body().starts_with("/a a"));
    std::this_thread::sleep_for(std::chrono::milliseconds{600}); // beyond the read timeout
    client.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(client.receive().body().starts_with("/b"));
}

TEST_CASE("Expect: only 100-continue, and never for HTTP/1.0", "[framing]") {
    fixture f;
    expect_refused(f, "POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\na",
                   417, "Only the 100-continue expectation is supported.");
    expect_refused(f,
                   "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue, teapot\r\n"
                   "Content-Length: 1\r\n\r\na",
                   417, "Only the 100-continue expectation is supported.");
    // HTTP/1.0: the expectation is ignored (RFC 9110 §10.1.1), so no interim 100 arrives.
    http_client client{f.srv.port(), std::chrono::milliseconds{500}};
    client.send(
        "POST /ten HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    CHECK(!client.try_receive().has_value());
    CHECK(client.unread().empty());
}

TEST_CASE("Host: exactly one valid Host in HTTP/1.1, at most one, valid, in HTTP/1.0",
          "[framing]") {
    fixture f;
    expect_refused(f, "GET / HTTP/1.1\r\n\r\n", 400, "Missing Host header.");
    expect_refused(f, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
                   "More than one Host header.");
    expect_refused(f, "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400,
                   "More than one Host header.");
    for (std::string host : {"a b", "a:99999", "a:x", "a:", "a:1:2", "user@a", "a/b", "[::1",
                             "[fe80::1%25eth0]", "[1.2.3.4]", "a%2", "\"a\"", "a\tb"}) {
        expect_refused(f, "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 400,
                       "Invalid Host header.");
        expect_refused(f, "GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n", 400,
                       "Invalid Host header.");
    }
    expect_refused(f, "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, malformed);
    for (std::string host : {"example.com", "EXAMPLE.com:8080", "192.0.2.1:80", "[::1]:8080",
                             "[2001:db8::1]", "a%41", "", "xn--bcher-kva.example:0"})
        expect_served(f, "GET /h HTTP/1.1\r\nHost: " + host + "\r\n\r\n", "/h");
    expect_served(f, "GET /old HTTP/1.0\r\n\r\n", "/old");
}

TEST_CASE("parse_host_field splits host and port by RFC 9110 §7.2", "[framing]") {
    auto p = parse_host_field("api.example.com:8443");
    REQUIRE(p);
    CHECK(p->host == "api.example.com");
    CHECK(p->port == 8443);
    p = parse_host_field("[2001:db8::1]");
    REQUIRE(p);
    CHECK(p->host == "[2001:db8::1]");
    CHECK(!p->port);
    CHECK(parse_host_field("")->host.empty());
    CHECK(parse_host_field("a:65535")->port == 65535);
    CHECK(!parse_host_field("a:65536"));
    CHECK(!parse_host_field("a:000001"));
    CHECK(!parse_host_field("[::1]x"));
    CHECK(!parse_host_field("[v1.x]"));
    CHECK(!is_valid_host_field("a\r\nb"));
    CHECK(is_valid_host_field("a-b_c~d.e!$&'()*+,;="));
}

TEST_CASE("the server's own refusals reach the access-log sink, escaped", "[framing]") {
    auto config = test::local_config();
    config.header_limit = 1024;
    config.body_limit = 10;
    fixture f{config};
    expect_refused(f, "GET /no-host?token=secret HTTP/1.1\r\n\r\n", 400, "Missing Host header.");
    expect_refused(f, "GET /\xe2\x80\xa8x\"y HTTP/1.1\r\n\r\n", 400, "Missing Host header.");
    expect_refused(f, "BAD\r\n\r\n", 400, malformed);
    expect_refused(f, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", 413, "");
    expect_refused(f, "GET /h HTTP/1.1\r\nHost: x\r\nX: " + std::string(2000, 'a') + "\r\n\r\n",
                   431, "");
    auto lines = f.log.refusal_lines();
    REQUIRE(lines.size() == 5);
    auto tail = [](const std::string& line) { return line.substr(line.find(' ') + 1); };
    CHECK(tail(lines[0]).starts_with("GET /no-host 400 "));
    CHECK(tail(lines[1]).starts_with("GET /\\xe2\\x80\\xa8x\\x22y 400 "));
    CHECK(tail(lines[2]).starts_with("- - 400 "));
    CHECK(tail(lines[3]).starts_with("POST /big 413 "));
    CHECK(tail(lines[4]).starts_with("GET /h 431 "));
    for (const auto& line : lines) {
        CHECK(line.find("peer=127.0.0.1:") != std::string::npos);
        CHECK(line.find("secret") == std::string::npos);
        for (char c : line)
            CHECK(((static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f) ||
                   c == ' '));
    }
}
