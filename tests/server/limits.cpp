#include <rampart/server/config.hpp>

#include "common.hpp"
#include "support/http_client.hpp"

#include <rampart/server/server.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace rampart;
using test::http_client;
using test::make_get;

namespace {

void check_envelope(const response& res, unsigned code, std::string_view error_code_detail) {
    CHECK(res.result_int() == code);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(!res.keep_alive());
    auto body = test::envelope_of(res);
    CHECK(body.at("status") == "error");
    CHECK(body.at("code") == code);
    CHECK(body.at("errors").at("detail").as_string() == error_code_detail);
}

} // namespace

TEST_CASE("a header section over the limit gets a 431 envelope and a close", "[concurrency]") {
    auto config = test::local_config();
    config.header_limit = 1024;
    server srv{test::test_handler{}, config};
    srv.start();

    http_client client{srv.port()};
    auto req = make_get("/big");
    req.set("X-Filler", std::string(4000, 'a'));
    client.send(std::move(req));
    auto res = client.receive();
    check_envelope(res, 431, "Request header fields are too large.");
    CHECK(!res[http::field::date].empty());
    CHECK(client.wait_closed(std::chrono::seconds{10}));

    // Just under the limit is fine.
    http_client ok{srv.port()};
    auto small = make_get("/small");
    small.set("X-Filler", std::string(800, 'a'));
    CHECK(ok.roundtrip(std::move(small)).result() == http::status::ok);
}

TEST_CASE("a body over the limit gets a 413 envelope and a close", "[concurrency]") {
    auto config = test::local_config();
    config.body_limit = 100;
    server srv{test::test_handler{}, config};
    srv.start();

    SECTION("declared by Content-Length") {
        http_client client{srv.port()};
        auto req = make_get("/upload", http::verb::post);
        req.body() = std::string(1000, 'x');
        client.send(std::move(req));
        check_envelope(client.receive(), 413, "Request body is too large.");
        CHECK(client.wait_closed(std::chrono::seconds{10}));
    }
    SECTION("declared but not sent: refused before the body is read") {
        http_client client{srv.port()};
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
        check_envelope(client.receive(), 413, "Request body is too large.");
        CHECK(client.wait_closed(std::chrono::seconds{10}));
    }
    SECTION("chunked, found while reading") {
        http_client client{srv.port()};
        std::string chunk(60, 'y');
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3c\r\n" +
                    chunk + "\r\n3c\r\n" + chunk + "\r\n0\r\n\r\n");
        check_envelope(client.receive(), 413, "Request body is too large.");
        CHECK(client.wait_closed(std::chrono::seconds{10}));
    }
    SECTION("at the limit is served") {
        http_client client{srv.port()};
        auto req = make_get("/upload", http::verb::post);
        req.body() = std::string(100, 'x');
        CHECK(client.roundtrip(std::move(req)).result() == http::status::ok);
    }
}

TEST_CASE("a client stalling mid-request is cut after the read timeout", "[concurrency]") {
    auto config = test::local_config();
    config.read_timeout = std::chrono::milliseconds{200};
    server srv{test::test_handler{}, config};
    srv.start();

    SECTION("mid-header") {
        http_client client{srv.port()};
        client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Half: ");
        CHECK(client.wait_closed(std::chrono::seconds{10}));
        CHECK(client.unread().empty());
    }
    SECTION("mid-body") {
        http_client client{srv.port()};
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-some");
        CHECK(client.wait_closed(std::chrono::seconds{10}));
        CHECK(client.unread().empty());
    }
    SECTION("connected and silent") {
        http_client client{srv.port()};
        CHECK(client.wait_closed(std::chrono::seconds{10}));
    }
    SECTION("dribbling a byte at a time does not extend the bound (slow loris)") {
        http_client client{srv.port()};
        std::string header =
            "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
        // Sent over ~5 s, far beyond the 200 ms bound: a per-read timeout would let it through.
        bool cut = false;
        for (char c : header) {
            try {
                client.send(std::string_view{&c, 1});
            } catch (const boost::system::system_error&) {
                cut = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        if (!cut)
            CHECK(!client.try_receive().has_value());
        CHECK(client.wait_closed(std::chrono::seconds{10}));
    }
    SECTION("a prompt client is unaffected") {
        http_client client{srv.port()};
        CHECK(client.roundtrip(make_get("/")).result() == http::status::ok);
    }
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout", "[concurrency]") {
    auto config = test::local_config();
    config.idle_timeout = std::chrono::milliseconds{200};
    server srv{test::test_handler{}, config};
    srv.start();
    http_client client{srv.port()};
    CHECK(client.roundtrip(make_get("/")).result() == http::status::ok);
    CHECK(client.wait_closed(std::chrono::seconds{10}));
    CHECK(client.unread().empty());
}

TEST_CASE("connections beyond the cap are answered 503 and closed", "[concurrency]") {
    auto config = test::local_config();
    config.max_connections = 2;
    server srv{test::test_handler{}, config};
    srv.start();
    auto first = std::make_unique<http_client>(srv.port());
    http_client second{srv.port()};
    CHECK(first->roundtrip(make_get("/1")).result() == http::status::ok);
    CHECK(second.roundtrip(make_get("/2")).result() == http::status::ok);

    http_client third{srv.port()};
    auto res = third.receive();
    check_envelope(res, 503, "Too many connections.");
    CHECK(res[http::field::retry_after] == "1");
    CHECK(third.wait_closed(std::chrono::seconds{10}));

    // Once a connection ends there is room again (the server notices the close promptly;
    // retry a bounded number of times while it does).
    first.reset();
    bool served = false;
    for (int attempt = 0; attempt < 200 && !served; ++attempt) {
        http_client next{srv.port()};
        next.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
        auto again = next.try_receive();
        served = again && again->result() == http::status::ok;
        if (!served)
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    CHECK(served);
    CHECK(second.roundtrip(make_get("/still")).result() == http::status::ok);
}
