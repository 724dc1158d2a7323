// authenticate's edge cases: users that no longer exist or are deactivated (through a
// user_status_cache on an exact clock), tokens without jti, user ids that are not user ids, and
// ambiguous requests (two Authorization headers, an access cookie sent twice).

#include <rampart/jwt/authenticate.hpp>
#include <rampart/jwt/token_service.hpp>
#include <rampart/jwt/user_status_cache.hpp>

#include <rampart/core/response.hpp>

#include "jwt/service_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

using namespace rampart;
using namespace std::chrono_literals;
using test::body_of;

namespace {

asio::awaitable<response> whoami(context& ctx) {
    co_return text_response(http::status::ok, ctx.principal().user_id);
}

request bearer(std::string_view token) {
    auto req = test::make_request(http::verb::get, "/me");
    req.set(http::field::authorization, "Bearer " + std::string(token));
    return req;
}

std::string challenge(const response& res) {
    return std::string(res[http::field::www_authenticate]);
}

std::string detail_of(const response& res) {
    return std::string(body_of(res).at("errors").at("detail").as_string());
}

/// The user table behind the cache: who is active, and how often it was asked.
struct user_db {
    std::mutex mutex;
    std::map<std::string, bool, std::less<>> active;
    std::atomic<int> lookups{0};

    void set(const std::string& id, bool a) {
        std::lock_guard lock{mutex};
        active[id] = a;
    }
    bool get(std::string_view id) {
        ++lookups;
        std::lock_guard lock{mutex};
        auto it = active.find(id);
        return it != active.end() && it->second;
    }
};

struct lookup {
    user_db* db;
    asio::awaitable<bool> operator()(std::string_view id) { co_return db->get(id); }
};

using cache_t = jwt::user_status_cache<lookup, test::test_clock>;

jwt::authenticate_options with_users(cache_t& cache) {
    jwt::authenticate_options o;
    o.valid_user_id = jwt::integer_user_id;
    o.user_active = [&cache](std::string_view id) { return cache.is_active(id); };
    return o;
}

} // namespace

TEST_CASE("authenticate + user_status_cache: a deactivated user is refused within max_age, "
          "exactly") {
    test::token_layer t;
    user_db users;
    users.set("1", true);
    cache_t cache{lookup{&users}, {}, test::test_clock{t.clock}};
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, with_users(cache)}, jwt::enforce{})
            .wrap(&whoami);
    auto token = t.issuer.access(1).token;

    CHECK(test::call(h, bearer(token)).body() == "1");
    CHECK(users.lookups == 1);
    users.set("1", false); // deactivated in the database, behind the cache's back
    t.clock.advance(4999ms);
    // Still remembered as active: no query, the request passes.
    CHECK(test::call(h, bearer(token)).body() == "1");
    CHECK(users.lookups == 1);
    t.clock.advance(1ms);
    // 5 s after the lookup began the answer is stale: asked again, refused.
    auto res = test::call(h, bearer(token));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(detail_of(res) == "User not found or inactive.");
    CHECK(challenge(res) == R"(Bearer realm="api", error="invalid_token", )"
                            R"(error_description="User not found or inactive.")");
    CHECK(users.lookups == 2);
    // The refusal is remembered as well.
    CHECK(test::call(h, bearer(token)).result() == http::status::unauthorized);
    CHECK(users.lookups == 2);
    // Reactivation comes back the same way; forget() makes it immediate in this process.
    users.set("1", true);
    cache.forget("1");
    CHECK(test::call(h, bearer(token)).body() == "1");
    CHECK(users.lookups == 3);
}

TEST_CASE("authenticate + user_status_cache: a token for an unknown user is refused, on every "
          "request, with one lookup per max_age") {
    test::token_layer t;
    user_db users;
    cache_t cache{lookup{&users}, {}, test::test_clock{t.clock}};
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, with_users(cache)}, jwt::enforce{})
            .wrap(&whoami);
    auto token = t.issuer.access(424242).token;
    for (int i = 0; i < 5; ++i) {
        auto res = test::call(h, bearer(token));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(challenge(res).find(R"(error="invalid_token")") != std::string::npos);
        t.clock.advance(1s);
    }
    CHECK(users.lookups == 1); // 0..4 s: one answer, 5 s old only after the loop
}

