#include <rampart/redis/client.hpp>

#include "common.hpp"

#include <rampart/redis/options.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using boost::system::error_code;
using rampart::test::redis_env;

namespace {

/// The error a call failed with, or a default code when it succeeded.
asio::awaitable<error_code> failure_of(redis::client& c, redis::command cmd) {
    auto [ec, r] = co_await c.async_execute(std::move(cmd), asio::as_tuple(asio::use_awaitable));
    (void)r;
    co_return ec;
}

} // namespace

TEST_CASE("redis command encoding is RESP bulk strings", "[redis]") {
    CHECK(redis::command{"SET", "k", 42}.encoded() == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n");
    CHECK(redis::command{"X", std::string("a\r\nb\0c", 6), -7}.encoded() ==
          std::string("*3\r\n$1\r\nX\r\n$6\r\na\r\nb\0c\r\n$2\r\n-7\r\n", 31));
    redis::command tail;
    tail.arg("a").arg(std::uint64_t{18446744073709551615ull});
    redis::command head{"EVALSHA"};
    head.append(tail);
    CHECK(head.size() == 3);
    CHECK(head.encoded() == "*3\r\n$7\r\nEVALSHA\r\n$1\r\na\r\n$20\r\n18446744073709551615\r\n");
}

TEST_CASE("redis scripts carry the SHA-1 that SCRIPT LOAD returns", "[redis]") {
    redis::script s{"return 1"};
    CHECK(s.sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    redis::script copy = s;
    CHECK(copy.sha1() == s.sha1());
}

TEST_CASE("redis backoff doubles up to its bound", "[redis]") {
    using redis::detail::backoff_delay;
    using std::chrono::milliseconds;
    CHECK(backoff_delay(milliseconds{100}, milliseconds{1000}, 0) == milliseconds{0});
    CHECK(backoff_delay(milliseconds{100}, milliseconds{1000}, 1) == milliseconds{100});
    CHECK(backoff_delay(milliseconds{100}, milliseconds{1000}, 2) == milliseconds{200});
    CHECK(backoff_delay(milliseconds{100}, milliseconds{1000}, 4) == milliseconds{800});
    CHECK(backoff_delay(milliseconds{100}, milliseconds{1000}, 5) == milliseconds{1000});
    CHECK(backoff_delay(milliseconds{100}, milliseconds{1000}, 4000000000u) == milliseconds{1000});
    CHECK(backoff_delay(milliseconds{0}, milliseconds{1000}, 3) == milliseconds{0});
}

TEST_CASE("redis URLs", "[redis][url]") {
    SECTION("full form") {
        auto o = redis::parse_url("redis://:s%40cret@cache.internal:6380/3");
        CHECK(o.host == "cache.internal");
        CHECK(o.port == 6380);
        CHECK(o.db == 3);
        CHECK(o.password == "s@cret");
        CHECK(o.username.empty());
    }
    SECTION("defaults") {
        auto o = redis::parse_url("redis://localhost");
        CHECK(o.host == "localhost");
        CHECK(o.port == 6379);
        CHECK(o.db == 0);
        CHECK(o.password.empty());
        CHECK(redis::parse_url("redis://h:1/").db == 0);
    }
    SECTION("user, IPv6") {
        auto o = redis::parse_url("redis://app:pw@[::1]:7000/1");
        CHECK(o.username == "app");
        CHECK(o.password == "pw");
        CHECK(o.host == "::1");
        CHECK(o.port == 7000);
        CHECK(redis::parse_url("redis://[fe80::1]").port == 6379);
        CHECK(redis::parse_url("redis://pw@h").password == "pw");
    }
    SECTION("bad URLs are refused, and never echo the password") {
        for (const char* bad : {"",
                                "redis:/h",
                                "http://h:6379",
                                "h:6379",
                                "redis://",
                                "redis://:6379",
                                "redis://h:",
                                "redis://h:0",
                                "redis://h:65536",
                                "redis://h:12ab",
                                "redis://h/x",
                                "redis://h/-1",
                                "redis://h/99999999999",
                                "redis://h:6379/0?timeout=1",
                                "redis://h#x",
                                "redis://h o",
                                "redis://[::1",
                                "redis://[::1]x",
                                "redis://[::1]:",
                                "redis://:@h",
                                "redis://:p%zzsecret@h",
                                "redis://:p%4@h",
                                "redis://h\r\n:6379",
                                "redis://h;rm:1",
                                "rediss://:topsecret@h:6379"}) {
            INFO(bad);
            try {
                redis::parse_url(bad);
                FAIL("accepted");
            } catch (const redis::url_error& e) {
                CHECK(std::string(e.what()).find("invalid redis URL") != std::string::npos);
                CHECK(std::string(e.what()).find("secret") == std::string::npos);
            }
        }
    }
}

TEST_CASE("redis URLs are parsed by Boost.URL, its 1.81 faults corrected", "[redis][url]") {
    // A name that starts like an IPv4 address (nip.io) is the name, port and db kept.
    auto o = redis::parse_url("redis://:pw@10.0.0.5.nip.io:6380/2");
    CHECK(o.host == "10.0.0.5.nip.io");
    CHECK(o.port == 6380);
    CHECK(o.db == 2);
    CHECK(o.password == "pw");
    CHECK(redis::parse_url("redis://10.0.0.5").host == "10.0.0.5");
    // Refused since Boost.URL parses them: malformed in RFC 3986, taken literally before.
    for (const char* bad :
         {"redis://h:80x", "redis://1.2.3.4:80x", "redis://a@b:secret@h", "redis://[localhost]",
          "redis://[fe80::1%25eth0]", "redis://h%7", "redis://p\\secret@h", "redis://[v1.x]"}) {
        INFO(bad);
        CHECK_THROWS_AS(redis::parse_url(bad), redis::url_error);
        CHECK_THROWS_WITH(redis::parse_url(bad),
                          Catch::Contains("invalid redis URL") && !Catch::Contains("secret"));
    }
}

TEST_CASE("redis client: commands and every reply kind", "[redis]") {
    redis_env env;
    env.run([&]() -> asio::awaitable<void> {
        auto& c = env.client;
        auto v0 = co_await c.execute("PING");
        CHECK(v0 == redis::reply::make_status("PONG"));
        auto v1 = co_await c.execute("SET", "k", "v");
        CHECK(v1.is_status());
        auto v2 = co_await c.execute("GET", "k");
        CHECK(v2.str() == "v");
        auto v3 = co_await c.execute("GET", "missing");
        CHECK(v3.is_nil());
        auto v4 = co_await c.execute("INCRBY", "n", -5);
        CHECK(v4.integer() == -5);
        redis::reply err = co_await c.execute("INCR", "k");
        CHECK(err.is_error());
        CHECK(err.str().starts_with("ERR"));
        CHECK_THROWS_AS(err.integer(), redis::unexpected_reply);

        co_await c.execute("RPUSH", "list", "a", "b", 3);
        redis::reply list = co_await c.execute("LRANGE", "list", 0, -1);
        REQUIRE(list.elements().size() == 3);
        CHECK(list.elements()[2].str() == "3");
        redis::reply nested = co_await c.execute("MGET", "k", "missing");
        CHECK(nested.elements()[1].is_nil());
        CHECK_THROWS_AS(nested.str(), redis::unexpected_reply);

        // Binary-safe values, and one far larger than a read buffer.
        std::string binary("\r\n\0$*-+:", 8);
        co_await c.execute("SET", "bin", binary);
        auto v5 = co_await c.execute("GET", "bin");
        CHECK(v5.str() == binary);
        std::string big(3 * 1024 * 1024 + 17, 'x');
        for (std::size_t i = 0; i < big.size(); i += 4099)
            big[i] = static_cast<char>('a' + i % 26);
        co_await c.execute("SET", "big", big);
        auto v6 = co_await c.execute("GET", "big");
        CHECK(v6.str() == big);
    }());
}

TEST_CASE("redis client: many concurrent calls are pipelined and matched in order", "[redis]") {
    redis_env env;
    constexpr int calls = 2000;
    int matched = 0;
    int finished = 0;
    for (int i = 0; i < calls; ++i)
        asio::co_spawn(
            env.io,
            [&, i]() -> asio::awaitable<void> {
                auto key = "p:" + std::to_string(i);
                co_await env.client.execute("SET", key, i);
                co_await env.client.execute("INCR", "p:count");
                redis::reply r = co_await env.client.execute("GET", key);
                matched += r.str() == std::to_string(i);
            },
            [&](std::exception_ptr) { ++finished; });
    while (finished < calls && env.io.run_one() > 0) {
    }
    CHECK(finished == calls);
    CHECK(matched == calls);
    auto count = env.server.command({"GET", "p:count"});
    CHECK(std::string(count->str, count->len) == std::to_string(calls));
}

TEST_CASE("redis client: callers on many threads share one connection", "[redis][concurrency]") {
    test::redis_server server;
    asio::thread_pool pool{4};
    {
        redis::client c{pool.get_executor(), test::test_options(server)};
        constexpr int per_thread = 250;
        std::vector<std::future<int>> results;
        for (int t = 0; t < 8; ++t)
            results.push_back(asio::co_spawn(
                asio::make_strand(pool),
                [&c, t]() -> asio::awaitable<int> {
                    int ok = 0;
                    for (int i = 0; i < per_thread; ++i) {
                        auto key = "t" + std::to_string(t) + ":" + std::to_string(i);
                        co_await c.execute("SET", key, i);
                        redis::reply r = co_await c.execute("GET", key);
                        ok += r.str() == std::to_string(i);
                        co_await c.execute("INCR", "mt:count");
                    }
                    co_return ok;
                },
                asio::use_future));
        for (auto& r : results)
            CHECK(r.get() == per_thread);
        c.close();
    }
    pool.join();
    auto count = server.command({"GET", "mt:count"});
    CHECK(std::string(count->str, count->len) == "2000");
}

TEST_CASE("redis client: a call that outlives its timeout fails and resets", "[redis]") {
    redis_env env;
    env.run([&]() -> asio::awaitable<void> {
        auto v7 = co_await env.client.execute("SET", "before", 1);
        CHECK(v7.is_status());
        env.server.stall(1.0);
        // Both calls go out on one connection; neither is answered in time.
        auto ex = co_await asio::this_coro::executor;
        auto second =
            asio::co_spawn(ex, failure_of(env.client, redis::command{"PING"}), asio::use_future);
        error_code first = co_await failure_of(env.client, redis::command{"GET", "before"});
        // Whichever of the two expired first timed out; the other went with the connection.
        CHECK((first == redis::error::timeout || first == redis::error::connection_reset));
        // The server is still asleep: the next attempt also finds no answer in time.
        error_code again = co_await failure_of(env.client, redis::command{"GET", "before"});
        INFO(again.message());
        CHECK((again == redis::error::timeout || again == redis::error::unreachable));
        // Once it is awake, calls work again on a fresh connection.
        redis::reply r;
        for (int i = 0; i < 200; ++i) {
            auto [ec, got] = co_await env.client.async_execute(redis::command{"GET", "before"},
                                                               asio::as_tuple(asio::use_awaitable));
            if (!ec) {
                r = std::move(got);
                break;
            }
        }
        CHECK(r.str() == "1");
        error_code second_error = second.get();
        CHECK((second_error == redis::error::timeout ||
               second_error == redis::error::connection_reset));
    }());
}

TEST_CASE("redis client: reconnects after the server is killed and restarted", "[redis]") {
    redis_env env;
    env.run([&]() -> asio::awaitable<void> {
        auto& c = env.client;
        auto v8 = co_await c.execute("SET", "k", 1);
        CHECK(v8.is_status());
        env.server.kill9();
        error_code lost = co_await failure_of(c, redis::command{"GET", "k"});
        CHECK((lost == redis::error::connection_lost || lost == redis::error::unreachable));
        error_code down = co_await failure_of(c, redis::command{"GET", "k"});
        CHECK(down == redis::error::unreachable);
        env.server.restart();
        // No backoff in test options: the next call connects again. Nothing was persisted.
        auto v9 = co_await c.execute("GET", "k");
        CHECK(v9.is_nil());
        auto v10 = co_await c.execute("SET", "k", 2);
        CHECK(v10.is_status());
        // A graceful stop closes the connection too. A call racing the news of it may go out on
        // the dead connection and fail; the next one reconnects.
        env.server.stop();
        env.server.restart();
        auto [ec, racing] = co_await c.async_execute(redis::command{"GET", "k"},
                                                     asio::as_tuple(asio::use_awaitable));
        CHECK((ec == redis::error::connection_lost || (!ec && racing.is_nil())));
        auto v11 = co_await c.execute("GET", "k");
        CHECK(v11.is_nil());
    }());
}

TEST_CASE("redis client: backoff makes calls fail fast while the server is down", "[redis]") {
    test::redis_server server;
    asio::io_context io;
    redis::options o = test::test_options(server);
    o.backoff_initial = std::chrono::hours{1}; // a test must not wait it out
    redis::client c{io.get_executor(), o};
    server.stop();
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        auto v12 = co_await failure_of(c, redis::command{"PING"});
        CHECK(v12 == redis::error::unreachable);
        server.restart();
        // Within the backoff, calls are refused without trying: the server is not asked.
        for (int i = 0; i < 3; ++i) {
            auto v13 = co_await failure_of(c, redis::command{"PING"});
            CHECK(v13 == redis::error::unreachable);
        }
    }());
    c.close();
    io.restart();
    io.run();
}

