// The shop's token endpoints and Bearer authentication, over real sockets against the real
// binary: obtain, refresh with rotation and reuse detection, verify, blacklist.

#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <boost/beast/core/detail/base64.hpp>

#include <thread>

using namespace shop_test;

namespace {

/// The claims of a JWT (its middle part, base64url-decoded and parsed).
json::object claims_of(const std::string& token) {
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    std::string part = token.substr(first + 1, second - first - 1);
    for (char& c : part)
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (part.size() % 4)
        part += '=';
    std::string decoded(boost::beast::detail::base64::decoded_size(part.size()), '\0');
    auto [written, read] =
        boost::beast::detail::base64::decode(decoded.data(), part.data(), part.size());
    decoded.resize(written);
    return json::parse(decoded).as_object();
}

json::value body1(const char* key, const std::string& value) {
    return {{key, value}};
}

} // namespace

TEST_CASE("shop: obtaining tokens", "[shop]") {
    shop s;
    auto r =
        s.post("/api/token/", json::value{{"username", "alice"}, {"password", "alice-pass-1234"}});
    REQUIRE(r.status() == 200);
    REQUIRE(r.body.as_object().size() == 2);
    auto access = claims_of(r.text("access"));
    auto refresh = claims_of(r.text("refresh"));
    CHECK(access.at("token_type") == "access");
    CHECK(refresh.at("token_type") == "refresh");
    CHECK(access.at("user_id") == 1);
    CHECK(refresh.at("user_id") == 1);
    CHECK(access.at("exp").as_int64() - access.at("iat").as_int64() == 3600);
    CHECK(refresh.at("exp").as_int64() - refresh.at("iat").as_int64() == 604800);
    CHECK(access.at("jti").as_string().size() >= 16);
    CHECK(access.at("jti") != refresh.at("jti"));
    CHECK(claims_of(s.login("bob", "bob-pass-1234").first).at("user_id") == 2);

    // Missing or blank fields: field errors, all at once.
    r = s.post("/api/token/", json::parse("{}"));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.errors().size() == 2);
    CHECK(r.messages("username").size() == 1);
    CHECK(r.messages("password").size() == 1);
    r = s.post("/api/token/", json::value{{"username", ""}, {"password", "x"}});
    REQUIRE(is_envelope(r, 400));
    CHECK(r.errors().size() == 1);
    CHECK(r.messages("username").size() == 1);
    r = s.post("/api/token/", json::value{{"username", "alice"}, {"password", nullptr}});
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("password").size() == 1);
    r = s.post("/api/token/", json::value{{"username", 5}, {"password", "x"}});
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("username").size() == 1);

    // Wrong password and unknown user: the same 401, word for word.
    auto wrong = s.post("/api/token/", json::value{{"username", "alice"}, {"password", "nope"}});
    auto unknown =
        s.post("/api/token/", json::value{{"username", "mallory"}, {"password", "nope"}});
    auto cased =
        s.post("/api/token/", json::value{{"username", "Alice"}, {"password", "alice-pass-1234"}});
    REQUIRE(is_envelope(wrong, 401));
    REQUIRE(is_envelope(unknown, 401));
    CHECK(wrong.raw.body() == unknown.raw.body());
    CHECK(cased.raw.body() == unknown.raw.body());
    CHECK(!wrong.detail().empty());
    auto bobs_password =
        s.post("/api/token/", json::value{{"username", "alice"}, {"password", "bob-pass-1234"}});
    CHECK(bobs_password.raw.body() == unknown.raw.body());
}

TEST_CASE("shop: Bearer authentication on orders", "[shop]") {
    shop s;
    auto [access, refresh] = s.login();
    CHECK(s.get("/api/v1/orders/", access).status() == 200);

    auto missing = s.get("/api/v1/orders/");
    REQUIRE(is_envelope(missing, 401));
    CHECK(missing.header("WWW-Authenticate") == "Bearer realm=\"api\"");
    CHECK(!missing.detail().empty());
    auto missing_post = s.post("/api/v2/orders/", order_body(1, 1));
    REQUIRE(is_envelope(missing_post, 401));
    CHECK(missing_post.header("WWW-Authenticate") == "Bearer realm=\"api\"");
    CHECK(s.stock(1) == 50);

    std::string tampered = access;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    std::string forged_payload = s.login("bob", "bob-pass-1234").first.substr(0, access.find('.')) +
                                 ".eyJ1c2VyX2lkIjoxfQ." + access.substr(access.rfind('.') + 1);
    for (const auto& bad : {tampered, std::string("abc"), access.substr(0, access.size() - 10),
                            refresh, forged_payload, access + "x"}) {
        INFO(bad);
        auto r = s.get("/api/v1/orders/", bad);
        REQUIRE(is_envelope(r, 401));
        std::string challenge = r.header("WWW-Authenticate");
        CHECK(challenge.rfind("Bearer realm=\"api\"", 0) == 0);
        CHECK(challenge.find("error=\"invalid_token\"") != std::string::npos);
    }
    // Another scheme is not a Bearer token.
    auto basic = rampart::test::make_get("/api/v1/orders/");
    basic.set(http::field::authorization, "Basic YWxpY2U6YWxpY2UtcGFzcy0xMjM0");
    auto r = s.send(basic);
    REQUIRE(is_envelope(r, 401));
    CHECK(r.header("WWW-Authenticate").rfind("Bearer realm=\"api\"", 0) == 0);
    // A bad token on a public route still fails (it is never silently anonymous).
    CHECK(is_envelope(s.get("/api/v1/products/", "abc"), 401));
    CHECK(s.get("/api/v1/products/", access).status() == 200);

    // A token signed by another shop (another secret) is refused.
    shop other;
    auto foreign = other.login().first;
    auto f = s.get("/api/v1/orders/", foreign);
    REQUIRE(is_envelope(f, 401));
    CHECK(f.header("WWW-Authenticate").find("invalid_token") != std::string::npos);
}

