#include <rampart/jwt/token_store.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;

TEST_CASE("memory_token_store inserts only when absent, reads and overwrites") {
    manual_clock clock;
    jwt::memory_token_store<clock_ref<manual_clock>> store{clock_ref{clock}};
    auto later = clock.now() + 60s;
    // Results are taken out of the coroutine before checking: a co_await inside a Catch
    // assertion macro is not something every compiler transforms correctly.
    std::vector<std::optional<std::int64_t>> seen;
    std::vector<bool> inserted;
    test::run([&]() -> asio::awaitable<void> {
        seen.push_back(co_await store.get("jti:a"));
        inserted.push_back(co_await store.insert("jti:a", 7, later));
        inserted.push_back(co_await store.insert("jti:a", 8, later));
        seen.push_back(co_await store.get("jti:a"));
        co_await store.put("jti:a", 9, later);
        seen.push_back(co_await store.get("jti:a"));
        co_await store.put("jti:b", -3, later);
        seen.push_back(co_await store.get("jti:b"));
        seen.push_back(co_await store.get("jti:c"));
    }());
    CHECK(inserted == std::vector<bool>{true, false});
    CHECK(seen == std::vector<std::optional<std::int64_t>>{std::nullopt, 7, 9, -3, std::nullopt});
    ;
}

TEST_CASE("memory_token_store entries expire exactly at their time") {
    manual_clock clock;
    jwt::memory_token_store<clock_ref<manual_clock>> store{clock_ref{clock}, 4};
    auto expires = clock.now() + 10s;
    CHECK(store.try_insert("k", 1, expires));
    clock.advance(9999ms);
    CHECK(store.find("k") == std::optional<std::int64_t>{1});
    CHECK_FALSE(store.try_insert("k", 2, expires + 10s));
    clock.advance(1ms);
    CHECK_FALSE(store.find("k"));
    // Once expired, the key is free again.
    CHECK(store.try_insert("k", 3, clock.now() + 5s));
    CHECK(store.find("k") == std::optional<std::int64_t>{3});
    // An entry that is already expired is never stored.
    CHECK_FALSE(store.try_insert("past", 1, clock.now()));
    CHECK_FALSE(store.find("past"));
    store.assign("k", 4, clock.now() - 1s); // overwriting with a past time deletes
    CHECK_FALSE(store.find("k"));
}

TEST_CASE("memory_token_store memory stays bounded by live entries") {
    manual_clock clock;
    jwt::memory_token_store<clock_ref<manual_clock>> store{clock_ref{clock}, 2};
    // Ten rounds of 1,000 short-lived tokens: without purging this would hold 10,000.
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < 1000; ++i)
            REQUIRE(store.try_insert("jti:" + std::to_string(round) + ":" + std::to_string(i), 1,
                                     clock.now() + 1s));
        clock.advance(2s);
    }
    CHECK(store.size() <= 2 * 1000 + 2 * 64);
    store.purge_expired();
    CHECK(store.size() == 0);
}

TEST_CASE("memory_token_store: of concurrent inserts of one key exactly one wins",
          "[concurrency]") {
    jwt::memory_token_store<> store{system_clock{}, 8};
    constexpr int threads = 8;
    constexpr int keys = 200;
    std::vector<std::atomic<int>> wins(keys);
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            while (!go.load())
                std::this_thread::yield();
            for (int k = 0; k < keys; ++k) {
                std::string key = "jti:" + std::to_string(k);
                if (store.try_insert(key, t, std::chrono::system_clock::now() + 1h))
                    wins[k].fetch_add(1);
                (void)store.find(key);
            }
        });
    go = true;
    for (auto& th : pool)
        th.join();
    for (int k = 0; k < keys; ++k)
        CHECK(wins[k].load() == 1);
}
