#include <rampart/jwt/verifier.hpp>

#include <rampart/jwt/issuer.hpp>

#include "tokens_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <regex>
#include <set>
#include <thread>
#include <vector>

namespace jwt = rampart::jwt;
using namespace rampart::test::jwt;
using jwt::error;

namespace {

constexpr std::int64_t now_s = 1'700'000'000;
const std::string secret(32, 'k');

struct fixture {
    rampart::manual_clock clock{at(now_s)};
    jwt::key k = jwt::key::hs256(secret);
    jwt::verifier_options options;

    jwt::verifier<rampart::clock_ref<rampart::manual_clock>> verifier() const {
        return jwt::verifier{jwt::key_set{k}, options, rampart::clock_ref{clock}};
    }
    jwt::verify_result check(std::string_view token) const { return verifier().try_verify(token); }
    jwt::verify_result check(std::string_view header, std::string_view payload) const {
        return check(make_token(header, payload, k));
    }
    jwt::verify_result claims(std::string_view payload) const {
        return check(R"({"alg":"HS256","typ":"JWT"})", payload);
    }
};

std::string exp_in(std::int64_t seconds) {
    return R"({"exp":)" + std::to_string(now_s + seconds) + "}";
}

} // namespace

TEST_CASE("a good token verifies and exposes its header and claims", "[jwt]") {
    fixture f;
    auto r = f.claims(
        R"({"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"abc","user_id":42})");
    REQUIRE(r.ok());
    auto& t = r.value();
    CHECK(t.header.at("typ").as_string() == "JWT");
    CHECK(t.token_type() == "access");
    CHECK(t.jti() == "abc");
    CHECK(t.user_id() == "42");
    CHECK(t.expires_at() == at(1700000300));
    CHECK(t.issued_at() == at(now_s));
    CHECK(t.integer_claim("exp") == 1700000300);
    CHECK_FALSE(t.string_claim("exp"));
    CHECK_FALSE(t.integer_claim("jti"));
    CHECK(t.user_id("missing").empty());
}

TEST_CASE("structure: size cap, three parts, strict base64url", "[jwt]") {
    fixture f;
    std::string good = make_token(R"({"alg":"HS256"})", exp_in(60), f.k);
    REQUIRE(f.check(good).ok());

    SECTION("size is capped before anything is decoded") {
        f.options.max_token_size = good.size() - 1;
        CHECK(f.check(good).reason() == error::too_large);
        CHECK(f.check(std::string(100000, '.')).reason() == error::too_large);
        f.options.max_token_size = good.size();
        CHECK(f.check(good).ok());
    }
    SECTION("not three parts") {
        CHECK(f.check("").reason() == error::malformed);
        CHECK(f.check("abc").reason() == error::malformed);
        CHECK(f.check("a.b").reason() == error::malformed);
        CHECK(f.check(good + ".x").reason() == error::malformed);
        CHECK(f.check(good + ".").reason() == error::malformed);
    }
    SECTION("padding, foreign characters and white space are refused") {
        std::string header = b64(R"({"alg":"HS256"})"); // 15 bytes: 20 chars, no padding needed
        std::string padded = b64(R"({"alg":"HS256" })") + "=";
        CHECK(f.check(padded + good.substr(header.size())).reason() == error::bad_base64);
        CHECK(f.check("+" + good.substr(1)).reason() == error::bad_base64);
        CHECK(f.check(" " + good).reason() == error::bad_base64);
        std::string sig_with_slash = good.substr(0, good.rfind('.') + 1) + "ab/c";
        CHECK(f.check(sig_with_slash).reason() == error::bad_base64);
        CHECK(f.check(good + "=").reason() == error::bad_base64);
        // A part whose length is 1 mod 4 cannot be base64.
        CHECK(f.check(good + "AA").reason() == error::bad_base64);
    }
    SECTION("non-canonical encodings (non-zero trailing bits) are refused") {
        // The 32-byte HS256 signature is 43 characters; its last one carries 2 unused bits.
        auto dot = good.rfind('.');
        std::string sig = good.substr(dot + 1);
        REQUIRE(sig.size() == 43);
        std::string decoded = b64_decode(sig);
        REQUIRE(decoded.size() == 32);
        const std::string alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        auto last = alphabet.find(sig.back());
        std::string altered = sig;
        altered.back() = alphabet[last ^ 1]; // same decoded bytes before, a trailing bit set
        CHECK(f.check(good.substr(0, dot + 1) + altered).reason() == error::bad_base64);
    }
}

