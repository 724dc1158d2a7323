#ifndef RAMPART_THROTTLE_MEMORY_STORE_HPP
#define RAMPART_THROTTLE_MEMORY_STORE_HPP

#include <rampart/core/clock.hpp>
#include <rampart/throttle/bucket.hpp>
#include <rampart/throttle/store.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rampart::throttle {

/// Limits of a memory_store.
struct memory_store_options {
    /// The most buckets kept at once, over all shards (at least 64). A bucket with a client
    /// address key (`"anon|ip:203.0.113.7"`) takes about 122 bytes of heap, measured, so the
    /// default bounds the store near 32 MiB.
    std::size_t max_keys = std::size_t{1} << 18;
};

/** Token buckets in this process: the default bucket_store.

    Buckets live in 64 shards, each a hash map behind its own mutex, chosen by the key's hash,
    so I/O threads rarely wait for one another, and each decision is exact: a `take` on one key
    is atomic, whatever the number of threads. The arithmetic is token_bucket's.

    Memory stays bounded, whatever clients send:
    - A bucket that is full again carries no information (a new bucket starts full), so full
      buckets are dropped. The sweep is lazy: a shard sweeps when it has doubled in size since
      its last sweep, or reaches its cap; the cost is amortised over the insertions.
    - Each shard holds at most `max_keys / 64` buckets. When a shard at its cap has no full
      bucket to drop (a flood of new keys), it evicts an eighth of its buckets, those *closest
      to full* (earliest to refill). Evicting a bucket refills it; evicting the fullest gives
      away the fewest tokens. In a flood of fresh addresses, each of which spent one token,
      the fresh buckets are the ones evicted, while the buckets of heavy clients, far from
      full, stay. An evicted key never gets more than a new key gets: one full bucket.

    Time comes from `Clock` (see rampart/core/clock.hpp); a clock stepping backwards neither
    mints tokens nor throws (see token_bucket). The store is neither copyable nor movable:
    throttle middleware refer to it, so it must outlive them.
*/
template <clock_source Clock = system_clock>
class memory_store {
public:
    /// The number of shards (a power of two).
    static constexpr std::size_t shard_count = 64;

    /// Throws `std::invalid_argument` when `options.max_keys` is under 64 (a configuration error).
    explicit memory_store(Clock clock = {}, memory_store_options options = {})
        : clock_(std::move(clock)), per_shard_cap_(per_shard(options.max_keys)) {
        for (auto& s : shards_)
            s.sweep_at = std::min<std::size_t>(per_shard_cap_, initial_sweep_size);
    }

    memory_store(const memory_store&) = delete;
    memory_store& operator=(const memory_store&) = delete;

    /// Takes `cost` tokens from `key`'s bucket now, synchronously (see sync_bucket_store).
    /// Throws rate_error for a rate without tokens or with a period out of range (a
    /// programming or configuration error, never the client's).
    bucket_decision try_take(std::string_view key, const rate& r, std::uint64_t cost) {
        return with_shard(key, r, [&](shard& s, const hashed_key& k, time_point now) {
            auto it = s.buckets.find(k);
            if (it == s.buckets.end()) {
                if (cost == 0) // a full bucket, unchanged: nothing worth remembering
                    return token_bucket(now).take(r, 0, now);
                if (s.buckets.size() >= s.sweep_at)
                    make_room(s, now);
                it = s.buckets.emplace(std::string(key), entry{token_bucket(now), 0}).first;
            }
            bucket_decision d = it->second.bucket.take(r, cost, now);
            it->second.full_at = nanos(now) + d.reset.count();
            return d;
        });
    }

    /// Gives back `cost` tokens to `key`'s bucket now, synchronously (see sync_bucket_store).
    /// Throws rate_error as try_take does.
    void refund_now(std::string_view key, const rate& r, std::uint64_t cost) {
        with_shard(key, r, [&](shard& s, const hashed_key& k, time_point now) {
            auto it = s.buckets.find(k);
            if (it == s.buckets.end())
                return; // dropped or evicted: already full
            it->second.bucket.refund(r, cost, now);
            if (it->second.bucket.full(r, now))
                s.buckets.erase(it);
        });
    }

    /// The bucket_store operation: try_take, on the caller's executor. `key` must stay valid
    /// until the returned awaitable completes (co_await it at once). Throws as try_take does.
    asio::awaitable<bucket_decision> take(std::string_view key, const rate& r, std::uint64_t cost) {
        co_return try_take(key, r, cost);
    }

