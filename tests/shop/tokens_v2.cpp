// Contract v2, "Tokens", over real sockets against the real binary: the blacklist and
// rotations survive a restart (SQLite token store), deactivated and unknown users are refused
// within 5 s, tokens without jti or with a user id that is no user id get 401 with the
// challenge, two Authorization headers get 400.

#include "shop_process.hpp"

#include <rampart/jwt/issuer.hpp>
#include <rampart/sqlite/connection.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace shop_test;
using namespace std::chrono_literals;

namespace {

const std::string secret = "tokens-v2-test-secret-0123456789abcdefghijklmnop";

process::environment with_secret() {
    return {{"SHOP_JWT_SECRET", secret}};
}

json::value body1(const char* key, const std::string& value) {
    return {{key, value}};
}

bool refused_as_invalid_token(const reply& r) {
    return is_envelope(r, 401) &&
           r.header("WWW-Authenticate").find(R"(error="invalid_token")") != std::string::npos;
}

/// A token signed with the shop's secret carrying exactly `claims` (plus exp and iat when
/// absent), as someone holding the secret, or a buggy issuer, could make.
std::string forge(json::object claims) {
    rampart::jwt::issuer<> iss{rampart::jwt::key::hs256(secret)};
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (!claims.contains("exp"))
        claims["exp"] = now + 600;
    if (!claims.contains("iat"))
        claims["iat"] = now;
    return iss.sign(claims);
}

} // namespace

TEST_CASE("shop v2: a blacklisted and a rotated-away refresh token stay refused after a "
          "restart",
          "[shop]") {
    auto dir = std::make_shared<temp_dir>();
    std::string logged_out, logged_out_access, rotated_away, current;
    {
        shop s{with_secret(), dir};
        auto [a_access, a_refresh] = s.login();
        auto b = s.login();
        logged_out = a_refresh;
        logged_out_access = a_access;
        REQUIRE(s.post("/api/token/blacklist/", body1("refresh", logged_out)).status() == 200);
        rotated_away = b.second;
        auto r = s.post("/api/token/refresh/", body1("refresh", rotated_away));
        REQUIRE(r.status() == 200);
        current = r.text("refresh");
        REQUIRE(s.terminate() == std::optional<int>{0});
    }
    // The state is in the shop's own database file, in its own table.
    {
        rampart::sqlite::connection c{dir->file("shop.db")};
        auto q = c.prepare("SELECT count(*) FROM rampart_jwt_tokens");
        REQUIRE(q.step());
        CHECK(q.column<int>(0) >= 3); // two used jtis, one revoked family
    }
    shop s{with_secret(), dir};
    auto r = s.post("/api/token/refresh/", body1("refresh", logged_out));
    CHECK(refused_as_invalid_token(r));
    CHECK(r.detail() == "Token is blacklisted.");
    CHECK(refused_as_invalid_token(s.get("/api/v1/orders/", logged_out_access)));
    // The rotated-away token is a reuse: refused, and its family (the current token) revoked.
    r = s.post("/api/token/refresh/", body1("refresh", rotated_away));
    CHECK(refused_as_invalid_token(r));
    CHECK(r.detail() == "Token is blacklisted.");
    CHECK(refused_as_invalid_token(s.post("/api/token/refresh/", body1("refresh", current))));
    // A new login works as before.
    auto fresh = s.login();
    CHECK(s.post("/api/token/refresh/", body1("refresh", fresh.second)).status() == 200);
}

TEST_CASE("shop v2: a user deactivated in the database is refused within 5 s", "[shop]") {
    shop s{with_secret()};
    auto [access, refresh] = s.login("bob", "bob-pass-1234");
    REQUIRE(s.get("/api/v1/orders/", access).status() == 200);
    {
        rampart::sqlite::connection c{s.dir()->file("shop.db")};
        c.prepare("UPDATE users SET is_active = 0 WHERE username = 'bob'").exec();
        REQUIRE(c.changes() == 1);
    }
    auto deactivated = std::chrono::steady_clock::now();
    reply r = s.get("/api/v1/orders/", access);
    while (r.status() == 200 && std::chrono::steady_clock::now() - deactivated < 10s) {
        std::this_thread::sleep_for(100ms);
        r = s.get("/api/v1/orders/", access);
    }
    auto took = std::chrono::steady_clock::now() - deactivated;
    CHECK(took < 5s + 1s); // the cache's bound, plus slack for a loaded machine
    CHECK(refused_as_invalid_token(r));
    CHECK(r.detail() == "User not found or inactive.");
    // Every authenticated request: placing orders too.
    CHECK(refused_as_invalid_token(s.post("/api/v1/orders/", order_body(1, 1), access)));
    CHECK(refused_as_invalid_token(s.get("/api/v2/orders/", access)));
    // And refresh (the token service asks the database itself).
    CHECK(is_envelope(s.post("/api/token/refresh/", body1("refresh", refresh)), 401));
}

TEST_CASE("shop v2: tokens for unknown users, without jti, or with a user id that is no user "
          "id get 401 with the challenge",
          "[shop]") {
    shop s{with_secret()};
    // Sanity: a forged token that is complete is accepted, so the refusals below are real.
    auto good = forge({{"token_type", "access"}, {"jti", "forged-1"}, {"user_id", 1}});
    REQUIRE(s.get("/api/v1/orders/", good).status() == 200);

    auto unknown = forge({{"token_type", "access"}, {"jti", "forged-2"}, {"user_id", 99999}});
    for (int i = 0; i < 2; ++i) { // on every request, cached or not
        auto r = s.get("/api/v1/orders/", unknown);
        CHECK(refused_as_invalid_token(r));
        CHECK(r.detail() == "User not found or inactive.");
    }
    auto no_jti = forge({{"token_type", "access"}, {"user_id", 1}});
    auto r = s.get("/api/v1/orders/", no_jti);
    CHECK(refused_as_invalid_token(r));
    CHECK(r.detail() == "Token has no id.");
    for (const json::value& id : {json::value("abc"), json::value("1abc"), json::value(-1)}) {
        auto bad = forge({{"token_type", "access"}, {"jti", "forged-3"}, {"user_id", id}});
        r = s.get("/api/v1/orders/", bad);
        CHECK(refused_as_invalid_token(r));
        CHECK(r.detail() == "Token contained no recognizable user identification.");
    }
}

TEST_CASE("shop v2: two Authorization headers are a 400", "[shop]") {
    shop s{with_secret()};
    auto alice = s.login().first;
    auto bob = s.login("bob", "bob-pass-1234").first;
    auto req = rampart::test::make_get("/api/v1/orders/");
    req.insert(http::field::authorization, "Bearer " + alice);
    req.insert(http::field::authorization, "Bearer " + bob);
    auto r = s.send(std::move(req));
    CHECK(is_envelope(r, 400));
    CHECK(r.detail() == "Multiple Authorization headers.");
    // On a public route too: the request is ambiguous wherever it goes.
    auto pub = rampart::test::make_get("/api/v1/products/");
    pub.insert(http::field::authorization, "Bearer " + alice);
    pub.insert(http::field::authorization, "Bearer " + alice);
    CHECK(is_envelope(s.send(std::move(pub)), 400));
}
