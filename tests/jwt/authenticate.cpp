#include <rampart/jwt/authenticate.hpp>

#include <rampart/core/response.hpp>

#include "jwt/service_support.hpp"

#include <catch2/catch.hpp>

using namespace rampart;
using namespace std::chrono_literals;
using test::body_of;

namespace {

asio::awaitable<response> whoami(context& ctx) {
    boost::json::object out;
    out["user"] = ctx.principal().user_id;
    out["claims"] = ctx.principal().claims;
    co_return json_response(http::status::ok, out);
}

request get(std::string target = "/me") {
    return test::make_request(http::verb::get, target);
}

request with_bearer(request req, std::string_view token, std::string_view scheme = "Bearer") {
    req.set(http::field::authorization, std::string(scheme) + " " + std::string(token));
    return req;
}

std::string challenge(const response& res) {
    return std::string(res[http::field::www_authenticate]);
}

std::string detail_of(const response& res) {
    return std::string(body_of(res).at("errors").at("detail").as_string());
}

} // namespace

TEST_CASE("authenticate: a valid Bearer access token sets the principal") {
    test::token_layer t;
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{}).wrap(&whoami);
    auto token = t.issuer.access(42, {{"is_staff", true}}).token;
    auto res = test::call(h, with_bearer(get(), token));
    REQUIRE(res.result() == http::status::ok);
    auto body = body_of(res);
    CHECK(body.at("user") == "42");
    CHECK(body.at("claims").at("is_staff") == true);
    CHECK(body.at("claims").at("token_type") == "access");

    // A string user id is kept as it is.
    auto uuid = t.issuer.access("7f0c0e1a-uuid").token;
    CHECK(body_of(test::call(h, with_bearer(get(), uuid))).at("user") == "7f0c0e1a-uuid");
    // The scheme is case-insensitive and surrounding blanks are ignored.
    CHECK(body_of(test::call(h, with_bearer(get(), token + "  ", "bearer"))).at("user") == "42");
}

TEST_CASE("authenticate: accepted header types are configurable, other schemes stay anonymous") {
    test::token_layer t;
    auto token = t.issuer.access(5).token;
    auto bearer_only =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{}).wrap(&whoami);
    jwt::authenticate_options both;
    both.header_types = {"Bearer", "JWT"};
    auto bearer_or_jwt =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, both}, jwt::enforce{})
            .wrap(&whoami);

    auto jwt_res = test::call(bearer_or_jwt, with_bearer(get(), token, "JWT"));
    CHECK(body_of(jwt_res).at("user") == "5");
    auto not_ours = test::call(bearer_only, with_bearer(get(), token, "JWT"));
    CHECK(not_ours.result() == http::status::ok);
    CHECK(body_of(not_ours).at("user") == "");
    auto basic = test::call(bearer_only, with_bearer(get(), "YWxhZGRpbjpvcGVu", "Basic"));
    CHECK(body_of(basic).at("user") == "");
}

