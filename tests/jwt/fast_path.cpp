// The verifier's fast paths (issue 13): prepared HMAC states, decoding on the stack, the plain
// header recognised as text, and header and claims built in the caller's memory. Each must
// refuse exactly what the full path refuses, and the success path must not touch the heap.

#include <rampart/jwt/verifier.hpp>

#include <rampart/detail/base64url.hpp>
#include <rampart/detail/hmac.hpp>
#include <rampart/detail/strict_json.hpp>
#include <rampart/jwt/issuer.hpp>

#include "tokens_support.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <openssl/hmac.h>

#include <cstdlib>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

// Counts this thread's allocations, so a test can show that a call made none. Every
// replaceable non-aligned form is replaced, so that no block is taken from one allocator and
// given back to another: with only the plain forms replaced, a block from one of ASan's own
// forms met the free() below at start-up (ASan: alloc-dealloc-mismatch).
// ThreadSanitizer's runtime defines these operators itself (a second definition does not
// link), so under TSan nothing is counted and the allocation checks below are skipped.
#if defined(__SANITIZE_THREAD__)
#define RAMPART_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RAMPART_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef RAMPART_COUNT_ALLOCATIONS
#define RAMPART_COUNT_ALLOCATIONS 1
#endif

namespace {
constexpr bool counting_allocations = RAMPART_COUNT_ALLOCATIONS != 0;
thread_local std::size_t allocations = 0;
} // namespace

#if RAMPART_COUNT_ALLOCATIONS
namespace {
void* counted_allocation(std::size_t n) noexcept {
    ++allocations;
    return std::malloc(n ? n : 1);
}
} // namespace

