// A burst of 10,000 new client addresses through the real server, behind one trusted proxy
// (X-Forwarded-For varies per request): the throttle's memory store stays under its key cap,
// and a heavy client among them stays limited exactly.

#include <rampart/throttle.hpp>

#include "support/http_client.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors.hpp>
#include <rampart/server.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace rampart;
using rampart::test::http_client;

/// A request as the one trusted proxy forwards it: it appended the address it saw.
std::string request_from(const std::string& address) {
    return "GET /api/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: " + address + "\r\n\r\n";
}

} // namespace

TEST_CASE("faults: a burst of 10,000 new client addresses keeps the throttle store bounded and "
          "a heavy client limited",
          "[faults][crowd][slow]") {
    constexpr std::size_t crowd = 10'000;
    constexpr std::size_t key_cap = 1024; // far below the crowd: eviction must do the work
    constexpr std::uint64_t allowance = 20;

    throttle::memory_store<> store{system_clock{}, {.max_keys = key_cap}};
    throttle::client_ip_options behind_proxy;
    behind_proxy.trusted_proxies = 1;
    throttle::limiter limiter{
        store, behind_proxy, throttle::anonymous(throttle::rate{allowance, std::chrono::hours{1}})};
    auto app = stack(error_envelope<>{}, limiter).wrap([](context&) {
        return text_response(http::status::ok, "pong");
    });
    server_config config;
    config.endpoint = {asio::ip::make_address_v4("127.0.0.1"), 0};
    config.threads = 2;
    server srv{app, config};
    srv.start();

    http_client flood{srv.port()};
    http_client heavy{srv.port()};
    const std::string heavy_request = request_from("203.0.113.7");
    std::size_t crowd_admitted = 0, heavy_admitted = 0, heavy_refused = 0, max_keys_seen = 0;
    constexpr std::size_t batch = 100;
    for (std::size_t sent = 0; sent < crowd; sent += batch) {
        // 100 pipelined requests, each from a new address (10.0.0.0/8 walked in order).
        std::string requests;
        for (std::size_t i = sent; i < sent + batch; ++i)
            requests +=
                request_from("10." + std::to_string((i >> 16) & 0xff) + "." +
                             std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff));
        flood.send(requests);
        for (std::size_t i = 0; i < batch; ++i)
            if (flood.receive().result() == http::status::ok)
                ++crowd_admitted;
        // Between batches the heavy client keeps asking from its one address.
        for (int k = 0; k < 2; ++k) {
            heavy.send(heavy_request);
            response h = heavy.receive();
            if (h.result() == http::status::ok)
                ++heavy_admitted;
            else if (h.result() == http::status::too_many_requests)
                ++heavy_refused;
        }
        max_keys_seen = std::max(max_keys_seen, store.size());
    }
    INFO("keys at most " << max_keys_seen << " of a cap of " << store.max_size());
    // Every new address gets its first request: a new bucket starts full.
    CHECK(crowd_admitted == crowd);
    // The store never held more than its cap, whatever the crowd.
    CHECK(store.max_size() == key_cap);
    CHECK(max_keys_seen <= key_cap);
    CHECK(store.size() <= key_cap);
    // The heavy client's bucket, far from full, was never the one evicted: exactly its
    // allowance passed, every request after it was refused.
    CHECK(heavy_admitted == allowance);
    CHECK(heavy_refused == 2 * (crowd / batch) - allowance);
}
