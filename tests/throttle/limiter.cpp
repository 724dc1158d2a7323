#include <rampart/throttle/limiter.hpp>

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/throttle/memory_store.hpp>

#include "support/run.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

using namespace rampart;
using namespace rampart::throttle;
using namespace std::chrono_literals;

namespace {

using store_type = memory_store<clock_ref<manual_clock>>;

struct call_options {
    const char* ip = "203.0.113.7";
    std::string user = {};
    std::string target = "/api/products/";
    std::optional<std::string> api_key = {};
};

/// Sends one request through `h` from `o.ip`, authenticated as `o.user` when not empty.
template <class H>
response send(H& h, call_options o = {}) {
    request req = test::make_request(http::verb::get, o.target);
    if (o.api_key)
        req.set("X-Api-Key", *o.api_key);
    context ctx{std::move(req), {asio::ip::make_address(o.ip), 50000}};
    ctx.principal().user_id = o.user;
    return test::run(h(ctx));
}

std::string header(const response& res, std::string_view name) {
    auto it = res.find(name);
    return it == res.end() ? std::string{"<none>"} : std::string(it->value());
}

auto ok_handler() {
    return [](context&) { return text_response(http::status::ok, "ok"); };
}

/// Tokens left in a bucket, without spending any.
std::uint64_t left(store_type& store, std::string_view key, const rate& r) {
    return store.try_take(key, r, 0).remaining;
}

} // namespace

TEST_CASE("limiter: exact admissions per client address, then a 429 in the envelope",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    auto h = stack(error_envelope{}, limiter{store, anonymous(parse_rate("3/minute"))})
                 .wrap(ok_handler());
    for (int i = 0; i < 3; ++i) {
        response res = send(h);
        REQUIRE(res.result() == http::status::ok);
        CHECK(header(res, "RateLimit-Policy") == R"("anon";q=3;w=60)");
        CHECK(header(res, "RateLimit") == "\"anon\";r=" + std::to_string(2 - i) + ";t=20");
    }
    response refused = send(h);
    CHECK(refused.result() == http::status::too_many_requests);
    CHECK(header(refused, "Retry-After") == "20");
    CHECK(header(refused, "RateLimit-Policy") == R"("anon";q=3;w=60)");
    CHECK(header(refused, "RateLimit") == R"("anon";r=0;t=20)");
    CHECK(header(refused, "Content-Type") == "application/json");
    auto body = boost::json::parse(refused.body()).as_object();
    CHECK(body.at("status") == "error");
    CHECK(body.at("code") == 429);
    CHECK(body.at("errors").as_object().contains("detail"));
    // Another address has its own bucket.
    CHECK(send(h, {.ip = "203.0.113.8"}).result() == http::status::ok);
}

TEST_CASE("limiter: Retry-After is honest to the second", "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    SECTION("a token every 20 s") {
        auto h = stack(limiter{store, anonymous(parse_rate("3/m"))}).wrap(ok_handler());
        for (int i = 0; i < 3; ++i)
            REQUIRE(send(h).result() == http::status::ok);
        response refused = send(h);
        REQUIRE(header(refused, "Retry-After") == "20");
        clock.advance(19s);
        response early = send(h);
        CHECK(early.result() == http::status::too_many_requests);
        CHECK(header(early, "Retry-After") == "1");
        clock.advance(1s); // exactly the Retry-After first announced
        CHECK(send(h).result() == http::status::ok);
    }
    SECTION("a token every 3.33 s: the wait rounds up, never down") {
        auto h = stack(limiter{store, anonymous(rate{3, 10s})}).wrap(ok_handler());
        for (int i = 0; i < 3; ++i)
            REQUIRE(send(h).result() == http::status::ok);
        response refused = send(h);
        REQUIRE(header(refused, "Retry-After") == "4");
        CHECK(header(refused, "RateLimit") == R"("anon";r=0;t=4)");
        clock.advance(3s);
        CHECK(send(h).result() == http::status::too_many_requests);
        clock.advance(1s); // 4 s after the refusal
        CHECK(send(h).result() == http::status::ok);
    }
    SECTION("under a second: at least 1") {
        auto h = stack(limiter{store, anonymous(parse_rate("50/s"))}).wrap(ok_handler());
        for (int i = 0; i < 50; ++i)
            REQUIRE(send(h).result() == http::status::ok);
        response refused = send(h);
        CHECK(header(refused, "Retry-After") == "1");
        CHECK(header(refused, "RateLimit") == R"("anon";r=0;t=1)");
        clock.advance(1s);
        CHECK(send(h).result() == http::status::ok);
    }
    SECTION("a cost of several tokens waits for all of them") {
        auto h = stack(limiter{store, anonymous(rate{10, 100s}).with_cost(4)}).wrap(ok_handler());
        CHECK(send(h).result() == http::status::ok);
        CHECK(send(h).result() == http::status::ok);
        response refused = send(h); // 2 left, 4 needed: 20 s
        CHECK(header(refused, "Retry-After") == "20");
        CHECK(header(refused, "RateLimit") == R"("anon";r=2;t=10)");
        clock.advance(19s);
        CHECK(send(h).result() == http::status::too_many_requests);
        clock.advance(1s);
        CHECK(send(h).result() == http::status::ok);
    }
}

