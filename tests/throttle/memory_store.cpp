#include <rampart/throttle/memory_store.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using namespace rampart::throttle;
using namespace std::chrono_literals;

namespace {
using store_type = memory_store<clock_ref<manual_clock>>;
} // namespace

TEST_CASE("memory_store: exact admission, refill and Retry-After honesty by key",
          "[throttle][memory_store]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate r{100, 1h}; // a token every 36 s
    int admitted = 0;
    for (int i = 0; i < 250; ++i)
        admitted += store.try_take("anon|ip:203.0.113.7", r, 1).allowed ? 1 : 0;
    CHECK(admitted == 100);
    // Another key has its own bucket.
    CHECK(store.try_take("anon|ip:203.0.113.8", r, 1).remaining == 99);

    auto refused = store.try_take("anon|ip:203.0.113.7", r, 1);
    REQUIRE_FALSE(refused.allowed);
    CHECK(refused.retry_after == 36s);
    clock.advance(36s - 1ns);
    CHECK_FALSE(store.try_take("anon|ip:203.0.113.7", r, 1).allowed);
    clock.advance(1ns);
    CHECK(store.try_take("anon|ip:203.0.113.7", r, 1).allowed);
    CHECK_FALSE(store.try_take("anon|ip:203.0.113.7", r, 1).allowed);

    // Burst after idling: a full bucket again, never more.
    clock.advance(5h);
    admitted = 0;
    for (int i = 0; i < 150; ++i)
        admitted += store.try_take("anon|ip:203.0.113.7", r, 1).allowed ? 1 : 0;
    CHECK(admitted == 100);
}

TEST_CASE("memory_store: the awaitable take and refund are the same buckets",
          "[throttle][memory_store]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate r{2, 1min};
    static_assert(bucket_store<store_type>);
    auto d = test::run(store.take("k", r, 2));
    CHECK(d.allowed);
    CHECK(d.remaining == 0);
    CHECK_FALSE(store.try_take("k", r, 1).allowed);
    test::run(store.refund("k", r, 1));
    CHECK(store.try_take("k", r, 1).allowed);
    // A refund that fills the bucket forgets it; a refund of an unknown key is harmless.
    test::run(store.refund("k", r, 2));
    CHECK(store.size() == 0);
    store.refund_now("never-seen", r, 1);
    CHECK(store.size() == 0);
    // A zero-cost take of a new key reports a full bucket without storing it.
    auto peek = store.try_take("new", r, 0);
    CHECK(peek.allowed);
    CHECK(peek.remaining == 2);
    CHECK(store.size() == 0);
    CHECK_THROWS_AS(store.try_take("k", rate{0, 1s}, 1), rate_error);
}

