// Verification of a typical djangorestframework-simplejwt access token, each algorithm beside
// the same run's bare OpenSSL cost, and HS256 beside Debian's libcpp-jwt.
//
//   rampart/<ALG>         jwt::verifier::try_verify: the whole check (size cap, strict
//                         base64url, header and claims parsed with duplicate detection, key
//                         selection, signature, exp/iat/token_type/required claims).
//   rampart/HS256_arena   the same, with header and claims built in a monotonic_resource over
//                         a buffer of the caller (try_verify(token, &arena)): no heap at all.
//   baseline/HS256        by hand: split, base64url-decode signature, header and claims,
//                         HMAC-SHA256 with a pre-keyed EVP_MAC context, CRYPTO_memcmp,
//                         boost::json::parse of header and claims. No checks beyond that.
//   baseline/<asym>       the signature check alone: EVP_DigestVerifyInit + EVP_DigestVerify
//                         on the same signing input (ECDSA given DER already).
//   cpp-jwt/HS256         jwt::decode with algorithms({"HS256"}), secret, verify(true).

#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/verifier.hpp>

#include <boost/json/parse.hpp>

#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <jwt/jwt.hpp>
#pragma GCC diagnostic pop

#include <boost/json/monotonic_resource.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

// Every benchmark reports its heap allocations per verification (the "allocs" counter).
namespace {
std::size_t allocation_count = 0; // the benchmarks run on one thread
} // namespace

#if defined(__GNUC__) && !defined(__clang__) // g++ 12 takes the free() below for a mismatch
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    ++allocation_count;
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace rj = rampart::jwt;

namespace {

/// Counts the allocations made from here to the end of the benchmark loop.
struct count_allocations {
    benchmark::State& state;
    std::size_t start = allocation_count;
    ~count_allocations() {
        state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocation_count - start),
                                                      benchmark::Counter::kAvgIterations);
    }
};

const std::string secret = "django-insecure-9m$c2x!w@pq#1n0v^r8k&z5t*y7u(e)l4b6s3h_a=f+g";

std::string access_token(const rj::key& k) {
    return rj::issuer<>{k}.access(42).token;
}

rj::verifier<> access_verifier(const rj::key& k) {
    rj::verifier_options o;
    o.token_type = "access";
    o.required_claims = {"exp", "iat", "jti", "user_id"};
    return rj::verifier<>{rj::key_set{k}, o};
}

// `arena`: header and claims in a monotonic_resource over a buffer on the stack.
void run_rampart(benchmark::State& state, const rj::key& k, bool arena = false) {
    std::string token = access_token(k);
    auto v = access_verifier(k);
    if (!v.try_verify(token).ok())
        state.SkipWithError("token did not verify");
    count_allocations counted{state};
    if (arena) {
        for (auto _ : state) {
            unsigned char buffer[2048];
            boost::json::monotonic_resource memory(buffer, sizeof buffer);
            auto r = v.try_verify(token, &memory);
            benchmark::DoNotOptimize(r);
        }
        return;
    }
    for (auto _ : state) {
        auto r = v.try_verify(token);
        benchmark::DoNotOptimize(r);
    }
}

