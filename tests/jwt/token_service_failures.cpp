// An answer that says error must mean nothing was committed: failures injected into the real
// parts (OpenSSL's random generator, the in-memory store) at every step of refresh, blacklist
// and obtain, then the client's retry.

// RAND_set_rand_method is deprecated in OpenSSL 3 but still honoured by RAND_bytes; it is the
// one way to make OpenSSL's own generator fail on demand without a hook in the library.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <rampart/jwt/detail/cleanse.hpp>
#include <rampart/jwt/token_service.hpp>

#include "jwt/service_support.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;
using test::body_of;
using test::post;

namespace {

// OpenSSL's RAND_METHOD carries no user data, so the countdown lives here, for one test at a
// time (Catch runs them one after another).
std::atomic<int> calls_until_failure{-1}; // -1: never fail

int counting_bytes(unsigned char* buf, int num) {
    if (calls_until_failure == 0)
        return 0;
    if (calls_until_failure > 0)
        --calls_until_failure;
    // The real generator, reached below RAND_bytes (which would call back in here).
    return EVP_RAND_generate(RAND_get0_public(nullptr), buf, static_cast<std::size_t>(num), 0, 0,
                             nullptr, 0);
}
int counting_status() {
    return 1;
}

/// While alive, OpenSSL's RAND_bytes succeeds `successes` times and then fails every time.
class failing_random {
public:
    explicit failing_random(int successes) : saved_(RAND_get_rand_method()) {
        static const RAND_METHOD method{nullptr, counting_bytes, nullptr,
                                        nullptr, counting_bytes, counting_status};
        calls_until_failure = successes;
        REQUIRE(RAND_set_rand_method(&method) == 1);
    }
    ~failing_random() {
        RAND_set_rand_method(saved_);
        calls_until_failure = -1;
    }
    failing_random(const failing_random&) = delete;
    failing_random& operator=(const failing_random&) = delete;

    /// Whether the failure was reached (so the test really failed the step it meant to).
    static bool reached() { return calls_until_failure == 0; }

private:
    const RAND_METHOD* saved_;
};

/// The real in-memory store; its writes fail (as the Redis store fails closed, 503) on demand.
class flaky_store {
public:
    explicit flaky_store(jwt::memory_token_store<test::test_clock>& real) : real_(real) {}

    bool fail_insert = false;
    bool fail_put = false;

    asio::awaitable<bool> insert(std::string_view key, std::int64_t value,
                                 std::chrono::system_clock::time_point expires) {
        if (fail_insert)
            throw service_unavailable("Token service temporarily unavailable.");
        co_return co_await real_.insert(key, value, expires);
    }
    asio::awaitable<std::optional<std::int64_t>> get(std::string_view key) {
        return real_.get(key);
    }
    asio::awaitable<void> put(std::string_view key, std::int64_t value,
                              std::chrono::system_clock::time_point expires) {
        if (fail_put)
            throw service_unavailable("Token service temporarily unavailable.");
        co_await real_.put(key, value, expires);
    }

private:
    jwt::memory_token_store<test::test_clock>& real_;
};
static_assert(jwt::token_store<flaky_store>);

template <class Users = test::user_table_ref>
using service_of = jwt::token_service<flaky_store, Users, jwt::issuer<test::test_clock>,
                                      jwt::verifier<test::test_clock>>;

struct fixture {
    test::token_layer t;
    flaky_store store{t.store};
    asio::thread_pool pool{2};
    test::user_table users{pool};

    fixture() { users.add("alice", "1", "alice-pass-1234"); }
    ~fixture() { pool.join(); }

    auto make(jwt::token_service_options o = {}) {
        return std::make_unique<service_of<>>(t.issuer, t.verifier, store,
                                              test::user_table_ref{&users}, std::move(o));
    }
};

template <class Handler>
auto endpoint(Handler h) {
    // 500s are expected here; their causes need not reach stderr.
    return stack(error_envelope<>({}, [](std::exception_ptr, const context&) {}))
        .wrap(std::move(h));
}

std::string refresh_body(std::string_view token) {
    return boost::json::serialize(boost::json::object{{"refresh", token}});
}
std::string detail_of(const response& res) {
    return std::string(body_of(res).at("errors").at("detail").as_string());
}
std::vector<std::string> set_cookies(const response& res) {
    std::vector<std::string> out;
    for (auto it = res.find(http::field::set_cookie);
         it != res.end() && it->name() == http::field::set_cookie; ++it)
        out.emplace_back(it->value());
    return out;
}
std::string cookie_value(const response& res, std::string_view name) {
    for (const auto& c : set_cookies(res))
        if (c.starts_with(std::string(name) + "="))
            return c.substr(name.size() + 1, c.find(';') - name.size() - 1);
    return {};
}
bool family_revoked(fixture& f, const std::string& refresh_token) {
    auto fam = f.t.verifier.verify(refresh_token).claims.at("fam").as_string();
    return f.t.store.find("family-revoked:" + std::string(fam)).has_value();
}

} // namespace

