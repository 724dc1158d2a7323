#ifndef RAMPART_REDIS_FAIL_POLICY_HPP
#define RAMPART_REDIS_FAIL_POLICY_HPP

#include <rampart/core/log.hpp>

#include <atomic>
#include <string>
#include <string_view>

namespace rampart::redis {

/** What a Redis-backed store does when Redis cannot answer (down, unreachable, too slow, or
    answering with an error).

    - `open`: the store answers from its in-process fallback store, so the service keeps
      working with per-instance state until Redis is back.
    - `closed`: the store throws `rampart::service_unavailable` (a 503), so nothing is decided
      without the shared state.

    Either way the outage is logged once when it starts and once when it ends, and every call
    tries Redis again (the client's reconnect backoff makes that cheap while it is down).
*/
enum class fail_policy { open, closed };

/// Receives the outage (level warning with `open`, error with `closed`) and recovery (info)
/// records, source `"redis"`. The stores' `log` option; empty (the default) means stderr_sink.
using log_sink = rampart::log_sink;

namespace detail {

/// Tracks whether a store's Redis is down, logging each change of state exactly once even
/// when many threads see it at the same moment.
class outage_monitor {
public:
    outage_monitor(std::string name, log_sink log)
        : name_(std::move(name)), log_(log ? std::move(log) : log_sink{stderr_sink{}}) {}

    /// Call after a failure; logs the start of an outage when this is its first failure, at
    /// `level` (warning when a fallback serves, error when calls fail).
    void failed(std::string_view why, std::string_view fallback,
                log_level level = log_level::warning) {
        if (!down_.exchange(true, std::memory_order_acq_rel))
            log_(log_record{level, "redis",
                            "rampart: " + name_ + ": Redis unavailable (" + std::string(why) +
                                "); " + std::string(fallback)});
    }

    /// Call after a success; logs the recovery when the store was down.
    void succeeded() {
        if (down_.load(std::memory_order_relaxed) &&
            down_.exchange(false, std::memory_order_acq_rel))
            log_(log_record{log_level::info, "redis",
                            "rampart: " + name_ + ": Redis is back; shared state is used again"});
    }

    bool down() const noexcept { return down_.load(std::memory_order_acquire); }

private:
    std::string name_;
    log_sink log_;
    std::atomic<bool> down_{false};
};

} // namespace detail

} // namespace rampart::redis

#endif
