#ifndef RAMPART_SERVER_ACCESS_LOG_HPP
#define RAMPART_SERVER_ACCESS_LOG_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>

#include <chrono>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace rampart {

/// Where access_log writes: called with one complete line (no trailing newline), possibly from
/// several threads at once.
template <class S>
concept access_log_sink = requires(S& s, std::string_view line) {
    s(line);
};

/// Writes each line to stderr with one locked write, so lines from many threads never mix.
struct stderr_sink {
    void operator()(std::string_view line) const noexcept {
        ::flockfile(stderr);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
        ::funlockfile(stderr);
    }
};

namespace detail {

/// Appends `value` with every byte that could forge or break a log line escaped as `\xHH`:
/// control bytes (CR and LF among them), space, DEL, `"` and the backslash itself.
inline void append_log_escaped(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
}

inline void append_number(std::string& out, unsigned long long v, int min_digits = 1) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (; n < min_digits; ++n)
        digits[n] = '0';
    while (n > 0)
        out += digits[--n];
}

/// `2026-11-27T14:55:07.123Z`.
inline void append_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto ms = floor<milliseconds>(t);
    auto days = floor<std::chrono::days>(ms);
    year_month_day ymd{days};
    hh_mm_ss hms{ms - days};
    append_number(out, static_cast<unsigned long long>(static_cast<int>(ymd.year())), 4);
    out += '-';
    append_number(out, static_cast<unsigned>(ymd.month()), 2);
    out += '-';
    append_number(out, static_cast<unsigned>(ymd.day()), 2);
    out += 'T';
    append_number(out, static_cast<unsigned long long>(hms.hours().count()), 2);
    out += ':';
    append_number(out, static_cast<unsigned long long>(hms.minutes().count()), 2);
    out += ':';
    append_number(out, static_cast<unsigned long long>(hms.seconds().count()), 2);
    out += '.';
    append_number(out, static_cast<unsigned long long>(hms.subseconds().count()), 3);
    out += 'Z';
}

} // namespace detail

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

    `Sink` is called once per request from whichever thread served it; `Clock` times it.
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
            const auto& peer = ctx.peer();
            if (peer.address().is_v6()) {
                line += '[';
                line += peer.address().to_string();
                line += ']';
            } else {
                line += peer.address().to_string();
            }
            line += ':';
            detail::append_number(line, peer.port());
        }
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