TEST_CASE("authenticate + enforce: refused tokens give 401 invalid_token with RFC 6750 headers") {
    test::token_layer t;
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{}).wrap(&whoami);

    SECTION("expired") {
        auto token = t.issuer.access(1).token;
        t.clock.advance(301s);
        auto res = test::call(h, with_bearer(get(), token));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(challenge(res) == R"(Bearer realm="api", error="invalid_token", )"
                                R"(error_description="Token is expired.")");
        CHECK(detail_of(res) == "Token is expired.");
        CHECK(body_of(res).at("code") == 401);
    }
    SECTION("a refresh token is not an access token") {
        auto res = test::call(h, with_bearer(get(), t.issuer.refresh(1).token));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(challenge(res) == R"(Bearer realm="api", error="invalid_token", )"
                                R"(error_description="Token has wrong type.")");
    }
    SECTION("bad signature, garbage, another key") {
        auto token = t.issuer.access(1).token;
        token.back() = token.back() == 'A' ? 'B' : 'A';
        jwt::issuer other{jwt::key::hs256("another-secret-another-secret-0123")};
        for (const std::string& bad :
             {token, std::string("not.a.jwt"), std::string("x"), other.access(1).token}) {
            auto res = test::call(h, with_bearer(get(), bad));
            CHECK(res.result() == http::status::unauthorized);
            CHECK(challenge(res) == R"(Bearer realm="api", error="invalid_token", )"
                                    R"(error_description="Token is invalid or expired.")");
        }
    }
    SECTION("a malformed Authorization header") {
        for (std::string value : {"Bearer", "Bearer  ", "Bearer a b"}) {
            auto req = get();
            req.set(http::field::authorization, value);
            auto res = test::call(h, std::move(req));
            CHECK(res.result() == http::status::unauthorized);
            CHECK(detail_of(res) ==
                  "Authorization header must contain two space-delimited values.");
            CHECK(challenge(res).find(R"(error="invalid_token")") != std::string::npos);
        }
    }
    SECTION("a token without a user id") {
        auto token = t.issuer.issue("access", 300s).token;
        auto res = test::call(h, with_bearer(get(), token));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(detail_of(res) == "Token contained no recognizable user identification.");
    }
    SECTION("the realm is configurable") {
        jwt::authenticate_options o;
        o.realm = "shop";
        auto shop = stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{})
                        .wrap(&whoami);
        auto res = test::call(shop, with_bearer(get(), "junk"));
        CHECK(challenge(res) == R"(Bearer realm="shop", error="invalid_token", )"
                                R"(error_description="Token is invalid or expired.")");
    }
}

namespace {
// Stands where the throttle goes: sees the request after authenticate, before enforce.
struct observer {
    std::vector<std::string>* seen;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        auto* f = ctx.find<jwt::authentication_failure>();
        seen->push_back((ctx.principal().authenticated() ? "user:" + ctx.principal().user_id
                                                         : std::string("anonymous")) +
                        (f ? " failed:" + std::string(jwt::to_string(*f->reason)) : ""));
        co_return co_await next(ctx);
    }
};
} // namespace

TEST_CASE("authenticate records a failure without throwing, enforce throws it later") {
    test::token_layer t;
    std::vector<std::string> seen;
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier}, observer{&seen}, jwt::enforce{})
            .wrap(&whoami);
    auto good = t.issuer.access(9).token;
    CHECK(test::call(h, with_bearer(get(), good)).result() == http::status::ok);
    CHECK(test::call(h, with_bearer(get(), good + "x")).result() == http::status::unauthorized);
    CHECK(test::call(h, get()).result() == http::status::ok);
    CHECK(seen ==
          std::vector<std::string>{"user:9", "anonymous failed:bad_signature", "anonymous"});
}

TEST_CASE("require_authenticated: 401 with a bare Bearer challenge when anonymous") {
    test::token_layer t;
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{},
                   jwt::require_authenticated{})
                 .wrap(&whoami);
    auto res = test::call(h, get());
    CHECK(res.result() == http::status::unauthorized);
    CHECK(challenge(res) == R"(Bearer realm="api")");
    CHECK(detail_of(res) == "Authentication credentials were not provided.");
    CHECK(res[http::field::content_type] == "application/json");

    auto ok = test::call(h, with_bearer(get(), t.issuer.access(3).token));
    CHECK(ok.result() == http::status::ok);

    // Without enforce, require_authenticated still reports why a token was refused.
    auto no_enforce =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::require_authenticated{})
            .wrap(&whoami);
    auto refused = test::call(no_enforce, with_bearer(get(), "junk"));
    CHECK(refused.result() == http::status::unauthorized);
    CHECK(challenge(refused).find(R"(error="invalid_token")") != std::string::npos);
}