#if defined(__GNUC__) && !defined(__clang__) // g++ 12 takes the free() below for a mismatch
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    if (void* p = counted_allocation(n))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = counted_allocation(n))
        return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return counted_allocation(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return counted_allocation(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // RAMPART_COUNT_ALLOCATIONS

namespace jwt = rampart::jwt;
namespace d = rampart::detail;
using namespace rampart::test::jwt;
using jwt::error;

namespace {

constexpr std::int64_t now_s = 1'700'000'000;
const std::string secret(32, 'k');
const std::string typical_claims = R"({"token_type":"access","exp":1700000300,"iat":1700000000,)"
                                   R"("jti":"9f1c2e7a4b3d4c8e9a0b1c2d3e4f5a6b","user_id":42})";

struct fixture {
    rampart::manual_clock clock{at(now_s)};
    jwt::key k = jwt::key::hs256(secret);
    jwt::verifier_options options = [] {
        jwt::verifier_options o;
        o.token_type = "access";
        o.required_claims = {"exp", "iat", "jti", "user_id"};
        return o;
    }();

    jwt::verifier<rampart::clock_ref<rampart::manual_clock>> verifier() const {
        return jwt::verifier{jwt::key_set{k}, options, rampart::clock_ref{clock}};
    }
    jwt::verify_result check(std::string_view token) const { return verifier().try_verify(token); }
};

/// The tag OpenSSL's one-shot HMAC gives, as bytes.
std::string openssl_hmac(const char* digest, std::string_view key, std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    REQUIRE(HMAC(EVP_get_digestbyname(digest), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
                 &len));
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string sign(const d::hmac& mac, std::initializer_list<std::string_view> parts) {
    unsigned char out[d::hmac::max_size];
    REQUIRE(mac.sign(parts, out));
    return std::string(reinterpret_cast<const char*>(out), mac.size());
}

/// The full path's verdict on a header: parsed and checked member by member.
struct full_verdict {
    bool ok = false;
    jwt::algorithm alg{};
    bool has_kid = false;
};

full_verdict full_header_check(std::string_view text) {
    auto parsed = jwt::detail::parse_object(text, {});
    if (!parsed)
        return {};
    auto facts = jwt::detail::check_header(*parsed, {});
    if (!facts)
        return {};
    return {true, facts->alg, facts->kid.has_value()};
}

} // namespace

TEST_CASE("the plain header is recognised only when the full parse agrees", "[jwt]") {
    const std::vector<std::string> seeds = {R"({"alg":"HS256","typ":"JWT"})",
                                            R"({"typ":"JWT","alg":"HS256"})",
                                            R"({"alg":"EdDSA","typ":"JWT"})"};
    const std::string replacements = "\"\\ ,:{}[]0aAHSJWTnx\x01\xff";
    std::size_t recognised = 0;
    for (const auto& seed : seeds) {
        // Every one-byte change, insertion and deletion of each canonical header.
        std::vector<std::string> variants{seed};
        for (std::size_t i = 0; i <= seed.size(); ++i) {
            for (char c : replacements) {
                if (i < seed.size()) {
                    std::string changed = seed;
                    changed[i] = c;
                    variants.push_back(changed);
                }
                variants.push_back(seed.substr(0, i) + c + seed.substr(i));
            }
            if (i < seed.size())
                variants.push_back(seed.substr(0, i) + seed.substr(i + 1));
        }
        for (const auto& text : variants) {
            INFO(text);
            auto plain = jwt::detail::plain_header_of(text);
            if (!plain)
                continue;
            ++recognised;
            auto full = full_header_check(text);
            REQUIRE(full.ok);
            CHECK(full.alg == plain->alg);
            CHECK_FALSE(full.has_kid);
            // The object made without parsing is the one the parse makes, member order too.
            auto parsed = jwt::detail::parse_object(text, {});
            REQUIRE(parsed);
            CHECK(boost::json::serialize(jwt::detail::make_header(*plain, {})) ==
                  boost::json::serialize(*parsed));
        }
    }
    CHECK(recognised >= 3); // the seeds themselves, and a changed algorithm digit or two
    // Near misses take the full path.
    CHECK_FALSE(jwt::detail::plain_header_of(R"({"alg":"none","typ":"JWT"})"));
    CHECK_FALSE(jwt::detail::plain_header_of(R"({"alg":"hs256","typ":"JWT"})"));
    CHECK_FALSE(jwt::detail::plain_header_of(R"({"alg":"HS256","typ":"JWT","kid":"a"})"));
    CHECK_FALSE(jwt::detail::plain_header_of(R"({"alg":"HS256","typ":"jwt"})"));
    CHECK_FALSE(jwt::detail::plain_header_of(R"({"alg":"HS2\u0035\u0036","typ":"JWT"})"));
    CHECK_FALSE(jwt::detail::plain_header_of(R"({"alg":"HS256","typ":"JWT"},"typ":"JWT"})"));
}

TEST_CASE("a token with the plain header is refused for every reason the full path has", "[jwt]") {
    fixture f;
    const std::string plain = R"({"alg":"HS256","typ":"JWT"})";
    std::string good = make_token(plain, typical_claims, f.k);
    auto ok = f.check(good);
    REQUIRE(ok.ok());
    CHECK(boost::json::serialize(ok->header) == plain);
    CHECK(f.check(make_token(R"({"typ":"JWT","alg":"HS256"})", typical_claims, f.k)).ok());

    SECTION("every flipped signature bit") {
        auto dot = good.rfind('.');
        std::string sig = b64_decode(good.substr(dot + 1));
        REQUIRE(sig.size() == 32);
        for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
            std::string flipped = sig;
            flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
            INFO(bit);
            CHECK(f.check(good.substr(0, dot + 1) + b64(flipped)).reason() == error::bad_signature);
        }
    }
    SECTION("every flipped bit of the signed header and claims") {
        auto dot = good.rfind('.');
        for (std::size_t i = 0; i < dot; ++i) {
            if (good[i] == '.')
                continue;
            std::string changed = good;
            changed[i] = changed[i] == 'A' ? 'B' : 'A';
            INFO(i);
            CHECK_FALSE(f.check(changed).ok());
        }
    }
    SECTION("every truncation") {
        for (std::size_t n = 0; n < good.size(); ++n) {
            INFO(n);
            auto r = f.check(good.substr(0, n));
            CHECK_FALSE(r.ok());
        }
        auto dot = good.rfind('.');
        CHECK(f.check(good.substr(0, dot + 1)).reason() == error::bad_signature); // empty sig
        // 43 signature characters: 41 cannot be base64, 40 decode to a 30-byte tag.
        CHECK(f.check(good.substr(0, good.size() - 2)).reason() == error::bad_base64);
        CHECK(f.check(good.substr(0, good.size() - 3)).reason() == error::bad_signature);
    }
    SECTION("the other header checks still apply around it") {
        auto with = [&](std::string_view header) {
            return f.check(make_token(header, typical_claims, f.k)).reason();
        };
        CHECK(with(R"({"alg":"HS512","typ":"JWT"})") == error::alg_not_allowed);
        CHECK(with(R"({"alg":"RS256","typ":"JWT"})") == error::alg_not_allowed);
        CHECK(with(R"({"alg":"none","typ":"JWT"})") == error::alg_none);
        CHECK(with(R"({"alg":"HS256","typ":"JWS"})") == error::unsupported_typ);
        CHECK(with(R"({"alg":"HS256","typ":"JWT","alg":"HS256"})") == error::duplicate_key);
        CHECK(with(R"({"alg":"HS256","typ":"JWT","crit":["x"],"x":1})") == error::crit_unsupported);
        CHECK(f.check(make_token(plain, R"({"exp":1700000300})", f.k)).reason() ==
              error::missing_claim);
        CHECK(f.check(make_token(plain, R"({"exp":1,"iat":1,"jti":"a","user_id":1})", f.k))
                  .reason() == error::expired);
        f.options.token_type.clear();
        f.options.required_claims = {"exp"};
        CHECK(f.check(make_token(plain, R"({"exp":1700000300,"exp":1})", f.k)).reason() ==
              error::duplicate_key);
    }
    SECTION("with a key set that uses kids, a plain header still picks keys by alg") {
        auto other = jwt::key::hs256(std::string(32, 'o'), "b");
        jwt::verifier v{jwt::key_set{f.k.with_kid("a"), other}, f.options,
                        rampart::clock_ref{f.clock}};
        CHECK(v.try_verify(good).ok());
        CHECK(v.try_verify(make_token(plain, typical_claims, other)).ok());
        CHECK(
            v.try_verify(make_token(R"({"alg":"HS256","typ":"JWT","kid":""})", typical_claims, f.k))
                .reason() == error::unknown_kid);
    }
}

TEST_CASE("header, claims and signature larger than the stack buffers still verify", "[jwt]") {
    fixture f;
    std::string big(3000, 'x');
    std::string header = R"({"alg":"HS256","typ":"JWT","pad":")" + big + R"("})";
    std::string claims = R"({"token_type":"access","exp":1700000300,"iat":1700000000,)"
                         R"("jti":"a","user_id":42,"pad":")" +
                         big + R"("})";
    f.options.max_token_size = 16384;
    std::string token = make_token(header, claims, f.k);
    auto r = f.check(token);
    REQUIRE(r.ok());
    CHECK(r->header.at("pad").as_string().size() == big.size());
    CHECK(r->claims.at("pad").as_string().size() == big.size());
    std::string tampered = token;
    auto at_claims = token.find('.') + 100; // inside the oversized claims, after the header
    tampered[at_claims] = tampered[at_claims] == 'A' ? 'B' : 'A';
    CHECK(f.check(tampered).reason() == error::bad_signature);
    f.options.max_token_size = token.size() - 1;
    CHECK(f.check(token).reason() == error::too_large);

    // RSA-4096 signatures are 512 bytes: still within the buffer. An oversized signature part
    // goes to the heap and fails as a signature, not as a crash.
    f.options.max_token_size = 16384;
    std::string forged = token.substr(0, token.rfind('.') + 1) + b64(std::string(2000, 's'));
    CHECK(f.check(forged).reason() == error::bad_signature);
}