TEST_CASE("memory_store: idle buckets are dropped once full again", "[throttle][memory_store]") {
    manual_clock clock;
    store_type store{clock_ref{clock}, memory_store_options{64 * 1000}};
    const rate r{10, 1s};
    for (int i = 0; i < 20'000; ++i)
        REQUIRE(store.try_take("a" + std::to_string(i), r, 1).allowed);
    CHECK(store.size() == 20'000); // nothing is full yet: nothing may be dropped
    // Each bucket is full 100 ms later; new traffic sweeps the old keys lazily.
    clock.advance(100ms);
    for (int i = 0; i < 20'000; ++i)
        REQUIRE(store.try_take("b" + std::to_string(i), r, 1).allowed);
    CHECK(store.size() < 30'000);
    // The state that matters survives: a drained key is still drained.
    for (int i = 0; i < 10; ++i)
        store.try_take("drained", r, 1);
    for (int i = 0; i < 20'000; ++i)
        store.try_take("c" + std::to_string(i), r, 1);
    CHECK_FALSE(store.try_take("drained", r, 1).allowed);
}

TEST_CASE("memory_store: a flood of new keys stays under the cap and evicts the fullest first",
          "[throttle][memory_store]") {
    manual_clock clock;
    const std::size_t cap = 64 * 32; // 2048 keys
    store_type store{clock_ref{clock}, memory_store_options{cap}};
    CHECK(store.max_size() == cap);
    const rate r{100, 1h};
    // Heavy clients, far from full: 20 of them spent 90 tokens each.
    for (int c = 0; c < 20; ++c)
        for (int i = 0; i < 90; ++i)
            REQUIRE(store.try_take("heavy" + std::to_string(c), r, 1).allowed);
    // 100k new addresses, one request each, without time passing: nothing is full again.
    std::size_t peak = 0;
    for (int i = 0; i < 100'000; ++i) {
        REQUIRE(store.try_take("flood" + std::to_string(i), r, 1).allowed);
        if (i % 1000 == 0)
            peak = std::max(peak, store.size());
    }
    peak = std::max(peak, store.size());
    CHECK(peak <= cap);
    // The heavy clients kept their state: each has exactly 10 tokens left.
    for (int c = 0; c < 20; ++c) {
        auto d = store.try_take("heavy" + std::to_string(c), r, 1);
        CHECK(d.allowed);
        CHECK(d.remaining == 9);
    }
    CHECK_THROWS_AS(store_type(clock_ref{clock}, memory_store_options{63}), std::invalid_argument);
}

TEST_CASE("memory_store: clock jumps in both directions", "[throttle][memory_store]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate r{5, 5s};
    for (int i = 0; i < 5; ++i)
        REQUIRE(store.try_take("k", r, 1).allowed);
    clock.advance(-24h);
    auto d = store.try_take("k", r, 1);
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 1s);
    clock.advance(1s);
    CHECK(store.try_take("k", r, 1).allowed);
    CHECK_FALSE(store.try_take("k", r, 1).allowed);
    // A jump far into the future refills to capacity, never beyond.
    clock.advance(24h * 365);
    int admitted = 0;
    for (int i = 0; i < 20; ++i)
        admitted += store.try_take("k", r, 1).allowed ? 1 : 0;
    CHECK(admitted == 5);
}

TEST_CASE("memory_store: many threads on one key admit exactly the bucket's capacity",
          "[throttle][memory_store][concurrency]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    const rate r{1000, 1h};
    constexpr int threads = 8;
    constexpr int attempts = 400; // 3200 attempts for 1000 tokens
    std::atomic<int> admitted{0};
    std::atomic<int> other_admitted{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < attempts; ++i) {
                if (store.try_take("shared", r, 1).allowed)
                    admitted.fetch_add(1, std::memory_order_relaxed);
                // Traffic on other keys (other shards) at the same time.
                if (store.try_take("own" + std::to_string(t * attempts + i), r, 1).allowed)
                    other_admitted.fetch_add(1, std::memory_order_relaxed);
            }
        });
    for (auto& th : pool)
        th.join();
    CHECK(admitted.load() == 1000);
    CHECK(other_admitted.load() == threads * attempts);

    // Takes and refunds interleaved: every refund gives back one token, so the number of
    // admissions is capacity + refunds exactly.
    store_type store2{clock_ref{clock}};
    const rate small{50, 1h};
    std::atomic<int> admitted2{0};
    std::vector<std::thread> pool2;
    for (int t = 0; t < threads; ++t)
        pool2.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (store2.try_take("k", small, 1).allowed) {
                    admitted2.fetch_add(1, std::memory_order_relaxed);
                    if (i % 2 == 0) {
                        store2.refund_now("k", small, 1);
                        admitted2.fetch_sub(1, std::memory_order_relaxed);
                    }
                }
            }
        });
    for (auto& th : pool2)
        th.join();
    // Tokens are conserved: what was kept, plus what is left, is the capacity.
    int left = 0;
    while (store2.try_take("k", small, 1).allowed)
        ++left;
    CHECK(admitted2.load() + left == 50);
}
