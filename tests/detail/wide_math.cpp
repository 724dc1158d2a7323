#include <rampart/detail/wide_math.hpp>

#include <rampart/throttle/bucket.hpp>
#ifdef RAMPART_HAS_REDIS
#include <rampart/redis/bucket_store.hpp>
#endif
#include <rampart/throttle/limiter.hpp>
#include <rampart/validation/decimal.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

// Compiled twice (see wide_math_portable.cpp): every expected value below is exact, computed
// outside C++, so both 128-bit implementations must produce it.

using rampart::detail::i128;
using rampart::detail::u128;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t imax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t imin = std::numeric_limits<std::int64_t>::min();

std::uint64_t high(u128 v) {
    return static_cast<std::uint64_t>(v >> 64);
}
std::uint64_t low(u128 v) {
    return static_cast<std::uint64_t>(v);
}

} // namespace

TEST_CASE("u128 multiplies 64 x 64 bits without losing the high half") {
    const u128 square = u128{max64} * max64; // 2^128 - 2^65 + 1
    CHECK(high(square) == max64 - 1);
    CHECK(low(square) == 1);
    CHECK(square / max64 == max64);
    CHECK(square % max64 == 0);
    CHECK(u128{0} * max64 == 0);
    CHECK(u128{0} / max64 == 0);
    CHECK(u128{1} * max64 == max64);
}

TEST_CASE("u128 divides when the high half is at least the divisor") {
    const u128 v = (u128{7} << 64) + 5; // (7 * 2^64 + 5) / 3 = 2 * 2^64 + 6148914691236517207
    CHECK(high(v / 3) == 2);
    CHECK(low(v / 3) == 6148914691236517207u);
    CHECK(v % 3 == 0);
    CHECK((v + 1) % 3 == 1);
    CHECK(v / v == 1);
    CHECK(v / (v + 1) == 0);
    CHECK(v % (v + 1) == v);
}

TEST_CASE("u128 wraps modulo 2^128 and compares as unsigned") {
    const u128 max = u128{0} - 1;
    CHECK(high(max) == max64);
    CHECK(low(max) == max64);
    CHECK(max + 1 == 0);
    CHECK(max / 1 == max);
    CHECK(max / max64 == (u128{1} << 64) + 1);
    CHECK(max * max == 1);
    CHECK(u128{max64} + 1 == u128{1} << 64);
    CHECK(u128{max64} < u128{1} << 64);
    CHECK_FALSE(max < max64);
    u128 q = max64;
    ++q;
    CHECK(high(q) == 1);
    CHECK(low(q) == 0);
    CHECK(static_cast<std::int64_t>(static_cast<u128>(imax)) == imax);
    CHECK(static_cast<u128>(std::int64_t{5}) == 5);
}

TEST_CASE("i128 holds a 64-bit value times 10^18 with its sign") {
    i128 x = imin;
    i128 y = imax;
    for (int k = 0; k < 18; ++k) {
        x *= 10;
        y *= 10;
    }
    CHECK(x < imin);
    CHECK(y > imax);
    CHECK(x < y);
    CHECK(-x > y);
    CHECK(x / 1000000000000000000 == imin);
    CHECK(y / 1000000000000000000 == imax);
}

TEST_CASE("add_overflows and sub_overflows report exactly the sums that do not fit") {
    std::int64_t out = 42;
    CHECK(rampart::detail::add_overflows(imax, 1, out));
    CHECK(rampart::detail::add_overflows(imin, -1, out));
    CHECK(rampart::detail::add_overflows(imax, imax, out));
    CHECK(out == 42); // untouched on overflow
    CHECK_FALSE(rampart::detail::add_overflows(imax, 0, out));
    CHECK(out == imax);
    CHECK_FALSE(rampart::detail::add_overflows(imin, imax, out));
    CHECK(out == -1);
    CHECK_FALSE(rampart::detail::add_overflows(0, 0, out));
    CHECK(out == 0);

    CHECK(rampart::detail::sub_overflows(imin, 1, out));
    CHECK(rampart::detail::sub_overflows(0, imin, out));
    CHECK(rampart::detail::sub_overflows(imax, -1, out));
    CHECK(out == 0);
    CHECK_FALSE(rampart::detail::sub_overflows(-1, imin, out));
    CHECK(out == imax);
    CHECK_FALSE(rampart::detail::sub_overflows(imin, 0, out));
    CHECK(out == imin);
    CHECK_FALSE(rampart::detail::sub_overflows(imax, imax, out));
    CHECK(out == 0);
}