TEST_CASE("token service failures: a refresh that answers 500 leaves its token unused") {
    fixture f;
    // Random draws in a refresh: the new refresh token's jti, the access token's jti, then
    // (cookie transport) the CSRF value. Each in turn fails.
    for (auto transport : {jwt::token_transport::body, jwt::token_transport::cookies}) {
        int draws = transport == jwt::token_transport::body ? 2 : 3;
        for (int failing = 0; failing < draws; ++failing) {
            CAPTURE(static_cast<int>(transport), failing);
            jwt::token_service_options o;
            o.transport = transport;
            auto svc = f.make(o);
            auto refresh = endpoint(svc->refresh_handler());
            auto pair = svc->issue_pair("1");
            auto request = [&] {
                if (transport == jwt::token_transport::body)
                    return post("/r/", refresh_body(pair.refresh.token));
                auto req = test::make_request(http::verb::post, "/r/");
                req.set(http::field::cookie,
                        "refresh_token=" + pair.refresh.token + "; csrftoken=c");
                req.set("X-CSRFToken", "c");
                return req;
            };
            {
                failing_random broken{failing};
                auto res = test::call(refresh, request());
                CHECK(failing_random::reached());
                CHECK(res.result() == http::status::internal_server_error);
                CHECK(res.count(http::field::set_cookie) == 0);
            }
            CHECK_FALSE(f.t.store.find("jti:" + pair.refresh.jti));

            // The retry is the token's first use: it succeeds and revokes nothing.
            auto retry = test::call(refresh, request());
            REQUIRE(retry.result() == http::status::ok);
            std::string next = transport == jwt::token_transport::body
                                   ? std::string(body_of(retry).at("refresh").as_string())
                                   : cookie_value(retry, "refresh_token");
            CHECK_FALSE(family_revoked(f, next));
            CHECK(test::call(refresh, post("/r/", refresh_body(next))).result() ==
                  http::status::ok);
        }
    }
}

TEST_CASE("token service failures: a refresh whose store write fails answers 503 and the "
          "retry succeeds") {
    fixture f;
    auto svc = f.make();
    auto refresh = endpoint(svc->refresh_handler());
    auto pair = svc->issue_pair("1");
    f.store.fail_insert = true;
    auto res = test::call(refresh, post("/r/", refresh_body(pair.refresh.token)));
    CHECK(res.result() == http::status::service_unavailable);
    f.store.fail_insert = false;
    auto retry = test::call(refresh, post("/r/", refresh_body(pair.refresh.token)));
    REQUIRE(retry.result() == http::status::ok);
    CHECK_FALSE(family_revoked(f, pair.refresh.token));
}

