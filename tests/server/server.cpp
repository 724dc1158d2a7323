#include <rampart/server/server.hpp>

#include "common.hpp"
#include "support/http_client.hpp"

#include <rampart/core/clock.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using test::http_client;
using test::make_get;

TEST_CASE("http_date formats IMF-fixdate exactly") {
    using std::chrono::seconds;
    using tp = std::chrono::system_clock::time_point;
    CHECK(http_date(tp{seconds{0}}) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(http_date(tp{seconds{784111777}}) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(http_date(tp{seconds{1'700'000'000}}) == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(http_date(tp{seconds{951'782'400}}) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(http_date(tp{seconds{4'102'444'799}}) == "Thu, 31 Dec 2099 23:59:59 GMT");
    CHECK(http_date(tp{seconds{-1}}) == "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST_CASE("keep-alive serves several requests on one connection", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    for (int i = 0; i < 5; ++i) {
        auto res = client.roundtrip(make_get("/item/" + std::to_string(i)));
        CHECK(res.result() == http::status::ok);
        CHECK(res.body() == "GET /item/" + std::to_string(i) + " ");
        CHECK(res.keep_alive());
    }
    auto post = make_get("/echo", http::verb::post);
    post.body() = "payload";
    auto res = client.roundtrip(std::move(post));
    CHECK(res.body() == "POST /echo payload");
    CHECK(srv.connections() == 1);
}

TEST_CASE("pipelined requests are answered in order", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    // The first is the slowest: order must follow the requests, not completion.
    client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(client.receive().body() == "GET /slow ");
    CHECK(client.receive().body() == "POST /b abc");
    CHECK(client.receive().body() == "GET /c ");
    // Still open for more.
    CHECK(client.roundtrip(make_get("/d")).body() == "GET /d ");
}

TEST_CASE("HEAD is answered with the GET's headers and no body", "[concurrency]") {
    // Like a router that serves HEAD with the GET route: the same response for both.
    auto h = [](context&) -> asio::awaitable<response> {
        co_return text_response(http::status::ok, "twelve bytes");
    };
    server srv{h, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    auto get = client.roundtrip(make_get("/page"));
    CHECK(get.body() == "twelve bytes");
    auto head = client.roundtrip(make_get("/page", http::verb::head));
    CHECK(head.result() == http::status::ok);
    CHECK(head.body().empty());
    CHECK(head[http::field::content_length] == "12");
    CHECK(head[http::field::content_type] == get[http::field::content_type]);
    // No body bytes were sent: the next response parses cleanly right after the headers.
    CHECK(client.roundtrip(make_get("/after")).body() == "twelve bytes");
    CHECK(client.unread().empty());
}

TEST_CASE("HEAD keeps a Content-Length the handler set for an empty body", "[concurrency]") {
    auto h = [](context&) -> asio::awaitable<response> {
        response res{http::status::ok, 11};
        res.set(http::field::content_type, "application/octet-stream");
        res.content_length(12345);
        co_return res;
    };
    server srv{h, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    auto head = client.roundtrip(make_get("/file", http::verb::head));
    CHECK(head[http::field::content_length] == "12345");
    CHECK(client.roundtrip(make_get("/file", http::verb::head))[http::field::content_length] ==
          "12345");
}

TEST_CASE("every response carries Date and Server", "[concurrency]") {
    manual_clock clock;
    auto config = test::local_config();
    config.server_name = "shop/1.0";
    server srv{test::test_handler{}, config, envelope_format{}, clock_ref{clock}};
    srv.start();
    http_client client{srv.port()};
    auto res = client.roundtrip(make_get("/"));
    CHECK(res[http::field::date] == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(res[http::field::server] == "shop/1.0");

    clock.advance(std::chrono::hours{24} + std::chrono::seconds{1});
    auto later = client.roundtrip(make_get("/missing"));
    CHECK(later.result() == http::status::not_found);
    CHECK(later[http::field::date] == "Wed, 15 Nov 2023 22:13:21 GMT");
    CHECK(later[http::field::server] == "shop/1.0");
}

TEST_CASE("a Server header set by the handler is kept", "[concurrency]") {
    auto h = [](context&) -> asio::awaitable<response> {
        auto res = text_response(http::status::ok, "x");
        res.set(http::field::server, "custom");
        co_return res;
    };
    server srv{h, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    auto res = client.roundtrip(make_get("/"));
    CHECK(res[http::field::server] == "custom");
    CHECK(!res[http::field::date].empty());
}

TEST_CASE("an exception escaping the handler is a 500 without its text", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    auto res = client.roundtrip(make_get("/boom"));
    CHECK(res.result() == http::status::internal_server_error);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res.body().find("secret") == std::string::npos);
    auto body = test::envelope_of(res);
    CHECK(body.at("code") == 500);
    CHECK(body.at("status") == "error");
    // The connection and the server live on.
    CHECK(client.roundtrip(make_get("/ok")).body() == "GET /ok ");
}

TEST_CASE("the error envelope's sink renders handler exceptions", "[concurrency]") {
    std::vector<std::string> logged;
    auto h = stack(error_envelope<>{envelope_format{},
                                    [&](std::exception_ptr, const context& ctx) {
                                        logged.emplace_back(ctx.path());
                                    }})
                 .wrap(test::test_handler{});
    auto config = test::local_config();
    config.threads = 1;
    server srv{std::move(h), config};
    srv.start();
    http_client client{srv.port()};
    auto res = client.roundtrip(make_get("/boom"));
    CHECK(res.result() == http::status::internal_server_error);
    CHECK(test::envelope_of(res).at("errors").at("detail") == "A server error occurred.");
    srv.stop();
    srv.join();
    CHECK(logged == std::vector<std::string>{"/boom"});
}

TEST_CASE("a malformed request gets a 400 envelope and a close, others are still served",
          "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    http_client other{srv.port()};
    CHECK(other.roundtrip(make_get("/before")).result() == http::status::ok);

    const char* bad_inputs[] = {
        "NOT HTTP AT ALL\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (const char* bad : bad_inputs) {
        INFO(bad);
        http_client client{srv.port()};
        client.send(bad);
        auto res = client.receive();
        CHECK(res.result() == http::status::bad_request);
        CHECK(res[http::field::content_type] == "application/json");
        CHECK(!res.keep_alive());
        auto body = test::envelope_of(res);
        CHECK(body.at("code") == 400);
        CHECK(body.at("errors").at("detail") == "Malformed HTTP request.");
        CHECK(client.wait_closed(std::chrono::seconds{10}));
    }
    CHECK(other.roundtrip(make_get("/after")).body() == "GET /after ");
    http_client fresh{srv.port()};
    CHECK(fresh.roundtrip(make_get("/fresh")).body() == "GET /fresh ");
}

TEST_CASE("HTTP/1.0 without keep-alive is answered and closed", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    client.send("GET /old HTTP/1.0\r\n\r\n");
    auto res = client.receive();
    CHECK(res.version() == 10);
    CHECK(res.body() == "GET /old ");
    CHECK(client.wait_closed(std::chrono::seconds{10}));

    http_client keep{srv.port()};
    keep.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto first = keep.receive();
    CHECK(first.keep_alive());
    keep.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(keep.receive().body() == "GET /b ");
}

TEST_CASE("Expect: 100-continue gets an interim response before the body is sent",
          "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                "Expect: 100-continue\r\n\r\n");
    auto interim = client.receive();
    CHECK(interim.result() == http::status::continue_);
    client.send("hello");
    CHECK(client.receive().body() == "POST /upload hello");
}

TEST_CASE("many clients on many threads are each answered correctly", "[concurrency]") {
    auto config = test::local_config();
    config.threads = 4;
    server srv{test::test_handler{}, config};
    srv.start();
    std::atomic<int> correct{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t)
        clients.emplace_back([&, t] {
            http_client client{srv.port()};
            for (int i = 0; i < 25; ++i) {
                auto target = "/t" + std::to_string(t) + "/" + std::to_string(i);
                auto res = client.roundtrip(make_get(target));
                if (res.body() == "GET " + target + " ")
                    correct.fetch_add(1);
            }
        });
    for (auto& c : clients)
        c.join();
    CHECK(correct.load() == 8 * 25);
}

TEST_CASE("the server's io_context is shared with other components", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    std::atomic<bool> ran{false};
    asio::post(srv.get_executor(), [&] { ran = true; });
    srv.start();
    http_client client{srv.port()};
    client.roundtrip(make_get("/"));
    srv.stop();
    srv.join();
    CHECK(ran.load());
}

TEST_CASE("a handler asking for Connection: close gets it", "[concurrency]") {
    auto h = [](context&) -> asio::awaitable<response> {
        auto res = text_response(http::status::ok, "bye");
        res.keep_alive(false);
        co_return res;
    };
    server srv{h, test::local_config()};
    srv.start();
    http_client client{srv.port()};
    auto res = client.roundtrip(make_get("/"));
    CHECK(res.body() == "bye");
    CHECK(!res.keep_alive());
    CHECK(client.wait_closed(std::chrono::seconds{10}));
}

namespace {

/// Answers with an identifier of the thread that served the request.
struct thread_reporter {
    asio::awaitable<response> operator()(context&) {
        auto id = std::hash<std::thread::id>{}(std::this_thread::get_id());
        co_return text_response(http::status::ok, std::to_string(id));
    }
};

} // namespace

TEST_CASE("each connection stays on one thread, and connections spread over the threads",
          "[concurrency]") {
    auto config = test::local_config();
    config.threads = 3;
    server srv{thread_reporter{}, config};
    srv.start();
    std::vector<std::unique_ptr<http_client>> clients;
    std::set<std::string> threads;
    for (int c = 0; c < 3; ++c) {
        clients.push_back(std::make_unique<http_client>(srv.port()));
        auto first = clients.back()->roundtrip(make_get("/")).body();
        for (int i = 0; i < 5; ++i)
            CHECK(clients.back()->roundtrip(make_get("/")).body() == first);
        threads.insert(first);
    }
    // Each new connection went to a thread serving none.
    CHECK(threads.size() == 3);
}

TEST_CASE("the connection cap counts the connections of every thread", "[concurrency]") {
    auto config = test::local_config();
    config.threads = 4;
    config.max_connections = 3;
    server srv{test::test_handler{}, config};
    srv.start();
    std::vector<std::unique_ptr<http_client>> open;
    for (int c = 0; c < 3; ++c) {
        open.push_back(std::make_unique<http_client>(srv.port()));
        CHECK(open.back()->roundtrip(make_get("/")).result() == http::status::ok);
    }
    http_client fourth{srv.port()};
    CHECK(fourth.receive().result_int() == 503);
    CHECK(fourth.wait_closed(std::chrono::seconds{10}));
    CHECK(srv.connections() == 3);
}

TEST_CASE("a server runs once", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.start();
    CHECK_THROWS_AS(srv.start(), std::logic_error);
    CHECK_THROWS_AS(srv.run(), std::logic_error);
    http_client client{srv.port()};
    CHECK(client.roundtrip(make_get("/")).result() == http::status::ok);
    srv.stop();
    srv.join();
}
