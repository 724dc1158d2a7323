#include <rampart/redis/bucket_store.hpp>

#include "common.hpp"

#include <rampart/throttle/bucket.hpp>
#include <rampart/throttle/rate.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;
using rampart::test::redis_env;
using throttle::bucket_decision;
using throttle::rate;

namespace {

/// Collects log lines (from any thread).
struct log_capture {
    redis::log_sink sink() {
        return [this](std::string_view m) {
            std::lock_guard lock{mutex};
            lines.emplace_back(m);
        };
    }
    std::vector<std::string> snapshot() {
        std::lock_guard lock{mutex};
        return lines;
    }
    std::mutex mutex;
    std::vector<std::string> lines;
};

asio::awaitable<int> admitted(redis::bucket_store<>& store, std::string_view key, rate r,
                              int attempts) {
    int n = 0;
    for (int i = 0; i < attempts; ++i)
        n += (co_await store.take(key, r, 1)).allowed;
    co_return n;
}

} // namespace

TEST_CASE("redis bucket math equals the reference token bucket", "[redis][throttle]") {
    // Same instant, same takes: the script's units must give the reference's answers exactly.
    const auto t0 = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};
    for (rate r : {rate{1, 1s}, rate{7, 1s}, rate{100, 1h}, rate{1000, 24h}, rate{997, 24h},
                   rate{3, 7s}, rate{60, 1min}, rate{123457, 24h}, rate{5, 1500us}}) {
        INFO(throttle::to_string(r));
        const auto scale = redis::detail::bucket_scale::of(r);
        throttle::token_bucket reference{t0};
        std::uint64_t debt = 0;
        for (std::uint64_t cost : {std::uint64_t{1}, std::uint64_t{2}, r.tokens / 2,
                                   std::uint64_t{0}, r.tokens, std::uint64_t{1}, r.tokens + 1}) {
            INFO("cost " << cost);
            bucket_decision want = reference.take(r, cost, t0);
            bool allowed =
                cost <= r.tokens && (debt + cost * scale.unit <= scale.capacity || !scale.exact);
            if (scale.exact && allowed)
                debt += cost * scale.unit;
            if (!scale.exact)
                break; // checked below
            bucket_decision got = scale.decide(allowed, static_cast<std::int64_t>(debt), cost, r);
            CHECK(got.allowed == want.allowed);
            CHECK(got.remaining == want.remaining);
            CHECK(got.retry_after == want.retry_after);
            CHECK(got.reset == want.reset);
        }
    }
    // A capacity beyond 2^53 is scaled, not refused.
    auto big = redis::detail::bucket_scale::of(rate{123457, 24h});
    CHECK(!big.exact);
    CHECK(big.capacity_d < 9007199254740992.0);
    CHECK(big.decide(true, 0, 1, rate{123457, 24h}).remaining == 123457);
}

TEST_CASE("redis bucket_store admits exactly the capacity", "[redis][throttle]") {
    redis_env env;
    redis::bucket_store<> store{env.client};
    const rate r{10, 1h};
    env.run([&]() -> asio::awaitable<void> {
        for (std::uint64_t i = 0; i < 10; ++i) {
            bucket_decision d = co_await store.take("ip:198.51.100.1", r, 1);
            CHECK(d.allowed);
            CHECK(d.remaining == 9 - i);
            CHECK(d.retry_after == 0ns);
            CHECK(d.reset > (i + 1) * 360s - 1s);
            CHECK(d.reset <= (i + 1) * 360s);
        }
        for (int i = 0; i < 5; ++i) {
            bucket_decision d = co_await store.take("ip:198.51.100.1", r, 1);
            CHECK(!d.allowed);
            CHECK(d.remaining == 0);
            // Server time moves a little between calls: one token is 360 s away, at most.
            CHECK(d.retry_after > 359s);
            CHECK(d.retry_after <= 360s);
            CHECK(d.reset > 3599s);
            CHECK(d.reset <= 3600s);
        }
        // Another key has its own bucket.
        bucket_decision other = co_await store.take("ip:198.51.100.2", r, 1);
        CHECK(other.allowed);
        CHECK(other.remaining == 9);
    }());
    // The state is one hash per key, under the prefix, with a TTL no longer than the refill.
    auto ttl = env.server.command({"PTTL", "rampart:throttle:ip:198.51.100.1"});
    CHECK(ttl->integer > 3590 * 1000);
    CHECK(ttl->integer <= 3600 * 1000 + 1);
    auto fields = env.server.command({"HLEN", "rampart:throttle:ip:198.51.100.1"});
    CHECK(fields->integer == 2);
}