TEST_CASE("header and claims must be JSON objects without duplicate members", "[jwt]") {
    fixture f;
    CHECK(f.check("not json", exp_in(60)).reason() == error::bad_json);
    CHECK(f.check(R"(["alg","HS256"])", exp_in(60)).reason() == error::bad_json);
    CHECK(f.check(R"({"alg":"HS256"} x)", exp_in(60)).reason() == error::bad_json);
    CHECK(f.check(R"({"alg":"HS256",})", exp_in(60)).reason() == error::bad_json);
    CHECK(f.check(R"({"alg":"HS256"/*c*/})", exp_in(60)).reason() == error::bad_json);
    CHECK(f.check(R"({"alg":"HS256","alg":"HS256"})", exp_in(60)).reason() == error::duplicate_key);
    CHECK(f.check(R"({"alg":"none","alg":"HS256"})", exp_in(60)).reason() == error::duplicate_key);
    CHECK(f.claims(R"("just a string")").reason() == error::bad_json);
    CHECK(f.claims("\xff\xfe").reason() == error::bad_json);
    CHECK(f.claims(R"({"exp":1700000060,"exp":1900000000})").reason() == error::duplicate_key);
    CHECK(f.claims(R"({"exp":1700000060,"x":{"a":1,"a":2}})").reason() == error::duplicate_key);
    CHECK(f.claims(R"({"exp":1700000060,"x":[{"a":1},{"a":2}]})").ok());
    // Escapes that spell the same name are the same name.
    CHECK(f.claims(R"({"exp":1700000060,"ab":1,"a\u0062":2})").reason() == error::duplicate_key);
    std::string deep =
        R"({"exp":1700000060,"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
    CHECK(f.claims(deep).reason() == error::bad_json);
}

TEST_CASE("header checks: typ, alg, crit, kid", "[jwt]") {
    fixture f;
    auto e = exp_in(60);
    SECTION("typ, when present, is JWT") {
        CHECK(f.check(R"({"alg":"HS256","typ":"JWT"})", e).ok());
        CHECK(f.check(R"({"alg":"HS256","typ":"jwt"})", e).ok());
        CHECK(f.check(R"({"alg":"HS256","typ":"application/jwt"})", e).ok());
        CHECK(f.check(R"({"alg":"HS256","typ":"at+jwt"})", e).reason() == error::unsupported_typ);
        CHECK(f.check(R"({"alg":"HS256","typ":"JOSE"})", e).reason() == error::unsupported_typ);
        CHECK(f.check(R"({"alg":"HS256","typ":1})", e).reason() == error::malformed);
    }
    SECTION("alg none in any case is refused, even unsigned") {
        for (auto none : {"none", "None", "NONE", "nOnE"}) {
            std::string token =
                b64(std::string(R"({"alg":")") + none + R"("})") + "." + b64(e) + ".";
            CHECK(f.check(token).reason() == error::alg_none);
        }
    }
    SECTION("unknown, missing or mistyped alg") {
        CHECK(f.check(R"({"alg":"HS257"})", e).reason() == error::alg_not_allowed);
        CHECK(f.check(R"({"alg":"hs256"})", e).reason() == error::alg_not_allowed);
        CHECK(f.check(R"({"alg":"HS512"})", e).reason() == error::alg_not_allowed);
        CHECK(f.check(R"({"typ":"JWT"})", e).reason() == error::malformed);
        CHECK(f.check(R"({"alg":["HS256"]})", e).reason() == error::malformed);
    }
    SECTION("crit: only understood, present members") {
        CHECK(f.check(R"({"alg":"HS256","crit":["exp"],"exp":1})", e).reason() ==
              error::crit_unsupported);
        CHECK(f.check(R"({"alg":"HS256","crit":[]})", e).reason() == error::crit_unsupported);
        CHECK(f.check(R"({"alg":"HS256","crit":"b64","b64":false})", e).reason() ==
              error::crit_unsupported);
        f.options.understood_critical = {"tenant"};
        CHECK(f.check(R"({"alg":"HS256","crit":["tenant"],"tenant":"a"})", e).ok());
        CHECK(f.check(R"({"alg":"HS256","crit":["tenant"]})", e).reason() ==
              error::crit_unsupported);
        CHECK(f.check(R"({"alg":"HS256","crit":["tenant","b64"],"tenant":"a","b64":true})", e)
                  .reason() == error::crit_unsupported);
    }
    SECTION("keys offered by the token are ignored") {
        auto attacker = jwt::key::hs256(std::string(32, 'a'));
        std::string header = R"({"alg":"HS256","jwk":{"kty":"oct","k":")" +
                             b64(std::string(32, 'a')) + R"("},"jku":"https://evil.example/"})";
        CHECK(f.check(make_token(header, e, attacker)).reason() == error::bad_signature);
        CHECK(f.check(header, e).ok()); // signed with the real key: the extra members are inert
    }
}