TEST_CASE("limiter: anonymous by address, authenticated by user", "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate anon = parse_rate("2/hour");
    const rate users = parse_rate("3/hour");
    auto h = stack(limiter{store, anonymous(anon), user(users)}).wrap(ok_handler());
    response first = send(h, {.user = "1"});
    CHECK(header(first, "RateLimit-Policy") == R"("user";q=3;w=3600)");
    CHECK(header(first, "RateLimit") == R"("user";r=2;t=1200)");
    CHECK(send(h, {.user = "1"}).result() == http::status::ok);
    CHECK(send(h, {.user = "1"}).result() == http::status::ok);
    CHECK(send(h, {.user = "1"}).result() == http::status::too_many_requests);
    // Same address, another user: their own bucket. The address's anonymous bucket untouched.
    CHECK(send(h, {.user = "2"}).result() == http::status::ok);
    CHECK(left(store, "anon|ip:203.0.113.7", anon) == 2);
    CHECK(left(store, "user|user:1", users) == 0);
    // Anonymous from that address.
    response a = send(h);
    CHECK(header(a, "RateLimit") == R"("anon";r=1;t=1800)");
    CHECK(send(h).result() == http::status::ok);
    CHECK(send(h).result() == http::status::too_many_requests);
    CHECK(send(h, {.user = "2"}).result() == http::status::ok);
}

TEST_CASE("limiter: requests whose authentication failed spend their address's tokens",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    // As in a service: authentication left the principal anonymous and recorded the failure;
    // the enforcement layer inside the throttle answers 401.
    auto enforce = [](context& ctx) -> response {
        if (ctx.req().find(http::field::authorization) != ctx.req().end())
            throw authentication_failed("Token is invalid or expired.", "token_not_valid");
        return text_response(http::status::ok, "ok");
    };
    auto h =
        stack(error_envelope{}, limiter{store, anonymous(parse_rate("5/minute"))}).wrap(enforce);
    auto bad_token = [&] {
        request req = test::make_request(http::verb::get, "/api/orders/");
        req.set(http::field::authorization, "Bearer forged");
        context ctx{std::move(req), {asio::ip::make_address("198.51.100.9"), 1}};
        return test::run(h(ctx));
    };
    for (int i = 0; i < 5; ++i) {
        response res = bad_token();
        REQUIRE(res.result() == http::status::unauthorized);
        CHECK(header(res, "RateLimit") == "\"anon\";r=" + std::to_string(4 - i) + ";t=12");
    }
    CHECK(bad_token().result() == http::status::too_many_requests);
    CHECK(send(h, {.ip = "198.51.100.9"}).result() == http::status::too_many_requests);
}

