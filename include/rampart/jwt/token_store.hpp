#ifndef RAMPART_JWT_TOKEN_STORE_HPP
#define RAMPART_JWT_TOKEN_STORE_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/types.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rampart::jwt {

/** Shared, expiring state behind token rotation, the blacklist and revocation.

    A store maps short text keys to a 64-bit value until the entry's `expires` time. The token
    service keeps used refresh-token ids, revoked token families and per-user revocation times
    in it, never raw tokens.

    - `insert(key, value, expires)` sets the entry only when the key is absent (or expired) and
      returns true when it did. It is atomic: of any number of concurrent inserts of one key,
      across threads and processes sharing the store, exactly one returns true. Rotation relies
      on this to let exactly one of several concurrent refreshes of one token succeed.
    - `get(key)` returns the value, or nullopt when absent or expired.
    - `put(key, value, expires)` sets or overwrites.

    Entries must be forgotten once `expires` passes so that memory stays bounded by the number
    of live tokens. `memory_token_store` is the in-process store; `rampart::redis::token_store`
    shares the state between instances.
*/
template <class S>
concept token_store = requires(S& s, std::string_view key, std::int64_t value,
                               std::chrono::system_clock::time_point expires) {
    { s.insert(key, value, expires) } -> std::same_as<asio::awaitable<bool>>;
    { s.get(key) } -> std::same_as<asio::awaitable<std::optional<std::int64_t>>>;
    { s.put(key, value, expires) } -> std::same_as<asio::awaitable<void>>;
};

/** The in-process token store: sharded hash maps, one mutex per shard.

    Safe to use from any number of threads at once; the store must outlive everything that
    refers to it (the token service and the authentication middleware hold references).

    Memory stays bounded: an expired entry is dropped when it is read, and each shard sweeps
    out all its expired entries whenever it has grown to twice its size after the last sweep,
    so a shard never holds more than about twice its live entries (plus a small constant),
    at an amortised constant cost per write. Keys are hashed with a per-store random seed mixed
    in, so clients cannot aim many keys at one shard.

    Time comes from `Clock` (see rampart/core/clock.hpp), which makes expiry exact in tests.
*/
template <clock_source Clock = system_clock>
class memory_token_store {
public:
    using time_point = std::chrono::system_clock::time_point;

    /// A store with `shards` independent shards (at least one).
    /// Throws: std::runtime_error when OpenSSL has no randomness (a server fault).
    explicit memory_token_store(Clock clock = {}, std::size_t shards = 16)
        : clock_(std::move(clock)), shards_(shards == 0 ? 1 : shards) {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed_), sizeof seed_) != 1)
            throw std::runtime_error("rampart: no randomness for the token store's hash seed");
    }

    memory_token_store(const memory_token_store&) = delete;
    memory_token_store& operator=(const memory_token_store&) = delete;

    /// Sets `key` when absent or expired; true when this call set it.
    asio::awaitable<bool> insert(std::string_view key, std::int64_t value, time_point expires) {
        co_return try_insert(key, value, expires);
    }

    /// The value of `key`, or nullopt when absent or expired.
    asio::awaitable<std::optional<std::int64_t>> get(std::string_view key) { co_return find(key); }

    /// Sets or overwrites `key`.
    asio::awaitable<void> put(std::string_view key, std::int64_t value, time_point expires) {
        assign(key, value, expires);
        co_return;
    }

    /// The synchronous form of insert.
    bool try_insert(std::string_view key, std::int64_t value, time_point expires) {
        auto now = clock_.now();
        if (expires <= now)
            return false; // an entry expired on arrival could never be observed
        shard& s = shard_for(key);
        std::lock_guard lock{s.mutex};
        auto it = s.entries.find(key);
        if (it != s.entries.end()) {
            if (it->second.expires > now)
                return false;
            it->second = {value, expires};
            return true;
        }
        s.entries.emplace(std::string(key), entry{value, expires});
        sweep_if_grown(s, now);
        return true;
    }

    /// The synchronous form of get.
    std::optional<std::int64_t> find(std::string_view key) {
        auto now = clock_.now();
        shard& s = shard_for(key);
        std::lock_guard lock{s.mutex};
        auto it = s.entries.find(key);
        if (it == s.entries.end())
            return std::nullopt;
        if (it->second.expires <= now) {
            s.entries.erase(it);
            return std::nullopt;
        }
        return it->second.value;
    }

    /// The synchronous form of put.
    void assign(std::string_view key, std::int64_t value, time_point expires) {
        auto now = clock_.now();
        shard& s = shard_for(key);
        std::lock_guard lock{s.mutex};
        auto it = s.entries.find(key);
        if (expires <= now) {
            if (it != s.entries.end())
                s.entries.erase(it);
            return;
        }
        if (it != s.entries.end())
            it->second = {value, expires};
        else
            s.entries.emplace(std::string(key), entry{value, expires});
        sweep_if_grown(s, now);
    }

    /// Entries held right now, expired ones not yet swept included. For monitoring and tests.
    std::size_t size() const {
        std::size_t n = 0;
        for (auto& s : shards_) {
            std::lock_guard lock{s.mutex};
            n += s.entries.size();
        }
        return n;
    }

    /// Drops every expired entry now. Writes do this on their own; call it to reclaim memory
    /// sooner after a burst.
    void purge_expired() {
        auto now = clock_.now();
        for (auto& s : shards_) {
            std::lock_guard lock{s.mutex};
            sweep(s, now);
        }
    }

private:
    struct entry {
        std::int64_t value;
        time_point expires;
    };
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const noexcept {
            return std::hash<std::string_view>{}(k);
        }
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, entry, key_hash, std::equal_to<>> entries;
        std::size_t sweep_at = minimum_sweep;
    };
    static constexpr std::size_t minimum_sweep = 64;

    shard& shard_for(std::string_view key) {
        std::size_t h = key_hash{}(key) ^ seed_;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 32;
        return shards_[h % shards_.size()];
    }

    static void sweep_if_grown(shard& s, time_point now) {
        if (s.entries.size() >= s.sweep_at)
            sweep(s, now);
    }

    static void sweep(shard& s, time_point now) {
        std::erase_if(s.entries, [&](const auto& kv) { return kv.second.expires <= now; });
        s.sweep_at = std::max(minimum_sweep, 2 * s.entries.size());
    }

    [[no_unique_address]] Clock clock_;
    std::vector<shard> shards_;
    std::size_t seed_ = 0;
};

static_assert(token_store<memory_token_store<>>);

} // namespace rampart::jwt

#endif