TEST_CASE("redis client: EVALSHA falls back to EVAL after SCRIPT FLUSH", "[redis]") {
    redis_env env;
    env.run([&]() -> asio::awaitable<void> {
        redis::script s{"return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}"};
        redis::reply r = co_await env.client.eval(s, 1, "key", "arg", 41);
        REQUIRE(r.elements().size() == 3);
        CHECK(r.elements()[0].str() == "key");
        CHECK(r.elements()[2].integer() == 42);
        auto exists = co_await env.client.execute("SCRIPT", "EXISTS", s.sha1());
        CHECK(exists.elements()[0].integer() == 1);
        co_await env.client.execute("SCRIPT", "FLUSH");
        auto v14 = co_await env.client.execute("SCRIPT", "EXISTS", s.sha1());
        CHECK(v14.elements()[0].integer() == 0);
        r = co_await env.client.eval(s, 1, "k2", "x", 1);
        CHECK(r.elements()[2].integer() == 2);
        auto v15 = co_await env.client.execute("SCRIPT", "EXISTS", s.sha1());
        CHECK(v15.elements()[0].integer() == 1);
        // Other script errors come back as error replies, not retried.
        redis::reply bad = co_await env.client.eval(redis::script{"return redis.call('NOPE')"}, 0);
        CHECK(bad.is_error());
    }());
}

