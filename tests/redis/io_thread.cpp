#include <rampart/redis/io_thread.hpp>

#include "common.hpp"

#include <rampart/redis/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <stdexcept>
#include <string>
#include <thread>

using namespace rampart;
using boost::system::error_code;
using rampart::test::redis_server;

namespace {

/// INCR on `c`, with the id of the thread the coroutine resumed on.
asio::awaitable<std::pair<std::int64_t, std::thread::id>> incr_where(redis::client& c) {
    redis::reply r = co_await c.execute("INCR", "io_thread:n");
    co_return std::pair{r.integer(), std::this_thread::get_id()};
}

} // namespace

TEST_CASE("redis::io_thread runs a client's calls on a thread of its own", "[redis][io_thread]") {
    redis_server server;
    redis::io_thread io;
    redis::client client{io.get_executor(), test::test_options(server)};
    for (std::int64_t n = 1; n <= 3; ++n) {
        auto done = asio::co_spawn(io.get_executor(), incr_where(client), asio::use_future);
        auto [value, thread] = done.get();
        CHECK(value == n);
        CHECK(thread != std::this_thread::get_id());
    }
    client.close();
    io.stop();
    io.stop(); // a second stop does nothing
}

TEST_CASE("redis::io_thread: a call pending at close fails with closed, then stop joins",
          "[redis][io_thread]") {
    redis_server server;
    redis::io_thread io;
    redis::options opts = test::test_options(server);
    opts.command_timeout = std::chrono::seconds{30}; // only close() can end the call
    redis::client client{io.get_executor(), opts};
    server.stall(2);
    auto pending = client.async_execute(redis::command{"PING"}, asio::use_future);
    CHECK(pending.wait_for(std::chrono::milliseconds{100}) == std::future_status::timeout);
    client.close();
    try {
        pending.get();
        FAIL("the pending call succeeded");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == redis::error::closed);
    }
    io.stop();
}

TEST_CASE("redis::io_thread: a handler's exception keeps the loop running and is rethrown by stop",
          "[redis][io_thread]") {
    redis_server server;
    redis::io_thread io;
    redis::client client{io.get_executor(), test::test_options(server)};
    asio::post(io.get_executor(), [] { throw std::runtime_error("handler bug"); });
    auto after = client.async_execute(redis::command{"PING"}, asio::use_future);
    CHECK(after.get().is_status()); // the loop went on
    client.close();
    CHECK_THROWS_WITH(io.stop(), "handler bug");
    CHECK_NOTHROW(io.stop()); // reported once
}

TEST_CASE("redis::io_thread: instances are independent", "[redis][io_thread]") {
    redis_server server;
    redis::io_thread first;
    redis::io_thread second;
    redis::client on_second{second.get_executor(), test::test_options(server)};
    first.stop(); // the other loop is unaffected
    auto r = on_second.async_execute(redis::command{"PING"}, asio::use_future);
    CHECK(r.get().is_status());
    on_second.close();
}
