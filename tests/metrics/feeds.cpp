#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/metrics/throttle_metrics.hpp>
#include <rampart/metrics/token_metrics.hpp>
#include <rampart/throttle/limiter.hpp>
#include <rampart/throttle/memory_store.hpp>

#include "jwt/service_support.hpp"

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <string>

using namespace rampart;
using namespace std::chrono_literals;

namespace {

std::string login_body(std::string_view user, std::string_view password) {
    return boost::json::serialize(boost::json::object{{"username", user}, {"password", password}});
}
std::string refresh_body(std::string_view token) {
    return boost::json::serialize(boost::json::object{{"refresh", token}});
}

bool has(const std::string& text, std::string_view line) {
    return text.find(line) != std::string::npos;
}

} // namespace

TEST_CASE("token_metrics: logins, refreshes, reuse and logouts of a real token service") {
    test::token_layer t;
    asio::thread_pool pool{1};
    test::user_table users{pool};
    users.add("alice", "1", "alice-pass-1234");
    metrics::registry reg;
    metrics::token_metrics tokens{reg};
    jwt::token_service_options o;
    o.on_event = tokens.listener();
    auto svc = test::make_service(t, users, o);
    auto obtain = stack(error_envelope<>{}).wrap(svc->obtain_handler());
    auto refresh = stack(error_envelope<>{}).wrap(svc->refresh_handler());
    auto blacklist = stack(error_envelope<>{}).wrap(svc->blacklist_handler());

    CHECK(has(reg.scrape(), "rampart_token_events_total{event=\"obtained\"} 0\n"));
    auto bad = test::call(obtain, test::post("/t/", login_body("alice", "wrong-password")));
    REQUIRE(bad.result_int() == 401);
    auto login = test::body_of(
        test::call(obtain, test::post("/t/", login_body("alice", "alice-pass-1234"))));
    std::string r0{login.at("refresh").as_string()};
    t.clock.advance(1s);
    auto first = test::call(refresh, test::post("/r/", refresh_body(r0)));
    REQUIRE(first.result_int() == 200);
    std::string r1{test::body_of(first).at("refresh").as_string()};
    REQUIRE(test::call(refresh, test::post("/r/", refresh_body(r0))).result_int() == 401); // reuse
    auto second = test::body_of(
        test::call(obtain, test::post("/t/", login_body("alice", "alice-pass-1234"))));
    std::string other{second.at("refresh").as_string()};
    REQUIRE(test::call(blacklist, test::post("/b/", refresh_body(other))).result_int() == 200);
    pool.join();

    std::string text = reg.scrape();
    CHECK(has(text, "# TYPE rampart_token_events_total counter\n"));
    CHECK(has(text, "rampart_token_events_total{event=\"obtained\"} 2\n")); // not the bad one
    CHECK(has(text, "rampart_token_events_total{event=\"refreshed\"} 1\n"));
    CHECK(has(text, "rampart_token_events_total{event=\"reuse_detected\"} 1\n"));
    CHECK(has(text, "rampart_token_events_total{event=\"blacklisted\"} 1\n"));
}

TEST_CASE("throttle_metrics: each rule's decisions, by scope, from a real limiter") {
    manual_clock clock;
    throttle::memory_store<clock_ref<manual_clock>> store{clock_ref<manual_clock>{clock}};
    metrics::registry reg;
    metrics::throttle_metrics decisions{reg, {"anon", "user"}};
    throttle::limiter limit{store, throttle::anonymous(throttle::parse_rate("2/minute")),
                            throttle::per_ip("burst", throttle::parse_rate("100/minute"))};
    limit.observe(decisions.listener());
    auto app = stack(error_envelope<>{}, limit).wrap([](context&) {
        return text_response(http::status::ok, "ok");
    });
    for (int i = 0; i < 3; ++i) {
        context ctx{test::make_request(http::verb::get, "/"),
                    {asio::ip::make_address("203.0.113.7"), 5000}};
        test::run(app(ctx));
    }
    std::string text = reg.scrape();
    CHECK(has(text, "rampart_throttle_decisions_total{scope=\"anon\",decision=\"allowed\"} 2\n"));
    CHECK(has(text, "rampart_throttle_decisions_total{scope=\"anon\",decision=\"throttled\"} 1\n"));
    // `burst` was not declared: counted as (other); it decided only while anon admitted.
    CHECK(
        has(text, "rampart_throttle_decisions_total{scope=\"(other)\",decision=\"allowed\"} 2\n"));
    CHECK(has(text, "rampart_throttle_decisions_total{scope=\"user\",decision=\"allowed\"} 0\n"));
}
