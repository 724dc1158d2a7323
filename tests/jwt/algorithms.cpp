#include <rampart/jwt/key.hpp>

#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/verifier.hpp>

#include "tokens_support.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <openssl/core_names.h>
#include <openssl/rsa.h>

namespace jwt = rampart::jwt;
using namespace rampart::test::jwt;

namespace {

// RFC 7515 Appendix A: the claims every example signs (with its CR LF white space).
constexpr std::string_view rfc_payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6L"
                                         "y9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
// One second before the examples' exp (2011-03-22T18:43:00Z).
const rampart::manual_clock rfc_time{at(1300819379)};

jwt::verifier<rampart::clock_ref<rampart::manual_clock>> rfc_verifier(jwt::key k) {
    return jwt::verifier{jwt::key_set{std::move(k)}, jwt::verifier_options{},
                         rampart::clock_ref{rfc_time}};
}

void check_rfc_claims(const jwt::verified_token& t) {
    CHECK(t.string_claim("iss") == "joe");
    CHECK(t.integer_claim("exp") == 1300819380);
    CHECK(t.claims.at("http://example.com/is_root").as_bool());
}

jwt::key jwk(std::string_view text, jwt::jwk_options o = {}) {
    return jwt::key::from_jwk(boost::json::parse(text).as_object(), o);
}

} // namespace

