#include <rampart/redis/token_store.hpp>

#include "common.hpp"

#include <rampart/core/clock.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;
using boost::system::error_code;
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

TEST_CASE("redis token_store: an insert that timed out in a stopped server never takes effect",
          "[redis][jwt]") {
    // A stall (SIGSTOP) while the insert is in flight: it reaches the server's socket, the
    // client gives up (503), and the server runs it when it wakes. Rotation must not find the
    // token used then, or the user's retry would be taken for a reuse.
    redis_env env;
    redis::token_store<> store{env.client};
    const auto expires = std::chrono::system_clock::now() + 1h;
    env.run([&]() -> asio::awaitable<void> {
        // A live connection, its clock measured, the script cached (else the stalled EVALSHA
        // would find no script when it runs, and prove nothing).
        bool warm = co_await store.insert("warm-up", 1, expires);
        REQUIRE(warm);
        env.server.pause();
        auto ex = co_await asio::this_coro::executor;
        // A plain command sent alongside: the proof that commands do run after the timeout.
        std::optional<error_code> control_error;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                auto [ec, r] = co_await env.client.async_execute(
                    redis::command{"SET", "rampart:jwt:control", 1},
                    asio::as_tuple(asio::use_awaitable));
                (void)r;
                control_error = ec;
            },
            asio::detached);
        bool refused = co_await unavailable(store.insert("used:jti-stalled", 5, expires));
        CHECK(refused);
        for (int i = 0; i < 100 && !control_error; ++i) {
            asio::steady_timer t{ex, 10ms};
            co_await t.async_wait(asio::use_awaitable);
        }
        REQUIRE(control_error);
        CHECK((*control_error == redis::error::timeout ||
               *control_error == redis::error::connection_reset));
        env.server.resume();
        // The plain SET ran once the server woke (bounded wait)...
        bool control_ran = false;
        for (int i = 0; i < 200 && !control_ran; ++i) {
            control_ran = env.server.command({"EXISTS", "rampart:jwt:control"})->integer == 1;
            if (!control_ran) {
                asio::steady_timer t{ex, 10ms};
                co_await t.async_wait(asio::use_awaitable);
            }
        }
        REQUIRE(control_ran);
        // ... the insert, sent in the same write, did nothing: its deadline had passed.
        CHECK(env.server.command({"EXISTS", "rampart:jwt:used:jti-stalled"})->integer == 0);
        // The retry is a first use.
        bool inserted = co_await store.insert("used:jti-stalled", 6, expires);
        CHECK(inserted);
        bool again = co_await store.insert("used:jti-stalled", 7, expires);
        CHECK(!again);
        auto value = co_await store.get("used:jti-stalled");
        CHECK(value == std::optional<std::int64_t>{6});
    }());
}

TEST_CASE("redis token_store: the insert's deadline leaves a timely insert alone", "[redis][jwt]") {
    // The deadline is a fifth of the timeout before it, on the server's clock: a healthy server
    // is far inside it, call after call, with the offset measured again as time goes on.
    redis_env env;
    redis::token_store<> store{env.client};
    const auto expires = std::chrono::system_clock::now() + 1h;
    env.run([&]() -> asio::awaitable<void> {
        int inserted = 0;
        for (int i = 0; i < 200; ++i)
            if (co_await store.insert("used:timely-" + std::to_string(i), i, expires))
                ++inserted;
        CHECK(inserted == 200);
        CHECK(!store.degraded());
    }());
}

TEST_CASE("redis token_store: a flood beyond the client's queue is refused at once with 503 and "
          "Retry-After, and nothing lands later",
          "[redis][jwt]") {
    // Redis stalled with 8 places in the client's queue: 40 inserts at once. The 8 wait out
    // their timeout; the other 32 are refused without waiting. None takes effect when Redis
    // wakes: the 8 reached it too late.
    redis_env env{[](const test::redis_server& s) {
        redis::options o = test::test_options(s);
        o.max_pending = 8;
        return o;
    }};
    redis::token_store<> store{env.client};
    const auto expires = std::chrono::system_clock::now() + 1h;
    env.run([&]() -> asio::awaitable<void> {
        bool warm = co_await store.insert("warm-up", 1, expires);
        REQUIRE(warm);
        env.server.pause();
        auto ex = co_await asio::this_coro::executor;
        int refused_at_once = 0, refused_after_waiting = 0, other = 0, done = 0;
        for (int i = 0; i < 40; ++i)
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    const auto start = std::chrono::steady_clock::now();
                    try {
                        co_await store.insert("used:flood-" + std::to_string(i), i, expires);
                        ++other;
                    } catch (const service_unavailable& e) {
                        const bool retry_after =
                            e.headers().size() == 1 &&
                            e.headers()[0] ==
                                std::pair<std::string, std::string>{"Retry-After", "1"};
                        if (!retry_after)
                            ++other;
                        else if (std::chrono::steady_clock::now() - start < 100ms)
                            ++refused_at_once;
                        else
                            ++refused_after_waiting;
                    }
                    ++done;
                },
                asio::detached);
        while (done < 40) {
            asio::steady_timer t{ex, 10ms};
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(other == 0);
        CHECK(refused_at_once == 32);
        CHECK(refused_after_waiting == 8);
        env.server.resume();
        auto keys = env.server.command({"PING"}); // awake, the stale commands run first
        (void)keys;
        asio::steady_timer settle{ex, 100ms};
        co_await settle.async_wait(asio::use_awaitable);
        CHECK(env.server.command({"KEYS", "rampart:jwt:used:flood-*"})->elements == 0);
    }());
}