TEST_CASE("key selection by kid, and rotation", "[jwt]") {
    rampart::manual_clock clock{at(now_s)};
    auto old_key = jwt::key::hs256(std::string(32, 'o'), "2024-01");
    auto new_key = jwt::key::hs256(std::string(32, 'n'), "2024-02");
    auto rs = jwt::key::generate(jwt::algorithm::rs256, "rsa-1");
    jwt::key_set keys{old_key, new_key, rs};
    jwt::verifier v{keys, {}, rampart::clock_ref{clock}};
    auto e = exp_in(60);

    CHECK(v.verify(make_token(R"({"alg":"HS256","kid":"2024-01"})", e, old_key)).kid == "2024-01");
    CHECK(v.verify(make_token(R"({"alg":"HS256","kid":"2024-02"})", e, new_key)).kid == "2024-02");
    CHECK(v.verify(make_token(R"({"alg":"RS256","kid":"rsa-1"})", e, rs)).kid == "rsa-1");
    // A kid naming another key, or none, is refused.
    CHECK(v.try_verify(make_token(R"({"alg":"HS256","kid":"2024-01"})", e, new_key)).reason() ==
          error::bad_signature);
    CHECK(v.try_verify(make_token(R"({"alg":"HS256","kid":"2023-12"})", e, old_key)).reason() ==
          error::unknown_kid);
    CHECK(v.try_verify(make_token(R"({"alg":"HS256","kid":7})", e, old_key)).reason() ==
          error::malformed);
    // A kid whose key has another algorithm is refused before any signature check.
    CHECK(v.try_verify(make_token(R"({"alg":"HS256","kid":"rsa-1"})", e, old_key)).reason() ==
          error::alg_not_allowed);
    // Without kid: every key of the alg is a candidate.
    CHECK(v.verify(make_token(R"({"alg":"HS256"})", e, new_key)).kid == "2024-02");

    // Retiring the old key.
    keys.remove("2024-01");
    jwt::verifier after{keys, {}, rampart::clock_ref{clock}};
    CHECK(after.try_verify(make_token(R"({"alg":"HS256","kid":"2024-01"})", e, old_key)).reason() ==
          error::unknown_kid);
    CHECK(after.try_verify(make_token(R"({"alg":"HS256"})", e, old_key)).reason() ==
          error::bad_signature);

    // A set without kids ignores the token's kid (simplejwt tokens carry none, PyJWT may).
    auto plain = jwt::key::hs256(secret);
    jwt::verifier no_kids{jwt::key_set{plain}, {}, rampart::clock_ref{clock}};
    CHECK(no_kids.try_verify(make_token(R"({"alg":"HS256","kid":"whatever"})", e, plain)).ok());
    CHECK_THROWS_AS(jwt::key_set({old_key, old_key}), jwt::key_error);
    CHECK(jwt::peek_kid(make_token(R"({"alg":"HS256","kid":"2024-02"})", e, new_key)) == "2024-02");
    CHECK(jwt::peek_kid("garbage").empty());
}