TEST_CASE("redis client: AUTH and SELECT from the URL", "[redis]") {
    test::redis_server server{"s3cret"};
    asio::io_context io;
    {
        redis::options db3 = redis::parse_url(server.url(3));
        redis::client c3{io.get_executor(), db3};
        redis::client c0{io.get_executor(), server.url(0)};
        redis::options wrong = redis::parse_url(server.url());
        wrong.password = "nope";
        redis::client bad{io.get_executor(), wrong};
        redis::options none = redis::parse_url(server.url());
        none.password.clear();
        redis::client anonymous{io.get_executor(), none};
        test::run_until_done(io, [&]() -> asio::awaitable<void> {
            auto v16 = co_await c3.execute("SET", "where", "three");
            CHECK(v16.is_status());
            auto v17 = co_await c0.execute("GET", "where");
            CHECK(v17.is_nil());
            auto v18 = co_await c3.execute("GET", "where");
            CHECK(v18.str() == "three");
            auto v19 = co_await failure_of(bad, redis::command{"PING"});
            CHECK(v19 == redis::error::auth_failed);
            redis::reply r = co_await anonymous.execute("GET", "where");
            CHECK(r.is_error());
            CHECK(r.str().starts_with("NOAUTH"));
        }());
        for (auto* c : {&c3, &c0, &bad, &anonymous})
            c->close();
        io.restart();
        io.run();
    }
}