TEST_CASE("limiter: several rules must all admit, a refusal spends nothing in the others",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate anon = parse_rate("100/hour");
    const rate login = parse_rate("3/minute");
    auto h = stack(limiter{store, anonymous(anon), per_ip("login", login)}).wrap(ok_handler());
    for (int i = 0; i < 3; ++i) {
        response res = send(h);
        REQUIRE(res.result() == http::status::ok);
        // The tightest limit is described: login leaves fewer requests.
        CHECK(header(res, "RateLimit-Policy") == R"("login";q=3;w=60)");
    }
    for (int i = 0; i < 10; ++i) {
        response res = send(h);
        REQUIRE(res.result() == http::status::too_many_requests);
        CHECK(header(res, "RateLimit") == R"("login";r=0;t=20)");
    }
    // Only the three admitted requests were counted by the anonymous limit.
    CHECK(left(store, "anon|ip:203.0.113.7", anon) == 97);

    SECTION("the first rule refusing leaves the later ones untouched") {
        auto g = stack(limiter{store, per_ip("tight", rate{1, 1h}), per_ip("wide", rate{50, 1h})})
                     .wrap(ok_handler());
        CHECK(send(g, {.ip = "192.0.2.1"}).result() == http::status::ok);
        for (int i = 0; i < 5; ++i)
            CHECK(send(g, {.ip = "192.0.2.1"}).result() == http::status::too_many_requests);
        CHECK(left(store, "wide|ip:192.0.2.1", rate{50, 1h}) == 49);
    }
}

TEST_CASE("limiter: nested limiters (a route group's) describe the tightest and refund all",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate anon = parse_rate("10/minute");
    const rate login = parse_rate("2/minute");
    auto login_route = stack(limiter{store, per_ip("login", login)}).wrap(ok_handler());
    auto router = [&](context& ctx) -> asio::awaitable<response> {
        if (ctx.path() == "/api/token/")
            co_return co_await login_route(ctx);
        co_return text_response(http::status::ok, "other");
    };
    auto h = stack(error_envelope{}, limiter{store, anonymous(anon)}).wrap(router);

    response other = send(h);
    CHECK(header(other, "RateLimit") == R"("anon";r=9;t=6)");
    response l1 = send(h, {.target = "/api/token/"});
    CHECK(header(l1, "RateLimit-Policy") == R"("login";q=2;w=60)");
    CHECK(header(l1, "RateLimit") == R"("login";r=1;t=30)");
    CHECK(send(h, {.target = "/api/token/"}).result() == http::status::ok);
    for (int i = 0; i < 5; ++i) {
        response res = send(h, {.target = "/api/token/"});
        REQUIRE(res.result() == http::status::too_many_requests);
        CHECK(header(res, "Retry-After") == "30");
        CHECK(header(res, "RateLimit") == R"("login";r=0;t=30)");
    }
    // The outer limit was refunded for every refused login: 3 requests admitted in all.
    CHECK(left(store, "anon|ip:203.0.113.7", anon) == 7);
    response after = send(h);
    CHECK(after.result() == http::status::ok);
    CHECK(header(after, "RateLimit") == R"("anon";r=6;t=6)");
}

TEST_CASE("limiter: error responses from inside carry the headers too", "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    auto h = stack(error_envelope{}, limiter{store, anonymous(parse_rate("10/m"))})
                 .wrap([](context&) -> response { throw not_found(); });
    response res = send(h);
    CHECK(res.result() == http::status::not_found);
    CHECK(header(res, "RateLimit-Policy") == R"("anon";q=10;w=60)");
    CHECK(header(res, "RateLimit") == R"("anon";r=9;t=6)");
}

TEST_CASE("limiter: custom keys, rules that do not apply, and no headers without a limit",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    auto by_api_key = keyed("apikey", rate{2, 1min}, [](const context& ctx) {
        auto it = ctx.req().find("X-Api-Key");
        return it == ctx.req().end() ? std::nullopt
                                     : std::optional<std::string>(std::string(it->value()));
    });
    auto h = stack(limiter{store, by_api_key}).wrap(ok_handler());
    response none = send(h);
    CHECK(none.result() == http::status::ok);
    CHECK(header(none, "RateLimit") == "<none>");
    CHECK(send(h, {.api_key = "k1"}).result() == http::status::ok);
    CHECK(send(h, {.ip = "192.0.2.9", .api_key = "k1"}).result() == http::status::ok);
    CHECK(send(h, {.api_key = "k1"}).result() == http::status::too_many_requests);
    CHECK(send(h, {.api_key = "k2"}).result() == http::status::ok);
    CHECK(left(store, "apikey|custom:k1", rate{2, 1min}) == 0);

    // scoped: per user when authenticated, else per address.
    auto s = stack(limiter{store, scoped("uploads", rate{1, 1h})}).wrap(ok_handler());
    CHECK(send(s, {.user = "7"}).result() == http::status::ok);
    CHECK(send(s, {.user = "7"}).result() == http::status::too_many_requests);
    CHECK(send(s).result() == http::status::ok);
    CHECK(send(s).result() == http::status::too_many_requests);
    CHECK(send(s, {.user = "8"}).result() == http::status::ok);
}