TEST_CASE("user_status_cache: staleness is measured from the start of the lookup") {
    manual_clock clock;
    std::atomic<int> lookups{0};
    // A slow database: the answer arrives 3 s after the question.
    auto slow = [&](std::string_view) -> asio::awaitable<bool> {
        ++lookups;
        clock.advance(3s);
        co_return true;
    };
    jwt::user_status_cache<decltype(slow), test::test_clock> cache{
        slow, {.max_entries = 100, .max_age = 5s}, test::test_clock{clock}};
    CHECK(test::run(cache.is_active("1")));
    clock.advance(1999ms); // 4.999 s after the lookup began
    CHECK(test::run(cache.is_active("1")));
    CHECK(lookups == 1);
    clock.advance(1ms);
    CHECK(test::run(cache.is_active("1")));
    CHECK(lookups == 2);
}

TEST_CASE("user_status_cache stays within max_entries") {
    manual_clock clock;
    user_db users;
    cache_t cache{lookup{&users}, {.max_entries = 8, .max_age = 5s}, test::test_clock{clock}};
    for (int i = 0; i < 100; ++i) {
        std::string id = std::to_string(i);
        users.set(id, true);
        CHECK(test::run(cache.is_active(id)));
        CHECK(cache.size() <= 8);
    }
    CHECK(users.lookups == 100);
}

TEST_CASE("user_status_cache: concurrent misses for one user share one lookup", "[concurrency]") {
    manual_clock clock;
    std::atomic<int> lookups{0};
    // The lookup waits on a timer, as a query on another thread would, so the others arrive
    // while it is in flight.
    auto waiting = [&](std::string_view) -> asio::awaitable<bool> {
        ++lookups;
        asio::steady_timer timer{co_await asio::this_coro::executor, 50ms};
        co_await timer.async_wait(asio::use_awaitable);
        co_return true;
    };
    jwt::user_status_cache<decltype(waiting), test::test_clock> cache{
        waiting, {}, test::test_clock{clock}};
    asio::io_context io;
    std::atomic<int> yes{0};
    for (int i = 0; i < 32; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                bool active = co_await cache.is_active("7");
                if (active)
                    ++yes;
            },
            asio::detached);
    std::vector<std::thread> threads;
    for (int n = 0; n < 3; ++n)
        threads.emplace_back([&] { io.run(); });
    for (auto& th : threads)
        th.join();
    CHECK(yes == 32);
    CHECK(lookups == 1);
}

TEST_CASE("user_status_cache: a failed lookup fails the request and is not remembered") {
    test::token_layer t;
    int calls = 0;
    bool down = true;
    auto flaky = [&](std::string_view) -> asio::awaitable<bool> {
        ++calls;
        if (down)
            throw service_unavailable("The service is temporarily unavailable.");
        co_return true;
    };
    jwt::user_status_cache<decltype(flaky), test::test_clock> cache{
        flaky, {}, test::test_clock{t.clock}};
    jwt::authenticate_options o;
    o.user_active = [&cache](std::string_view id) { return cache.is_active(id); };
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{}).wrap(&whoami);
    auto token = t.issuer.access(3).token;
    CHECK(test::call(h, bearer(token)).result() == http::status::service_unavailable);
    down = false;
    CHECK(test::call(h, bearer(token)).body() == "3");
    CHECK(calls == 2);
    CHECK(cache.size() == 1);
}

TEST_CASE("authenticate refuses a token without jti, 401 with the invalid_token challenge") {
    test::token_layer t;
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{}).wrap(&whoami);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(t.clock.now().time_since_epoch());
    boost::json::object claims{
        {"token_type", "access"}, {"exp", now.count() + 300}, {"iat", now.count()}, {"user_id", 1}};
    auto res = test::call(h, bearer(t.issuer.sign(claims)));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(detail_of(res) == "Token has no id.");
    CHECK(challenge(res) == R"(Bearer realm="api", error="invalid_token", )"
                            R"(error_description="Token has no id.")");
    claims["jti"] = "";
    CHECK(test::call(h, bearer(t.issuer.sign(claims))).result() == http::status::unauthorized);
    // Turned off, the token is accepted (for issuers that never write one).
    jwt::authenticate_options o;
    o.require_jti = false;
    auto lenient =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{}).wrap(&whoami);
    claims.erase("jti");
    CHECK(test::call(lenient, bearer(t.issuer.sign(claims))).body() == "1");
}