    /// The bucket_store operation: refund_now, on the caller's executor. Throws as try_take does.
    asio::awaitable<void> refund(std::string_view key, const rate& r, std::uint64_t cost) {
        refund_now(key, r, cost);
        co_return;
    }

    /// The number of buckets held now (full ones not yet swept included).
    std::size_t size() const {
        std::size_t n = 0;
        for (auto& s : shards_) {
            std::lock_guard lock(s.mutex);
            n += s.buckets.size();
        }
        return n;
    }

    /// The most buckets this store ever holds.
    std::size_t max_size() const noexcept { return per_shard_cap_ * shard_count; }

    /// The clock the store reads.
    const Clock& clock() const noexcept { return clock_; }

private:
    using time_point = std::chrono::system_clock::time_point;
    static constexpr std::size_t initial_sweep_size = 64;

    /// A key with its hash, computed once for both the shard and the map.
    struct hashed_key {
        std::string_view text;
        std::size_t hash;
    };
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(const std::string& k) const noexcept {
            return std::hash<std::string_view>{}(k);
        }
        std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
    };
    struct key_equal {
        using is_transparent = void;
        bool operator()(const std::string& a, const std::string& b) const noexcept {
            return a == b;
        }
        bool operator()(const hashed_key& a, const std::string& b) const noexcept {
            return a.text == b;
        }
        bool operator()(const std::string& a, const hashed_key& b) const noexcept {
            return a == b.text;
        }
    };
    struct entry {
        token_bucket bucket;
        std::int64_t full_at; // ns since the epoch when the bucket is full again
    };
    using map_type = std::unordered_map<std::string, entry, key_hash, key_equal>;

    struct alignas(64) shard {
        mutable std::mutex mutex;
        map_type buckets;
        std::size_t sweep_at = 0;
    };

    static std::size_t per_shard(std::size_t max_keys) {
        if (max_keys < shard_count)
            throw std::invalid_argument("memory_store: max_keys must be at least 64");
        return max_keys / shard_count;
    }

    static std::int64_t nanos(std::chrono::system_clock::time_point t) noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }

    shard& shard_for(std::size_t hash) noexcept {
        // The map uses the low bits of the same hash; the shard takes the high ones.
        return shards_[(hash >> (sizeof(std::size_t) * 8 - 6)) & (shard_count - 1)];
    }

    /// Checks `r`, reads the clock once, and runs `f(shard, key, now)` holding the lock of
    /// `key`'s shard: the one way into a bucket.
    template <class F>
    decltype(auto) with_shard(std::string_view key, const rate& r, F&& f) {
        validate_rate(r);
        const time_point now = clock_.now();
        const hashed_key k{key, std::hash<std::string_view>{}(key)};
        shard& s = shard_for(k.hash);
        std::lock_guard lock(s.mutex);
        return f(s, k, now);
    }

    /// Drops full buckets; at the cap, evicts the ones closest to full. Sets the next sweep.
    void make_room(shard& s, std::chrono::system_clock::time_point now) {
        const std::int64_t t = nanos(now);
        std::erase_if(s.buckets, [t](const auto& kv) { return kv.second.full_at <= t; });
        if (s.buckets.size() >= per_shard_cap_) {
            const std::size_t keep = per_shard_cap_ - std::max<std::size_t>(1, per_shard_cap_ / 8);
            std::vector<typename map_type::iterator> all;
            all.reserve(s.buckets.size());
            for (auto it = s.buckets.begin(); it != s.buckets.end(); ++it)
                all.push_back(it);
            const std::size_t evict = all.size() - keep;
            std::nth_element(
                all.begin(), all.begin() + static_cast<std::ptrdiff_t>(evict), all.end(),
                [](const auto& a, const auto& b) { return a->second.full_at < b->second.full_at; });
            for (std::size_t i = 0; i < evict; ++i)
                s.buckets.erase(all[i]);
        }
        s.sweep_at = std::min(per_shard_cap_, std::max(initial_sweep_size, 2 * s.buckets.size()));
    }

    Clock clock_;
    std::size_t per_shard_cap_;
    std::array<shard, shard_count> shards_;
};

static_assert(sync_bucket_store<memory_store<>>);

} // namespace rampart::throttle

#endif
