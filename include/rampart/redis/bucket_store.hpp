#ifndef RAMPART_REDIS_BUCKET_STORE_HPP
#define RAMPART_REDIS_BUCKET_STORE_HPP

#include <rampart/detail/wide_math.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/redis/client.hpp>
#include <rampart/redis/detail/shared_store.hpp>
#include <rampart/redis/fail_policy.hpp>
#include <rampart/throttle/memory_store.hpp>
#include <rampart/throttle/rate.hpp>
#include <rampart/throttle/store.hpp>

#include <boost/system/system_error.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::redis {

/// How a redis::bucket_store names its keys and what it does when Redis cannot answer.
struct bucket_store_options {
    /// Put before every bucket key (`rampart:throttle:ip:203.0.113.7`).
    std::string prefix = "rampart:throttle:";
    /// `open` (default): decide from the in-process fallback store while Redis is down.
    /// `closed`: throw rampart::service_unavailable (503) instead.
    fail_policy on_failure = fail_policy::open;
    /// Where the outage and recovery records go (source "redis"; empty: stderr_sink).
    log_sink log{};
};

namespace detail {

/** The token-bucket arithmetic of rampart/throttle/bucket.hpp, in the units the Lua script
    uses.

    Redis `TIME` has microsecond resolution, so the script counts time in microseconds. The
    bucket's debt is kept in units where one token is `unit` and one microsecond refills
    `refill` (both divided by their greatest common divisor, which keeps them small), and a
    full bucket's debt is `capacity = tokens * unit`. Lua numbers are doubles: while
    `capacity < 2^53` every value is an exact integer and the answers equal the reference's
    to the nanosecond (for periods that are whole microseconds: every N/second, minute, hour
    or day). Larger capacities (more than ~10^5 tokens per day with a count sharing no factor
    with the period) are scaled into range and round in the 16th digit.
*/
struct bucket_scale {
    bool exact = true;
    std::uint64_t refill = 1;
    std::uint64_t unit = 1;
    std::uint64_t capacity = 1;
    double refill_d = 1, unit_d = 1, capacity_d = 1;

    static bucket_scale of(const throttle::rate& r) {
        bucket_scale s;
        const auto ns = static_cast<std::uint64_t>(r.period.count());
        const std::uint64_t period_us = ns / 1000 + (ns % 1000 != 0 ? 1 : 0);
        const std::uint64_t g = std::gcd(r.tokens, period_us);
        s.refill = r.tokens / g;
        s.unit = period_us / g;
        constexpr std::uint64_t limit = std::uint64_t{1} << 53;
        if (s.unit < limit && r.tokens < limit / s.unit) {
            s.capacity = r.tokens * s.unit;
            s.refill_d = static_cast<double>(s.refill);
            s.unit_d = static_cast<double>(s.unit);
            s.capacity_d = static_cast<double>(s.capacity);
            return s;
        }
        // Scale unit and refill down by the same factor: the rate stays, values fit.
        s.exact = false;
        const long double full = static_cast<long double>(r.tokens) * s.unit;
        const long double k = std::ceil(full / static_cast<long double>(limit / 2));
        s.unit_d = static_cast<double>(s.unit / k);
        s.refill_d = static_cast<double>(s.refill / k);
        s.capacity_d = static_cast<double>(r.tokens * static_cast<long double>(s.unit_d));
        return s;
    }

    /// `x` as the script reads it: an integer when exact, else a round-trip double.
    static std::string number(double x) {
        char buf[40];
        int n = std::snprintf(buf, sizeof buf, "%.17g", x);
        return std::string(buf, static_cast<std::size_t>(n));
    }