TEST_CASE("authenticate: valid_user_id refuses user ids that are not the application's, with "
          "the challenge") {
    test::token_layer t;
    jwt::authenticate_options o;
    o.valid_user_id = jwt::integer_user_id;
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{}).wrap(&whoami);
    CHECK(test::call(h, bearer(t.issuer.access(12).token)).body() == "12");
    CHECK(test::call(h, bearer(t.issuer.access("12").token)).body() == "12");
    for (const boost::json::value& bad :
         {boost::json::value("abc"), boost::json::value("-1"), boost::json::value("007"),
          boost::json::value(-5), boost::json::value(0), boost::json::value("1e3"),
          boost::json::value("9223372036854775808"), boost::json::value(true)}) {
        CAPTURE(boost::json::serialize(bad));
        auto res = test::call(h, bearer(t.issuer.access(bad).token));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(detail_of(res) == "Token contained no recognizable user identification.");
        CHECK(challenge(res) ==
              R"(Bearer realm="api", error="invalid_token", )"
              R"(error_description="Token contained no recognizable user identification.")");
    }
    CHECK(jwt::integer_user_id("9223372036854775807"));
    CHECK(jwt::integer_user_id("1"));
    CHECK_FALSE(jwt::integer_user_id(""));
    CHECK_FALSE(jwt::integer_user_id("12 "));
}

TEST_CASE("authenticate: two Authorization headers are a 400 in the envelope") {
    test::token_layer t;
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{}).wrap(&whoami);
    auto good = t.issuer.access(1).token;
    auto other = t.issuer.access(2).token;
    for (auto second : {"Bearer " + other, "Bearer " + good, std::string("Basic YWxhZGRpbjpv")}) {
        auto req = bearer(good);
        req.insert(http::field::authorization, second);
        auto res = test::call(h, std::move(req));
        CHECK(res.result() == http::status::bad_request);
        auto body = body_of(res);
        CHECK(body.at("status") == "error");
        CHECK(body.at("code") == 400);
        CHECK(body.at("errors").at("detail") == "Multiple Authorization headers.");
    }
    // One header is fine.
    CHECK(test::call(h, bearer(good)).body() == "1");
}

TEST_CASE("authenticate (cookie mode): the access cookie sent twice is a 400, the CSRF cookie "
          "sent twice fails the CSRF check") {
    test::token_layer t;
    jwt::authenticate_options o;
    o.cookies.emplace();
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{}).wrap(&whoami);
    auto a = t.issuer.access(1).token, b = t.issuer.access(2).token;
    {
        auto req = test::make_request(http::verb::get, "/me");
        req.set(http::field::cookie, "access_token=" + a + "; access_token=" + b);
        auto res = test::call(h, std::move(req));
        CHECK(res.result() == http::status::bad_request);
        CHECK(detail_of(res) == "Multiple access token cookies.");
    }
    {
        auto req = test::make_request(http::verb::get, "/me");
        req.insert(http::field::cookie, "access_token=" + a);
        req.insert(http::field::cookie, "theme=dark; access_token=" + a);
        CHECK(test::call(h, std::move(req)).result() == http::status::bad_request);
    }
    {
        // Other cookies may repeat; only ours matter.
        auto req = test::make_request(http::verb::get, "/me");
        req.insert(http::field::cookie, "theme=dark; access_token=" + a);
        req.insert(http::field::cookie, "theme=light");
        CHECK(test::call(h, std::move(req)).body() == "1");
    }
    {
        auto req = test::make_request(http::verb::post, "/me");
        req.set(http::field::cookie,
                "access_token=" + a + "; csrftoken=planted; csrftoken=planted");
        req.set("X-CSRFToken", "planted");
        auto res = test::call(h, std::move(req));
        CHECK(res.result() == http::status::forbidden);
        CHECK(detail_of(res) == "CSRF Failed: CSRF token sent more than once.");
    }
    {
        // An Authorization header wins over cookies, duplicated or not.
        auto req = bearer(b);
        req.set(http::field::cookie, "access_token=" + a + "; access_token=" + a);
        CHECK(test::call(h, std::move(req)).body() == "2");
    }
}

TEST_CASE("token service (cookie mode): the refresh cookie sent twice is a 400") {
    test::token_layer t;
    asio::thread_pool pool{1};
    test::user_table users{pool};
    users.add("alice", "1", "alice-pass-1234");
    jwt::token_service_options so;
    so.transport = jwt::token_transport::cookies;
    jwt::token_service<jwt::memory_token_store<test::test_clock>, test::user_table_ref,
                       jwt::issuer<test::test_clock>, jwt::verifier<test::test_clock>>
        svc{t.issuer, t.verifier, t.store, test::user_table_ref{&users}, so};
    auto refresh = stack(error_envelope<>{}).wrap(svc.refresh_handler());
    auto pair = svc.issue_pair("1");
    auto req = test::make_request(http::verb::post, "/r/", "{}");
    req.set(http::field::cookie,
            "refresh_token=" + pair.refresh.token + "; refresh_token=x; csrftoken=c");
    req.set("X-CSRFToken", "c");
    auto res = test::call(refresh, std::move(req));
    CHECK(res.result() == http::status::bad_request);
    CHECK(detail_of(res) == "Multiple refresh token cookies.");
    pool.join();
}