TEST_CASE("time claims with leeway: exact edges", "[jwt]") {
    fixture f;
    SECTION("exp: valid strictly before exp") {
        CHECK(f.claims(exp_in(1)).ok());
        CHECK(f.claims(exp_in(0)).reason() == error::expired);
        CHECK(f.claims(exp_in(-1)).reason() == error::expired);
        f.options.leeway = std::chrono::seconds{30};
        CHECK(f.claims(exp_in(-29)).ok());
        CHECK(f.claims(exp_in(-30)).reason() == error::expired);
        f.clock.advance(std::chrono::seconds{1});
        CHECK(f.claims(exp_in(-29)).reason() == error::expired);
    }
    SECTION("fractional exp") {
        CHECK(f.claims(R"({"exp":1700000000.5})").ok());
        CHECK(f.claims(R"({"exp":1699999999.9})").reason() == error::expired);
        CHECK(f.claims(R"({"exp":1e300})").ok());
        CHECK(f.claims(R"({"exp":-1e300})").reason() == error::expired);
    }
    SECTION("nbf: valid from nbf on") {
        CHECK(f.claims(R"({"exp":1800000000,"nbf":1700000000})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"nbf":1700000001})").reason() == error::not_yet_valid);
        f.options.leeway = std::chrono::seconds{5};
        CHECK(f.claims(R"({"exp":1800000000,"nbf":1700000005})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"nbf":1700000006})").reason() == error::not_yet_valid);
    }
    SECTION("iat: not in the future") {
        CHECK(f.claims(R"({"exp":1800000000,"iat":1700000000})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"iat":1700000001})").reason() ==
              error::issued_in_future);
        f.options.leeway = std::chrono::seconds{5};
        CHECK(f.claims(R"({"exp":1800000000,"iat":1700000005})").ok());
    }
    SECTION("numeric dates must be numbers") {
        CHECK(f.claims(R"({"exp":"1800000000"})").reason() == error::malformed);
        CHECK(f.claims(R"({"exp":true})").reason() == error::malformed);
        CHECK(f.claims(R"({"exp":null})").reason() == error::malformed);
        CHECK(f.claims(R"({"exp":1800000000,"nbf":[1]})").reason() == error::malformed);
        CHECK(f.claims(R"({"exp":1800000000,"iat":{}})").reason() == error::malformed);
        CHECK(f.claims(R"({"exp":18446744073709551615})").ok());
    }
    SECTION("exp is required by default, optional when configured") {
        CHECK(f.claims(R"({"user_id":1})").reason() == error::missing_claim);
        f.options.required_claims.clear();
        CHECK(f.claims(R"({"user_id":1})").ok());
    }
}

