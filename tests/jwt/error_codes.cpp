// jwt::error as a boost::system error code, verify_result as a boost::system::result, and the
// non-throwing try_ forms beside the throwing key and JWKS makers.
#include <rampart/jwt/jwks.hpp>
#include <rampart/jwt/verifier.hpp>

#include <rampart/jwt/issuer.hpp>

#include <boost/json/parse.hpp>
#include <boost/system/system_error.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <type_traits>

namespace jwt = rampart::jwt;

static_assert(boost::system::is_error_code_enum<jwt::error>::value);
static_assert(
    std::is_base_of_v<boost::system::result<jwt::verified_token, jwt::error>, jwt::verify_result>);

TEST_CASE("jwt::error converts to an error_code of the rampart.jwt category", "[jwt][errc]") {
    boost::system::error_code ec = jwt::error::bad_signature;
    CHECK(ec == jwt::error::bad_signature);
    CHECK(ec != jwt::error::expired);
    CHECK(ec.category() == jwt::error_category());
    CHECK(std::string(ec.category().name()) == "rampart.jwt");
    CHECK(ec.message() == "bad_signature");
    CHECK(jwt::make_error_code(jwt::error::expired).message() == "expired");
    CHECK(static_cast<bool>(ec));
    // No reason is zero: a default error_code is "no error", never a refusal.
    CHECK(static_cast<int>(jwt::error::too_large) != 0);
    boost::system::error_code none;
    CHECK(none != jwt::error::too_large);
    // Another category's code with the same number is not equal.
    CHECK(boost::system::error_code(static_cast<int>(jwt::error::expired),
                                    boost::system::generic_category()) != jwt::error::expired);
}

TEST_CASE("verify_result is a boost::system::result of the token or the reason", "[jwt][errc]") {
    const std::string secret(32, 'k');
    auto key = jwt::key::hs256(secret);
    jwt::issuer<> issuer{key};
    jwt::verifier<> verifier{jwt::key_set{key}};
    jwt::verifier<> other{jwt::key_set{jwt::key::hs256(std::string(32, 'x'))}};
    auto token = issuer.access(7).token;

    jwt::verify_result good = verifier.try_verify(token);
    REQUIRE(good.has_value());
    CHECK(good.ok());
    CHECK_FALSE(good.has_error());
    CHECK(good->user_id() == "7");
    CHECK((*good).user_id() == "7");

    jwt::verify_result bad = other.try_verify(token);
    REQUIRE_FALSE(bad.has_value());
    CHECK_FALSE(bad);
    CHECK(bad.error() == jwt::error::bad_signature);
    CHECK(bad.reason() == bad.error());
    boost::system::error_code ec = bad.error();
    CHECK(ec == jwt::error::bad_signature);
    // value() of a refusal is the 401 token_error with the reason, not a system_error (500).
    try {
        (void)bad.value();
        FAIL("value() did not throw");
    } catch (const jwt::token_error& e) {
        CHECK(e.reason() == jwt::error::bad_signature);
        CHECK(e.status() == rampart::http::status::unauthorized);
    }
    CHECK_THROWS_AS(other.verify(token), jwt::token_error);

    std::ostringstream out;
    out << good << ' ' << bad << ' ' << jwt::error::expired;
    CHECK(out.str() == "verified refused: bad_signature expired");
}

TEST_CASE("key::try_from_pem and try_from_jwk return the key or the key_error", "[jwt][errc]") {
    auto generated = jwt::key::generate(jwt::algorithm::es256, "k1");
    auto pem = generated.public_pem();

    auto good = jwt::key::try_from_pem(jwt::algorithm::es256, pem, "k1");
    REQUIRE(good.has_value());
    CHECK(good->kid() == "k1");
    CHECK_FALSE(good->can_sign());

    auto wrong_family = jwt::key::try_from_pem(jwt::algorithm::rs256, pem);
    REQUIRE(wrong_family.has_error());
    CHECK_THROWS_AS(wrong_family.value(), jwt::key_error);
    auto garbage = jwt::key::try_from_pem(jwt::algorithm::es256, "not a key");
    REQUIRE(garbage.has_error());
    CHECK_THAT(garbage.error().message, Catch::Contains("no usable PEM key"));
    CHECK_THROWS_AS(jwt::key::from_pem(jwt::algorithm::es256, "not a key"), jwt::key_error);

    auto jwk = jwt::key::try_from_jwk(generated.public_jwk());
    REQUIRE(jwk.has_value());
    CHECK(jwk->alg() == jwt::algorithm::es256);
    auto secret =
        jwt::key::try_from_jwk(boost::json::parse(R"({"kty":"oct","k":"AAAA"})").as_object());
    REQUIRE(secret.has_error());
    CHECK_THROWS_WITH(secret.value(), Catch::Contains("allow_symmetric"));
}

TEST_CASE("try_parse_jwks returns the key set or the jwks_error", "[jwt][errc]") {
    auto k = jwt::key::generate(jwt::algorithm::eddsa, "ed");
    std::string doc = R"({"keys":[)" + boost::json::serialize(k.public_jwk()) + "]}";
    auto good = jwt::try_parse_jwks(doc);
    REQUIRE(good.has_value());
    CHECK(good->find("ed") != nullptr);

    for (std::string_view bad : {"", "[]", R"({"keys":{}})", R"({"keys":[],"keys":[]})"}) {
        INFO(bad);
        auto r = jwt::try_parse_jwks(bad);
        REQUIRE(r.has_error());
        CHECK_FALSE(r.error().message.empty());
        CHECK_THROWS_AS(r.value(), jwt::jwks_error);
        CHECK_THROWS_AS(jwt::parse_jwks(bad), jwt::jwks_error);
    }
}
