#include <rampart/redis/token_store.hpp>

#include "common.hpp"

#include <rampart/core/clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;
using rampart::test::redis_env;

namespace {

struct log_lines {
    redis::log_sink sink() {
        return [this](std::string_view m) {
            std::lock_guard lock{mutex};
            lines.emplace_back(m);
        };
    }
    std::size_t size() {
        std::lock_guard lock{mutex};
        return lines.size();
    }
    std::mutex mutex;
    std::vector<std::string> lines;
};

/// Whether `aw` throws service_unavailable (a 503).
template <class T>
asio::awaitable<bool> unavailable(asio::awaitable<T> aw) {
    try {
        co_await std::move(aw);
    } catch (const service_unavailable& e) {
        co_return e.status_code() == 503;
    }
    co_return false;
}

} // namespace

TEST_CASE("redis token_store: insert if absent, get, put, expiry on the server", "[redis][jwt]") {
    redis_env env;
    manual_clock clock{std::chrono::system_clock::now()};
    redis::token_store<clock_ref<manual_clock>> store{env.client, {}, clock_ref{clock}};
    const auto expires = clock.now() + 1h + 500us;
    env.run([&]() -> asio::awaitable<void> {
        bool first = co_await store.insert("used:jti-1", 7, expires);
        bool second = co_await store.insert("used:jti-1", 8, expires);
        CHECK(first);
        CHECK(!second);
        auto found = co_await store.get("used:jti-1");
        CHECK(found == 7);
        auto missing = co_await store.get("used:nope");
        CHECK(!missing);
        co_await store.put("used:jti-1", -42, expires);
        auto overwritten = co_await store.get("used:jti-1");
        CHECK(overwritten == -42);
        // Already expired by the store's clock: never written, and put deletes.
        bool late = co_await store.insert("used:old", 1, clock.now() - 1s);
        CHECK(!late);
        co_await store.put("used:jti-1", 1, clock.now());
        auto gone = co_await store.get("used:jti-1");
        CHECK(!gone);
        co_await store.put("family:9", INT64_MIN, expires);
        auto extreme = co_await store.get("family:9");
        CHECK(extreme == INT64_MIN);
    }());
    CHECK(env.server.command({"EXISTS", "rampart:jwt:used:old"})->integer == 0);
    // Redis expires the entry at `expires`, to the millisecond (rounded up, never early).
    auto at = env.server.command({"PEXPIRETIME", "rampart:jwt:family:9"});
    CHECK(at->integer ==
          std::chrono::ceil<std::chrono::milliseconds>(expires.time_since_epoch()).count());
}

TEST_CASE("redis token_store: entries expire", "[redis][jwt]") {
    redis_env env;
    redis::token_store<> store{env.client};
    env.run([&]() -> asio::awaitable<void> {
        co_await store.put("short", 1, std::chrono::system_clock::now() + 1h);
        // Let the server's clock pass the entry's end instead of waiting for it.
        co_await env.client.execute("PEXPIREAT", store.redis_key("short"), 1);
        auto gone = co_await store.get("short");
        CHECK(!gone);
        bool again = co_await store.insert("short", 2, std::chrono::system_clock::now() + 1h);
        CHECK(again);
    }());
}

TEST_CASE("redis token_store: of concurrent inserts exactly one wins",
          "[redis][jwt][concurrency]") {
    test::redis_server server;
    asio::thread_pool pool{4};
    std::atomic<int> wins{0};
    {
        redis::client a{pool.get_executor(), test::test_options(server)};
        redis::client b{pool.get_executor(), test::test_options(server)};
        redis::token_store<> first{a}, second{b};
        const auto expires = std::chrono::system_clock::now() + 1h;
        for (int round = 0; round < 20; ++round) {
            const std::string key = "used:" + std::to_string(round);
            std::vector<std::future<void>> calls;
            for (int i = 0; i < 64; ++i)
                calls.push_back(asio::co_spawn(
                    asio::make_strand(pool),
                    [&, i, key]() -> asio::awaitable<void> {
                        auto& store = i % 2 ? first : second;
                        if (co_await store.insert(key, i, expires))
                            ++wins;
                    },
                    asio::use_future));
            for (auto& c : calls)
                c.get();
            CHECK(wins.load() == round + 1);
        }
        a.close();
        b.close();
    }
    pool.join();
    CHECK(wins.load() == 20);
}

TEST_CASE("redis token_store fails closed by default", "[redis][jwt]") {
    redis_env env;
    log_lines log;
    redis::token_store<> store{env.client, {.log = log.sink()}};
    const auto expires = std::chrono::system_clock::now() + 1h;
    env.run([&]() -> asio::awaitable<void> {
        co_await store.put("k", 1, expires);
        env.server.kill9();
        for (int i = 0; i < 2; ++i) {
            {
                bool refused = co_await unavailable(store.get("k"));
                CHECK(refused);
            }
            {
                bool refused = co_await unavailable(store.insert("n", 1, expires));
                CHECK(refused);
            }
            {
                bool refused = co_await unavailable(store.put("n", 1, expires));
                CHECK(refused);
            }
        }
        CHECK(store.degraded());
        env.server.restart();
        bool inserted = co_await store.insert("n", 1, expires);
        CHECK(inserted);
        CHECK(!store.degraded());
    }());
    CHECK(log.size() == 2);
}

TEST_CASE("redis token_store fails open when asked to, and remembers the outage", "[redis][jwt]") {
    redis_env env;
    log_lines log;
    redis::token_store<> store{env.client,
                               {.on_failure = redis::fail_policy::open, .log = log.sink()}};
    const auto expires = std::chrono::system_clock::now() + 1h;
    env.run([&]() -> asio::awaitable<void> {
        bool before = co_await store.insert("used:a", 1, expires);
        CHECK(before);
        env.server.stop();
        bool during = co_await store.insert("used:b", 2, expires);
        bool twice = co_await store.insert("used:b", 3, expires);
        CHECK(during);
        CHECK(!twice);
        auto b = co_await store.get("used:b");
        CHECK(b == 2);
        env.server.restart();
        // Back on Redis; what was recorded during the outage still counts here.
        auto still = co_await store.get("used:b");
        CHECK(still == 2);
        bool reused = co_await store.insert("used:b", 4, expires);
        CHECK(!reused);
        bool fresh = co_await store.insert("used:c", 5, expires);
        CHECK(fresh);
    }());
    CHECK(log.size() == 2);
    CHECK(env.server.command({"EXISTS", "rampart:jwt:used:c"})->integer == 1);
}

TEST_CASE("redis token_store treats a corrupt value as unavailable", "[redis][jwt]") {
    redis_env env;
    log_lines log;
    redis::token_store<> store{env.client, {.log = log.sink()}};
    env.server.command({"SET", "rampart:jwt:bad", "12abc"});
    env.run([&]() -> asio::awaitable<void> {
        {
            bool refused = co_await unavailable(store.get("bad"));
            CHECK(refused);
        }
    }());
    CHECK(log.size() == 1);
}