TEST_CASE("issuer, audience, required claims, token type", "[jwt]") {
    fixture f;
    SECTION("iss") {
        f.options.issuer = "https://auth.example";
        CHECK(f.claims(R"({"exp":1800000000,"iss":"https://auth.example"})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"iss":"https://evil.example"})").reason() ==
              error::bad_issuer);
        CHECK(f.claims(R"({"exp":1800000000})").reason() == error::bad_issuer);
        CHECK(f.claims(R"({"exp":1800000000,"iss":["https://auth.example"]})").reason() ==
              error::bad_issuer);
    }
    SECTION("aud as a string or an array") {
        f.options.audiences = {"api", "admin"};
        CHECK(f.claims(R"({"exp":1800000000,"aud":"api"})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"aud":["other","admin"]})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"aud":"other"})").reason() == error::bad_audience);
        CHECK(f.claims(R"({"exp":1800000000,"aud":[]})").reason() == error::bad_audience);
        CHECK(f.claims(R"({"exp":1800000000})").reason() == error::bad_audience);
        CHECK(f.claims(R"({"exp":1800000000,"aud":["api",1]})").reason() == error::malformed);
        CHECK(f.claims(R"({"exp":1800000000,"aud":7})").reason() == error::malformed);
    }
    SECTION("a token meant for an audience is refused where none is expected") {
        CHECK(f.claims(R"({"exp":1800000000,"aud":"api"})").reason() == error::bad_audience);
    }
    SECTION("required claims") {
        f.options.required_claims = {"exp", "jti", "user_id"};
        CHECK(f.claims(R"({"exp":1800000000,"jti":"a","user_id":1})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"jti":"a"})").reason() == error::missing_claim);
    }
    SECTION("token type") {
        f.options.token_type = "access";
        CHECK(f.claims(R"({"exp":1800000000,"token_type":"access"})").ok());
        CHECK(f.claims(R"({"exp":1800000000,"token_type":"refresh"})").reason() ==
              error::wrong_token_type);
        CHECK(f.claims(R"({"exp":1800000000})").reason() == error::wrong_token_type);
        f.options.token_type_claim = "typ";
        CHECK(f.claims(R"({"exp":1800000000,"typ":"access"})").ok());
    }
}

TEST_CASE("verify throws a 401 token_error carrying the reason", "[jwt]") {
    fixture f;
    auto v = f.verifier();
    try {
        v.verify(make_token(R"({"alg":"HS256"})", exp_in(-5), f.k));
        FAIL("expected a token_error");
    } catch (const jwt::token_error& e) {
        CHECK(e.reason() == error::expired);
        CHECK(e.status_code() == 401);
        CHECK(e.code() == "token_not_valid");
        CHECK(e.detail() == "Token is expired.");
    }
    auto r = v.try_verify("x.y.z");
    CHECK_FALSE(r);
    CHECK_THROWS_AS(r.value(), rampart::authentication_failed);
    // Every reason has its own name.
    std::set<std::string_view> names;
    for (int i = 0; i <= static_cast<int>(error::wrong_token_type); ++i)
        names.insert(jwt::to_string(static_cast<error>(i)));
    CHECK(names.size() == static_cast<std::size_t>(error::wrong_token_type) + 1);
    CHECK(jwt::message(error::bad_signature) == jwt::message(error::unknown_kid));
}

TEST_CASE("issuer: simplejwt's wire format", "[jwt]") {
    rampart::manual_clock clock{at(now_s)};
    auto k = jwt::key::hs256(secret);
    jwt::issuer iss{k, {}, rampart::clock_ref{clock}};
    auto access = iss.access(42);
    auto parts_end = access.token.find('.');
    CHECK(b64_decode(access.token.substr(0, parts_end)) == R"({"alg":"HS256","typ":"JWT"})");
    auto payload_end = access.token.rfind('.');
    std::string payload =
        b64_decode(access.token.substr(parts_end + 1, payload_end - parts_end - 1));
    CHECK(payload == R"({"token_type":"access","exp":1700000300,"iat":1700000000,"jti":")" +
                         access.jti + R"(","user_id":42})");
    CHECK(std::regex_match(access.jti, std::regex("[0-9a-f]{32}")));
    CHECK(access.issued_at == at(now_s));
    CHECK(access.expires_at == at(now_s + 300));

    auto refresh = iss.refresh("u-1");
    CHECK(refresh.jti != access.jti);
    CHECK(refresh.expires_at == at(now_s + 86400));

    jwt::verifier_options o;
    o.token_type = "refresh";
    o.required_claims = {"exp", "iat", "jti", "user_id"};
    jwt::verifier v{jwt::key_set{k}, o, rampart::clock_ref{clock}};
    auto t = v.verify(refresh.token);
    CHECK(t.user_id() == "u-1");
    CHECK(t.jti() == refresh.jti);
    CHECK(v.try_verify(access.token).reason() == error::wrong_token_type);
    clock.advance(std::chrono::seconds{86400});
    CHECK(v.try_verify(refresh.token).reason() == error::expired);
}

