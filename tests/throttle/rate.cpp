#include <rampart/throttle/rate.hpp>

#include <rampart/throttle/bucket.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

using namespace rampart::throttle;
using namespace std::chrono_literals;
using time_point = std::chrono::system_clock::time_point;

namespace {

std::string parse_error_of(std::string_view spec) {
    try {
        parse_rate(spec);
    } catch (const rate_error& e) {
        return e.what();
    }
    return "accepted";
}

const time_point t0{std::chrono::seconds{1'700'000'000}};

} // namespace

TEST_CASE("parse_rate reads the four units, by any prefix, plural or any case",
          "[throttle][rate]") {
    CHECK(parse_rate("100/hour") == rate{100, 1h});
    CHECK(parse_rate("1000/hour") == rate{1000, 1h});
    CHECK(parse_rate("10/minute") == rate{10, 1min});
    CHECK(parse_rate("10/m") == rate{10, 1min});
    CHECK(parse_rate("10/min") == rate{10, 1min});
    CHECK(parse_rate("10/mins") == rate{10, 1min});
    CHECK(parse_rate("10/minutes") == rate{10, 1min});
    CHECK(parse_rate("5/s") == rate{5, 1s});
    CHECK(parse_rate("5/sec") == rate{5, 1s});
    CHECK(parse_rate("5/seconds") == rate{5, 1s});
    CHECK(parse_rate("3/h") == rate{3, 1h});
    CHECK(parse_rate("3/hours") == rate{3, 1h});
    CHECK(parse_rate("1/d") == rate{1, 24h});
    CHECK(parse_rate("1/DAY") == rate{1, 24h});
    CHECK(parse_rate("2/Days") == rate{2, 24h});
    CHECK(parse_rate(" 7/second\t") == rate{7, 1s});
    CHECK(parse_rate("18446744073709551615/day").tokens == UINT64_MAX);
}

TEST_CASE("parse_rate refuses bad specs with a message naming the problem", "[throttle][rate]") {
    CHECK_THAT(parse_error_of(""), Catch::Contains("it is empty"));
    CHECK_THAT(parse_error_of("   "), Catch::Contains("it is empty"));
    CHECK_THAT(parse_error_of("100"), Catch::Contains("'/'") && Catch::Contains("missing"));
    CHECK_THAT(parse_error_of("/hour"), Catch::Contains("count before '/' is missing"));
    CHECK_THAT(parse_error_of("100/"), Catch::Contains("unit after '/' is missing"));
    CHECK_THAT(parse_error_of("0/hour"), Catch::Contains("at least 1"));
    CHECK_THAT(parse_error_of("-5/hour"), Catch::Contains("whole number"));
    CHECK_THAT(parse_error_of("+5/hour"), Catch::Contains("whole number"));
    CHECK_THAT(parse_error_of("1.5/hour"), Catch::Contains("whole number"));
    CHECK_THAT(parse_error_of("1e3/hour"), Catch::Contains("whole number"));
    CHECK_THAT(parse_error_of("10 /hour"), Catch::Contains("whole number"));
    CHECK_THAT(parse_error_of("18446744073709551616/day"), Catch::Contains("too large"));
    CHECK_THAT(parse_error_of("99999999999999999999999/day"), Catch::Contains("too large"));
    CHECK_THAT(parse_error_of("10/fortnight"), Catch::Contains("unknown unit"));
    CHECK_THAT(parse_error_of("10/ms"), Catch::Contains("unknown unit")); // not minutes
    CHECK_THAT(parse_error_of("10/mxyz"), Catch::Contains("unknown unit"));
    CHECK_THAT(parse_error_of("10/hour/2"), Catch::Contains("unknown unit"));
    CHECK_THAT(parse_error_of("10/ hour"), Catch::Contains("unknown unit"));
    CHECK_THAT(parse_error_of("10/secondss"), Catch::Contains("unknown unit"));
    // The message quotes the spec, printable and bounded.
    CHECK_THAT(parse_error_of("10/x\r\n"), Catch::Contains("\"10/x??\""));
    std::string long_count(1000, '9');
    long_count += "/s";
    CHECK(parse_error_of(long_count).size() < 300);
    CHECK_THAT(parse_error_of("abc"), Catch::Contains("N/second, N/minute, N/hour or N/day"));
}

TEST_CASE("validate_rate and to_string", "[throttle][rate]") {
    CHECK_THROWS_AS(validate_rate(rate{0, 1s}), rate_error);
    CHECK_THROWS_AS(validate_rate(rate{1, 0s}), rate_error);
    CHECK_THROWS_AS(validate_rate(rate{1, -1s}), rate_error);
    CHECK_THROWS_AS(validate_rate(rate{1, max_rate_period + 1ns}), rate_error);
    CHECK_NOTHROW(validate_rate(rate{UINT64_MAX, max_rate_period}));
    CHECK(to_string(parse_rate("100/h")) == "100/hour");
    CHECK(to_string(parse_rate("1/d")) == "1/day");
    CHECK(to_string(rate{5, 90s}) == "5/90s");
    CHECK(to_string(rate{5, 1500ms}) == "5/1500000000ns");
}

TEST_CASE("a token bucket admits exactly its capacity at once, then refills continuously",
          "[throttle][bucket]") {
    const rate r{10, 1min}; // one token every 6 s
    token_bucket b(t0);
    for (int i = 0; i < 10; ++i) {
        auto d = b.take(r, 1, t0);
        REQUIRE(d.allowed);
        CHECK(d.remaining == static_cast<std::uint64_t>(9 - i));
        CHECK(d.retry_after == 0ns);
        CHECK(d.reset == 6s * (i + 1));
    }
    auto refused = b.take(r, 1, t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after == 6s);
    CHECK(refused.reset == 60s);

    CHECK_FALSE(b.take(r, 1, t0 + 6s - 1ns).allowed); // one nanosecond early: not yet
    auto again = b.take(r, 1, t0 + 6s);               // exactly retry_after later: admitted
    CHECK(again.allowed);
    CHECK(again.remaining == 0);
    CHECK(again.reset == 60s);

    // After a full period of silence the bucket is full again, and no fuller.
    CHECK(b.available(r, t0 + 6s + 60s) == 10);
    CHECK(b.available(r, t0 + 6s + 10h) == 10);
    CHECK(b.full(r, t0 + 66s));
    CHECK_FALSE(b.full(r, t0 + 66s - 1ns));
}

TEST_CASE("rates that do not divide evenly are exact", "[throttle][bucket]") {
    const rate r{7, 1s}; // a token every 142857142.857... ns
    token_bucket b(t0);
    for (int i = 0; i < 7; ++i)
        REQUIRE(b.take(r, 1, t0).allowed);
    auto d = b.take(r, 1, t0);
    REQUIRE_FALSE(d.allowed);
    CHECK(d.retry_after == 142857143ns); // rounded up: honest
    CHECK_FALSE(b.take(r, 1, t0 + 142857142ns).allowed);
    CHECK(b.take(r, 1, t0 + 142857143ns).allowed);
    // Exactly one second after emptying, exactly seven tokens are back: nothing drifts.
    token_bucket c(t0);
    REQUIRE(c.take(r, 7, t0).allowed);
    CHECK(c.available(r, t0 + 1s - 1ns) == 6);
    CHECK(c.available(r, t0 + 1s) == 7);
}

TEST_CASE("costs, zero cost, and costs the bucket can never hold", "[throttle][bucket]") {
    const rate r{10, 10s};
    token_bucket b(t0);
    auto d = b.take(r, 4, t0);
    CHECK(d.allowed);
    CHECK(d.remaining == 6);
    CHECK(b.take(r, 6, t0).allowed);
    auto refused = b.take(r, 3, t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == 3s);
    auto peek = b.take(r, 0, t0 + 1s);
    CHECK(peek.allowed);
    CHECK(peek.remaining == 1);
    auto never = b.take(r, 11, t0 + 1h);
    CHECK_FALSE(never.allowed);
    CHECK(never.retry_after == std::chrono::nanoseconds::max());
    CHECK(never.remaining == 10); // nothing was taken
}

TEST_CASE("refund gives back what a take took, never beyond full", "[throttle][bucket]") {
    const rate r{3, 3s};
    token_bucket b(t0);
    REQUIRE(b.take(r, 2, t0).allowed);
    b.refund(r, 1, t0);
    CHECK(b.available(r, t0) == 2);
    b.refund(r, 5, t0);
    CHECK(b.available(r, t0) == 3);
    CHECK(b.full(r, t0));
}

TEST_CASE("a clock stepping backwards never mints tokens and stalls at most one period",
          "[throttle][bucket]") {
    const rate r{2, 10s};
    token_bucket b(t0);
    REQUIRE(b.take(r, 2, t0).allowed);
    // Back by an hour: still empty, and the wait is counted from the new "now", bounded by
    // one period (the bucket is never worse than empty).
    auto d = b.take(r, 1, t0 - 1h);
    CHECK_FALSE(d.allowed);
    CHECK(d.remaining == 0);
    CHECK(d.retry_after == 5s);
    CHECK(d.reset == 10s);
    // Forward again by less than the step: no token appears from the jump itself.
    CHECK_FALSE(b.take(r, 1, t0 - 1h + 4s).allowed);
    CHECK(b.take(r, 1, t0 - 1h + 5s).allowed);
    // A small step back (within the period) takes back the refill of the time stepped over:
    // the fraction of a token refilled since the take is lost, so the last token is gone.
    token_bucket c(t0);
    REQUIRE(c.take(r, 1, t0).allowed); // 1 left, 5 s from full
    CHECK(c.available(r, t0 + 5s) == 2);
    CHECK(c.available(r, t0 - 1s) == 0);
    auto wait = c.take(r, 1, t0 - 1s);
    CHECK_FALSE(wait.allowed);
    CHECK(wait.retry_after == 1s);
    CHECK(c.take(r, 1, t0).allowed);
}

TEST_CASE("extreme rates neither overflow nor lose exactness", "[throttle][bucket]") {
    const rate huge{UINT64_MAX, max_rate_period};
    token_bucket b(t0);
    auto d = b.take(huge, UINT64_MAX, t0);
    CHECK(d.allowed);
    CHECK(d.remaining == 0);
    CHECK(d.reset == max_rate_period);
    auto refused = b.take(huge, 1, t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == 1ns); // a token every 2^62 / (2^64 - 1) ns: under one ns
    // Decades of elapsed time refill without overflowing.
    CHECK(b.available(huge, t0 + std::chrono::hours{24 * 365 * 200}) == UINT64_MAX);

    const rate slow{1, 24h};
    token_bucket s(time_point{});
    REQUIRE(s.take(slow, 1, time_point{}).allowed);
    CHECK(s.available(slow, time_point{std::chrono::nanoseconds{INT64_MAX}}) == 1);
    token_bucket late(time_point{std::chrono::nanoseconds{INT64_MAX}});
    REQUIRE(late.take(slow, 1, time_point{std::chrono::nanoseconds{INT64_MAX}}).allowed);
    auto back = late.take(slow, 1, time_point{std::chrono::nanoseconds{INT64_MIN}});
    CHECK_FALSE(back.allowed);
    CHECK(back.retry_after == 24h);
}
