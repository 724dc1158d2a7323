#include <rampart/server/server.hpp>

#include "common.hpp"
#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using namespace rampart;
using test::http_client;
using test::make_get;

namespace {

/// Waits (bounded) until `done()` holds; the state changes on the server's threads.
template <class F>
bool eventually(F done) {
    for (int i = 0; i < 1000; ++i) {
        if (done())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return done();
}

} // namespace

TEST_CASE("graceful shutdown finishes in-flight requests and refuses new connections",
          "[concurrency]") {
    test::hold_gate gate;
    auto config = test::local_config();
    config.shutdown_grace = std::chrono::seconds{30};
    server srv{test::test_handler{&gate}, config};
    srv.start();
    auto port = srv.port();

    http_client idle{port};
    CHECK(idle.roundtrip(make_get("/warm")).result() == http::status::ok);
    http_client busy{port};
    busy.send(make_get("/hold"));
    REQUIRE(eventually([&] { return gate.entered.load() == 1; }));

    srv.stop();
    // The idle keep-alive connection is closed at once; nobody new gets in.
    CHECK(idle.wait_closed(std::chrono::seconds{10}));
    CHECK(eventually([&] { return !http_client::can_connect(port); }));

    // The request in flight still completes, told that the connection closes.
    gate.release = true;
    auto res = busy.receive();
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "GET /hold ");
    CHECK(!res.keep_alive());
    CHECK(busy.wait_closed(std::chrono::seconds{10}));

    srv.join(); // returns: everything finished
    CHECK(srv.connections() == 0);
    CHECK(!http_client::can_connect(port));
}

TEST_CASE("requests still running after the grace period are cut", "[concurrency]") {
    test::hold_gate gate; // never released
    auto config = test::local_config();
    config.shutdown_grace = std::chrono::milliseconds{200};
    server srv{test::test_handler{&gate}, config};
    srv.start();
    http_client stuck{srv.port()};
    stuck.send(make_get("/hold"));
    REQUIRE(eventually([&] { return gate.entered.load() == 1; }));
    srv.stop();
    srv.join();
    CHECK(stuck.wait_closed(std::chrono::seconds{10}));
    CHECK(!stuck.try_receive().has_value());
    gate.release = true; // lets the abandoned coroutine end if it were ever resumed
}

TEST_CASE("run() blocks until stop() and then returns", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    std::thread runner{[&] { srv.run(); }};
    http_client client{srv.port()};
    CHECK(client.roundtrip(make_get("/")).result() == http::status::ok);
    srv.stop();
    runner.join();
    CHECK(client.wait_closed(std::chrono::seconds{10}));
}

TEST_CASE("stop() before the server runs makes run() return at once", "[concurrency]") {
    server srv{test::test_handler{}, test::local_config()};
    srv.stop();
    srv.stop();
    srv.run();
    CHECK(srv.connections() == 0);
}

TEST_CASE("SIGTERM shuts the server down gracefully", "[concurrency]") {
    auto config = test::local_config();
    config.handle_signals = true;
    server srv{test::test_handler{}, config};
    srv.start();
    http_client client{srv.port()};
    CHECK(client.roundtrip(make_get("/")).result() == http::status::ok);
    std::raise(SIGTERM);
    srv.join();
    CHECK(client.wait_closed(std::chrono::seconds{10}));
    CHECK(!http_client::can_connect(srv.port()));
}

TEST_CASE("a port in use is reported by the constructor") {
    server first{test::test_handler{}, test::local_config()};
    auto config = test::local_config();
    config.endpoint.port(first.port());
    CHECK_THROWS_AS((server{test::test_handler{}, config}), boost::system::system_error);
}

TEST_CASE("a server name with control characters is refused") {
    auto config = test::local_config();
    config.server_name = "evil\r\nX-Injected: 1";
    CHECK_THROWS_AS((server{test::test_handler{}, config}), std::invalid_argument);
}