    /// The decision for a bucket left with `debt` after a take of `cost` that was `allowed`.
    throttle::bucket_decision decide(bool allowed, std::int64_t debt_in, std::uint64_t cost,
                                     const throttle::rate& r) const {
        using std::chrono::nanoseconds;
        if (exact) {
            using rampart::detail::u128;
            const u128 debt =
                std::min<u128>(static_cast<u128>(debt_in < 0 ? 0 : debt_in), capacity);
            auto ceil_ns = [&](u128 units) {
                const u128 v = units * 1000;
                const u128 q = v / refill + (v % refill != 0 ? 1 : 0);
                const auto max = static_cast<u128>(std::numeric_limits<std::int64_t>::max());
                return nanoseconds{static_cast<std::int64_t>(q > max ? max : q)};
            };
            const auto remaining = static_cast<std::uint64_t>((capacity - debt) / unit);
            const nanoseconds reset = ceil_ns(debt);
            if (cost > r.tokens)
                return {false, remaining, nanoseconds::max(), reset};
            if (allowed)
                return {true, remaining, nanoseconds::zero(), reset};
            const u128 need = u128{cost} * unit;
            return {false, remaining, ceil_ns(debt + need - capacity), reset};
        }
        const long double debt =
            std::min<long double>(debt_in < 0 ? 0 : static_cast<long double>(debt_in), capacity_d);
        auto ceil_ns = [&](long double units) {
            const long double v = std::ceil(units * 1000 / refill_d);
            if (v >= static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
                return nanoseconds::max();
            return nanoseconds{static_cast<std::int64_t>(v < 0 ? 0 : v)};
        };
        const auto remaining = static_cast<std::uint64_t>(std::floor((capacity_d - debt) / unit_d));
        const nanoseconds reset = ceil_ns(debt);
        if (cost > r.tokens)
            return {false, remaining, nanoseconds::max(), reset};
        if (allowed)
            return {true, remaining, nanoseconds::zero(), reset};
        return {false, remaining,
                ceil_ns(debt + cost * static_cast<long double>(unit_d) - capacity_d), reset};
    }
};

/// One decision on one key, atomically, on the server's clock. ARGV: refill per µs, capacity,
/// debt to add (a take; negative: a refund). Returns {allowed (1/0), debt after}.
inline const char* bucket_script_source() noexcept {
    return R"lua(-- rampart token bucket (see rampart/throttle/bucket.hpp)
if redis.replicate_commands then redis.replicate_commands() end
local refill = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local debt = 0
local state = redis.call('HMGET', KEYS[1], 'd', 't')
if state[1] then
  debt = tonumber(state[1])
  local last = tonumber(state[2])
  if now >= last then
    debt = debt - (now - last) * refill
    if debt < 0 then debt = 0 end
  else
    debt = debt + (last - now) * refill
  end
  if debt > capacity then debt = capacity end
end
local allowed = 1
if need < 0 then
  debt = debt + need
  if debt < 0 then debt = 0 end
elseif debt + need <= capacity then
  debt = debt + need
else
  allowed = 0
end
if debt > 0 then
  redis.call('HSET', KEYS[1], 'd', debt, 't', now)
  redis.call('PEXPIRE', KEYS[1], math.floor(debt / refill / 1000) + 1)
else
  redis.call('DEL', KEYS[1])
end
return {allowed, debt}
)lua";
}

} // namespace detail

/** Token buckets in Redis, shared by every instance of a service; a throttle::bucket_store.

    Each decision is one Lua script on one key (so Redis Cluster can place it anywhere),
    run atomically by the server with the server's own clock (`TIME`): instances whose clocks
    disagree still share one exact limit. The arithmetic is rampart/throttle/bucket.hpp's, so
    limits, `Retry-After` and `RateLimit` headers are the same as with the in-process store.
    A key lives only while its bucket is not full: its TTL is the time to refill, so idle
    clients cost no memory. `refund` gives tokens back the same way.

    When Redis cannot answer (down, timed out, error reply), the store follows
    `bucket_store_options::on_failure`: by default it decides from `Fallback` (an in-process
    throttle::memory_store), limiting each client per instance; with fail_policy::closed it
    throws rampart::service_unavailable. The outage is logged once and the recovery once; each
    call tries Redis again, which the client's reconnect backoff keeps cheap while it is down.

    Thread-safe; the client must outlive the store.
*/
template <throttle::bucket_store Fallback = throttle::memory_store<>>
class bucket_store {
public:
    /// A store on `c`; `fallback_args` construct the fallback store.
    template <class... FallbackArgs>
    explicit bucket_store(client& c, bucket_store_options opts = {},
                          FallbackArgs&&... fallback_args)
        : client_(c), prefix_(std::move(opts.prefix)), policy_(opts.on_failure),
          monitor_("redis::bucket_store", std::move(opts.log)),
          script_(detail::bucket_script_source()),
          fallback_(std::forward<FallbackArgs>(fallback_args)...) {}

