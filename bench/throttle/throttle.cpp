// The in-process throttle decision: rampart::throttle::memory_store beside the obvious
// baseline, one std::unordered_map behind one std::mutex doing the same bucket arithmetic
// (rampart::throttle::token_bucket) with the same clock. 10k keys, visited in a scrambled
// order, at 1 and 2 threads. Run with repetitions to read medians (see docs/benchmarks.md).

#include <rampart/throttle/memory_store.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using namespace rampart::throttle;

constexpr std::size_t key_count = 10'000;

const std::vector<std::string>& keys() {
    static const std::vector<std::string> k = [] {
        std::vector<std::string> out;
        out.reserve(key_count);
        for (std::size_t i = 0; i < key_count; ++i) {
            // Client-address keys as the limiter makes them ("anon|ip:10.0.39.16").
            out.push_back("anon|ip:10." + std::to_string(i / 65536) + "." +
                          std::to_string(i / 256 % 256) + "." + std::to_string(i % 256));
        }
        return out;
    }();
    return k;
}

// Plenty of tokens, so every decision admits, and slow enough a refill that no bucket is full
// again between two visits (a full bucket is forgotten and re-created: that is measured by
// BM_memory_store_churn).
constexpr rate limit{1'000'000, std::chrono::hours{1}};

/// The baseline: one map, one mutex, the same bucket arithmetic and clock.
class baseline_store {
public:
    bucket_decision try_take(std::string_view key, const rate& r, std::uint64_t cost) {
        const auto now = std::chrono::system_clock::now();
        std::lock_guard lock(mutex_);
        auto it = buckets_.find(key);
        if (it == buckets_.end())
            it = buckets_.emplace(std::string(key), token_bucket(now)).first;
        return it->second.take(r, cost, now);
    }

private:
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const noexcept {
            return std::hash<std::string_view>{}(k);
        }
    };
    std::mutex mutex_;
    std::unordered_map<std::string, token_bucket, hash, std::equal_to<>> buckets_;
};

template <class Store>
void run(benchmark::State& state, Store& store, const rate& limit) {
    const auto& k = keys();
    // Each thread walks the keys with its own stride (coprime with 10k), from its own start.
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 4999;
    for (auto _ : state) {
        i = (i + 7919) % key_count;
        benchmark::DoNotOptimize(store.try_take(k[i], limit, 1));
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_memory_store(benchmark::State& state) {
    static memory_store<> store;
    run(state, store, limit);
}

void BM_baseline_map_mutex(benchmark::State& state) {
    static baseline_store store;
    run(state, store, limit);
}

// Buckets full again between visits (a token per nanosecond): the store forgets and re-creates
// them, as it does for one-off clients. The baseline never forgets (and grows without bound).
void BM_memory_store_churn(benchmark::State& state) {
    static memory_store<> store;
    run(state, store, rate{1'000'000'000, std::chrono::seconds{1}});
}

BENCHMARK(BM_memory_store)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_baseline_map_mutex)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_memory_store_churn)->Threads(1)->UseRealTime();

} // namespace