TEST_CASE("require_permission: 401 for anonymous, 403 permission_denied when the predicate "
          "fails") {
    test::token_layer t;
    auto is_staff = [](const context& ctx) {
        auto it = ctx.principal().claims.find("is_staff");
        return it != ctx.principal().claims.end() && it->value() == true;
    };
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{},
                   jwt::require_permission{is_staff})
                 .wrap(&whoami);
    auto anonymous = test::call(h, get());
    CHECK(anonymous.result() == http::status::unauthorized);
    CHECK(challenge(anonymous) == R"(Bearer realm="api")");

    auto plain = test::call(h, with_bearer(get(), t.issuer.access(1).token));
    CHECK(plain.result() == http::status::forbidden);
    CHECK(detail_of(plain) == "You do not have permission to perform this action.");
    CHECK(challenge(plain).empty());

    auto staff = test::call(h, with_bearer(get(), t.issuer.access(2, {{"is_staff", true}}).token));
    CHECK(staff.result() == http::status::ok);

    // An asynchronous predicate (a database lookup, say) and a custom message.
    auto owner_only = [](const context& ctx) -> asio::awaitable<bool> {
        co_return ctx.principal().user_id == "2";
    };
    auto h2 = stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{},
                    jwt::require_permission{owner_only, "api", "Owners only."})
                  .wrap(&whoami);
    CHECK(test::call(h2, with_bearer(get(), t.issuer.access(2).token)).result() ==
          http::status::ok);
    auto other = test::call(h2, with_bearer(get(), t.issuer.access(3).token));
    CHECK(other.result() == http::status::forbidden);
    CHECK(detail_of(other) == "Owners only.");
}

TEST_CASE("authenticate: cookie transport with a double-submit CSRF check on unsafe methods") {
    test::token_layer t;
    jwt::authenticate_options o;
    o.cookies.emplace();
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{}).wrap(&whoami);
    auto token = t.issuer.access(11).token;
    auto with_cookie = [&](http::verb m, std::string cookies) {
        auto req = test::make_request(m, "/me");
        req.set(http::field::cookie, cookies);
        return req;
    };
    std::string jar = "theme=dark; access_token=" + token + "; csrftoken=abc123";

    SECTION("safe methods need no CSRF token") {
        for (auto m : {http::verb::get, http::verb::head, http::verb::options}) {
            auto res = test::call(h, with_cookie(m, jar));
            CHECK(res.result() == http::status::ok);
            if (m != http::verb::head)
                CHECK(body_of(res).at("user") == "11");
        }
    }
    SECTION("an unsafe method without the header is refused (403)") {
        auto res = test::call(h, with_cookie(http::verb::post, jar));
        CHECK(res.result() == http::status::forbidden);
        CHECK(detail_of(res) == "CSRF Failed: CSRF token missing.");
    }
    SECTION("a header that does not match the cookie is refused") {
        auto req = with_cookie(http::verb::delete_, jar);
        req.set("X-CSRFToken", "abc124");
        auto res = test::call(h, std::move(req));
        CHECK(res.result() == http::status::forbidden);
        CHECK(detail_of(res) == "CSRF Failed: CSRF token incorrect.");

        auto shorter = with_cookie(http::verb::put, jar);
        shorter.set("X-CSRFToken", "abc");
        CHECK(detail_of(test::call(h, std::move(shorter))) == "CSRF Failed: CSRF token incorrect.");
    }
    SECTION("the header without the CSRF cookie is refused") {
        auto req = with_cookie(http::verb::post, "access_token=" + token);
        req.set("X-CSRFToken", "abc123");
        CHECK(detail_of(test::call(h, std::move(req))) == "CSRF Failed: CSRF token missing.");
    }
    SECTION("matching header and cookie pass") {
        auto req = with_cookie(http::verb::patch, jar);
        req.set("X-CSRFToken", "abc123");
        auto res = test::call(h, std::move(req));
        CHECK(res.result() == http::status::ok);
        CHECK(body_of(res).at("user") == "11");
    }
    SECTION("an Authorization header wins over the cookie and needs no CSRF token") {
        auto req = with_cookie(http::verb::post, jar);
        req.set(http::field::authorization, "Bearer " + t.issuer.access(12).token);
        CHECK(body_of(test::call(h, std::move(req))).at("user") == "12");
    }
    SECTION("a bad cookie token is an invalid token") {
        auto res = test::call(h, with_cookie(http::verb::get, "access_token=junk"));
        CHECK(res.result() == http::status::unauthorized);
        CHECK(challenge(res).find(R"(error="invalid_token")") != std::string::npos);
    }
    SECTION("names are configurable, and several Cookie headers are read") {
        jwt::authenticate_options custom;
        custom.cookies.emplace();
        custom.cookies->access_cookie = "at";
        custom.cookies->csrf_cookie = "xsrf";
        custom.cookies->csrf_header = "X-XSRF-Token";
        auto h2 = stack(error_envelope<>{}, jwt::authenticate{t.verifier, custom}, jwt::enforce{})
                      .wrap(&whoami);
        auto req = test::make_request(http::verb::post, "/me");
        req.insert(http::field::cookie, "at=\"" + token + "\"");
        req.insert(http::field::cookie, "xsrf=q1w2e3");
        req.set("X-XSRF-Token", "q1w2e3");
        CHECK(body_of(test::call(h2, std::move(req))).at("user") == "11");
    }
    SECTION("without cookie options the cookie is ignored") {
        auto plain =
            stack(error_envelope<>{}, jwt::authenticate{t.verifier}, jwt::enforce{}).wrap(&whoami);
        CHECK(body_of(test::call(plain, with_cookie(http::verb::get, jar))).at("user") == "");
    }
}

