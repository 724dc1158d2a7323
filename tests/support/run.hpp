#ifndef RAMPART_TESTS_SUPPORT_RUN_HPP
#define RAMPART_TESTS_SUPPORT_RUN_HPP

// Test helpers: run an awaitable to completion on a private io_context, and build requests.

#include <rampart/core/context.hpp>
#include <rampart/core/handler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <string>
#include <utility>

namespace rampart::test {

/// Runs `aw` on a fresh io_context and returns its result (rethrowing what it threw).
template <class T>
T run(asio::awaitable<T> aw) {
    asio::io_context io;
    std::optional<T> result;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e)
            result.emplace(std::move(value));
    });
    io.run();
    if (error)
        std::rethrow_exception(error);
    return std::move(*result);
}

inline void run(asio::awaitable<void> aw) {
    asio::io_context io;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e) { error = e; });
    io.run();
    if (error)
        std::rethrow_exception(error);
}

/// A request with the given method, target, body and `Content-Type: application/json` when a
/// body is given.
inline request make_request(http::verb method, std::string target, std::string body = {}) {
    request req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:8080");
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = std::move(body);
        req.prepare_payload();
    }
    return req;
}

/// Runs handler `h` on a context made from `req` and returns the response.
template <class H>
response call(H& h, request req) {
    context ctx{std::move(req)};
    return run(h(ctx));
}

} // namespace rampart::test

#endif
