#ifndef RAMPART_REDIS_DETAIL_SHARED_STORE_HPP
#define RAMPART_REDIS_DETAIL_SHARED_STORE_HPP

// What the Redis-backed stores (bucket_store, token_store) do alike: name their keys, and
// answer a call Redis could not serve according to their fail_policy.

#include <rampart/errors/http_error.hpp>
#include <rampart/redis/fail_policy.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace rampart::redis::detail {

/// The Redis key of a store's `key`: its prefix, then the key.
inline std::string prefixed_key(std::string_view prefix, std::string_view key) {
    std::string k;
    k.reserve(prefix.size() + key.size());
    k.append(prefix).append(key);
    return k;
}

/// What one store says when Redis cannot answer.
struct outage_words {
    /// The message of the 503 under fail_policy::closed.
    const char* refusal;
    /// The end of the outage's log line under fail_policy::closed, and under fail_policy::open.
    const char* when_closed;
    const char* when_open;
};

/// After a call Redis could not answer (`why`): logs the outage once, then, under
/// fail_policy::closed, throws rampart::service_unavailable (503, Retry-After: 1); under
/// fail_policy::open returns, and the store answers from its fallback.
inline void on_outage(outage_monitor& monitor, fail_policy policy, std::string_view why,
                      const outage_words& words) {
    if (policy == fail_policy::closed) {
        monitor.failed(why, words.when_closed, log_level::error);
        throw service_unavailable(words.refusal, std::chrono::seconds{1});
    }
    monitor.failed(why, words.when_open);
}

} // namespace rampart::redis::detail

#endif