TEST_CASE("RFC 7515 A.1: HS256 example verifies, and signing reproduces its MAC", "[jwt][rfc]") {
    jwt::jwk_options o;
    o.allow_symmetric = true;
    auto k = jwk(R"({"kty":"oct","alg":"HS256",
        "k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})",
                 o);
    std::string input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + std::string(rfc_payload);
    std::string token = input + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    auto t = rfc_verifier(k).verify(token);
    check_rfc_claims(t);
    CHECK(t.alg == jwt::algorithm::hs256);
    CHECK(b64(k.sign(input)) == "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    // The same MAC one bit off fails.
    CHECK(rfc_verifier(k)
              .try_verify(input + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXg")
              .reason() == jwt::error::bad_signature);
}

TEST_CASE("RFC 7515 A.2: RS256 example verifies with the public JWK", "[jwt][rfc]") {
    auto k = jwk(R"({"kty":"RSA","e":"AQAB",
        "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})");
    CHECK(k.alg() == jwt::algorithm::rs256);
    CHECK_FALSE(k.can_sign());
    std::string token = "eyJhbGciOiJSUzI1NiJ9." + std::string(rfc_payload) +
                        ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
                        "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
                        "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
                        "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
                        "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
                        "p0igcN_IoypGlUPQGe77Rw";
    check_rfc_claims(rfc_verifier(k).verify(token));
    CHECK_THROWS_AS(k.sign("x"), jwt::key_error);
}

TEST_CASE("RFC 7515 A.3: ES256 example verifies (raw R||S)", "[jwt][rfc]") {
    auto k = jwk(R"({"kty":"EC","crv":"P-256",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
    CHECK(k.alg() == jwt::algorithm::es256);
    std::string input = "eyJhbGciOiJFUzI1NiJ9." + std::string(rfc_payload);
    std::string sig =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    check_rfc_claims(rfc_verifier(k).verify(input + "." + sig));
    // A signature of the wrong length (one byte short, or DER) never verifies.
    std::string raw = b64_decode(sig);
    CHECK_FALSE(k.verify(input, raw.substr(1)));
    CHECK_FALSE(k.verify(input, raw + '\0'));
}

TEST_CASE("RFC 7515 A.4: ES512 example verifies", "[jwt][rfc]") {
    auto k = jwk(R"({"kty":"EC","crv":"P-521",
        "x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
        "y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"})");
    CHECK(k.alg() == jwt::algorithm::es512);
    // Its payload is the text "Payload", not claims: check the signature itself.
    CHECK(k.verify("eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA",
                   b64_decode("AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZq"
                              "wqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8Kp"
                              "EHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn")));
}

TEST_CASE("RFC 8037 A.4: Ed25519 example verifies, and signing reproduces it", "[jwt][rfc]") {
    const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    const std::string sig =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    auto pub =
        jwk(R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
    CHECK(pub.alg() == jwt::algorithm::eddsa);
    CHECK(pub.verify(input, b64_decode(sig)));
    CHECK_FALSE(pub.verify(input + "x", b64_decode(sig)));

    // The private key d, through PEM, signs the same bytes (Ed25519 is deterministic).
    std::string d = b64_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    EVP_PKEY* raw = EVP_PKEY_new_raw_private_key_ex(
        nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(d.data()), d.size());
    REQUIRE(raw);
    auto priv = jwt::key::from_pem(jwt::algorithm::eddsa, generated_pem(raw, true));
    EVP_PKEY_free(raw);
    CHECK(b64(priv.sign(input)) == sig);
    CHECK(priv.public_jwk().at("x") == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
}

TEST_CASE("every algorithm signs and verifies its own tokens, and only its own", "[jwt]") {
    const jwt::algorithm all[] = {
        jwt::algorithm::hs256, jwt::algorithm::hs384, jwt::algorithm::hs512, jwt::algorithm::rs256,
        jwt::algorithm::rs384, jwt::algorithm::rs512, jwt::algorithm::ps256, jwt::algorithm::ps384,
        jwt::algorithm::ps512, jwt::algorithm::es256, jwt::algorithm::es384, jwt::algorithm::es512,
        jwt::algorithm::eddsa};
    rampart::manual_clock clock{at(1'700'000'000)};
    for (auto alg : all) {
        INFO(jwt::name(alg));
        auto k = jwt::key::generate(alg, "k1");
        CHECK(k.alg() == alg);
        CHECK(k.can_sign());
        jwt::issuer iss{k, {}, rampart::clock_ref{clock}};
        auto issued = iss.access(7);
        jwt::verifier v{jwt::key_set{k}, {}, rampart::clock_ref{clock}};
        auto t = v.verify(issued.token);
        CHECK(t.alg == alg);
        CHECK(t.kid == "k1");
        CHECK(t.header.at("alg").as_string() == jwt::name(alg));
        CHECK(t.user_id() == "7");

        // The signature is over the exact bytes: change one claim byte and it fails.
        std::string tampered = issued.token;
        auto dot = tampered.find('.');
        tampered[dot + 3] = tampered[dot + 3] == 'A' ? 'B' : 'A';
        auto r = v.try_verify(tampered);
        CHECK_FALSE(r.ok());

        // Another key of the same algorithm (same kid) refuses it.
        jwt::verifier other{
            jwt::key_set{jwt::key::generate(alg, "k1")}, {}, rampart::clock_ref{clock}};
        CHECK(other.try_verify(issued.token).reason() == jwt::error::bad_signature);

        if (!k.symmetric()) {
            // The public half alone verifies.
            auto pub = jwt::key::from_pem(alg, k.public_pem(), "k1");
            CHECK_FALSE(pub.can_sign());
            CHECK(jwt::verifier{jwt::key_set{pub}, {}, rampart::clock_ref{clock}}
                      .try_verify(issued.token)
                      .ok());
            // And the private PEM round-trips.
            CHECK(jwt::key::from_pem(alg, k.private_pem()).can_sign());
        }
    }
}

TEST_CASE("PEM keys: formats, and keys that do not fit their algorithm", "[jwt]") {
    using jwt::algorithm;
    SECTION("PKCS#8 private, SPKI public, traditional EC, and a certificate") {
        auto priv = jwt::key::from_pem(algorithm::rs256, rsa_pem(2048));
        CHECK(priv.can_sign());
        auto pub = jwt::key::from_pem(algorithm::rs256, priv.public_pem());
        CHECK_FALSE(pub.can_sign());
        CHECK(pub.verify("abc", priv.sign("abc")));

        EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        BIO* bio = BIO_new(BIO_s_mem());
        REQUIRE(
            PEM_write_bio_PrivateKey_traditional(bio, ec, nullptr, nullptr, 0, nullptr, nullptr));
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        std::string traditional(data, static_cast<std::size_t>(len));
        BIO_free(bio);
        CHECK(traditional.find("BEGIN EC PRIVATE KEY") != std::string::npos);
        CHECK(jwt::key::from_pem(algorithm::es256, traditional).can_sign());

        // A self-signed certificate's public key.
        X509* cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, ec);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("issuer"), -1, -1, 0);
        X509_set_issuer_name(cert, X509_get_subject_name(cert));
        REQUIRE(X509_sign(cert, ec, EVP_sha256()) > 0);
        bio = BIO_new(BIO_s_mem());
        PEM_write_bio_X509(bio, cert);
        len = BIO_get_mem_data(bio, &data);
        std::string cert_pem(data, static_cast<std::size_t>(len));
        BIO_free(bio);
        X509_free(cert);
        auto from_cert = jwt::key::from_pem(algorithm::es256, cert_pem);
        CHECK_FALSE(from_cert.can_sign());
        CHECK(
            from_cert.verify("abc", jwt::key::from_pem(algorithm::es256, traditional).sign("abc")));
        EVP_PKEY_free(ec);
    }
    SECTION("RSA under 2048 bits is refused") {
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::rs256, rsa_pem(1024)), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::ps256, rsa_pem(1024, false)), jwt::key_error);
    }
    SECTION("the wrong family or curve is refused") {
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::es256, ec_pem("P-384")), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::es384, ec_pem("P-256")), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::rs256, ec_pem("P-256")), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::eddsa, rsa_pem(2048)), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::es256, ed25519_pem()), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::hs256, rsa_pem(2048)), jwt::key_error);
    }
    SECTION("garbage and encrypted PEM are refused without prompting") {
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::rs256, "not a key"), jwt::key_error);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::rs256, ""), jwt::key_error);
        EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
        BIO* bio = BIO_new(BIO_s_mem());
        char pass[] = "passphrase";
        REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio, rsa, EVP_aes_256_cbc(), pass, sizeof pass - 1,
                                              nullptr, nullptr));
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        std::string encrypted(data, static_cast<std::size_t>(len));
        BIO_free(bio);
        EVP_PKEY_free(rsa);
        CHECK_THROWS_AS(jwt::key::from_pem(algorithm::rs256, encrypted), jwt::key_error);
    }
}