TEST_CASE("issuer: options, kid header, overrides, extra claims", "[jwt]") {
    rampart::manual_clock clock{at(now_s)};
    auto k = jwt::key::generate(jwt::algorithm::es256, "ec-1");
    jwt::issuer_options o;
    o.access_lifetime = std::chrono::seconds{60};
    o.user_id_claim = "sub";
    o.issuer = "https://auth.example";
    o.audiences = {"api"};
    jwt::issuer iss{k, o, rampart::clock_ref{clock}};
    auto a = iss.access("alice", {{"scope", "read"}});
    CHECK(b64_decode(a.token.substr(0, a.token.find('.'))) ==
          R"({"alg":"ES256","kid":"ec-1","typ":"JWT"})");
    jwt::verifier_options vo;
    vo.issuer = "https://auth.example";
    vo.audiences = {"api"};
    vo.token_type = "access";
    jwt::verifier v{jwt::key_set{k}, vo, rampart::clock_ref{clock}};
    auto t = v.verify(a.token);
    CHECK(t.user_id("sub") == "alice");
    CHECK(t.string_claim("scope") == "read");
    CHECK(t.expires_at() == at(now_s + 60));

    // A standard claim given explicitly wins (a derived token keeping its parent's exp).
    auto kept =
        iss.issue("access", std::chrono::seconds{60}, {{"exp", now_s + 10}, {"jti", "fixed"}});
    CHECK(kept.expires_at == at(now_s + 10));
    CHECK(kept.jti == "fixed");
    CHECK(v.verify(kept.token).jti() == "fixed");

    // Several audiences become an array.
    o.audiences = {"api", "admin"};
    jwt::issuer multi{k, o, rampart::clock_ref{clock}};
    CHECK(v.verify(multi.access(1).token).claims.at("aud").is_array());

    // sign() signs exactly what it is given.
    std::string raw = iss.sign({{"exp", now_s + 5}});
    CHECK(b64_decode(raw.substr(raw.find('.') + 1, raw.rfind('.') - raw.find('.') - 1)) ==
          R"({"exp":1700000005})");

    // An issuer needs a key that can sign.
    auto pub = jwt::key::from_pem(jwt::algorithm::es256, k.public_pem());
    CHECK_THROWS_AS(jwt::issuer<>(pub), jwt::key_error);
}

TEST_CASE("verifiers and keys are safe to share between threads", "[jwt][concurrency]") {
    rampart::manual_clock clock{at(now_s)};
    // Every kind of key: HMAC (a keyed MAC context duplicated per use), RSA and ECDSA (a
    // prepared verify context copied per use), Ed25519 (set up per use).
    std::vector<jwt::key> keys{jwt::key::hs256(secret), jwt::key::generate(jwt::algorithm::rs256),
                               jwt::key::generate(jwt::algorithm::es256),
                               jwt::key::generate(jwt::algorithm::eddsa)};
    jwt::key_set set;
    std::vector<std::string> tokens;
    for (const auto& k : keys) {
        set.add(k);
        tokens.push_back(jwt::issuer{k, {}, rampart::clock_ref{clock}}.access(1).token);
    }
    jwt::verifier v{set, {}, rampart::clock_ref{clock}};
    std::string forged = tokens[1];
    forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
    std::atomic<int> good{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&, i] {
            jwt::issuer own{keys[static_cast<std::size_t>(i)], {}, rampart::clock_ref{clock}};
            for (int n = 0; n < 50; ++n) {
                for (const auto& t : tokens)
                    good += v.try_verify(t).ok() ? 1 : 0;
                good += v.try_verify(own.access(n).token).ok() ? 1 : 0;
                refused += v.try_verify(forged).ok() ? 0 : 1;
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(good == 4 * 50 * 5);
    CHECK(refused == 4 * 50);
}
