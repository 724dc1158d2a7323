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

/** Middleware writing one line per request to a sink, as text or as one JSON object:

    @code
    2026-11-27T14:55:07.123Z GET /v1/products 200 153us user=42
   id=0f8a3c52-7a0e-4c1b-9d2e-5b7f2a9c0e14
    {"time":"2026-11-27T14:55:07.123Z","request_id":"0f8a3c52-...","method":"GET","path":"/v1/products","user_agent":"curl/7.88.1","status":200,"duration_us":153,"bytes":1042,"route":"/products/","peer":"203.0.113.7:4242","client":"ip:203.0.113.7","user":"42"}
    @endcode

    Text: the time the request arrived (UTC), the method, the path without the query string
    (queries often carry tokens or personal data), the status, the time spent in the layers
    inside this one in microseconds, who asked (`user=<id>` once authentication identified a
    user, else `client=<client key>` once the throttle resolved the client, else
    `peer=<address:port>` of the socket), and the request id when the server gave one. JSON:
    the same and more (user agent, body bytes, route template, each of the three "who"s), one
    object a line, `null` for what is unknown. Values a client controls are escaped in both, so
    a CR, LF or U+2028 in a path, user agent or user id can never forge a line.

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
    explicit access_log(Sink sink, access_log_format format = access_log_format::text) requires
        std::default_initializable<Clock> : sink_(std::move(sink)),
                                            format_(format) {}
    access_log(Sink sink, Clock clock, access_log_format format = access_log_format::text)
        : sink_(std::move(sink)), clock_(std::move(clock)), format_(format) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        auto start = clock_.now();
        if constexpr (shares_clock)
            ctx.set_started_at(start); // an inner metrics layer times from here too
        // Read before the request moves on: a Beast-style handler takes it by value.
        std::string line;
        line.reserve(format_ == access_log_format::json ? 320 : 128);
        auto agent = ctx.req()[http::field::user_agent];
        detail::append_access_start(line, format_, start, ctx.request_id(),
                                    ctx.req().method_string(), ctx.path(),
                                    {agent.data(), agent.size()});

        response res = co_await next(ctx);

        detail::access_outcome o;
        o.status = res.result_int();
        auto end = answered(ctx, start);
        o.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(end - start);
        o.bytes = res.body().size();
        o.route = ctx.route_template();
        o.user = ctx.principal().user_id;
        o.client_key = ctx.client_key();
        o.peer = &ctx.peer();
        o.request_id = ctx.request_id();
        detail::append_access_end(line, format_, o);
        if constexpr (record_sink<Sink>)
            sink_(log_record{log_level::info, "access", line, &ctx});
        else
            sink_(std::string_view{line});
        co_return res;
    }

    Sink& sink() noexcept { return sink_; }
    access_log_format format() const noexcept { return format_; }

private:
    // On the system clock, the start is shared with an inner metrics layer, and the end it read
    // is taken rather than reading the clock again (http_metrics).
    static constexpr bool shares_clock = std::same_as<Clock, system_clock>;

    auto answered(const context& ctx, decltype(std::declval<Clock&>().now()) start) const {
        if constexpr (shares_clock)
            if (ctx.answered_at() >= start)
                return ctx.answered_at();
        return clock_.now();
    }

    [[no_unique_address]] Sink sink_;
    [[no_unique_address]] Clock clock_;
    access_log_format format_ = access_log_format::text;
};

static_assert(middleware<access_log<>>);

} // namespace rampart

#endif
