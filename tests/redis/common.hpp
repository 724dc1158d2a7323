#ifndef RAMPART_TESTS_REDIS_COMMON_HPP
#define RAMPART_TESTS_REDIS_COMMON_HPP

// Running coroutines against a real redis-server: each test owns its server, io_context and
// client, and `run` drives the io_context until one coroutine finishes (the client keeps a
// read pending, so io_context::run alone would not return).

#include <rampart/core/types.hpp>
#include <rampart/redis/client.hpp>

#include "support/redis_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace rampart::test {

template <class T>
T run_until_done(asio::io_context& io, asio::awaitable<T> aw) {
    std::optional<T> result;
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e)
            result.emplace(std::move(value));
        done = true;
    });
    io.restart();
    while (!done && io.run_one() > 0) {
    }
    if (error)
        std::rethrow_exception(error);
    return std::move(*result);
}

inline void run_until_done(asio::io_context& io, asio::awaitable<void> aw) {
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    io.restart();
    while (!done && io.run_one() > 0) {
    }
    if (error)
        std::rethrow_exception(error);
}

/// Options for a test client: a short timeout, no reconnect backoff and no circuit breaker, so
/// that a test can make the client try again with its very next call instead of waiting (the
/// breaker's own tests turn it on).
inline redis::options test_options(const redis_server& server) {
    redis::options o = redis::parse_url(server.url());
    o.command_timeout = std::chrono::milliseconds{300};
    o.backoff_initial = std::chrono::milliseconds{0};
    o.breaker.failure_threshold = 0;
    return o;
}

/// A server, an io_context and a client on it; closing drains the io_context.
struct redis_env {
    explicit redis_env(redis::options (*make)(const redis_server&) = &test_options)
        : client(io.get_executor(), make(server)) {}
    ~redis_env() {
        client.close();
        io.restart();
        io.run();
    }

    template <class T>
    T run(asio::awaitable<T> aw) {
        return run_until_done(io, std::move(aw));
    }

    redis_server server;
    asio::io_context io;
    redis::client client;
};

} // namespace rampart::test

#endif
