// The limiter in a real server, over real sockets: what a client sees on the wire.
#include <rampart/throttle.hpp>

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/server.hpp>

#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;

namespace {

server_config local_config() {
    server_config config;
    config.endpoint = {asio::ip::make_address_v4("127.0.0.1"), 0};
    config.threads = 2;
    return config;
}

request get(std::string forwarded_for = {}) {
    request req{http::verb::get, "/api/products/", 11};
    req.set(http::field::host, "127.0.0.1");
    if (!forwarded_for.empty())
        req.set("X-Forwarded-For", forwarded_for);
    return req;
}

std::string header(const response& res, std::string_view name) {
    auto it = res.find(name);
    return it == res.end() ? std::string{"<none>"} : std::string(it->value());
}

} // namespace

TEST_CASE("throttle over real sockets: limits, headers and a trusted proxy",
          "[throttle][server][concurrency]") {
    manual_clock clock;
    throttle::memory_store store{clock_ref{clock}};
    throttle::client_ip_options ip;
    ip.trusted_proxies = 1;
    auto handler =
        stack(error_envelope{},
              throttle::limiter{store, ip, throttle::anonymous(throttle::rate{5, 1min})})
            .wrap([](context& ctx) { return text_response(http::status::ok, ctx.client_key()); });
    server srv{std::move(handler), local_config()};
    srv.start();
    test::http_client client{srv.port()};

    for (int i = 0; i < 5; ++i) {
        response res = client.roundtrip(get("203.0.113.7"));
        REQUIRE(res.result() == http::status::ok);
        CHECK(res.body() == "ip:203.0.113.7");
        CHECK(header(res, "RateLimit-Policy") == R"("anon";q=5;w=60)");
        CHECK(header(res, "RateLimit") == "\"anon\";r=" + std::to_string(4 - i) + ";t=12");
    }
    response refused = client.roundtrip(get("203.0.113.7"));
    CHECK(refused.result() == http::status::too_many_requests);
    CHECK(header(refused, "Retry-After") == "12");
    CHECK(header(refused, "RateLimit") == R"("anon";r=0;t=12)");
    CHECK(refused.keep_alive());
    // Writing another address further left changes nothing.
    CHECK(client.roundtrip(get("198.51.100.1, 203.0.113.7")).result() ==
          http::status::too_many_requests);
    // Another client behind the same proxy has its own bucket; without the header the
    // request did not pass the proxy, and counts against the socket peer.
    CHECK(client.roundtrip(get("203.0.113.8")).body() == "ip:203.0.113.8");
    CHECK(client.roundtrip(get()).body() == "ip:127.0.0.1");
    // Exactly Retry-After later, the client is admitted again.
    clock.advance(12s);
    CHECK(client.roundtrip(get("203.0.113.7")).result() == http::status::ok);
    CHECK(client.roundtrip(get("203.0.113.7")).result() == http::status::too_many_requests);
    srv.stop();
    srv.join();
}

TEST_CASE("throttle over real sockets: concurrent connections share one exact limit",
          "[throttle][server][concurrency]") {
    manual_clock clock;
    throttle::memory_store store{clock_ref{clock}};
    throttle::client_ip_options ip;
    ip.trusted_proxies = 1;
    auto handler =
        stack(throttle::limiter{store, ip, throttle::anonymous(throttle::parse_rate("50/hour"))})
            .wrap([](context&) { return text_response(http::status::ok, "ok"); });
    server srv{std::move(handler), local_config()};
    srv.start();

    constexpr int clients = 6;
    constexpr int requests = 20; // 120 requests for 50 tokens
    std::atomic<int> admitted{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&] {
            test::http_client client{srv.port()};
            for (int i = 0; i < requests; ++i) {
                response res = client.roundtrip(get("203.0.113.7"));
                if (res.result() == http::status::ok)
                    admitted.fetch_add(1);
                else if (res.result() == http::status::too_many_requests)
                    refused.fetch_add(1);
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(admitted.load() == 50);
    CHECK(refused.load() == clients * requests - 50);
    srv.stop();
    srv.join();
}