TEST_CASE("header and claims live in the caller's memory, and the success path allocates nothing",
          "[jwt]") {
    fixture f;
    for (auto alg : {jwt::algorithm::hs256, jwt::algorithm::hs384, jwt::algorithm::hs512}) {
        INFO(jwt::name(alg));
        f.k = jwt::key::hmac(alg, std::string(64, 's'));
        auto v = f.verifier();
        std::string token = jwt::issuer{f.k, {}, rampart::clock_ref{f.clock}}.access(42).token;
        REQUIRE(v.try_verify(token).ok()); // warm up anything OpenSSL sets up once

        unsigned char buffer[4096];
        boost::json::monotonic_resource arena(buffer, sizeof buffer);
        std::size_t before = allocations;
        {
            auto r = v.try_verify(token, &arena);
            std::size_t during = allocations;
            REQUIRE(r.ok());
            if (counting_allocations)
                CHECK(during == before);
            CHECK(r->claims.storage().get() == &arena);
            CHECK(r->header.storage().get() == &arena);
            CHECK(r->user_id() == "42");
            CHECK(r->token_type() == "access");
        }
        if (counting_allocations)
            CHECK(allocations == before);
        else
            WARN("allocations not counted under ThreadSanitizer");

        // Without a resource, header and claims are on the default resource, as before.
        auto r = v.try_verify(token);
        REQUIRE(r.ok());
        CHECK(r->claims.storage().get() == boost::json::storage_ptr().get());
    }
}