TEST_CASE("token service failures: a logout that fails halfway answers 503 and its retry 200") {
    fixture f;
    auto svc = f.make();
    auto blacklist = endpoint(svc->blacklist_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto me = stack(error_envelope<>{}, jwt::authenticate{f.t.verifier, f.t.store}, jwt::enforce{})
                  .wrap([](context&) { return text_response(http::status::ok, "ok"); });
    auto as = [&](const std::string& access) {
        auto req = test::make_request(http::verb::get, "/me");
        req.set(http::field::authorization, "Bearer " + access);
        return test::call(me, std::move(req)).result();
    };

    SECTION("the family revocation fails: nothing is written") {
        auto pair = svc->issue_pair("1");
        f.store.fail_put = true;
        auto res = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
        CHECK(res.result() == http::status::service_unavailable);
        CHECK(f.t.store.size() == 0);
        f.store.fail_put = false;
        CHECK(as(pair.access.token) == http::status::ok); // not logged out: the answer said so

        auto retry = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
        CHECK(retry.result() == http::status::ok);
        CHECK(family_revoked(f, pair.refresh.token));
        CHECK(as(pair.access.token) == http::status::unauthorized);
        CHECK(test::call(refresh, post("/r/", refresh_body(pair.refresh.token))).result() ==
              http::status::unauthorized);
    }
    SECTION("marking the token fails after the family is revoked: the retry completes it") {
        auto pair = svc->issue_pair("1");
        f.store.fail_insert = true;
        auto res = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
        CHECK(res.result() == http::status::service_unavailable);
        f.store.fail_insert = false;
        auto retry = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
        CHECK(retry.result() == http::status::ok);
        CHECK(f.t.store.find("jti:" + pair.refresh.jti));
        CHECK(family_revoked(f, pair.refresh.token));
        CHECK(as(pair.access.token) == http::status::unauthorized);
    }
    SECTION("a logout repeated after its answer was lost is a success, again and again") {
        auto pair = svc->issue_pair("1");
        for (int i = 0; i < 3; ++i)
            CHECK(test::call(blacklist, post("/b/", refresh_body(pair.refresh.token))).result() ==
                  http::status::ok);
        auto use = test::call(refresh, post("/r/", refresh_body(pair.refresh.token)));
        CHECK(use.result() == http::status::unauthorized);
        CHECK(detail_of(use) == "Token is blacklisted.");
    }
    SECTION("without family revocation a repeated logout still succeeds, a refresh with the "
            "logged-out token is theft") {
        jwt::token_service_options o;
        o.logout_revokes_family = false;
        o.reuse_grace = 60s; // a logged-out token is never a second tab
        auto own = f.make(o);
        auto logout = endpoint(own->blacklist_handler());
        auto rotate = endpoint(own->refresh_handler());
        auto pair = own->issue_pair("1");
        CHECK(test::call(logout, post("/b/", refresh_body(pair.refresh.token))).result() ==
              http::status::ok);
        CHECK_FALSE(family_revoked(f, pair.refresh.token));
        CHECK(as(pair.access.token) == http::status::ok);
        CHECK(test::call(logout, post("/b/", refresh_body(pair.refresh.token))).result() ==
              http::status::ok);
        auto use = test::call(rotate, post("/r/", refresh_body(pair.refresh.token)));
        CHECK(use.result() == http::status::unauthorized);
        CHECK(detail_of(use) == "Token is blacklisted.");
        CHECK(family_revoked(f, pair.refresh.token));
    }
    SECTION("a logout with a token rotated away is still a reuse: 401 and the family revoked") {
        auto pair = svc->issue_pair("1");
        auto rotated = test::call(refresh, post("/r/", refresh_body(pair.refresh.token)));
        REQUIRE(rotated.result() == http::status::ok);
        std::string current{body_of(rotated).at("refresh").as_string()};
        auto res = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(detail_of(res) == "Token is blacklisted.");
        CHECK(test::call(refresh, post("/r/", refresh_body(current))).result() ==
              http::status::unauthorized);
    }
}

namespace {
/// A user directory whose password check fails the way a full hashing pool or a lost
/// database does.
struct failing_users {
    bool* called;
    asio::awaitable<std::optional<std::string>> check_credentials(std::string_view,
                                                                  std::string_view password) {
        *called = !password.empty();
        throw service_unavailable("Too many sign-ins at once; try again shortly.");
        co_return std::nullopt;
    }
    asio::awaitable<bool> is_active(std::string_view) { co_return true; }
};
} // namespace

TEST_CASE("token service failures: a password check that throws answers 503 and the password "
          "copies are wiped on that path too") {
    // The guard obtain puts on the password copies, on a buffer that outlives it.
    std::string secret = "correct horse battery staple";
    try {
        jwt::detail::cleanse_on_exit wipe{secret.data(), secret.size()};
        throw std::runtime_error("the check failed");
    } catch (const std::runtime_error&) {
    }
    CHECK(secret == std::string(28, '\0'));
    { jwt::detail::cleanse_on_exit nothing{nullptr, 0}; }

    fixture f;
    bool called = false;
    service_of<failing_users> svc{f.t.issuer, f.t.verifier, f.store, failing_users{&called}};
    auto obtain = endpoint(svc.obtain_handler());
    auto res =
        test::call(obtain, post("/t/", R"({"username":"alice","password":"alice-pass-1234"})"));
    CHECK(called);
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(detail_of(res) == "Too many sign-ins at once; try again shortly.");
    CHECK(f.t.store.size() == 0);
}
