// Security checks on the components themselves: JWT algorithm confusion and `alg: none`, the
// token size cap, every single-bit change of a signed token, and X-Forwarded-For spoofing
// against the throttle's client key.

#include <rampart/jwt/verifier.hpp>

#include <rampart/core/context.hpp>
#include <rampart/detail/base64url.hpp>
#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/key.hpp>
#include <rampart/jwt/key_set.hpp>
#include <rampart/throttle/client_ip.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace jwt = rampart::jwt;
using rampart::context;
using rampart::request;

namespace {

std::string b64(std::string_view raw) {
    return rampart::detail::base64url_encode(raw);
}

std::string unsigned_token(std::string_view alg) {
    return b64(R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})") + '.' +
           b64(R"({"token_type":"access","exp":4102444800,"user_id":1})") + '.';
}

/// Every single-bit change of `token` is refused, for every byte.
void every_bit_flip_is_refused(const jwt::verifier<>& verifier, const std::string& token) {
    REQUIRE(verifier.try_verify(token).ok());
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < token.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            std::string tampered = token;
            tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
            if (verifier.try_verify(tampered).ok()) {
                ++accepted;
                UNSCOPED_INFO("accepted: byte " << i << " bit " << bit);
            }
        }
    CHECK(accepted == 0);
}

context request_from(std::string_view peer, std::vector<std::string> forwarded_for) {
    request req{rampart::http::verb::get, "/api/v1/products/", 11};
    for (auto& line : forwarded_for)
        req.insert("X-Forwarded-For", line);
    return context{std::move(req), {boost::asio::ip::make_address(peer), 40000}};
}

} // namespace

TEST_CASE("an HS256 token signed with the RSA public key as secret is refused", "[security]") {
    jwt::key rsa = jwt::key::generate(jwt::algorithm::rs256);
    jwt::verifier<> verifier{jwt::key_set{rsa}};
    std::string pem = rsa.public_pem();
    REQUIRE(pem.find("PUBLIC KEY") != std::string::npos);

    // The attacker knows the public key and signs with it as an HMAC secret.
    jwt::issuer<> forger{jwt::key::hs256(pem)};
    auto forged = verifier.try_verify(forger.access(1).token);
    REQUIRE_FALSE(forged.ok());
    CHECK(forged.reason() == jwt::error::alg_not_allowed);

    // The same with the public key's DER-free variants an attacker might try.
    for (std::string secret : {pem.substr(0, pem.size() - 1), pem + "\n"}) {
        jwt::issuer<> variant{jwt::key::hs256(secret)};
        CHECK_FALSE(verifier.try_verify(variant.access(1).token).ok());
    }
    // A genuine RS256 token still verifies.
    jwt::issuer<> genuine{rsa};
    CHECK(verifier.try_verify(genuine.access(1).token).ok());
}

TEST_CASE("alg none is refused in every spelling, with or without a signature", "[security]") {
    jwt::verifier<> hmac{jwt::key_set{jwt::key::hs256("0123456789abcdef0123456789abcdef")}};
    jwt::verifier<> rsa{jwt::key_set{jwt::key::generate(jwt::algorithm::rs256)}};
    for (std::string alg : {"none", "None", "NONE", "nOnE"}) {
        for (const auto* verifier : {&hmac, &rsa}) {
            auto bare = verifier->try_verify(unsigned_token(alg));
            REQUIRE_FALSE(bare.ok());
            CHECK(bare.reason() == jwt::error::alg_none);
            CHECK_FALSE(verifier->try_verify(unsigned_token(alg) + b64("x")).ok());
        }
    }
}

TEST_CASE("a token over the size cap is refused before any decoding", "[security]") {
    jwt::verifier<> verifier{jwt::key_set{jwt::key::hs256("0123456789abcdef0123456789abcdef")}};
    std::string huge = unsigned_token("HS256") + std::string(8192, 'A');
    auto result = verifier.try_verify(huge);
    REQUIRE_FALSE(result.ok());
    CHECK(result.reason() == jwt::error::too_large);
    // Even a validly signed token is refused once it exceeds the cap.
    jwt::issuer<> issuer{jwt::key::hs256("0123456789abcdef0123456789abcdef")};
    boost::json::object padding{{"pad", std::string(9000, 'x')}};
    auto big = verifier.try_verify(issuer.access(1, padding).token);
    REQUIRE_FALSE(big.ok());
    CHECK(big.reason() == jwt::error::too_large);
}

TEST_CASE("every single-bit change of a signed token is refused", "[security]") {
    SECTION("HS256") {
        jwt::key key = jwt::key::hs256("0123456789abcdef0123456789abcdef");
        every_bit_flip_is_refused(jwt::verifier<>{jwt::key_set{key}},
                                  jwt::issuer<>{key}.access(42).token);
    }
    SECTION("RS256") {
        jwt::key key = jwt::key::generate(jwt::algorithm::rs256);
        every_bit_flip_is_refused(jwt::verifier<>{jwt::key_set{key}},
                                  jwt::issuer<>{key}.access(42).token);
    }
    SECTION("ES256") {
        jwt::key key = jwt::key::generate(jwt::algorithm::es256);
        every_bit_flip_is_refused(jwt::verifier<>{jwt::key_set{key}},
                                  jwt::issuer<>{key}.access(42).token);
    }
}

TEST_CASE("X-Forwarded-For cannot choose the throttle key", "[security]") {
    SECTION("no trusted proxy: the header is ignored, whatever it says") {
        rampart::throttle::client_ip_resolver resolver{{.trusted_proxies = 0}};
        for (auto lines :
             std::vector<std::vector<std::string>>{{"198.51.100.1"},
                                                   {"198.51.100.1, 198.51.100.2"},
                                                   {"198.51.100.1", "198.51.100.2"},
                                                   {"unknown"},
                                                   {"2001:db8::1"},
                                                   {std::string(4000, ',') + "198.51.100.3"}}) {
            auto ctx = request_from("203.0.113.7", lines);
            CHECK(resolver.key(ctx) == "ip:203.0.113.7");
        }
    }
    SECTION("one trusted proxy: only the member it appended counts") {
        rampart::throttle::client_ip_resolver resolver{{.trusted_proxies = 1}};
        // The proxy (the socket peer 10.0.0.1) appended 198.51.100.9; the client wrote the rest.
        auto spoofed = request_from("10.0.0.1", {"1.1.1.1, 2.2.2.2, 198.51.100.9"});
        CHECK(resolver.key(spoofed) == "ip:198.51.100.9");
        auto split = request_from("10.0.0.1", {"1.1.1.1", "198.51.100.9"});
        CHECK(resolver.key(split) == "ip:198.51.100.9");
        // Different spoofed prefixes: still the same key, so the client shares one bucket.
        CHECK(resolver.key(request_from("10.0.0.1", {"9.9.9.9, 198.51.100.9"})) ==
              resolver.key(request_from("10.0.0.1", {"8.8.8.8, 198.51.100.9"})));
        // Garbage where the proxy's member should be, or no header: the proxy's own address.
        CHECK(resolver.key(request_from("10.0.0.1", {"1.1.1.1, not-an-ip"})) == "ip:10.0.0.1");
        CHECK(resolver.key(request_from("10.0.0.1", {})) == "ip:10.0.0.1");
    }
}