    bucket_store(const bucket_store&) = delete;
    bucket_store& operator=(const bucket_store&) = delete;

    /// Takes `cost` tokens from `key`'s bucket when they exist (see throttle::bucket_store).
    asio::awaitable<throttle::bucket_decision> take(std::string_view key, const throttle::rate& r,
                                                    std::uint64_t cost) {
        throttle::validate_rate(r);
        const auto scale = detail::bucket_scale::of(r);
        const std::uint64_t sent_cost = cost > r.tokens ? 0 : cost; // never admitted: report
        std::optional<throttle::bucket_decision> decision;
        std::string why;
        try {
            // (No co_await inside ?: here: GCC 12 miscompiles it.)
            reply rep;
            if (scale.exact)
                rep = co_await client_.eval(script_, 1, redis_key(key), scale.refill,
                                            scale.capacity, sent_cost * scale.unit);
            else
                rep = co_await client_.eval(script_, 1, redis_key(key), number(scale.refill_d),
                                            number(scale.capacity_d),
                                            number(static_cast<double>(sent_cost) * scale.unit_d));
            if (rep.is_error()) {
                why = rep.str();
            } else {
                const auto& e = rep.elements();
                if (e.size() != 2)
                    throw unexpected_reply("redis: the bucket script returned " +
                                           std::to_string(e.size()) + " values");
                decision = scale.decide(e[0].integer() == 1, e[1].integer(), cost, r);
            }
        } catch (const boost::system::system_error& e) {
            why = e.code().message();
        } catch (const unexpected_reply& e) {
            why = e.what();
        }
        if (decision) {
            monitor_.succeeded();
            co_return *decision;
        }
        failed(why);
        co_return co_await fallback_.take(key, r, cost);
    }

    /// Gives back `cost` tokens to `key`'s bucket, never beyond full.
    asio::awaitable<void> refund(std::string_view key, const throttle::rate& r,
                                 std::uint64_t cost) {
        throttle::validate_rate(r);
        const auto scale = detail::bucket_scale::of(r);
        std::string why;
        bool done = false;
        try {
            // (No co_await inside ?: here: GCC 12 miscompiles it.)
            const std::uint64_t give = std::min(cost, r.tokens);
            reply rep;
            if (scale.exact)
                rep =
                    co_await client_.eval(script_, 1, redis_key(key), scale.refill, scale.capacity,
                                          -static_cast<std::int64_t>(give * scale.unit));
            else
                rep = co_await client_.eval(script_, 1, redis_key(key), number(scale.refill_d),
                                            number(scale.capacity_d),
                                            number(-static_cast<double>(give) * scale.unit_d));
            if (rep.is_error())
                why = rep.str();
            else
                done = true;
        } catch (const boost::system::system_error& e) {
            why = e.code().message();
        }
        if (done) {
            monitor_.succeeded();
            co_return;
        }
        failed(why);
        co_await fallback_.refund(key, r, cost);
    }

    /// The in-process store used while Redis is down (fail_policy::open).
    Fallback& fallback() noexcept { return fallback_; }

    /// Whether the last call found Redis unavailable.
    bool degraded() const noexcept { return monitor_.down(); }

    /// The Redis key of bucket `key`.
    std::string redis_key(std::string_view key) const { return detail::prefixed_key(prefix_, key); }

    /// The Lua script run for each decision (for `redis-benchmark` and diagnostics).
    const script& lua() const noexcept { return script_; }

private:
    static std::string number(double x) { return detail::bucket_scale::number(x); }

    void failed(const std::string& why) {
        detail::on_outage(monitor_, policy_, why,
                          {"Rate limiting is temporarily unavailable.",
                           "requests are refused with 503 until it is back",
                           "limiting each client per instance in memory until it is back"});
    }

    client& client_;
    std::string prefix_;
    fail_policy policy_;
    detail::outage_monitor monitor_;
    script script_;
    Fallback fallback_;
};

static_assert(throttle::bucket_store<bucket_store<>>);

} // namespace rampart::redis

#endif