TEST_CASE("shop: an expired access token is refused", "[shop]") {
    shop s{{{"SHOP_ACCESS_TTL", "1"}}};
    auto [access, refresh] = s.login();
    CHECK(claims_of(access).at("exp").as_int64() - claims_of(access).at("iat").as_int64() == 1);
    // Real time passes here: the shop's clock is the system clock.
    std::this_thread::sleep_for(std::chrono::milliseconds{2100});
    auto r = s.get("/api/v1/orders/", access);
    REQUIRE(is_envelope(r, 401));
    CHECK(r.header("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
    CHECK(is_envelope(s.post("/api/token/verify/", body1("token", access)), 401));
    // The refresh token still works and gives a fresh access token.
    auto fresh = s.post("/api/token/refresh/", body1("refresh", refresh));
    REQUIRE(fresh.status() == 200);
    CHECK(s.get("/api/v1/orders/", fresh.text("access")).status() == 200);
}

TEST_CASE("shop: refresh rotates, and reuse revokes the family", "[shop]") {
    shop s;
    auto [access, refresh] = s.login();
    auto [other_access, other_refresh] = s.login(); // a second login of the same user

    auto r = s.post("/api/token/refresh/", body1("refresh", refresh));
    REQUIRE(r.status() == 200);
    REQUIRE(r.body.as_object().size() == 2);
    std::string access2 = r.text("access"), refresh2 = r.text("refresh");
    CHECK(refresh2 != refresh);
    CHECK(claims_of(access2).at("token_type") == "access");
    CHECK(claims_of(refresh2).at("token_type") == "refresh");
    CHECK(s.get("/api/v1/orders/", access2).status() == 200);

    // The rotated-out token again: refused, and everything from that login goes with it.
    auto reuse = s.post("/api/token/refresh/", body1("refresh", refresh));
    REQUIRE(is_envelope(reuse, 401));
    auto descendant = s.post("/api/token/refresh/", body1("refresh", refresh2));
    CHECK(is_envelope(descendant, 401));
    CHECK(is_envelope(s.get("/api/v1/orders/", access2), 401));
    CHECK(is_envelope(s.post("/api/token/verify/", body1("token", refresh2)), 401));
    // The other login is untouched.
    CHECK(s.get("/api/v1/orders/", other_access).status() == 200);
    CHECK(s.post("/api/token/refresh/", body1("refresh", other_refresh)).status() == 200);

    // Bad refresh requests.
    r = s.post("/api/token/refresh/", json::parse("{}"));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("refresh").size() == 1);
    CHECK(is_envelope(s.post("/api/token/refresh/", body1("refresh", "")), 400));
    CHECK(is_envelope(s.post("/api/token/refresh/", body1("refresh", "abc")), 401));
    auto [bob_access, bob_refresh] = s.login("bob", "bob-pass-1234");
    CHECK(is_envelope(s.post("/api/token/refresh/", body1("refresh", bob_access)), 401));
    std::string tampered = bob_refresh;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    CHECK(is_envelope(s.post("/api/token/refresh/", body1("refresh", tampered)), 401));
    CHECK(s.post("/api/token/refresh/", body1("refresh", bob_refresh)).status() == 200);
}

TEST_CASE("shop: verify and blacklist", "[shop]") {
    shop s;
    auto [access, refresh] = s.login();
    auto v = s.post("/api/token/verify/", body1("token", access));
    REQUIRE(v.status() == 200);
    CHECK(v.body == json::object{});
    CHECK(s.post("/api/token/verify/", body1("token", refresh)).status() == 200);
    auto missing = s.post("/api/token/verify/", json::parse("{}"));
    REQUIRE(is_envelope(missing, 400));
    CHECK(missing.messages("token").size() == 1);
    CHECK(is_envelope(s.post("/api/token/verify/", body1("token", "abc")), 401));
    std::string tampered = access;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    CHECK(is_envelope(s.post("/api/token/verify/", body1("token", tampered)), 401));

    // Blacklist (logout): that refresh token never works again.
    auto [access2, refresh2] = s.login();
    auto b = s.post("/api/token/blacklist/", body1("refresh", refresh2));
    REQUIRE(b.status() == 200);
    CHECK(b.body == json::object{});
    CHECK(is_envelope(s.post("/api/token/refresh/", body1("refresh", refresh2)), 401));
    CHECK(is_envelope(s.post("/api/token/verify/", body1("token", refresh2)), 401));
    // Logging out ends that login's access tokens too; the other login keeps working.
    CHECK(is_envelope(s.get("/api/v1/orders/", access2), 401));
    CHECK(s.get("/api/v1/orders/", access).status() == 200);

    auto bl_missing = s.post("/api/token/blacklist/", json::parse("{}"));
    REQUIRE(is_envelope(bl_missing, 400));
    CHECK(bl_missing.messages("refresh").size() == 1);
    CHECK(is_envelope(s.post("/api/token/blacklist/", body1("refresh", "abc")), 401));
    CHECK(is_envelope(s.post("/api/token/blacklist/", body1("refresh", access)), 401));
    CHECK(s.post("/api/token/refresh/", body1("refresh", refresh)).status() == 200);
}
