#include <rampart/jwt/token_service.hpp>

#include "jwt/service_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;
using test::body_of;
using test::post;

namespace {

struct service_fixture {
    test::token_layer t;
    asio::thread_pool pool{2};
    test::user_table users{pool};

    service_fixture() {
        users.add("alice", "1", "alice-pass-1234");
        users.add("bob", "2", "bob-pass-1234");
        users.add("carol", "c-3", "carol-pass-1234");
        users.add("dave", "4", "dave-pass-1234", false);
    }
    ~service_fixture() { pool.join(); }

    auto make(jwt::token_service_options o = {}) {
        return test::make_service(t, users, std::move(o));
    }
    boost::json::object claims(std::string_view token) { return t.verifier.verify(token).claims; }
};

template <class Handler>
auto endpoint(Handler h) {
    return stack(error_envelope<>{}).wrap(std::move(h));
}

std::string login_body(std::string_view user, std::string_view password) {
    return boost::json::serialize(boost::json::object{{"username", user}, {"password", password}});
}
std::string refresh_body(std::string_view token) {
    return boost::json::serialize(boost::json::object{{"refresh", token}});
}
std::string detail_of(const response& res) {
    return std::string(body_of(res).at("errors").at("detail").as_string());
}
std::string challenge(const response& res) {
    return std::string(res[http::field::www_authenticate]);
}

} // namespace

TEST_CASE("token service: obtain returns a simplejwt-shaped pair of one new family") {
    service_fixture f;
    auto svc = f.make();
    auto obtain = endpoint(svc->obtain_handler());
    auto res = test::call(obtain, post("/api/token/", login_body("alice", "alice-pass-1234")));
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::cache_control] == "no-store");
    CHECK(res[http::field::set_cookie].empty());
    auto body = body_of(res).as_object();
    CHECK(body.size() == 2);
    auto access = f.claims(body.at("access").as_string());
    auto refresh = f.claims(body.at("refresh").as_string());
    CHECK(access.at("token_type") == "access");
    CHECK(refresh.at("token_type") == "refresh");
    CHECK(access.at("user_id") == 1); // integer ids are JSON numbers, as simplejwt writes them
    CHECK(refresh.at("user_id") == 1);
    CHECK(access.at("exp").as_int64() - access.at("iat").as_int64() == 300);
    CHECK(refresh.at("exp").as_int64() - refresh.at("iat").as_int64() == 86400);
    CHECK(refresh.at("jti").as_string().size() == 32);
    CHECK(access.at("jti") != refresh.at("jti"));
    CHECK(refresh.at("fam") == refresh.at("jti"));
    CHECK(access.at("fam") == refresh.at("jti"));

    auto carol = test::call(obtain, post("/api/token/", login_body("carol", "carol-pass-1234")));
    CHECK(f.claims(body_of(carol).at("access").as_string()).at("user_id") == "c-3");
}

