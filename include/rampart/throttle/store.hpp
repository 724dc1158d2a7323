#ifndef RAMPART_THROTTLE_STORE_HPP
#define RAMPART_THROTTLE_STORE_HPP

#include <rampart/throttle/rate.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string_view>

namespace rampart::throttle {

namespace asio = boost::asio;

/// What a store answered to one `take`.
struct bucket_decision {
    /// Whether the tokens were taken.
    bool allowed;
    /// Whole tokens left after this decision.
    std::uint64_t remaining;
    /// Zero when allowed; else the time until `cost` tokens exist. A request sent after
    /// this wait is admitted (unless someone else spends the tokens first).
    std::chrono::nanoseconds retry_after;
    /// The time until the bucket is full again (zero when it is full).
    std::chrono::nanoseconds reset;
};

/** Where token buckets live: in this process, or shared by many (Redis).

    A bucket is named by `key` and shaped by `r`: capacity `r.tokens`, refilled continuously at
    `r.tokens` per `r.period`. A bucket never seen before (or dropped while full and idle) starts
    full.

    - `take(key, r, cost)` atomically (per key) removes `cost` tokens when at least `cost` exist
      and says so; otherwise it removes nothing and says how long until they exist. A `cost`
      above `r.tokens` can never be admitted: the answer is a refusal with `retry_after` of
      `std::chrono::nanoseconds::max()`. A `cost` of 0 admits and only reports the state.
    - `refund(key, r, cost)` gives back tokens an earlier `take` removed (never beyond capacity),
      for when a later throttle on the same request refuses it.

    Every store must do the same arithmetic (see rampart/throttle/bucket.hpp, the reference),
    so that limits, `Retry-After` and the `RateLimit` headers agree whichever store is used.
    The same key must always be used with the same rate.
*/
template <class S>
concept bucket_store = requires(S& s, std::string_view key, const rate& r, std::uint64_t cost) {
    { s.take(key, r, cost) } -> std::same_as<asio::awaitable<bucket_decision>>;
    { s.refund(key, r, cost) } -> std::same_as<asio::awaitable<void>>;
};

/** A bucket_store that can also decide without suspending, on the calling thread.

    `try_take(key, r, cost)` and `refund_now(key, r, cost)` do what `take` and `refund` do, with
    the same arithmetic, and return at once: no coroutine frame, no executor hop. The limiter
    calls them instead of the awaitable forms when a store has them, which is what makes an
    in-process decision cost tens of nanoseconds. They run on the I/O thread, so a store may
    model this concept only when they never wait for I/O (memory_store does; a Redis store
    must not).
*/
template <class S>
concept sync_bucket_store = bucket_store<S> &&
    requires(S& s, std::string_view key, const rate& r, std::uint64_t cost) {
    { s.try_take(key, r, cost) } -> std::same_as<bucket_decision>;
    { s.refund_now(key, r, cost) } -> std::same_as<void>;
};

} // namespace rampart::throttle

#endif
