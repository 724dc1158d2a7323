#ifndef RAMPART_SERVER_LOG_SINK_HPP
#define RAMPART_SERVER_LOG_SINK_HPP

// The access-log line format shared by the access_log middleware and the server's own answers
// (server_config::access_log_sink). The sinks themselves are core's (rampart/core/log.hpp).

#include <rampart/core/log.hpp>
#include <rampart/core/types.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace rampart {

/// Where access_log writes: a record_sink (gets level info, source `"access"`, the line and the
/// request) or a line_sink (gets the line alone, no trailing newline). Called once per request,
/// possibly from several threads at once.
template <class S>
concept access_log_sink = record_sink<S> || line_sink<S>;

namespace detail {

/// Appends `value` with every byte that could forge or break a log line escaped as `\xHH`:
/// control bytes (CR and LF among them), space, DEL, `"`, the backslash itself, and every byte
/// above 0x7f (so no UTF-8 line or paragraph separator reaches a log viewer either).
inline void append_log_escaped(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
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

/// `203.0.113.7:4242` or `[2001:db8::1]:80`.
inline void append_peer(std::string& out, const asio::ip::tcp::endpoint& peer) {
    if (peer.address().is_v6()) {
        out += '[';
        out += peer.address().to_string();
        out += ']';
    } else {
        out += peer.address().to_string();
    }
    out += ':';
    append_number(out, peer.port());
}

/** The access-log line of a response the server sent itself (no handler ran), in access_log's
    format: `<time> <method> <path> <status> <us>us peer=<address:port>`. Method and path are
    `-` when the request line was never parsed; both are escaped, the query is left out.
*/
inline std::string refusal_log_line(std::chrono::system_clock::time_point arrived,
                                    std::string_view method, std::string_view target,
                                    unsigned status, std::chrono::microseconds elapsed,
                                    const asio::ip::tcp::endpoint& peer) {
    std::string line;
    line.reserve(128);
    append_timestamp(line, arrived);
    line += ' ';
    if (method.empty())
        line += '-';
    else
        append_log_escaped(line, method);
    line += ' ';
    auto path = target.substr(0, target.find('?'));
    if (path.empty())
        line += '-';
    else
        append_log_escaped(line, path);
    line += ' ';
    append_number(line, status);
    line += ' ';
    append_number(line, static_cast<unsigned long long>(elapsed.count() < 0 ? 0 : elapsed.count()));
    line += "us peer=";
    append_peer(line, peer);
    return line;
}

} // namespace detail

} // namespace rampart

#endif