TEST_CASE("limiter: rules are checked when built", "[throttle][limiter]") {
    CHECK_THROWS_AS(anonymous(rate{0, 1s}), rate_error);
    CHECK_THROWS_AS(anonymous(rate{5, 1s}, ""), rate_error);
    CHECK_THROWS_AS(anonymous(rate{5, 1s}, "has space"), rate_error);
    CHECK_THROWS_AS(anonymous(rate{5, 1s}, "quote\""), rate_error);
    CHECK_THROWS_AS(anonymous(rate{5, 1s}, std::string(65, 'a')), rate_error);
    CHECK_NOTHROW(anonymous(rate{5, 1s}, "Anon-v1.read:x_y"));
    CHECK_THROWS_WITH(anonymous(rate{5, 1s}).with_cost(6),
                      Catch::Contains("more than its rate 5/second ever holds"));
    CHECK_THROWS_AS(anonymous(rate{5, 1s}).with_cost(0), rate_error);
    CHECK(anonymous(rate{5, 1s}).with_cost(5).cost() == 5);
    CHECK(policy_field("w", rate{1, 1500ms}) == R"("w";q=1;w=2)");
}

TEST_CASE("limiter: the client's address comes from the trusted proxies", "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    auto h =
        stack(limiter{store, client_ip_options{.trusted_proxies = 1}, anonymous(rate{1, 1h})})
            .wrap([](context& ctx) { return text_response(http::status::ok, ctx.client_key()); });
    auto via_proxy = [&](std::string xff) {
        request req = test::make_request(http::verb::get, "/");
        req.set("X-Forwarded-For", xff);
        context ctx{std::move(req), {asio::ip::make_address("10.0.0.1"), 1}};
        return test::run(h(ctx));
    };
    response first = via_proxy("203.0.113.7");
    CHECK(first.body() == "ip:203.0.113.7");
    // Rotating a spoofed left part does not escape the limit.
    CHECK(via_proxy("1.1.1.1, 203.0.113.7").result() == http::status::too_many_requests);
    CHECK(via_proxy("2.2.2.2, 203.0.113.7").result() == http::status::too_many_requests);
    CHECK(via_proxy("203.0.113.8").result() == http::status::ok);
    // A key an earlier layer resolved is kept.
    auto keep =
        stack(resolve_client_ip{},
              limiter{store, client_ip_options{.trusted_proxies = 1}, per_ip("k", rate{1, 1h})})
            .wrap([](context& ctx) { return text_response(http::status::ok, ctx.client_key()); });
    request req = test::make_request(http::verb::get, "/");
    req.set("X-Forwarded-For", "203.0.113.99");
    context ctx{std::move(req), {asio::ip::make_address("10.0.0.1"), 1}};
    CHECK(test::run(keep(ctx)).body() == "ip:10.0.0.1");
}

namespace {

/// A store offering only the awaitable bucket_store operations (like a remote store), over
/// a real memory_store; it can be told to fail, as a store whose server is down fails.
struct awaitable_only_store {
    store_type& inner;
    int fail_after = -1; // takes before every take throws
    int takes = 0;

    asio::awaitable<bucket_decision> take(std::string_view key, const rate& r, std::uint64_t n) {
        if (fail_after >= 0 && takes++ >= fail_after)
            throw service_unavailable("Rate limit store unavailable.");
        co_return co_await inner.take(key, r, n);
    }
    asio::awaitable<void> refund(std::string_view key, const rate& r, std::uint64_t n) {
        co_await inner.refund(key, r, n);
    }
};
static_assert(bucket_store<awaitable_only_store>);
static_assert(!throttle::sync_bucket_store<awaitable_only_store>);

} // namespace