TEST_CASE("mul_overflows reports exactly the products that do not fit") {
    std::int64_t out = 42;
    CHECK(rampart::detail::mul_overflows(imin, -1, out));
    CHECK(rampart::detail::mul_overflows(imax, 2, out));
    CHECK(rampart::detail::mul_overflows(std::int64_t{1} << 32, std::int64_t{1} << 31, out));
    CHECK(rampart::detail::mul_overflows(3037000500, 3037000500, out));
    CHECK(rampart::detail::mul_overflows(imin, imin, out));
    CHECK(out == 42);
    CHECK_FALSE(
        rampart::detail::mul_overflows(-(std::int64_t{1} << 32), std::int64_t{1} << 31, out));
    CHECK(out == imin);
    CHECK_FALSE(rampart::detail::mul_overflows(3037000499, 3037000499, out));
    CHECK(out == 9223372030926249001);
    CHECK_FALSE(rampart::detail::mul_overflows(0, imin, out));
    CHECK(out == 0);
    CHECK_FALSE(rampart::detail::mul_overflows(imin, 1, out));
    CHECK(out == imin);
    CHECK_FALSE(rampart::detail::mul_overflows(imax, -1, out));
    CHECK(out == -imax);
}

TEST_CASE("a token bucket near 2^125 units decides the same with either 128-bit type") {
    using namespace rampart::throttle;
    using std::chrono::nanoseconds;
    const rate r{(std::uint64_t{1} << 63) - 25, max_rate_period}; // capacity ~2^125 units
    const token_bucket::time_point t0{};
    token_bucket b{t0};
    auto check = [&](bucket_decision d, bool allowed, std::uint64_t remaining, nanoseconds retry,
                     nanoseconds reset, nanoseconds next) {
        CHECK(d.allowed == allowed);
        CHECK(d.remaining == remaining);
        CHECK(d.retry_after == retry);
        CHECK(d.reset == reset);
        CHECK(next_token_in(r, d) == next);
    };
    check(b.take(r, r.tokens / 3, t0), true, 6148914691236517189u, nanoseconds{0},
          nanoseconds{1537228672809129302}, nanoseconds{2});
    check(b.take(r, r.tokens, t0 + nanoseconds{5}), false, 6148914691236517198u,
          nanoseconds{1537228672809129297}, nanoseconds{1537228672809129297}, nanoseconds{1});
    // The clock stepped back 1005 ns: the bucket loses what that time had refilled.
    check(b.take(r, 1, t0 - nanoseconds{1000}), true, 6148914691236515188u, nanoseconds{0},
          nanoseconds{1537228672809130302}, nanoseconds{1});
    check(b.take(r, r.tokens + 1, t0 - nanoseconds{1000}), false, 6148914691236515188u,
          nanoseconds::max(), nanoseconds{1537228672809130302}, nanoseconds{1});
    check(b.take(r, 2, t0 + max_rate_period), true, r.tokens - 2, nanoseconds{0}, nanoseconds{2},
          nanoseconds{2});
}

