// The examples of docs/throttling.md, compiled and run. Keep them in step with the page.

// docs: setup
#include <rampart/core.hpp>
#include <rampart/errors.hpp>
#include <rampart/throttle.hpp>

namespace asio = boost::asio;
namespace http = rampart::http;
namespace throttle = rampart::throttle;

// Only for the test:
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

namespace {

// docs: env_or
// A setting from the environment, or its default.
std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

rampart::response send(auto& h, const char* ip, std::string target = "/api/products/",
                       std::string user = {}) {
    rampart::context ctx{rampart::test::make_request(http::verb::get, std::move(target)),
                         {asio::ip::make_address(ip), 40000}};
    ctx.principal().user_id = std::move(user);
    return rampart::test::run(h(ctx));
}

} // namespace

// docs: get_from
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

// One GET from `ip` through `h`, run to completion.
template <class Handler>
rampart::response get_from(Handler& h, const char* ip) {
    rampart::context ctx{rampart::request{http::verb::get, "/api/products/", 11},
                         {asio::ip::make_address(ip), 40000}};
    asio::io_context io;
    auto response = asio::co_spawn(io, h(ctx), asio::use_future);
    io.run();
    return response.get();
}

TEST_CASE("docs/throttling.md: a service's limits", "[throttle][docs]") {
    // Rates and proxies come from the configuration; a bad value stops start-up.
    throttle::rate anon_rate = throttle::parse_rate(env_or("SHOP_THROTTLE_ANON", "100/hour"));
    throttle::rate user_rate = throttle::parse_rate(env_or("SHOP_THROTTLE_USER", "1000/hour"));
    throttle::rate login_rate = throttle::parse_rate(env_or("SHOP_THROTTLE_LOGIN", "10/minute"));
    throttle::client_ip_options ip;
    ip.trusted_proxies = 0; // SHOP_TRUSTED_PROXIES

    // One store for every limiter of the service; it must outlive them.
    throttle::memory_store<> store;

    // Every route: anonymous clients per address, authenticated ones per user.
    throttle::limiter api{store, ip, throttle::anonymous(anon_rate), throttle::user(user_rate)};
    // POST /api/token/ has its own limit per address, on top.
    throttle::limiter login{store, ip, throttle::per_ip("login", login_rate)};

    // Stands for the token endpoint's handler (see jwt.md).
    auto obtain_token = [](rampart::context&) {
        return rampart::text_response(http::status::ok, "{}");
    };
    auto token_route = rampart::stack(login).wrap(obtain_token);
    auto routes = [&](rampart::context& ctx) -> asio::awaitable<rampart::response> {
        if (ctx.path() == "/api/token/")
            co_return co_await token_route(ctx);
        co_return rampart::text_response(http::status::ok, "[]"); // the other routes
    };
    auto service = rampart::stack(rampart::error_envelope{}, api).wrap(routes);

    rampart::response res = send(service, "203.0.113.7");
    CHECK(res.result() == http::status::ok);
    CHECK(res["RateLimit-Policy"] == R"("anon";q=100;w=3600)");
    for (int i = 0; i < 10; ++i)
        REQUIRE(send(service, "203.0.113.7", "/api/token/").result() == http::status::ok);
    rampart::response refused = send(service, "203.0.113.7", "/api/token/");
    CHECK(refused.result() == http::status::too_many_requests);
    CHECK(refused["RateLimit-Policy"] == R"("login";q=10;w=60)");
    CHECK(send(service, "203.0.113.7", "/api/products/", "42")["RateLimit-Policy"] ==
          R"("user";q=1000;w=3600)");
}

TEST_CASE("docs/throttling.md: bad rates", "[throttle][docs]") {
    std::ostringstream log;
    auto* old = std::cerr.rdbuf(log.rdbuf());
    try {
        throttle::parse_rate("100/fortnight");
    } catch (const throttle::rate_error& e) {
        // invalid rate "100/fortnight": unknown unit (expected N/second, N/minute, ...)
        std::cerr << "SHOP_THROTTLE_ANON: " << e.what() << '\n';
    }
    std::cerr.rdbuf(old);
    CHECK_THAT(log.str(), Catch::StartsWith("SHOP_THROTTLE_ANON: invalid rate \"100/fortnight\": "
                                            "unknown unit"));
}

TEST_CASE("docs/throttling.md: custom keys and costs", "[throttle][docs]") {
    throttle::memory_store<> store;

    // Partners send an API key: 5000 requests a day per key. Requests without one are not
    // counted by this rule.
    auto api_key = [](const rampart::context& ctx) -> std::optional<std::string> {
        auto it = ctx.req().find("X-Api-Key");
        if (it == ctx.req().end())
            return std::nullopt;
        return std::string(it->value());
    };
    auto per_api_key = throttle::keyed("apikey", throttle::parse_rate("5000/day"), api_key);
    // An export costs 10 of the 60 tokens an hour each user (or address) has for exports.
    auto exports = throttle::scoped("export", throttle::parse_rate("60/hour")).with_cost(10);

    throttle::limiter partner_api{store, per_api_key, exports};

    auto h = rampart::stack(partner_api).wrap([](rampart::context&) {
        return rampart::text_response(http::status::ok, "ok");
    });
    for (int i = 0; i < 6; ++i)
        REQUIRE(send(h, "192.0.2.1").result() == http::status::ok);
    CHECK(send(h, "192.0.2.1").result() == http::status::too_many_requests);
}

TEST_CASE("docs/throttling.md: exact tests with a manual clock", "[throttle][docs]") {
    rampart::manual_clock clock;
    throttle::memory_store store{rampart::clock_ref{clock}};
    throttle::limiter limiter{store, throttle::anonymous(throttle::parse_rate("100/hour"))};
    auto ok = [](rampart::context&) { return rampart::text_response(http::status::ok, "ok"); };
    auto h = rampart::stack(limiter).wrap(ok);

    for (int i = 0; i < 100; ++i)
        REQUIRE(get_from(h, "203.0.113.7").result() == http::status::ok);
    rampart::response refused = get_from(h, "203.0.113.7");
    CHECK(refused.result() == http::status::too_many_requests);
    CHECK(refused["Retry-After"] == "36"); // one token every 36 s
    clock.advance(std::chrono::seconds{35});
    CHECK(get_from(h, "203.0.113.7").result() == http::status::too_many_requests);
    clock.advance(std::chrono::seconds{1});
    CHECK(get_from(h, "203.0.113.7").result() == http::status::ok);
}

TEST_CASE("docs/throttling.md: the store on its own", "[throttle][docs]") {
    throttle::memory_store<> store;
    const throttle::rate uploads{10, std::chrono::minutes{1}};
    throttle::bucket_decision d = store.try_take("upload|user:42", uploads, 3);
    // d.allowed == true, d.remaining == 7, d.reset == 18 s (until full again)
    store.refund_now("upload|user:42", uploads, 3); // the upload failed: give them back

    CHECK(d.allowed);
    CHECK(d.remaining == 7);
    CHECK(d.reset == std::chrono::seconds{18});
    CHECK(store.try_take("upload|user:42", uploads, 0).remaining == 10);
}
