#ifndef RAMPART_REDIS_CIRCUIT_BREAKER_HPP
#define RAMPART_REDIS_CIRCUIT_BREAKER_HPP

#include <atomic>
#include <chrono>
#include <cstdint>

namespace rampart::redis {

/** When a redis::client stops sending commands to a server that does not answer.

    A stalled server (stopped, swapping, stuck in a long command) accepts connections but
    answers nothing, so without a breaker every call would wait out its command timeout. After
    `failure_threshold` consecutive failures (a command timeout, or a failed connection attempt)
    the breaker *opens*: calls fail at once with error::circuit_open and the stores fall back
    per their fail_policy, exactly as when Redis is down. While it is open the client probes in
    the background every `probe_interval`: one connection attempt that must get an answer to
    `TIME` within `connect_timeout`. The first probe that succeeds *closes* the breaker and its
    connection carries the next calls.
*/
struct breaker_options {
    /// Consecutive failures that open the breaker; 0 turns the breaker off.
    unsigned failure_threshold = 3;
    /// The time between probes while the breaker is open: how long Redis may be back before
    /// the client uses it again.
    std::chrono::milliseconds probe_interval{1000};
};

/// Where a client's breaker stands.
enum class circuit_state : std::uint8_t {
    /// Calls are sent.
    closed,
    /// Calls fail at once with error::circuit_open; a background probe looks for the server.
    open,
};

/** The breaker's state: the count of consecutive failures and whether it is open.

    The client changes it from its strand only; the atomics let any thread read it (readiness
    checks, metrics) without a lock. It keeps no time of its own: the client's timer paces the
    probes.
*/
class circuit_breaker {
public:
    explicit circuit_breaker(breaker_options opts) noexcept : opts_(opts) {}

    circuit_breaker(const circuit_breaker&) = delete;
    circuit_breaker& operator=(const circuit_breaker&) = delete;

    const breaker_options& options() const noexcept { return opts_; }

    /// Whether calls must fail at once.
    bool is_open() const noexcept { return state() == circuit_state::open; }

    circuit_state state() const noexcept { return state_.load(std::memory_order_acquire); }

    /// Failures since the last answer from the server.
    unsigned consecutive_failures() const noexcept {
        return failures_.load(std::memory_order_relaxed);
    }

    /// How many times the breaker has opened since the client was made.
    std::uint64_t times_opened() const noexcept { return opened_.load(std::memory_order_relaxed); }

    /// Counts a failure; true when this one opened the breaker.
    bool record_failure() noexcept {
        const unsigned n = failures_.load(std::memory_order_relaxed) + 1;
        failures_.store(n, std::memory_order_relaxed);
        if (opts_.failure_threshold == 0 || n < opts_.failure_threshold || is_open())
            return false;
        opened_.fetch_add(1, std::memory_order_relaxed);
        state_.store(circuit_state::open, std::memory_order_release);
        return true;
    }

    /// The server answered: the count starts again and the breaker closes; true when it was open.
    bool record_success() noexcept {
        failures_.store(0, std::memory_order_relaxed);
        if (!is_open())
            return false;
        state_.store(circuit_state::closed, std::memory_order_release);
        return true;
    }

private:
    breaker_options opts_;
    std::atomic<unsigned> failures_{0};
    std::atomic<std::uint64_t> opened_{0};
    std::atomic<circuit_state> state_{circuit_state::closed};
};

} // namespace rampart::redis

#endif
