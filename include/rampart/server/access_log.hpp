#ifndef RAMPART_SERVER_ACCESS_LOG_HPP
#define RAMPART_SERVER_ACCESS_LOG_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/server/log_sink.hpp>

#include <chrono>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace rampart {

/** Middleware writing one line per request to a sink:

    @code
    2026-11-27T14:55:07.123Z GET /v1/products 200 153us user=42
    @endcode

    The fields are the time the request arrived (UTC), the method, the path without the query
    string (queries often carry tokens or personal data), the status, the time spent in the
    layers inside this one in microseconds, and who asked: `user=<id>` once authentication
    identified a user, else `client=<client key>` once the throttle resolved the client, else
    `peer=<address:port>` of the socket. Values a client controls are escaped, so a CR or LF in
    a path or user id can never forge a line.

    Put it outside the layers you want timed and inside the ones that establish who the client
    is when they should appear in the line: it reads the principal and client key after the
    inner layers ran. The response passes through unchanged, errors included (every error is
    already a response when it gets here).

    `Sink` (an access_log_sink: a record or a line sink, held by value, so no type-erased call
    per request) is called once per request from whichever thread served it; `Clock` times it.
*/
template <access_log_sink Sink = stderr_sink, clock_source Clock = system_clock>
class access_log {
public:
    access_log() requires(std::default_initializable<Sink>&& std::default_initializable<Clock>) {}
    explicit access_log(Sink sink) requires std::default_initializable<Clock>
        : sink_(std::move(sink)) {}
    access_log(Sink sink, Clock clock) : sink_(std::move(sink)), clock_(std::move(clock)) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        auto start = clock_.now();
        // Read before the request moves on: a Beast-style handler takes it by value.
        std::string line;
        line.reserve(128);
        detail::append_timestamp(line, start);
        line += ' ';
        detail::append_log_escaped(line, ctx.req().method_string());
        line += ' ';
        detail::append_log_escaped(line, ctx.path());

        response res = co_await next(ctx);

        auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - start);
        line += ' ';
        detail::append_number(line, res.result_int());
        line += ' ';
        detail::append_number(
            line, static_cast<unsigned long long>(elapsed.count() < 0 ? 0 : elapsed.count()));
        line += "us ";
        if (ctx.principal().authenticated()) {
            line += "user=";
            detail::append_log_escaped(line, ctx.principal().user_id);
        } else if (!ctx.client_key().empty()) {
            line += "client=";
            detail::append_log_escaped(line, ctx.client_key());
        } else {
            line += "peer=";
            detail::append_peer(line, ctx.peer());
        }
        if constexpr (record_sink<Sink>)
            sink_(log_record{log_level::info, "access", line, &ctx});
        else
            sink_(std::string_view{line});
        co_return res;
    }

    Sink& sink() noexcept { return sink_; }

private:
    [[no_unique_address]] Sink sink_;
    [[no_unique_address]] Clock clock_;
};

static_assert(middleware<access_log<>>);

} // namespace rampart

#endif