TEST_CASE("redis client: a database number the server refuses", "[redis]") {
    test::redis_server server;
    asio::io_context io;
    redis::client c{io.get_executor(), server.url(100000)};
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        auto v20 = co_await failure_of(c, redis::command{"PING"});
        CHECK(v20 == redis::error::select_failed);
    }());
    c.close();
    io.restart();
    io.run();
}

TEST_CASE("redis client: closing fails pending and later calls", "[redis]") {
    redis_env env;
    env.run([&]() -> asio::awaitable<void> {
        auto v21 = co_await env.client.execute("PING");
        CHECK(v21.is_status());
        env.server.stall(0.3);
        auto ex = co_await asio::this_coro::executor;
        auto pending =
            asio::co_spawn(ex, failure_of(env.client, redis::command{"PING"}), asio::use_future);
        co_await asio::post(ex, asio::use_awaitable);
        env.client.close();
        auto v22 = co_await failure_of(env.client, redis::command{"PING"});
        CHECK(v22 == redis::error::closed);
        (void)pending;
    }());
}

TEST_CASE("redis client: too many pending calls are refused", "[redis]") {
    test::redis_server server;
    asio::io_context io;
    redis::options o = test::test_options(server);
    o.max_pending = 4;
    redis::client c{io.get_executor(), o};
    std::vector<std::future<error_code>> calls;
    for (int i = 0; i < 10; ++i)
        calls.push_back(
            asio::co_spawn(io, failure_of(c, redis::command{"PING"}), asio::use_future));
    io.run_for(std::chrono::seconds{0}); // nothing: futures complete as the loop runs below
    int refused = 0, answered = 0;
    while (std::any_of(calls.begin(), calls.end(), [](auto& f) {
        return f.wait_for(std::chrono::seconds{0}) != std::future_status::ready;
    }))
        io.run_one();
    for (auto& f : calls) {
        error_code ec = f.get();
        refused += ec == redis::error::too_many_pending;
        answered += !ec;
    }
    CHECK(answered == 4);
    CHECK(refused == 6);
    c.close();
    io.restart();
    io.run();
}