TEST_CASE("redis bucket_store costs, zero cost, impossible cost", "[redis][throttle]") {
    redis_env env;
    redis::bucket_store<> store{env.client, {.prefix = "t:"}};
    const rate r{10, 1min};
    env.run([&]() -> asio::awaitable<void> {
        bucket_decision a = co_await store.take("k", r, 4);
        CHECK(a.allowed);
        CHECK(a.remaining == 6);
        bucket_decision b = co_await store.take("k", r, 7);
        CHECK(!b.allowed);
        CHECK(b.remaining == 6);
        CHECK(b.retry_after > 5900ms); // one more token: 6 s at 10/min
        CHECK(b.retry_after <= 6s);
        bucket_decision c = co_await store.take("k", r, 0);
        CHECK(c.allowed);
        CHECK(c.remaining == 6);
        bucket_decision d = co_await store.take("k", r, 11);
        CHECK(!d.allowed);
        CHECK(d.retry_after == std::chrono::nanoseconds::max());
        CHECK(d.remaining == 6);
        bucket_decision e = co_await store.take("k", r, 6);
        CHECK(e.allowed);
        CHECK(e.remaining == 0);
    }());
    CHECK(env.server.command({"EXISTS", "t:k"})->integer == 1);
}

TEST_CASE("redis bucket_store refunds, and a full bucket leaves no key", "[redis][throttle]") {
    redis_env env;
    redis::bucket_store<> store{env.client};
    const rate r{5, 1h};
    env.run([&]() -> asio::awaitable<void> {
        auto v100 = co_await admitted(store, "user:1", r, 7);
        CHECK(v100 == 5);
        co_await store.refund("user:1", r, 2);
        auto v101 = co_await admitted(store, "user:1", r, 4);
        CHECK(v101 == 2);
        co_await store.refund("user:1", r, 100); // never beyond full
        auto v102 = co_await admitted(store, "user:1", r, 9);
        CHECK(v102 == 5);
        co_await store.refund("user:1", r, 5);
    }());
    // Full again: nothing to remember.
    CHECK(env.server.command({"EXISTS", "rampart:throttle:user:1"})->integer == 0);
}

TEST_CASE("redis bucket_store is exact under many concurrent decisions", "[redis][throttle]") {
    redis_env env;
    redis::bucket_store<> store{env.client};
    const rate r{100, 1h};
    int allowed = 0, finished = 0;
    for (int i = 0; i < 500; ++i)
        asio::co_spawn(
            env.io,
            [&]() -> asio::awaitable<void> {
                allowed += (co_await store.take("hot", r, 1)).allowed;
            },
            [&](std::exception_ptr) { ++finished; });
    while (finished < 500 && env.io.run_one() > 0) {
    }
    CHECK(finished == 500);
    CHECK(allowed == 100);
}

TEST_CASE("redis bucket_store survives SCRIPT FLUSH (NOSCRIPT fallback)", "[redis][throttle]") {
    redis_env env;
    redis::bucket_store<> store{env.client};
    const rate r{6, 1h};
    env.run([&]() -> asio::awaitable<void> {
        auto v103 = co_await admitted(store, "k", r, 3);
        CHECK(v103 == 3);
        co_await env.client.execute("SCRIPT", "FLUSH");
        auto v104 = co_await admitted(store, "k", r, 5);
        CHECK(v104 == 3);
    }());
    auto exists = env.server.command({"SCRIPT", "EXISTS", store.lua().sha1()});
    CHECK(exists->element[0]->integer == 1);
}

TEST_CASE("redis bucket_store: two instances share one limit", "[redis][throttle][concurrency]") {
    test::redis_server server;
    const rate r{150, 1h};
    auto instance = [&](std::promise<int>& result) {
        asio::io_context io;
        redis::client c{io.get_executor(), test::test_options(server)};
        redis::bucket_store<> store{c};
        int allowed = 0, finished = 0;
        for (int i = 0; i < 200; ++i)
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    allowed += (co_await store.take("shared", r, 1)).allowed;
                },
                [&](std::exception_ptr) { ++finished; });
        while (finished < 200 && io.run_one() > 0) {
        }
        c.close();
        io.restart();
        io.run();
        result.set_value(allowed);
    };
    std::promise<int> a, b;
    std::thread ta{instance, std::ref(a)}, tb{instance, std::ref(b)};
    ta.join();
    tb.join();
    CHECK(a.get_future().get() + b.get_future().get() == 150);
}