TEST_CASE("hmac: prepared SHA-2 states agree with OpenSSL's HMAC at every length", "[jwt]") {
    for (const char* digest : {"SHA256", "SHA384", "SHA512"}) {
        for (std::size_t key_size : {1, 31, 32, 64, 65, 128, 129, 200}) {
            std::string key(key_size, '\0');
            for (std::size_t i = 0; i < key_size; ++i)
                key[i] = static_cast<char>(i * 7 + 1);
            d::hmac mac(digest, key);
            for (std::size_t n = 0; n <= 300; n += 13) {
                std::string message(n, 'm');
                std::string_view all = message;
                INFO(digest << " key " << key_size << " message " << n);
                CHECK(sign(mac, {all.substr(0, n / 2), all.substr(n / 2)}) ==
                      openssl_hmac(digest, key, message));
            }
        }
    }
}

TEST_CASE("hmac: a digest without a plain state keeps EVP states", "[jwt]") {
    d::hmac mac("SHA224", "Jefe");
    const std::string expected = openssl_hmac("SHA224", "Jefe", "what do ya want for nothing?");
    CHECK(expected.size() == 28);
    CHECK(sign(mac, {"what do ya want ", "for nothing?"}) == expected);
    d::hmac copy = mac; // copies share the prepared states
    CHECK(sign(copy, {"what do ya want for nothing?"}) == expected);
}

TEST_CASE("base64url decoding into a buffer matches the string form", "[jwt]") {
    for (std::size_t n = 0; n < 40; ++n) {
        std::string raw;
        for (std::size_t i = 0; i < n; ++i)
            raw += static_cast<char>(i * 37 + 11);
        std::string text = d::base64url_encode(raw);
        REQUIRE(d::base64url_decoded_size(text.size()) == n);
        unsigned char buffer[64];
        REQUIRE(d::base64url_decode(text, buffer));
        CHECK(std::string(reinterpret_cast<const char*>(buffer), n) == raw);
    }
    unsigned char buffer[8];
    CHECK_FALSE(d::base64url_decode("Zm9", buffer)); // non-zero unused bits
    CHECK_FALSE(d::base64url_decode("Zm9v=", buffer));
    CHECK_FALSE(d::base64url_decode("Zm+v", buffer));
    std::string out = "keep";
    CHECK_FALSE(d::base64url_decode("Zm9vYm/y", out));
    CHECK(out == "keep"); // left as it was
}

TEST_CASE("strict JSON: parse_strict_json_in keeps the tree in the given resource", "[jwt]") {
    unsigned char buffer[1024];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    auto kept =
        d::parse_strict_json_in(R"({"a":[1,2],"b":"text longer than a short string"})", 16, &arena);
    REQUIRE(kept.ok());
    CHECK(kept.value.storage().get() == &arena);
    CHECK(kept.value.at("b").as_string().storage().get() == &arena);
    CHECK(d::parse_strict_json_in(R"({"a":1,"a":2})", 16, &arena).duplicate_key);
    CHECK(d::parse_strict_json_in(R"({"a":1} x)", 16, &arena).ec);
    // parse_strict_json's value is a copy on the default resource, as its callers expect
    // (a validated document's values may be kept after the request's arena is gone).
    auto copied = d::parse_strict_json(R"({"a":1})", 16, &arena);
    REQUIRE(copied.ok());
    CHECK(copied.value.storage().get() == boost::json::storage_ptr().get());
}