namespace {

/// What a fake server answers to the client's greeting (`TIME`) when it plays Redis there.
constexpr const char* time_reply = "*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n";

/// A TCP server that answers the first bytes it reads with `answer` (raw, maybe not RESP), or,
/// given a `greeting`, answers the greeting with it and the next bytes with `answer`.
struct fake_server {
    explicit fake_server(asio::io_context& io, std::string answer, std::string greeting = {})
        : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}), reply(std::move(answer)),
          hello(std::move(greeting)) {
        asio::co_spawn(io, serve(), asio::detached);
    }
    asio::awaitable<void> serve() {
        for (;;) {
            auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            char buf[256];
            auto [rec, n] =
                co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (rec)
                continue;
            if (!hello.empty()) {
                co_await asio::async_write(s, asio::buffer(hello),
                                           asio::as_tuple(asio::use_awaitable));
                auto [rec2, n2] = co_await s.async_read_some(asio::buffer(buf),
                                                             asio::as_tuple(asio::use_awaitable));
                (void)n2;
                if (rec2)
                    continue;
            }
            if (!reply.empty())
                co_await asio::async_write(s, asio::buffer(reply),
                                           asio::as_tuple(asio::use_awaitable));
            sockets.push_back(std::move(s)); // keep it open: silence, not a close
        }
    }
    redis::options opts() const {
        redis::options o;
        o.port = acceptor.local_endpoint().port();
        o.command_timeout = std::chrono::milliseconds{200};
        o.connect_timeout = std::chrono::milliseconds{200};
        o.backoff_initial = std::chrono::milliseconds{0};
        return o;
    }
    asio::ip::tcp::acceptor acceptor;
    std::string reply;
    std::string hello;
    std::vector<asio::ip::tcp::socket> sockets;
};

} // namespace