// A plain base64url decoder, written the way an application would, for the baseline.
std::string decode_by_hand(std::string_view in) {
    static const auto table = [] {
        std::array<int, 256> t{};
        t.fill(-1);
        const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < 64; ++i)
            t[static_cast<unsigned char>(a[i])] = i;
        return t;
    }();
    std::string out;
    out.reserve(in.size() * 3 / 4);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        buffer = (buffer << 6) | static_cast<unsigned>(table[static_cast<unsigned char>(c)]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

void BM_rampart_HS256(benchmark::State& state) {
    run_rampart(state, rj::key::hs256(secret));
}

void BM_rampart_HS256_arena(benchmark::State& state) {
    run_rampart(state, rj::key::hs256(secret), true);
}

void BM_baseline_HS256(benchmark::State& state) {
    std::string token = access_token(rj::key::hs256(secret));
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* keyed = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(keyed, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                 params);
    count_allocations counted{state};
    for (auto _ : state) {
        std::string_view t = token;
        auto d1 = t.find('.');
        auto d2 = t.rfind('.');
        std::string sig = decode_by_hand(t.substr(d2 + 1));
        EVP_MAC_CTX* c = EVP_MAC_CTX_dup(keyed);
        unsigned char tag[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(t.data()), d2);
        EVP_MAC_final(c, tag, &len, sizeof tag);
        EVP_MAC_CTX_free(c);
        bool ok = len == sig.size() && CRYPTO_memcmp(tag, sig.data(), len) == 0;
        auto header = boost::json::parse(decode_by_hand(t.substr(0, d1)));
        auto claims = boost::json::parse(decode_by_hand(t.substr(d1 + 1, d2 - d1 - 1)));
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(header);
        benchmark::DoNotOptimize(claims);
    }
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
}

void BM_cpp_jwt_HS256(benchmark::State& state) {
    std::string token = access_token(rj::key::hs256(secret));
    using namespace ::jwt::params;
    std::error_code ec;
    auto check = ::jwt::decode(token, algorithms({"HS256"}), ec, ::jwt::params::secret(secret),
                               verify(true));
    if (ec)
        state.SkipWithError("cpp-jwt refused the token");
    count_allocations counted{state};
    for (auto _ : state) {
        std::error_code e;
        auto obj = ::jwt::decode(token, algorithms({"HS256"}), e, ::jwt::params::secret(secret),
                                 verify(true));
        benchmark::DoNotOptimize(obj);
    }
}

// The bare signature check for an asymmetric key: what OpenSSL costs with nothing around it.
void run_bare(benchmark::State& state, rj::algorithm alg) {
    auto k = rj::key::generate(alg);
    std::string token = access_token(k);
    auto d2 = token.rfind('.');
    std::string input = token.substr(0, d2);
    std::string sig = decode_by_hand(std::string_view(token).substr(d2 + 1));
    if (rj::family(alg) == rj::key_family::ec) { // to DER, once, outside the loop
        std::size_t half = sig.size() / 2;
        ECDSA_SIG* es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es,
                       BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()),
                                 static_cast<int>(half), nullptr),
                       BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + half),
                                 static_cast<int>(half), nullptr));
        unsigned char* der = nullptr;
        int n = i2d_ECDSA_SIG(es, &der);
        sig.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
    }
    EVP_MD* md = alg == rj::algorithm::eddsa ? nullptr : EVP_MD_fetch(nullptr, "SHA256", nullptr);
    for (auto _ : state) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, k.native_handle());
        int ok =
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MD_CTX_free(ctx);
        if (ok != 1)
            state.SkipWithError("bare verify failed");
        benchmark::DoNotOptimize(ok);
    }
    EVP_MD_free(md);
}

void BM_rampart_RS256(benchmark::State& s) {
    run_rampart(s, rj::key::generate(rj::algorithm::rs256));
}
void BM_baseline_RS256(benchmark::State& s) {
    run_bare(s, rj::algorithm::rs256);
}
void BM_rampart_ES256(benchmark::State& s) {
    run_rampart(s, rj::key::generate(rj::algorithm::es256));
}
void BM_baseline_ES256(benchmark::State& s) {
    run_bare(s, rj::algorithm::es256);
}
void BM_rampart_EdDSA(benchmark::State& s) {
    run_rampart(s, rj::key::generate(rj::algorithm::eddsa));
}
void BM_baseline_EdDSA(benchmark::State& s) {
    run_bare(s, rj::algorithm::eddsa);
}

} // namespace

BENCHMARK(BM_rampart_HS256);
BENCHMARK(BM_rampart_HS256_arena);
BENCHMARK(BM_baseline_HS256);
BENCHMARK(BM_cpp_jwt_HS256);
BENCHMARK(BM_rampart_RS256);
BENCHMARK(BM_baseline_RS256);
BENCHMARK(BM_rampart_ES256);
BENCHMARK(BM_baseline_ES256);
BENCHMARK(BM_rampart_EdDSA);
BENCHMARK(BM_baseline_EdDSA);