TEST_CASE("a token bucket with a small rate decides the same with either 128-bit type") {
    using namespace rampart::throttle;
    using std::chrono::nanoseconds;
    const rate r{7, std::chrono::seconds{1}};
    const token_bucket::time_point t0{};
    token_bucket b{t0};
    auto d = b.take(r, 3, t0);
    CHECK(d.allowed);
    CHECK(d.remaining == 4);
    CHECK(d.reset == nanoseconds{428571429});
    CHECK(next_token_in(r, d) == nanoseconds{142857144});
    d = b.take(r, 5, t0 + nanoseconds{10});
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == nanoseconds{142857133});
    CHECK(d.reset == nanoseconds{428571419});
    CHECK(next_token_in(r, d) == nanoseconds{142857134});
    d = b.take(r, 1, t0 + nanoseconds{1000000000 / 7});
    CHECK(d.allowed);
    CHECK(d.remaining == 3);
    CHECK(d.reset == nanoseconds{428571430});
    CHECK(next_token_in(r, d) == nanoseconds{2});
}

#ifdef RAMPART_HAS_REDIS
TEST_CASE("the Redis bucket's exact units decide the same with either 128-bit type") {
    using rampart::redis::detail::bucket_scale;
    using std::chrono::nanoseconds;
    const rampart::throttle::rate slow{7, std::chrono::seconds{3}};
    const auto s = bucket_scale::of(slow);
    REQUIRE(s.exact);
    auto d = s.decide(false, 15000000, 3, slow);
    CHECK_FALSE(d.allowed);
    CHECK(d.remaining == 2);
    CHECK(d.retry_after == nanoseconds{428571429});
    CHECK(d.reset == nanoseconds{2142857143});
    d = s.decide(true, -5, 3, slow); // a negative debt counts as none
    CHECK(d.allowed);
    CHECK(d.remaining == 7);
    CHECK(d.reset == nanoseconds{0});
    d = s.decide(false, 1000000000000000000, 8, slow); // more than the bucket holds
    CHECK(d.remaining == 0);
    CHECK(d.retry_after == nanoseconds::max());
    CHECK(d.reset == nanoseconds{3000000000});

    const rampart::throttle::rate fast{std::uint64_t{1} << 39, std::chrono::seconds{1}};
    const auto f = bucket_scale::of(fast);
    REQUIRE(f.exact);
    REQUIRE(f.capacity == 8589934592000000);
    d = f.decide(false, 8589934592000000, fast.tokens, fast);
    CHECK(d.retry_after == nanoseconds{1000000000});
    CHECK(d.reset == nanoseconds{1000000000});
    d = f.decide(false, 8589934591999999, 1, fast);
    CHECK(d.retry_after == nanoseconds{1});
    CHECK(d.reset == nanoseconds{1000000000});
}
#endif

TEST_CASE("decimal compares and overflows at the 64-bit limits with either 128-bit type") {
    using rampart::decimal;
    const auto big = decimal::from_string("9223372036854775807");    // imax units, scale 0
    const auto tiny = decimal::from_string("0.000000000000000001");  // scale 18
    const auto most = decimal::from_string("-9.223372036854775808"); // imin units, scale 18
    CHECK(big > tiny);
    CHECK(most < tiny);
    CHECK(most > -big);
    CHECK(decimal::from_string("9.223372036854775807") < decimal::from_string("10"));
    CHECK(decimal::from_string("-9.223372036854775807") > decimal::from_string("-10"));
    CHECK(decimal::from_string("1.50") == decimal::from_string("1.5"));
    CHECK_THROWS_AS(big + decimal::from_string("1"), std::overflow_error);
    CHECK_THROWS_AS(most - tiny, std::overflow_error);
    CHECK_THROWS_AS(big * 2, std::overflow_error);
    CHECK((big - big) == decimal::from_string("0"));
    CHECK((most * 1) == most);
}

#ifdef RAMPART_DETAIL_NATIVE_INT128
// The packed cell keeps a bucket at 24 bytes where the compiler's __int128 would pad it to 32.
static_assert(sizeof(rampart::throttle::token_bucket) == 24);
#endif
