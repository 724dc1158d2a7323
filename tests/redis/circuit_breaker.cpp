// The client's circuit breaker against a real redis-server stopped with SIGSTOP (a stall: the
// kernel still accepts connections and takes in commands, nothing answers) and killed.

#include <rampart/redis/circuit_breaker.hpp>
#include <rampart/redis/client.hpp>

#include "common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace rampart;
using namespace std::chrono_literals;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

/// Short timings, so that the breaker opens within a second; the threshold is 3.
redis::options breaker_options(const test::redis_server& server) {
    redis::options o = redis::parse_url(server.url());
    o.command_timeout = 200ms;
    o.connect_timeout = 200ms;
    o.backoff_initial = 0ms;
    o.breaker = {.failure_threshold = 3, .probe_interval = 300ms};
    return o;
}

asio::awaitable<error_code> failure_of(redis::client& c, redis::command cmd) {
    auto [ec, r] = co_await c.async_execute(std::move(cmd), asio::as_tuple(asio::use_awaitable));
    (void)r;
    co_return ec;
}

asio::awaitable<void> sleep_for(steady::duration d) {
    asio::steady_timer t{co_await asio::this_coro::executor, d};
    co_await t.async_wait(asio::use_awaitable);
}

/// Calls until one fails with circuit_open (at most `limit` calls); returns how many it took,
/// checking that each earlier one failed as a stall or an outage does.
asio::awaitable<int> calls_until_open(redis::client& c, int limit) {
    for (int i = 1; i <= limit; ++i) {
        error_code ec = co_await failure_of(c, redis::command{"INCR", "before-open"});
        if (ec == redis::error::circuit_open)
            co_return i;
        INFO(ec.message());
        CHECK((ec == redis::error::timeout || ec == redis::error::connection_reset ||
               ec == redis::error::unreachable || ec == redis::error::connection_lost));
    }
    co_return -1;
}

/// Waits (bounded by `limit`) until the breaker is closed; returns how long it took.
asio::awaitable<steady::duration> until_closed(redis::client& c, steady::duration limit) {
    const auto start = steady::now();
    while (c.circuit() != redis::circuit_state::closed && steady::now() - start < limit)
        co_await sleep_for(10ms);
    co_return steady::now() - start;
}

} // namespace

TEST_CASE("redis circuit breaker: a stopped server opens it, calls then fail at once, a probe "
          "closes it after SIGCONT",
          "[redis][breaker]") {
    test::redis_env env{&breaker_options};
    auto& c = env.client;
    env.run([&]() -> asio::awaitable<void> {
        auto ok = co_await c.execute("SET", "k", "v");
        REQUIRE(ok.is_status());
        CHECK(c.circuit() == redis::circuit_state::closed);

        env.server.pause();
        const auto stalled_at = steady::now();
        // Three failures (the first call's timeout, then connection attempts whose TIME gets no
        // answer) open it; the call after them is refused without being sent.
        const int calls = co_await calls_until_open(c, 10);
        CHECK(calls >= 3);
        CHECK(calls <= 6);
        CHECK(c.circuit() == redis::circuit_state::open);
        CHECK(c.breaker().times_opened() == 1);
        CHECK(steady::now() - stalled_at < 2s);

        // Open: every call fails at once, none waits for the stalled server.
        for (int i = 0; i < 50; ++i) {
            const auto start = steady::now();
            error_code ec = co_await failure_of(c, redis::command{"INCR", "while-open"});
            CHECK(ec == redis::error::circuit_open);
            CHECK(steady::now() - start < 50ms);
        }
        // Probes keep failing while it is stopped; the breaker stays open without any call.
        co_await sleep_for(700ms);
        CHECK(c.circuit() == redis::circuit_state::open);

        env.server.resume();
        // No call is made: the background probe alone closes it, within a probe interval and
        // the probe's own connection time.
        const auto took = co_await until_closed(c, 3s);
        CHECK(c.circuit() == redis::circuit_state::closed);
        CHECK(took < 1s);
        auto v = co_await c.execute("GET", "k");
        CHECK(v.str() == "v");
        CHECK(c.breaker().consecutive_failures() == 0);
        // The refused calls were never sent.
        auto none = co_await c.execute("GET", "while-open");
        CHECK(none.is_nil());

        // A second stall opens it again.
        env.server.pause();
        const int again = co_await calls_until_open(c, 10);
        CHECK(again > 0);
        CHECK(c.breaker().times_opened() == 2);
        env.server.resume();
        co_await until_closed(c, 3s);
        CHECK(c.circuit() == redis::circuit_state::closed);
    }());
}

TEST_CASE("redis circuit breaker: a killed server opens it, a restarted one closes it",
          "[redis][breaker]") {
    test::redis_env env{&breaker_options};
    auto& c = env.client;
    env.run([&]() -> asio::awaitable<void> {
        co_await c.execute("PING");
        env.server.kill9();
        // Refused connection attempts count as failures as timeouts do.
        const int calls = co_await calls_until_open(c, 10);
        CHECK(calls > 0);
        CHECK(c.circuit() == redis::circuit_state::open);
        env.server.restart();
        const auto took = co_await until_closed(c, 3s);
        CHECK(c.circuit() == redis::circuit_state::closed);
        CHECK(took < 1s);
        auto pong = co_await c.execute("PING");
        CHECK(pong.str() == "PONG");
    }());
}

TEST_CASE("redis circuit breaker: a threshold of 0 turns it off", "[redis][breaker]") {
    test::redis_env env{[](const test::redis_server& s) {
        redis::options o = breaker_options(s);
        o.breaker.failure_threshold = 0;
        return o;
    }};
    auto& c = env.client;
    env.run([&]() -> asio::awaitable<void> {
        co_await c.execute("PING");
        env.server.pause();
        // Calls keep waiting for answers (or connection attempts) that do not come.
        int waited = 0;
        for (int i = 0; i < 6; ++i) {
            const auto start = steady::now();
            error_code ec = co_await failure_of(c, redis::command{"PING"});
            CHECK(ec != redis::error::circuit_open);
            CHECK(ec);
            if (steady::now() - start >= 150ms)
                ++waited;
        }
        CHECK(waited >= 3);
        CHECK(c.circuit() == redis::circuit_state::closed);
        CHECK(c.breaker().times_opened() == 0);
        env.server.resume();
    }());
}

TEST_CASE("redis circuit breaker: answers between failures start the count again",
          "[redis][breaker]") {
    test::redis_env env{&breaker_options};
    auto& c = env.client;
    env.run([&]() -> asio::awaitable<void> {
        // Two stalls, each costing two failures, with an answer between: never three in a row.
        for (int round = 0; round < 2; ++round) {
            co_await c.execute("PING");
            CHECK(c.breaker().consecutive_failures() == 0);
            env.server.pause();
            for (int i = 0; i < 2; ++i) {
                error_code ec = co_await failure_of(c, redis::command{"PING"});
                CHECK(ec != redis::error::circuit_open);
            }
            co_await sleep_for(300ms); // the second call's connection attempt fails too
            CHECK(c.breaker().consecutive_failures() == 2);
            env.server.resume();
        }
        CHECK(c.breaker().times_opened() == 0);
        CHECK(c.circuit() == redis::circuit_state::closed);
    }());
}