TEST_CASE("token service: obtain refuses bad input and bad credentials") {
    service_fixture f;
    auto svc = f.make();
    auto obtain = endpoint(svc->obtain_handler());
    auto call = [&](std::string body) { return test::call(obtain, post("/api/token/", body)); };

    SECTION("missing, blank, null and non-string fields are field errors, all at once") {
        auto res = call("{}");
        CHECK(res.result() == http::status::bad_request);
        CHECK(body_of(res) == boost::json::parse(R"({"status":"error","code":400,"errors":{
              "username":["This field is required."],"password":["This field is required."]}})"));
        auto mixed = call(R"({"username":"  ","password":null})");
        CHECK(body_of(mixed).at("errors") ==
              boost::json::parse(R"({"username":["This field may not be blank."],
                                    "password":["This field may not be null."]})"));
        auto typed = call(R"({"username":42,"password":["x"]})");
        CHECK(body_of(typed).at("errors") ==
              boost::json::parse(R"({"username":["Not a valid string."],
                                    "password":["Not a valid string."]})"));
        auto empty_pw = call(R"({"username":"alice","password":""})");
        CHECK(body_of(empty_pw).at("errors") ==
              boost::json::parse(R"({"password":["This field may not be blank."]})"));
        auto long_name = call(login_body(std::string(151, 'a'), "x"));
        CHECK(body_of(long_name).at("errors") ==
              boost::json::parse(
                  R"({"username":["Ensure this field has no more than 150 characters."]})"));
    }
    SECTION("wrong password and unknown user get the same 401") {
        auto wrong = call(login_body("alice", "alice-pass-12345"));
        auto unknown = call(login_body("mallory", "alice-pass-1234"));
        auto inactive = call(login_body("dave", "dave-pass-1234"));
        for (const auto* res : {&wrong, &unknown, &inactive}) {
            CHECK(res->result() == http::status::unauthorized);
            CHECK(challenge(*res) == R"(Bearer realm="api")");
            CHECK(detail_of(*res) == "No active account found with the given credentials.");
        }
        CHECK(wrong.body() == unknown.body());
        CHECK(wrong.body() == inactive.body());
    }
    SECTION("the body must be a JSON object of bounded size with a JSON Content-Type") {
        auto text = post("/api/token/", login_body("alice", "alice-pass-1234"));
        text.set(http::field::content_type, "text/plain");
        CHECK(test::call(obtain, std::move(text)).result() == http::status::unsupported_media_type);
        auto none = post("/api/token/", login_body("alice", "alice-pass-1234"));
        none.erase(http::field::content_type);
        CHECK(test::call(obtain, std::move(none)).result() == http::status::unsupported_media_type);
        auto charset = post("/api/token/", login_body("alice", "alice-pass-1234"));
        charset.set(http::field::content_type, "Application/JSON; charset=utf-8");
        CHECK(test::call(obtain, std::move(charset)).result() == http::status::ok);

        auto broken = call(R"({"username": "alice", )");
        CHECK(broken.result() == http::status::bad_request);
        CHECK(detail_of(broken) == "JSON parse error: the body must be one valid JSON object.");
        CHECK(call("[1, 2]").result() == http::status::bad_request);
        auto twice = call(R"({"username":"bob","username":"alice","password":"alice-pass-1234"})");
        CHECK(twice.result() == http::status::bad_request);
        CHECK(detail_of(twice) == "JSON parse error: an object has the same key more than once.");
        auto huge = call(login_body("alice", std::string(20000, 'p')));
        CHECK(huge.result() == http::status::payload_too_large);
    }
}