TEST_CASE("authenticate with a store refuses tokens revoked per user or per family") {
    test::token_layer t;
    auto h = stack(error_envelope<>{}, jwt::authenticate{t.verifier, t.store}, jwt::enforce{})
                 .wrap(&whoami);
    auto before = t.issuer.access(21, {{"fam", "family-1"}}).token;
    auto other_family = t.issuer.access(21, {{"fam", "family-2"}}).token;
    CHECK(test::call(h, with_bearer(get(), before)).result() == http::status::ok);

    t.store.assign("family-revoked:family-1", 1, t.clock.now() + 1h);
    auto revoked = test::call(h, with_bearer(get(), before));
    CHECK(revoked.result() == http::status::unauthorized);
    CHECK(detail_of(revoked) == "Token has been revoked.");
    CHECK(test::call(h, with_bearer(get(), other_family)).result() == http::status::ok);

    // Log out everywhere at this second: tokens issued up to it are refused, later ones pass.
    auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(t.clock.now().time_since_epoch()).count();
    t.store.assign("user-revoked:21", now_s, t.clock.now() + 1h);
    CHECK(test::call(h, with_bearer(get(), other_family)).result() == http::status::unauthorized);
    t.clock.advance(1s);
    auto fresh = t.issuer.access(21).token;
    CHECK(test::call(h, with_bearer(get(), fresh)).result() == http::status::ok);
    // Another user is not affected.
    CHECK(test::call(h, with_bearer(get(), t.issuer.access(22).token)).result() ==
          http::status::ok);
}

TEST_CASE("authenticate reads the user id from a configurable claim") {
    test::token_layer t;
    jwt::authenticate_options o;
    o.user_id_claim = "sub";
    auto h =
        stack(error_envelope<>{}, jwt::authenticate{t.verifier, o}, jwt::enforce{}).wrap(&whoami);
    auto token = t.issuer.issue("access", 300s, {{"sub", "user-77"}}).token;
    CHECK(body_of(test::call(h, with_bearer(get(), token))).at("user") == "user-77");
    auto wrong = t.issuer.access(1).token; // has user_id, not sub
    CHECK(test::call(h, with_bearer(get(), wrong)).result() == http::status::unauthorized);
}

namespace {
// A verifier whose check is asynchronous, as one backed by a remote JWKS is.
struct async_verifier {
    const jwt::verifier<test::test_clock>* inner;
    asio::awaitable<jwt::verify_result> try_verify(std::string_view token) const {
        co_return inner->try_verify(token);
    }
};
static_assert(jwt::token_verifier<async_verifier>);
} // namespace

TEST_CASE("authenticate works with an asynchronous verifier") {
    test::token_layer t;
    async_verifier v{&t.verifier};
    auto h = stack(error_envelope<>{}, jwt::authenticate{v}, jwt::enforce{}).wrap(&whoami);
    CHECK(body_of(test::call(h, with_bearer(get(), t.issuer.access(8).token))).at("user") == "8");
    auto bad = test::call(h, with_bearer(get(), "a.b.c"));
    CHECK(bad.result() == http::status::unauthorized);
}