TEST_CASE("redis bucket_store: two processes share one limit", "[redis][throttle]") {
    test::redis_server server;
    const char* dir = std::getenv("RAMPART_BINARY_DIR");
    REQUIRE(dir);
    std::string probe = std::string(dir) + "/tests/redis/throttle_probe " + server.url() +
                        " probe:shared 250/hour 400";
    // Both run at once, each pipelining its 400 decisions.
    FILE* first = popen(probe.c_str(), "r");
    FILE* second = popen(probe.c_str(), "r");
    REQUIRE(first);
    REQUIRE(second);
    auto read_count = [](FILE* f) {
        long n = -1;
        if (std::fscanf(f, "%ld", &n) != 1)
            n = -1;
        CHECK(pclose(f) == 0);
        return n;
    };
    long a = read_count(first);
    long b = read_count(second);
    INFO(a << " + " << b);
    CHECK(a >= 0);
    CHECK(b >= 0);
    CHECK(a + b == 250);
}

TEST_CASE("redis bucket_store fails open to memory and comes back", "[redis][throttle]") {
    redis_env env;
    log_capture log;
    redis::bucket_store<> store{env.client, {.log = log.sink()}};
    const rate r{3, 1h};
    env.run([&]() -> asio::awaitable<void> {
        auto v105 = co_await admitted(store, "k", r, 2);
        CHECK(v105 == 2);
        CHECK(!store.degraded());
        env.server.stop();
        // Redis is gone: this instance limits alone, from a fresh in-memory bucket.
        auto v106 = co_await admitted(store, "k", r, 5);
        CHECK(v106 == 3);
        CHECK(store.degraded());
        CHECK(log.snapshot().size() == 1);
        env.server.restart(); // empty: nothing was persisted
        auto v107 = co_await admitted(store, "k", r, 1);
        CHECK(v107 == 1);
        CHECK(!store.degraded());
        bucket_decision d = co_await store.take("k", r, 1);
        CHECK(d.remaining == 1); // Redis's bucket, not memory's (empty by now)
    }());
    auto lines = log.snapshot();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("Redis unavailable") != std::string::npos);
    CHECK(lines[0].find("in memory") != std::string::npos);
    CHECK(lines[1].find("Redis is back") != std::string::npos);
    CHECK(env.server.command({"EXISTS", "rampart:throttle:k"})->integer == 1);
}

TEST_CASE("redis bucket_store fails closed with 503 when asked to", "[redis][throttle]") {
    redis_env env;
    log_capture log;
    redis::bucket_store<> store{env.client,
                                {.on_failure = redis::fail_policy::closed, .log = log.sink()}};
    const rate r{3, 1h};
    env.run([&]() -> asio::awaitable<void> {
        auto v108 = co_await admitted(store, "k", r, 1);
        CHECK(v108 == 1);
        env.server.kill9();
        for (int i = 0; i < 3; ++i) {
            try {
                co_await store.take("k", r, 1);
                FAIL("a decision without Redis");
            } catch (const service_unavailable& e) {
                CHECK(e.status_code() == 503);
            }
        }
        env.server.restart();
        auto v109 = co_await admitted(store, "k", r, 4);
        CHECK(v109 == 3);
    }());
    CHECK(log.snapshot().size() == 2);
}

TEST_CASE("redis bucket_store falls back on error replies and on a stalled server",
          "[redis][throttle]") {
    redis_env env;
    log_capture log;
    redis::bucket_store<> store{env.client, {.log = log.sink()}};
    const rate r{2, 1h};
    env.run([&]() -> asio::awaitable<void> {
        // Out of memory: the script's write is refused with an error reply.
        co_await env.client.execute("CONFIG", "SET", "maxmemory-policy", "noeviction");
        co_await env.client.execute("CONFIG", "SET", "maxmemory", 1);
        auto v110 = co_await admitted(store, "k", r, 3);
        CHECK(v110 == 2);
        CHECK(store.degraded());
        co_await env.client.execute("CONFIG", "SET", "maxmemory", 0);
        auto v111 = co_await admitted(store, "k", r, 3);
        CHECK(v111 == 2); // Redis's bucket was never touched CHECK(!store.degraded());
        // Stalled: decisions time out and come from memory (its bucket is spent by now).
        env.server.stall(1.0);
        bucket_decision d = co_await store.take("k", r, 1);
        CHECK(!d.allowed);
        CHECK(store.degraded());
    }());
    CHECK(log.snapshot().size() == 3);
}