TEST_CASE("HMAC secrets: never empty, at least the hash size unless allowed", "[jwt]") {
    using jwt::algorithm;
    CHECK_THROWS_AS(jwt::key::hmac(algorithm::hs256, ""), jwt::key_error);
    CHECK_THROWS_AS(jwt::key::hmac(algorithm::hs256, "", {}, jwt::secret_policy::allow_short),
                    jwt::key_error);
    CHECK_THROWS_AS(jwt::key::hs256(std::string(31, 'x')), jwt::key_error);
    CHECK_NOTHROW(jwt::key::hs256(std::string(32, 'x')));
    CHECK_THROWS_AS(jwt::key::hmac(algorithm::hs512, std::string(63, 'x')), jwt::key_error);
    CHECK_NOTHROW(jwt::key::hmac(algorithm::hs512, std::string(64, 'x')));
    auto weak = jwt::key::hs256("secret", {}, jwt::secret_policy::allow_short);
    CHECK(weak.verify("abc", weak.sign("abc")));
    // An HMAC key is made only for an HMAC algorithm, and exports nothing.
    CHECK_THROWS_AS(jwt::key::hmac(algorithm::rs256, std::string(64, 'x')), jwt::key_error);
    CHECK_THROWS_AS(weak.public_jwk(), jwt::key_error);
    CHECK_THROWS_AS(weak.public_pem(), jwt::key_error);
    CHECK_THROWS_AS(weak.private_pem(), jwt::key_error);
    // Tags of the wrong length fail without reading past them.
    std::string tag = weak.sign("abc");
    CHECK_FALSE(weak.verify("abc", tag.substr(0, 16)));
    CHECK_FALSE(weak.verify("abc", tag + "x"));
    CHECK_FALSE(weak.verify("abc", ""));
}

TEST_CASE("algorithm confusion: a public key is never used as an HMAC secret", "[jwt]") {
    rampart::manual_clock clock{at(1'700'000'000)};
    auto rsa = jwt::key::generate(jwt::algorithm::rs256);
    auto pub = jwt::key::from_pem(jwt::algorithm::rs256, rsa.public_pem());
    // The classic attack: sign an HS256 token with the public key's PEM text as the secret.
    auto forged_key = jwt::key::hs256(pub.public_pem());
    std::string forged = make_token(R"({"alg":"HS256","typ":"JWT"})",
                                    R"({"user_id":1,"exp":1800000000})", forged_key);
    jwt::verifier v{jwt::key_set{pub}, {}, rampart::clock_ref{clock}};
    CHECK(v.try_verify(forged).reason() == jwt::error::alg_not_allowed);
    // The same for a token claiming RS256 on an HMAC verifier.
    auto secret = jwt::key::hs256(std::string(32, 's'));
    jwt::verifier hv{jwt::key_set{secret}, {}, rampart::clock_ref{clock}};
    std::string rs = make_token(R"({"alg":"RS256"})", R"({"exp":1800000000})", rsa);
    CHECK(hv.try_verify(rs).reason() == jwt::error::alg_not_allowed);
    // RS256 and PS256 share RSA keys but a key serves only its own algorithm.
    std::string ps = make_token(R"({"alg":"PS256"})", R"({"exp":1800000000})",
                                jwt::key::from_pem(jwt::algorithm::ps256, rsa.private_pem()));
    CHECK(v.try_verify(ps).reason() == jwt::error::alg_not_allowed);
}

TEST_CASE("PS256 checks the salt length is the hash length", "[jwt]") {
    auto k = jwt::key::generate(jwt::algorithm::ps256);
    std::string input = "header.payload";
    CHECK(k.verify(input, k.sign(input)));
    // A PSS signature with a 20-byte salt is valid RSA-PSS but not PS256 (RFC 7518 3.5).
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, k.native_handle()) == 1);
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20);
    std::size_t len = 0;
    auto data = reinterpret_cast<const unsigned char*>(input.data());
    REQUIRE(EVP_DigestSign(ctx, nullptr, &len, data, input.size()) == 1);
    std::string sig(len, '\0');
    REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                           input.size()) == 1);
    EVP_MD_CTX_free(ctx);
    CHECK_FALSE(k.verify(input, sig));
}

TEST_CASE("algorithm names", "[jwt]") {
    CHECK(jwt::algorithm_from_name("HS256") == jwt::algorithm::hs256);
    CHECK(jwt::algorithm_from_name("EdDSA") == jwt::algorithm::eddsa);
    CHECK_FALSE(jwt::algorithm_from_name("hs256"));
    CHECK_FALSE(jwt::algorithm_from_name("none"));
    CHECK_FALSE(jwt::algorithm_from_name("ES256K"));
    CHECK(jwt::family(jwt::algorithm::ps384) == jwt::key_family::rsa);
    CHECK(jwt::hash_size(jwt::algorithm::es384) == 48);
}
