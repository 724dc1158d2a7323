#ifndef RAMPART_REDIS_CLIENT_HPP
#define RAMPART_REDIS_CLIENT_HPP

#include <rampart/redis/circuit_breaker.hpp>
#include <rampart/redis/command.hpp>
#include <rampart/redis/detail/connection.hpp>
#include <rampart/redis/error.hpp>
#include <rampart/redis/options.hpp>
#include <rampart/redis/reply.hpp>
#include <rampart/redis/script.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

namespace rampart::redis {

namespace asio = boost::asio;

/** An asynchronous Redis client: one pipelined connection on the service's io_context.

    - Non-blocking: the socket lives on the executor given (a strand of it), so calls may be
      made from any thread of a multi-threaded io_context and never block an I/O thread.
    - Pipelined: concurrent calls share one connection; whatever is queued goes out in one
      write and replies are matched in order. Thousands of calls may be in flight.
    - Timeouts: a call whose reply does not come within `options::command_timeout` fails with
      error::timeout, and the connection is reset (calls in flight with it fail with
      error::connection_reset), since later replies could no longer be matched.
    - Reconnection: the first call after a broken connection reconnects at once; after failed
      attempts calls fail immediately with error::unreachable until the backoff
      (`backoff_initial`, doubling to `backoff_max`) has passed, then the next call tries
      again. Nothing blocks and nothing waits longer than a timeout.
    - Circuit breaker: after `options::breaker.failure_threshold` consecutive timeouts or
      failed connection attempts, calls fail at once with error::circuit_open until a
      background probe finds the server answering again (see circuit_breaker).
    - `AUTH` and `SELECT` from the options are sent first on every connection, then `TIME`,
      which proves the server answers and measures its clock for eval_with_deadline.
    - Replies are parsed by hiredis's `redisReader`; commands are encoded by redis::command.

    Errors: a call throws `boost::system::system_error` (code in redis::error_category, see
    redis::error) when it has no reply; an error *reply* (`-ERR ...`) is returned as a reply.
    With `async_execute` and a token such as `asio::as_tuple(asio::use_awaitable)` the error
    code comes back instead of an exception.

    The client must outlive every call made with it and every store built on it. Destroying
    it (or close()) fails whatever is still pending with error::closed.
*/
class client {
public:
    using executor_type = asio::any_io_executor;

    /// A client for the server in `opts`. Nothing connects until the first call.
    client(executor_type ex, options opts)
        : impl_(std::make_shared<detail::connection>(std::move(ex), std::move(opts))) {}

    /// A client for `url` (`redis://host:port/db`); throws url_error for a bad URL.
    client(executor_type ex, std::string_view url) : client(std::move(ex), parse_url(url)) {}

    client(const client&) = delete;
    client& operator=(const client&) = delete;

    ~client() {
        if (impl_)
            impl_->close();
    }

    /// Sends `cmd` and completes with `(error_code, reply)`; any Asio completion token.
    template <class CompletionToken = asio::use_awaitable_t<>>
    auto async_execute(command cmd, CompletionToken&& token = {}) {
        return asio::async_initiate<CompletionToken, void(boost::system::error_code, reply)>(
            [](auto handler, std::shared_ptr<detail::connection> impl, command c) {
                impl->submit(std::move(c), std::move(handler));
            },
            token, impl_, std::move(cmd));
    }

    /// Sends a command made of `name` and `args` (text or integers) and returns the reply.
    template <class... Args>
    asio::awaitable<reply> execute(std::string_view name, const Args&... args) {
        return async_execute(command{name, args...}, asio::use_awaitable);
    }

    /// Sends a prepared command and returns the reply.
    asio::awaitable<reply> execute(command cmd) {
        return async_execute(std::move(cmd), asio::use_awaitable);
    }

    /** Runs `s` with `EVALSHA`, and with `EVAL` if the server does not have it cached.

        As in Redis's own syntax, the first `numkeys` of `keys_and_args` (text or integers)
        become `KEYS[1..]` and the rest `ARGV[1..]`: `eval(s, 1, key, limit, cost)`. Only the
        `NOSCRIPT` error reply triggers the second send; other error replies come back as is.
    */
    template <class... Args>
    asio::awaitable<reply> eval(script s, std::size_t numkeys, const Args&... keys_and_args) {
        command tail;
        tail.arg(numkeys);
        (tail.arg(keys_and_args), ...);
        return eval_tail(std::move(s), std::move(tail));
    }

    /** Runs `s` as eval does, with one more `ARGV` after `keys_and_args`: a deadline in
        microseconds of the server's clock (`redis.call('TIME')`, seconds * 1000000 +
        microseconds). A script that starts at or after it must do nothing: by then this call
        has timed out (or will, before the reply can arrive), and the caller has been told it
        failed. The deadline is put in when the command is written, from the call's timeout
        less a fifth (the reply's way back) and the server's clock offset, measured by `TIME`
        on each connection and again every 10 s while such calls are made; measured as a lower
        bound, it errs early. What remains: a step of the server's wall clock backwards, and
        a server that stalls for more than that fifth between running the script and sending
        its reply.
    */
    template <class... Args>
    asio::awaitable<reply> eval_with_deadline(script s, std::size_t numkeys,
                                              const Args&... keys_and_args) {
        command tail;
        tail.arg(numkeys);
        (tail.arg(keys_and_args), ...);
        return eval_tail(std::move(s), std::move(tail), true);
    }

    /// Where the client's circuit breaker stands; from any thread.
    circuit_state circuit() const noexcept { return impl_->breaker().state(); }

    /// The client's circuit breaker, for monitoring (failures, times opened); any thread.
    const circuit_breaker& breaker() const noexcept { return impl_->breaker(); }

    /// Fails every pending call with error::closed; later calls fail at once.
    void close() { impl_->close(); }

    const options& opts() const noexcept { return impl_->opts(); }

private:
    asio::awaitable<reply> eval_tail(script s, command tail, bool stamp_deadline = false) {
        command first{"EVALSHA", s.sha1()};
        first.append(tail);
        reply r = co_await send(std::move(first), stamp_deadline);
        if (r.is_error() && r.str().starts_with("NOSCRIPT")) {
            command second{"EVAL", s.source()};
            second.append(tail);
            r = co_await send(std::move(second), stamp_deadline);
        }
        co_return r;
    }

    asio::awaitable<reply> send(command cmd, bool stamp_deadline) {
        return asio::async_initiate<const asio::use_awaitable_t<>,
                                    void(boost::system::error_code, reply)>(
            [](auto handler, std::shared_ptr<detail::connection> impl, command c, bool stamp) {
                impl->submit(std::move(c), std::move(handler), stamp);
            },
            asio::use_awaitable, impl_, std::move(cmd), stamp_deadline);
    }

    std::shared_ptr<detail::connection> impl_;
};

} // namespace rampart::redis

#endif
