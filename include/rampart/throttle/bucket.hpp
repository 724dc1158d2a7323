#ifndef RAMPART_THROTTLE_BUCKET_HPP
#define RAMPART_THROTTLE_BUCKET_HPP

#include <rampart/detail/wide_math.hpp>
#include <rampart/throttle/store.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

namespace rampart::throttle {

/** One token bucket: the reference arithmetic every bucket_store follows.

    The state is the bucket's *debt*: how far below full it is, in units of one nanosecond
    times `r.tokens`, so that one token is exactly `r.period` units and one nanosecond refills
    exactly `r.tokens` units. All arithmetic is on integers (128 bits), so nothing drifts and
    no rate has rounding: `7/second` refills exactly 7 tokens per second.

    At time `now`, before anything else, the debt is brought up to date:
    `debt = clamp(debt - (now - last) * tokens, 0, tokens * period)`, then `last = now`.
    When the clock went backwards (`now < last`), the subtraction adds instead: a bucket loses
    tokens rather than gaining them, and never sinks below empty, so a step back of the clock
    never mints a token and delays refill by at most one period.

    - take `cost`: allowed iff `debt + cost * period <= tokens * period`; if so the debt grows.
      `retry_after = ceil((debt + cost * period - tokens * period) / tokens)` ns (honest: at
      `now + retry_after` the same take is allowed, one nanosecond earlier it is not).
    - remaining: `floor((tokens * period - debt) / period)` whole tokens.
    - reset: `ceil(debt / tokens)` ns until full.
    - refund `cost`: `debt = max(0, debt - cost * period)`.

    Not synchronised: a store holds its own lock around each call.
*/
class token_bucket {
public:
    using time_point = std::chrono::system_clock::time_point;

    /// A full bucket, as first seen at `now`.
    explicit token_bucket(time_point now) noexcept : last_(nanos(now)) {}

    /// Takes `cost` tokens if they exist at `now`, else takes nothing (see the class comment).
    bucket_decision take(const rate& r, std::uint64_t cost, time_point now) noexcept {
        catch_up(r, now);
        const u128 capacity = units(r.tokens, r);
        if (cost > r.tokens)
            return {false, remaining(r), std::chrono::nanoseconds::max(), reset(r)};
        const u128 need = units(cost, r);
        if (debt_.value + need <= capacity) {
            debt_.value += need;
            return {true, remaining(r), std::chrono::nanoseconds::zero(), reset(r)};
        }
        return {false, remaining(r), ceil_div_ns(debt_.value + need - capacity, r.tokens),
                reset(r)};
    }

    /// Gives back `cost` tokens (never beyond full).
    void refund(const rate& r, std::uint64_t cost, time_point now) noexcept {
        catch_up(r, now);
        const u128 give = units(cost, r);
        debt_.value = debt_.value > give ? debt_.value - give : 0;
    }

    /// Whether the bucket is full at `now` (a full bucket can be forgotten: a new one is the
    /// same). Does not change the bucket.
    bool full(const rate& r, time_point now) const noexcept {
        token_bucket copy = *this;
        copy.catch_up(r, now);
        return copy.debt_.value == 0;
    }

    /// Whole tokens available at `now`. Does not change the bucket.
    std::uint64_t available(const rate& r, time_point now) const noexcept {
        token_bucket copy = *this;
        copy.catch_up(r, now);
        return copy.remaining(r);
    }

private:
    using u128 = rampart::detail::u128;

    static std::int64_t nanos(time_point t) noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }
    static u128 units(std::uint64_t tokens, const rate& r) noexcept {
        return u128{tokens} * static_cast<std::uint64_t>(r.period.count());
    }
    /// `a / b`; a 64-bit division when both fit (the common case, and several times faster).
    static u128 divide(u128 a, std::uint64_t b) noexcept {
        if ((a >> 64) == 0)
            return static_cast<std::uint64_t>(a) / b;
        return a / b;
    }
    static std::chrono::nanoseconds ceil_div_ns(u128 value, std::uint64_t by) noexcept {
        u128 q = divide(value, by);
        if (q * by != value)
            ++q;
        const auto max = static_cast<u128>(std::numeric_limits<std::int64_t>::max());
        return std::chrono::nanoseconds{static_cast<std::int64_t>(q > max ? max : q)};
    }

    void catch_up(const rate& r, time_point now) noexcept {
        const std::int64_t t = nanos(now);
        const u128 capacity = units(r.tokens, r);
        if (t >= last_) {
            // Elapsed time is at most 2^64 ns, times at most 2^64 tokens: fits in 128 bits.
            const u128 refill =
                u128{static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(last_)} * r.tokens;
            debt_.value = debt_.value > refill ? debt_.value - refill : 0;
        } else {
            const u128 lost =
                u128{static_cast<std::uint64_t>(last_) - static_cast<std::uint64_t>(t)} * r.tokens;
            debt_.value = lost >= capacity - (debt_.value < capacity ? debt_.value : capacity)
                              ? capacity
                              : debt_.value + lost;
        }
        if (debt_.value > capacity)
            debt_.value = capacity;
        last_ = t;
    }

    std::uint64_t remaining(const rate& r) const noexcept {
        const u128 capacity = units(r.tokens, r);
        return static_cast<std::uint64_t>(
            divide(capacity - debt_.value, static_cast<std::uint64_t>(r.period.count())));
    }
    std::chrono::nanoseconds reset(const rate& r) const noexcept {
        return ceil_div_ns(debt_.value, r.tokens);
    }

    std::int64_t last_;
    rampart::detail::u128_cell debt_{0}; // 8-byte aligned: a bucket is 24 bytes rather than 32
};

} // namespace rampart::throttle

#endif
