// The examples of docs/redis.md and of the Redis section of docs/throttling.md, compiled and
// run against a real redis-server. Keep them in step with the pages.
#include <rampart/redis.hpp>

#include "common.hpp"

#include <rampart/throttle.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

#include <iostream>
#include <string>

using namespace rampart;

namespace doc {

asio::awaitable<std::int64_t> count_visit(redis::client& c, std::string page) {
    redis::reply r = co_await c.execute("INCR", "visits:" + page);
    co_return r.integer(); // an error reply would throw redis::unexpected_reply here
}

asio::awaitable<bool> try_ping(redis::client& c) {
    auto [ec, r] =
        co_await c.async_execute(redis::command{"PING"}, asio::as_tuple(asio::use_awaitable));
    co_return !ec && r.is_status(); // ec: redis::error::timeout, unreachable, ...
}

asio::awaitable<std::int64_t> add_if_below(redis::client& c, std::string key, int limit) {
    static const redis::script bounded_incr{
        "local v = redis.call('INCR', KEYS[1]) "
        "if v > tonumber(ARGV[1]) then redis.call('DECR', KEYS[1]) return -1 end "
        "return v"};
    redis::reply r = co_await c.eval(bounded_incr, 1, key, limit);
    co_return r.integer();
}

bool redis_answering(const redis::client& c) {
    return c.circuit() == redis::circuit_state::closed; // any thread, no lock
}

asio::awaitable<bool> claim_once(redis::client& c, std::string key) {
    static const redis::script claim{
        "local t = redis.call('TIME') "
        "if tonumber(t[1]) * 1000000 + tonumber(t[2]) >= tonumber(ARGV[1]) then return -1 end "
        "return redis.call('SET', KEYS[1], 1, 'NX') and 1 or 0"};
    redis::reply r = co_await c.eval_with_deadline(claim, 1, key);
    co_return r.integer() == 1; // -1: it reached Redis after the call had given up
}

} // namespace doc

TEST_CASE("docs/redis.md: one client, two stores") {
    test::redis_server server;
    std::string redis_url = server.url();
    asio::io_context io;
    {
        // One client per process, on the service's io_context, shared by every store.
        redis::client redis_client{io.get_executor(), redis_url}; // "redis://host:6379/0"
        // Throttle buckets shared by all instances; per-instance memory while Redis is down.
        redis::bucket_store<> buckets{redis_client};
        // The JWT blacklist; it answers 503 while Redis is down.
        redis::token_store<> blacklist{redis_client};

        test::run_until_done(io, [&]() -> asio::awaitable<void> {
            auto d = co_await buckets.take("ip:203.0.113.7",
                                           throttle::rate{2, std::chrono::minutes{1}}, 1);
            CHECK(d.allowed);
            CHECK(d.remaining == 1);
            bool inserted = co_await blacklist.insert(
                "used:jti", 1, std::chrono::system_clock::now() + std::chrono::hours{1});
            CHECK(inserted);
            auto visits = co_await doc::count_visit(redis_client, "home");
            CHECK(visits == 1);
            bool up = co_await doc::try_ping(redis_client);
            CHECK(up);
            auto a = co_await doc::add_if_below(redis_client, "seats", 1);
            auto b = co_await doc::add_if_below(redis_client, "seats", 1);
            CHECK(a == 1);
            CHECK(b == -1);
        }());
        redis_client.close();
    }
    io.restart();
    io.run();
}

TEST_CASE("docs/redis.md: options and policies") {
    test::redis_server server;
    asio::io_context io;
    {
        redis::options opts = redis::parse_url("redis://:secret@10.0.0.5:6379/2");
        opts.command_timeout = std::chrono::milliseconds{200}; // a request waits at most this
        opts.backoff_max = std::chrono::seconds{5};
        CHECK(opts.db == 2);
        CHECK(opts.password == "secret");

        redis::client redis_client{io.get_executor(), server.url()};
        // Refuse (503) rather than limit per instance while Redis is down.
        redis::bucket_store<> strict{redis_client, {.on_failure = redis::fail_policy::closed}};
        // Keep refresh and logout working from memory during an outage.
        redis::token_store<> lenient{redis_client, {.on_failure = redis::fail_policy::open}};
        // Route the outage messages to your logger.
        redis::bucket_store<> logged{redis_client,
                                     {.log = [](std::string_view m) { std::clog << m << '\n'; }}};

        test::run_until_done(io, [&]() -> asio::awaitable<void> {
            auto d = co_await strict.take("k", throttle::rate{1, std::chrono::minutes{1}}, 1);
            CHECK(d.allowed);
            auto e = co_await logged.take("k", throttle::rate{1, std::chrono::minutes{1}}, 1);
            CHECK(!e.allowed);
            auto none = co_await lenient.get("nothing");
            CHECK(!none);
        }());
        redis_client.close();
    }
    io.restart();
    io.run();
}

TEST_CASE("docs/redis.md: the circuit breaker") {
    test::redis_server server;
    std::string redis_url = server.url();
    asio::io_context io;
    {
        redis::options opts = redis::parse_url(redis_url);
        opts.breaker.failure_threshold = 3; // timeouts or failed connections in a row
        opts.breaker.probe_interval = std::chrono::milliseconds{500}; // one probe each, while open
        opts.command_timeout = opts.connect_timeout = std::chrono::milliseconds{100};
        opts.backoff_initial = std::chrono::milliseconds{0};
        redis::client c{io.get_executor(), opts};

        test::run_until_done(io, [&]() -> asio::awaitable<void> {
            bool first = co_await doc::claim_once(c, "seat:1");
            bool second = co_await doc::claim_once(c, "seat:1");
            CHECK(first);
            CHECK(!second);
            CHECK(doc::redis_answering(c));
            server.pause();
            redis::error seen{};
            for (int i = 0; i < 10 && seen != redis::error::circuit_open; ++i) {
                auto [ec, r] = co_await c.async_execute(redis::command{"PING"},
                                                        asio::as_tuple(asio::use_awaitable));
                (void)r;
                seen = static_cast<redis::error>(ec.value());
            }
            CHECK(seen == redis::error::circuit_open);
            CHECK(!doc::redis_answering(c));
            server.resume();
            for (int i = 0; i < 300 && !doc::redis_answering(c); ++i) {
                asio::steady_timer t{io, std::chrono::milliseconds{10}};
                co_await t.async_wait(asio::use_awaitable);
            }
            CHECK(doc::redis_answering(c));
        }());
        c.close();
    }
    io.restart();
    io.run();
}