TEST_CASE("redis client: bytes that are not RESP are a protocol error", "[redis]") {
    asio::io_context io;
    fake_server garbage{io, "HTTP/1.1 400 Bad Request\r\n\r\n"};
    fake_server extra{io, "+OK\r\n+OK\r\n", time_reply};
    fake_server early{io, std::string(time_reply) + "+OK\r\n"};
    redis::client a{io.get_executor(), garbage.opts()};
    redis::client b{io.get_executor(), extra.opts()};
    redis::client e{io.get_executor(), early.opts()};
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        auto v23 = co_await failure_of(a, redis::command{"PING"});
        CHECK(v23 == redis::error::protocol_error);
        // One call, two replies: the client is out of step and drops the connection; the one
        // call got its (first) answer.
        auto [ec, r] =
            co_await b.async_execute(redis::command{"PING"}, asio::as_tuple(asio::use_awaitable));
        CHECK(!ec);
        CHECK(r.str() == "OK");
        // A reply before any call (after the greeting's): never matched to a call.
        auto v26 = co_await failure_of(e, redis::command{"PING"});
        CHECK(v26 == redis::error::protocol_error);
    }());
    a.close();
    b.close();
    e.close();
    early.acceptor.close();
    garbage.acceptor.close();
    extra.acceptor.close();
    io.restart();
    io.run_for(std::chrono::milliseconds{50});
}

TEST_CASE("redis client: a server that never finishes the handshake times out", "[redis]") {
    asio::io_context io;
    fake_server silent{io, ""};
    redis::options o = silent.opts();
    o.password = "pw"; // AUTH goes first and is never answered
    redis::client c{io.get_executor(), o};
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        error_code ec = co_await failure_of(c, redis::command{"PING"});
        CHECK((ec == redis::error::timeout || ec == redis::error::unreachable));
    }());
    c.close();
    silent.acceptor.close();
    io.restart();
    io.run_for(std::chrono::milliseconds{50});
}

TEST_CASE("redis client: an unreachable host fails, it does not hang", "[redis]") {
    asio::io_context io;
    redis::options o;
    o.host = "127.0.0.1";
    o.port = 1; // nothing listens on port 1
    redis::client c{io.get_executor(), o};
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        auto v24 = co_await failure_of(c, redis::command{"PING"});
        CHECK(v24 == redis::error::unreachable);
        o.host = "no-such-host.invalid";
    }());
    redis::client d{io.get_executor(), o};
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        auto v25 = co_await failure_of(d, redis::command{"PING"});
        CHECK(v25 == redis::error::unreachable);
    }());
    c.close();
    d.close();
    io.restart();
    io.run();
}

TEST_CASE("redis client: a host name with several addresses tries each", "[redis]") {
    // "localhost" may resolve to ::1 first; the server listens on 127.0.0.1 only.
    test::redis_server server;
    asio::io_context io;
    redis::options o = test::test_options(server);
    o.host = "localhost";
    redis::client c{io.get_executor(), o};
    test::run_until_done(io, [&]() -> asio::awaitable<void> {
        redis::reply r = co_await c.execute("PING");
        CHECK(r.str() == "PONG");
    }());
    c.close();
    io.restart();
    io.run();
}