TEST_CASE("token service: refresh rotates, reusing a rotated token revokes its family") {
    service_fixture f;
    auto svc = f.make();
    auto obtain = endpoint(svc->obtain_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto verify = endpoint(svc->verify_handler());
    auto login = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    std::string r0{login.at("refresh").as_string()};
    auto fam = f.claims(r0).at("fam");

    f.t.clock.advance(10s);
    auto first = test::call(refresh, post("/r/", refresh_body(r0)));
    REQUIRE(first.result() == http::status::ok);
    CHECK(first[http::field::cache_control] == "no-store");
    std::string r1{body_of(first).at("refresh").as_string()};
    std::string a1{body_of(first).at("access").as_string()};
    CHECK(r1 != r0);
    auto c1 = f.claims(r1);
    CHECK(c1.at("fam") == fam);
    CHECK(c1.at("user_id") == 1);
    CHECK(c1.at("iat").as_int64() == f.claims(r0).at("iat").as_int64() + 10);
    CHECK(f.claims(a1).at("token_type") == "access");
    CHECK(f.claims(a1).at("fam") == fam);

    // The descendant rotates normally.
    auto second = test::call(refresh, post("/r/", refresh_body(r1)));
    REQUIRE(second.result() == http::status::ok);
    std::string r2{body_of(second).at("refresh").as_string()};

    // r0 comes back: theft. Refused, and the whole family (r2 included) is revoked.
    auto stolen = test::call(refresh, post("/r/", refresh_body(r0)));
    CHECK(stolen.result() == http::status::unauthorized);
    CHECK(detail_of(stolen) == "Token is blacklisted.");
    CHECK(challenge(stolen) == R"(Bearer realm="api", error="invalid_token", )"
                               R"(error_description="Token is blacklisted.")");
    auto after = test::call(refresh, post("/r/", refresh_body(r2)));
    CHECK(after.result() == http::status::unauthorized);
    CHECK(detail_of(after) == "Token is blacklisted.");
    // Access tokens of the family are refused where the store is consulted.
    auto v =
        test::call(verify, post("/v/", boost::json::serialize(boost::json::object{{"token", a1}})));
    CHECK(v.result() == http::status::unauthorized);
    auto me = stack(error_envelope<>{}, jwt::authenticate{f.t.verifier, f.t.store}, jwt::enforce{},
                    jwt::require_authenticated{})
                  .wrap([](context&) { return text_response(http::status::ok, "hi"); });
    auto req = test::make_request(http::verb::get, "/me");
    req.set(http::field::authorization, "Bearer " + a1);
    CHECK(test::call(me, std::move(req)).result() == http::status::unauthorized);

    // Another login of the same user is a different family and unaffected.
    auto other = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    CHECK(
        test::call(refresh, post("/r/", refresh_body(other.at("refresh").as_string()))).result() ==
        http::status::ok);
}

TEST_CASE("token service: refresh refuses bad input and bad tokens") {
    service_fixture f;
    auto svc = f.make();
    auto refresh = endpoint(svc->refresh_handler());
    auto call = [&](std::string body) { return test::call(refresh, post("/r/", body)); };

    auto missing = call(R"({"token":"x"})");
    CHECK(missing.result() == http::status::bad_request);
    CHECK(body_of(missing).at("errors") ==
          boost::json::parse(R"({"refresh":["This field is required."]})"));
    CHECK(call(R"({"refresh":""})").result() == http::status::bad_request);

    auto access = call(refresh_body(f.t.issuer.access(1).token));
    CHECK(access.result() == http::status::unauthorized);
    CHECK(detail_of(access) == "Token has wrong type.");

    auto garbage = call(refresh_body("abc.def.ghi"));
    CHECK(garbage.result() == http::status::unauthorized);
    CHECK(detail_of(garbage) == "Token is invalid or expired.");
    CHECK(challenge(garbage) == R"(Bearer realm="api", error="invalid_token", )"
                                R"(error_description="Token is invalid or expired.")");

    auto old = f.t.issuer.refresh(1).token;
    f.t.clock.advance(86401s);
    auto expired = call(refresh_body(old));
    CHECK(expired.result() == http::status::unauthorized);
    CHECK(detail_of(expired) == "Token is expired.");

    auto no_jti = f.t.issuer.sign({{"token_type", "refresh"},
                                   {"user_id", 1},
                                   {"exp", std::chrono::duration_cast<std::chrono::seconds>(
                                               f.t.clock.now().time_since_epoch())
                                                   .count() +
                                               60}});
    auto res = call(refresh_body(no_jti));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(detail_of(res) == "Token has no id.");

    auto no_user = f.t.issuer.issue("refresh", 60s).token;
    CHECK(detail_of(call(refresh_body(no_user))) ==
          "Token contained no recognizable user identification.");
}

TEST_CASE("token service: refresh accepts simplejwt's own refresh tokens (no family claim)") {
    service_fixture f;
    auto svc = f.make();
    auto refresh = endpoint(svc->refresh_handler());
    auto simplejwt = f.t.issuer.refresh(2); // what simplejwt writes: no "fam"
    REQUIRE_FALSE(f.claims(simplejwt.token).contains("fam"));
    auto res = test::call(refresh, post("/r/", refresh_body(simplejwt.token)));
    REQUIRE(res.result() == http::status::ok);
    auto next = f.claims(body_of(res).at("refresh").as_string());
    CHECK(next.at("fam").as_string() == simplejwt.jti);
    CHECK(next.at("user_id") == 2);
}

TEST_CASE("token service: a deleted or inactive user cannot refresh") {
    service_fixture f;
    auto svc = f.make();
    auto obtain = endpoint(svc->obtain_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto bob = body_of(test::call(obtain, post("/t/", login_body("bob", "bob-pass-1234"))));
    std::string token{bob.at("refresh").as_string()};

    f.users.set_active("bob", false);
    auto res = test::call(refresh, post("/r/", refresh_body(token)));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(detail_of(res) == "No active account found for the given token.");

    // The refusal did not use the token up: re-activated, bob refreshes with it.
    f.users.set_active("bob", true);
    CHECK(test::call(refresh, post("/r/", refresh_body(token))).result() == http::status::ok);

    auto again = body_of(test::call(obtain, post("/t/", login_body("bob", "bob-pass-1234"))));
    f.users.remove("bob");
    auto gone = test::call(refresh, post("/r/", refresh_body(again.at("refresh").as_string())));
    CHECK(gone.result() == http::status::unauthorized);
}

TEST_CASE("token service: the grace interval lets a near-simultaneous reuse fail without "
          "revoking") {
    service_fixture f;
    jwt::token_service_options o;
    o.reuse_grace = 10s;
    auto svc = f.make(o);
    auto obtain = endpoint(svc->obtain_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto login = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    std::string r0{login.at("refresh").as_string()};

    auto tab1 = test::call(refresh, post("/r/", refresh_body(r0)));
    REQUIRE(tab1.result() == http::status::ok);
    f.t.clock.advance(10s); // exactly at the edge: still within grace
    auto tab2 = test::call(refresh, post("/r/", refresh_body(r0)));
    CHECK(tab2.result() == http::status::unauthorized);
    CHECK(detail_of(tab2) == "Token has already been refreshed.");
    // The family lives: tab 1's new token still refreshes.
    std::string r1{body_of(tab1).at("refresh").as_string()};
    auto next = test::call(refresh, post("/r/", refresh_body(r1)));
    REQUIRE(next.result() == http::status::ok);

    // Past the grace interval, a reuse is theft again.
    f.t.clock.advance(1ms);
    auto late = test::call(refresh, post("/r/", refresh_body(r0)));
    CHECK(late.result() == http::status::unauthorized);
    CHECK(detail_of(late) == "Token is blacklisted.");
    auto r2 = body_of(next).at("refresh").as_string();
    CHECK(test::call(refresh, post("/r/", refresh_body(r2))).result() ==
          http::status::unauthorized);
}

TEST_CASE("token service: verify accepts valid tokens of either type and refuses the rest") {
    service_fixture f;
    auto svc = f.make();
    auto verify = endpoint(svc->verify_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto call = [&](std::string_view token) {
        return test::call(
            verify, post("/v/", boost::json::serialize(boost::json::object{{"token", token}})));
    };
    auto pair = svc->issue_pair("1");
    auto ok = call(pair.access.token);
    CHECK(ok.result() == http::status::ok);
    CHECK(ok.body() == "{}");
    CHECK(call(pair.refresh.token).result() == http::status::ok);

    auto bad = call("eyJhbGciOiJub25lIn0.e30.");
    CHECK(bad.result() == http::status::unauthorized);
    CHECK(challenge(bad).find(R"(error="invalid_token")") != std::string::npos);
    auto missing = test::call(verify, post("/v/", R"({"refresh":"x"})"));
    CHECK(missing.result() == http::status::bad_request);
    CHECK(body_of(missing).at("errors") ==
          boost::json::parse(R"({"token":["This field is required."]})"));

    // A used refresh token no longer verifies.
    REQUIRE(test::call(refresh, post("/r/", refresh_body(pair.refresh.token))).result() ==
            http::status::ok);
    auto used = call(pair.refresh.token);
    CHECK(used.result() == http::status::unauthorized);
    CHECK(detail_of(used) == "Token is blacklisted.");

    f.t.clock.advance(301s);
    auto expired = call(pair.access.token);
    CHECK(expired.result() == http::status::unauthorized);
    CHECK(detail_of(expired) == "Token is expired.");
}

TEST_CASE("token service: blacklist logs a refresh token out for good") {
    service_fixture f;
    auto svc = f.make();
    auto blacklist = endpoint(svc->blacklist_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto pair = svc->issue_pair("2");
    auto other = svc->issue_pair("2");

    auto res = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
    REQUIRE(res.result() == http::status::ok);
    CHECK(res.body() == "{}");
    // Logging out again is a success (a retry after a lost answer; simplejwt says 401).
    auto again = test::call(blacklist, post("/b/", refresh_body(pair.refresh.token)));
    CHECK(again.result() == http::status::ok);
    auto use = test::call(refresh, post("/r/", refresh_body(pair.refresh.token)));
    CHECK(use.result() == http::status::unauthorized);
    CHECK(detail_of(use) == "Token is blacklisted.");

    // The login's access token is refused where the store is consulted; another login is not.
    auto me = stack(error_envelope<>{}, jwt::authenticate{f.t.verifier, f.t.store}, jwt::enforce{})
                  .wrap([](context& ctx) {
                      return text_response(http::status::ok, ctx.principal().user_id);
                  });
    auto as = [&](const std::string& token) {
        auto req = test::make_request(http::verb::get, "/me");
        req.set(http::field::authorization, "Bearer " + token);
        return test::call(me, std::move(req));
    };
    CHECK(as(pair.access.token).result() == http::status::unauthorized);
    CHECK(as(other.access.token).body() == "2");

    CHECK(test::call(blacklist, post("/b/", refresh_body(other.access.token))).result() ==
          http::status::unauthorized);
    CHECK(test::call(blacklist, post("/b/", "{}")).result() == http::status::bad_request);
    CHECK(test::call(blacklist, post("/b/", refresh_body("junk"))).result() ==
          http::status::unauthorized);
}

TEST_CASE("token service: blacklist entries hold ids only and expire with their tokens") {
    service_fixture f;
    auto svc = f.make();
    auto refresh = endpoint(svc->refresh_handler());
    auto pair = svc->issue_pair("1");
    REQUIRE(test::call(refresh, post("/r/", refresh_body(pair.refresh.token))).result() ==
            http::status::ok);
    auto key = "jti:" + pair.refresh.jti;
    auto used_at = f.t.store.find(key);
    REQUIRE(used_at);
    CHECK(*used_at ==
          std::chrono::duration_cast<std::chrono::milliseconds>(f.t.clock.now().time_since_epoch())
              .count());
    CHECK(f.t.store.size() == 1); // only the used id, never a token

    f.t.clock.set(pair.refresh.expires_at);
    CHECK(f.t.store.find(key)); // the token is still (just) unusable by expiry checks
    f.t.clock.advance(1s);
    CHECK_FALSE(f.t.store.find(key));
    f.t.store.purge_expired();
    CHECK(f.t.store.size() == 0);
}

TEST_CASE("token service: log out everywhere revokes every token of one user") {
    service_fixture f;
    auto svc = f.make();
    auto obtain = endpoint(svc->obtain_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto phone = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    auto laptop = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    auto bob = body_of(test::call(obtain, post("/t/", login_body("bob", "bob-pass-1234"))));

    test::run(svc->revoke_user("1"));
    for (const auto* login : {&phone, &laptop}) {
        auto res = test::call(refresh, post("/r/", refresh_body(login->at("refresh").as_string())));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(detail_of(res) == "Token is blacklisted.");
    }
    CHECK(test::call(refresh, post("/r/", refresh_body(bob.at("refresh").as_string()))).result() ==
          http::status::ok);

    auto me = stack(error_envelope<>{}, jwt::authenticate{f.t.verifier, f.t.store}, jwt::enforce{})
                  .wrap([](context&) { return text_response(http::status::ok, "ok"); });
    auto req = test::make_request(http::verb::get, "/me");
    req.set(http::field::authorization, "Bearer " + std::string(phone.at("access").as_string()));
    CHECK(test::call(me, std::move(req)).result() == http::status::unauthorized);

    // A login after the revocation works.
    f.t.clock.advance(1s);
    auto fresh = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    CHECK(
        test::call(refresh, post("/r/", refresh_body(fresh.at("refresh").as_string()))).result() ==
        http::status::ok);
}

namespace {

// Many refreshes of one token at once on a multi-threaded io_context.
std::vector<response> refresh_concurrently(auto& handler, const std::string& token, int n) {
    asio::io_context io;
    std::vector<response> results(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                context ctx{post("/r/", refresh_body(token))};
                results[static_cast<std::size_t>(i)] = co_await handler(ctx);
            },
            asio::detached);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] { io.run(); });
    for (auto& th : threads)
        th.join();
    return results;
}

} // namespace

TEST_CASE("token service: of many concurrent refreshes of one token exactly one succeeds",
          "[concurrency]") {
    service_fixture f;
    for (auto grace : {0ms, 5000ms}) {
        jwt::token_service_options o;
        o.reuse_grace = grace;
        auto svc = f.make(o);
        auto refresh = endpoint(svc->refresh_handler());
        auto pair = svc->issue_pair("1");
        auto results = refresh_concurrently(refresh, pair.refresh.token, 64);
        int ok = 0, refused = 0;
        std::string winner;
        for (const auto& res : results) {
            if (res.result() == http::status::ok) {
                ++ok;
                winner = std::string(body_of(res).at("refresh").as_string());
            } else if (res.result() == http::status::unauthorized) {
                ++refused;
            }
        }
        CAPTURE(grace.count());
        CHECK(ok == 1);
        CHECK(refused == 63);
        // Without grace the losers revoked the family (theft); with grace it lives on.
        auto next = test::call(refresh, post("/r/", refresh_body(winner)));
        CHECK(next.result() ==
              (grace.count() == 0 ? http::status::unauthorized : http::status::ok));
    }
}

TEST_CASE("token service: cookie transport sets, reads and clears HttpOnly cookies") {
    service_fixture f;
    jwt::token_service_options o;
    o.transport = jwt::token_transport::cookies;
    o.cookies.refresh_path = "/api/token/";
    o.cookies.same_site = "Strict";
    auto svc = f.make(o);
    auto obtain = endpoint(svc->obtain_handler());
    auto refresh = endpoint(svc->refresh_handler());
    auto blacklist = endpoint(svc->blacklist_handler());

    auto login = test::call(obtain, post("/api/token/", login_body("alice", "alice-pass-1234")));
    REQUIRE(login.result() == http::status::ok);
    CHECK(login.body() == "{}"); // tokens never reach page script
    std::vector<std::string> cookies;
    for (auto it = login.find(http::field::set_cookie);
         it != login.end() && it->name() == http::field::set_cookie; ++it)
        cookies.emplace_back(it->value());
    REQUIRE(cookies.size() == 3);
    auto value_of = [](const std::string& set_cookie) {
        auto eq = set_cookie.find('=');
        return set_cookie.substr(eq + 1, set_cookie.find(';') - eq - 1);
    };
    std::string access = value_of(cookies[0]), refresh_token = value_of(cookies[1]),
                csrf = value_of(cookies[2]);
    CHECK(cookies[0] ==
          "access_token=" + access + "; Path=/; Max-Age=300; HttpOnly; Secure; SameSite=Strict");
    CHECK(cookies[1] == "refresh_token=" + refresh_token +
                            "; Path=/api/token/; Max-Age=86400; HttpOnly; Secure; SameSite=Strict");
    CHECK(cookies[2] == "csrftoken=" + csrf + "; Path=/; Max-Age=86400; Secure; SameSite=Strict");
    CHECK(csrf.size() == 43);
    CHECK(f.claims(access).at("token_type") == "access");

    auto cookie_post = [&](std::string target, bool with_csrf) {
        auto req = test::make_request(http::verb::post, target);
        req.set(http::field::cookie, "refresh_token=" + refresh_token + "; csrftoken=" + csrf);
        if (with_csrf)
            req.set("X-CSRFToken", csrf);
        return req;
    };
    auto forged = test::call(refresh, cookie_post("/api/token/refresh/", false));
    CHECK(forged.result() == http::status::forbidden);
    CHECK(detail_of(forged) == "CSRF Failed: CSRF token missing.");

    auto rotated = test::call(refresh, cookie_post("/api/token/refresh/", true));
    REQUIRE(rotated.result() == http::status::ok);
    CHECK(rotated.body() == "{}");
    std::string next_refresh;
    for (auto it = rotated.find(http::field::set_cookie);
         it != rotated.end() && it->name() == http::field::set_cookie; ++it)
        if (it->value().starts_with("refresh_token="))
            next_refresh = value_of(std::string(it->value()));
    CHECK(!next_refresh.empty());
    CHECK(next_refresh != refresh_token);

    refresh_token = next_refresh;
    auto out = test::call(blacklist, cookie_post("/api/token/blacklist/", true));
    REQUIRE(out.result() == http::status::ok);
    std::vector<std::string> cleared;
    for (auto it = out.find(http::field::set_cookie);
         it != out.end() && it->name() == http::field::set_cookie; ++it)
        cleared.emplace_back(it->value());
    CHECK(cleared == std::vector<std::string>{
                         "access_token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
                         "refresh_token=; Path=/api/token/; Max-Age=0; HttpOnly; Secure; "
                         "SameSite=Strict",
                         "csrftoken=; Path=/; Max-Age=0; Secure; SameSite=Strict"});
    CHECK(test::call(refresh, cookie_post("/api/token/refresh/", true)).result() ==
          http::status::unauthorized);

    // No cookie and no body: the field is missing.
    auto bare = test::call(refresh, test::make_request(http::verb::post, "/api/token/refresh/"));
    CHECK(bare.result() == http::status::bad_request);
}

TEST_CASE("token service: body_and_cookies serves both kinds of client, bad cookie options "
          "are refused") {
    service_fixture f;
    jwt::token_service_options o;
    o.transport = jwt::token_transport::body_and_cookies;
    auto svc = f.make(o);
    auto obtain = endpoint(svc->obtain_handler());
    auto res = test::call(obtain, post("/t/", login_body("bob", "bob-pass-1234")));
    CHECK(body_of(res).as_object().contains("access"));
    CHECK(res.count(http::field::set_cookie) == 3);

    for (auto mutate : std::vector<void (*)(jwt::cookie_options&)>{
             [](jwt::cookie_options& c) { c.access_cookie = "bad name"; },
             [](jwt::cookie_options& c) { c.path = "/x;Domain=evil"; },
             [](jwt::cookie_options& c) { c.same_site = "Sometimes"; },
             [](jwt::cookie_options& c) {
                 c.same_site = "None";
                 c.secure = false;
             },
             [](jwt::cookie_options& c) { c.domain = "a\r\nSet-Cookie: x=y"; },
         }) {
        jwt::token_service_options bad = o;
        mutate(bad.cookies);
        CHECK_THROWS_AS(f.make(bad), std::invalid_argument);
    }
}

namespace {
struct users_with_roles : test::user_table_ref {
    asio::awaitable<boost::json::object> extra_claims(std::string_view user_id) {
        co_return boost::json::object{{"is_staff", user_id == "1"}};
    }
};
} // namespace

TEST_CASE("token service: extra claims from the user directory are carried through refresh") {
    service_fixture f;
    jwt::token_service svc{f.t.issuer, f.t.verifier, f.t.store, users_with_roles{{&f.users}}};
    auto obtain = endpoint(svc.obtain_handler());
    auto refresh = endpoint(svc.refresh_handler());
    auto login = body_of(test::call(obtain, post("/t/", login_body("alice", "alice-pass-1234"))));
    CHECK(f.claims(login.at("access").as_string()).at("is_staff") == true);
    auto next =
        body_of(test::call(refresh, post("/r/", refresh_body(login.at("refresh").as_string()))));
    CHECK(f.claims(next.at("access").as_string()).at("is_staff") == true);
    CHECK(f.claims(next.at("refresh").as_string()).at("is_staff") == true);
}

TEST_CASE("token service: user_callbacks builds a user directory from two callables") {
    service_fixture f;
    auto users = jwt::user_callbacks{
        [](std::string_view name,
           std::string_view pw) -> asio::awaitable<std::optional<std::string>> {
            if (name == "root" && pw == "toor")
                co_return std::string("100");
            co_return std::nullopt;
        },
        [](std::string_view id) -> asio::awaitable<bool> { co_return id == "100"; }};
    jwt::token_service svc{f.t.issuer, f.t.verifier, f.t.store, users};
    auto obtain = endpoint(svc.obtain_handler());
    auto res = test::call(obtain, post("/t/", login_body("root", "toor")));
    REQUIRE(res.result() == http::status::ok);
    CHECK(f.claims(body_of(res).at("access").as_string()).at("user_id") == 100);
    CHECK(test::call(obtain, post("/t/", login_body("root", "x"))).result() ==
          http::status::unauthorized);
}

TEST_CASE("token service: store keys carry the configured prefix, ids may stay strings") {
    service_fixture f;
    jwt::token_service_options o;
    o.store_prefix = "shop:";
    o.numeric_user_ids = false;
    auto svc = f.make(o);
    auto refresh = endpoint(svc->refresh_handler());
    auto pair = svc->issue_pair("1");
    CHECK(f.claims(pair.access.token).at("user_id") == "1");
    REQUIRE(test::call(refresh, post("/r/", refresh_body(pair.refresh.token))).result() ==
            http::status::ok);
    CHECK(f.t.store.find("shop:jti:" + pair.refresh.jti));
    CHECK_FALSE(f.t.store.find("jti:" + pair.refresh.jti));

    // Reuse revokes the family under the prefix; authenticate with the same prefix sees it.
    CHECK(test::call(refresh, post("/r/", refresh_body(pair.refresh.token))).result() ==
          http::status::unauthorized);
    CHECK(f.t.store.find("shop:family-revoked:" + pair.refresh.jti));
    jwt::authenticate_options same;
    same.store_prefix = "shop:";
    auto me =
        stack(error_envelope<>{}, jwt::authenticate{f.t.verifier, f.t.store, same}, jwt::enforce{})
            .wrap([](context&) { return text_response(http::status::ok, "ok"); });
    auto req = test::make_request(http::verb::get, "/me");
    req.set(http::field::authorization, "Bearer " + pair.access.token);
    CHECK(test::call(me, std::move(req)).result() == http::status::unauthorized);
}
