#include <rampart/detail/hmac.hpp>

#include <rampart/detail/ascii.hpp>

#include <catch2/catch.hpp>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace d = rampart::detail;

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += d::hex_digits[p[i] >> 4];
        out += d::hex_digits[p[i] & 15];
    }
    return out;
}

std::string tag(const d::hmac& mac, std::initializer_list<std::string_view> parts) {
    unsigned char out[d::hmac::max_size];
    REQUIRE(mac.sign(parts, out));
    return hex(out, mac.size());
}

} // namespace

// Expected tags: RFC 4231 test cases 2 and 6 (and `openssl dgst -mac HMAC` for the others).
TEST_CASE("hmac matches RFC 4231 for SHA-256, SHA-384 and SHA-512", "[detail]") {
    d::hmac sha256("SHA256", "Jefe"), sha384("SHA384", "Jefe"), sha512("SHA512", "Jefe");
    CHECK(sha256.size() == 32);
    CHECK(sha384.size() == 48);
    CHECK(sha512.size() == 64);
    CHECK(tag(sha256, {"what do ya want for nothing?"}) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(tag(sha384, {"what do ya want ", "for nothing?"}) ==
          "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ec"
          "fab21649");
    CHECK(tag(sha512, {"what do ya ", "want for ", "nothing?"}) ==
          "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f"
          "65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST_CASE("hmac hashes a key longer than the block and pads one exactly a block long", "[detail]") {
    // SHA-512's block is 128 bytes: 131 is hashed first, 128 is used as is.
    d::hmac longer("SHA512", std::string(131, '\xaa'));
    CHECK(tag(longer, {"Test Using Larger Than Block-Size Key - Hash Key First"}) ==
          "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2"
          "215d6a1e5295e64f73f63f0aec8b915a985d786598");
    d::hmac block("SHA512", std::string(128, '\xaa'));
    CHECK(tag(block, {"abc"}) ==
          "92cc1e875510916b8f80a8f09db8c48769e2c248c917eb7ed03b7df45fe61e"
          "48019e2d035fa4a910391b7f7387b535d350f9c16cb346ab578d199ab6e559f960");
}

TEST_CASE("hmac signs the same way every time and refuses unknown digests", "[detail]") {
    d::hmac mac("SHA256", "k");
    CHECK(tag(mac, {"a", "b"}) == tag(mac, {"ab"})); // parts are concatenated
    CHECK(tag(mac, {"ab"}) != tag(d::hmac("SHA256", "K"), {"ab"}));
    CHECK_THROWS_AS(d::hmac("NO-SUCH-DIGEST", "k"), std::runtime_error);
}

TEST_CASE("hmac_sha256 gives a fixed-size tag and tags_equal compares all of it", "[detail]") {
    d::hmac_sha256 mac("Jefe");
    auto t = mac.sign({"what do ya want for nothing?"});
    CHECK(hex(t.data(), t.size()) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    auto u = t;
    CHECK(d::tags_equal(t.data(), u.data(), t.size()));
    u.back() ^= 1;
    CHECK_FALSE(d::tags_equal(t.data(), u.data(), t.size()));
}