TEST_CASE("limiter: stores with only awaitable operations, and stores that fail",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type memory{clock_ref{clock}};
    awaitable_only_store store{memory};
    const rate a{2, 1min};
    const rate b{5, 1min};
    auto quiet = error_envelope{envelope_format{}, {}}; // the 503 is expected: no log
    auto h = stack(quiet, limiter{store, per_ip("a", a), per_ip("b", b)}).wrap(ok_handler());
    CHECK(send(h).result() == http::status::ok);
    CHECK(send(h).result() == http::status::ok);
    CHECK(send(h).result() == http::status::too_many_requests);
    CHECK(left(memory, "b|ip:203.0.113.7", b) == 3);
    // The second take fails: the first is given back, and the failure is the answer.
    store.fail_after = store.takes + 1;
    response res = send(h, {.ip = "192.0.2.1"});
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(left(memory, "a|ip:192.0.2.1", a) == 2);
}

namespace {

/// A store with both forms over a memory_store, counting which form the limiter used.
struct counting_sync_store {
    store_type& inner;
    int sync_takes = 0, awaited_takes = 0, sync_refunds = 0, awaited_refunds = 0;

    bucket_decision try_take(std::string_view key, const rate& r, std::uint64_t n) {
        ++sync_takes;
        return inner.try_take(key, r, n);
    }
    void refund_now(std::string_view key, const rate& r, std::uint64_t n) {
        ++sync_refunds;
        inner.refund_now(key, r, n);
    }
    asio::awaitable<bucket_decision> take(std::string_view key, const rate& r, std::uint64_t n) {
        ++awaited_takes;
        co_return co_await inner.take(key, r, n);
    }
    asio::awaitable<void> refund(std::string_view key, const rate& r, std::uint64_t n) {
        ++awaited_refunds;
        co_await inner.refund(key, r, n);
    }
};

/// Synchronous forms, but not a bucket_store (no awaitable forms).
struct sync_only_store {
    bucket_decision try_take(std::string_view, const rate&, std::uint64_t);
    void refund_now(std::string_view, const rate&, std::uint64_t);
};

/// try_take answers something other than a bucket_decision.
struct wrong_try_take_store {
    asio::awaitable<bucket_decision> take(std::string_view, const rate&, std::uint64_t);
    asio::awaitable<void> refund(std::string_view, const rate&, std::uint64_t);
    bool try_take(std::string_view, const rate&, std::uint64_t);
    void refund_now(std::string_view, const rate&, std::uint64_t);
};

/// try_take without refund_now.
struct no_refund_now_store {
    asio::awaitable<bucket_decision> take(std::string_view, const rate&, std::uint64_t);
    asio::awaitable<void> refund(std::string_view, const rate&, std::uint64_t);
    bucket_decision try_take(std::string_view, const rate&, std::uint64_t);
};

static_assert(sync_bucket_store<memory_store<>>);
static_assert(sync_bucket_store<store_type>);
static_assert(sync_bucket_store<counting_sync_store>);
static_assert(!sync_bucket_store<sync_only_store>);
static_assert(!bucket_store<sync_only_store>);
static_assert(!sync_bucket_store<wrong_try_take_store>);
static_assert(bucket_store<wrong_try_take_store>);
static_assert(!sync_bucket_store<no_refund_now_store>);
static_assert(!sync_bucket_store<int>);

} // namespace

TEST_CASE("limiter: a sync_bucket_store is asked synchronously, take and refund alike",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type memory{clock_ref{clock}};
    counting_sync_store store{memory};
    auto h = stack(error_envelope{},
                   limiter{store, per_ip("a", rate{5, 1min}), per_ip("b", rate{1, 1min})})
                 .wrap(ok_handler());
    CHECK(send(h).result() == http::status::ok);
    CHECK(store.sync_takes == 2);
    // "b" refuses: "a"'s token is given back, synchronously too.
    CHECK(send(h).result() == http::status::too_many_requests);
    CHECK(store.sync_takes == 4);
    CHECK(store.sync_refunds == 1);
    CHECK(store.awaited_takes == 0);
    CHECK(store.awaited_refunds == 0);
    CHECK(left(memory, "a|ip:203.0.113.7", rate{5, 1min}) == 4);
}
