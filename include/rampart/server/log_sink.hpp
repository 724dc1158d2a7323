#ifndef RAMPART_SERVER_LOG_SINK_HPP
#define RAMPART_SERVER_LOG_SINK_HPP

// The access-log line format shared by the access_log middleware and the server's own answers
// (server_config::access_log_sink). The sinks themselves are core's (rampart/core/log.hpp).

#include <rampart/core/log.hpp>
#include <rampart/core/types.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace rampart {

/// Where access_log writes: a record_sink (gets level info, source `"access"`, the line and the
/// request) or a line_sink (gets the line alone, no trailing newline). Called once per request,
/// possibly from several threads at once.
template <class S>
concept access_log_sink = record_sink<S> || line_sink<S>;

/** How access lines are written (access_log, and the server's own answers):

    - `text`: `2026-11-27T14:55:07.123Z GET /v1/products 200 153us user=42 id=<request id>`;
    - `json`: one JSON object a line, `{"time":...,"request_id":...,"method":...,"path":...,
      "user_agent":...,"status":...,"duration_us":...,"bytes":...,"route":...,"peer":...,
      "client":...,"user":...}` (docs/server.md, "Access log").

    Either way every value a client controls is escaped, so no request can forge or split a line.
*/
enum class access_log_format { text, json };

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

/** Appends `value` as a JSON string, quotes included, in ASCII only: `"` and `\` escaped,
    control bytes and DEL as `\u00XX` (`\n`, `\r`, `\t` as such), every other code point
    above 0x7f as `\uXXXX` (a surrogate pair past U+FFFF; so U+2028 and U+2029, which end
    lines in JavaScript, never appear raw), and each byte that is not part of valid UTF-8 as
    `\ufffd`. The result is valid JSON whatever the bytes, and one line.
*/
inline void append_json_string(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    auto u16 = [&](unsigned v) {
        out += "\\u";
        out += hex[(v >> 12) & 0xf];
        out += hex[(v >> 8) & 0xf];
        out += hex[(v >> 4) & 0xf];
        out += hex[v & 0xf];
    };
    out += '"';
    const auto* p = reinterpret_cast<const unsigned char*>(value.data());
    const auto* end = p + value.size();
    while (p != end) {
        unsigned c = *p;
        if (c < 0x80) {
            ++p;
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c == '\n') {
                out += "\\n";
            } else if (c == '\r') {
                out += "\\r";
            } else if (c == '\t') {
                out += "\\t";
            } else if (c < 0x20 || c == 0x7f) {
                u16(c);
            } else {
                out += static_cast<char>(c);
            }
            continue;
        }
        // One UTF-8 sequence (RFC 3629: no overlong forms, surrogates or values past U+10FFFF).
        std::size_t left = static_cast<std::size_t>(end - p);
        auto cont = [&](std::size_t i) { return i < left && (p[i] & 0xC0) == 0x80; };
        unsigned cp = 0;
        std::size_t n = 0;
        if (c >= 0xC2 && c <= 0xDF && cont(1)) {
            cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2) && !(c == 0xE0 && p[1] < 0xA0) &&
                   !(c == 0xED && p[1] > 0x9F)) {
            cp = ((c & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3F);
            n = 3;
        } else if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3) &&
                   !(c == 0xF0 && p[1] < 0x90) && !(c == 0xF4 && p[1] > 0x8F)) {
            cp =
                ((c & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3F);
            n = 4;
        }
        if (n == 0) { // not valid UTF-8: this byte is replaced, the next one read afresh
            u16(0xFFFD);
            ++p;
            continue;
        }
        p += n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            u16(0xD800 + (cp >> 10));
            u16(0xDC00 + (cp & 0x3FF));
        } else {
            u16(cp);
        }
    }
    out += '"';
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

/// `"text"`, or `null` when empty (JSON access lines).
inline void append_json_or_null(std::string& out, std::string_view text) {
    if (text.empty())
        out += "null";
    else
        append_json_string(out, text);
}

inline void append_elapsed(std::string& out, std::chrono::microseconds elapsed) {
    append_number(out, static_cast<unsigned long long>(elapsed.count() < 0 ? 0 : elapsed.count()));
}

/** What an access line says before the response exists: time, request id, method, path (the
    query left out), user agent. access_log writes it before calling the rest (a Beast-style
    handler may take the request); the server for its own answers.
*/
inline void append_access_start(std::string& line, access_log_format format,
                                std::chrono::system_clock::time_point arrived,
                                std::string_view request_id, std::string_view method,
                                std::string_view path, std::string_view user_agent) {
    if (format == access_log_format::json) {
        line += R"({"time":")";
        append_timestamp(line, arrived);
        line += R"(","request_id":)";
        append_json_or_null(line, request_id);
        line += R"(,"method":)";
        append_json_or_null(line, method);
        line += R"(,"path":)";
        append_json_or_null(line, path);
        line += R"(,"user_agent":)";
        append_json_or_null(line, user_agent);
        return;
    }
    append_timestamp(line, arrived);
    line += ' ';
    if (method.empty())
        line += '-';
    else
        append_log_escaped(line, method);
    line += ' ';
    if (path.empty())
        line += '-';
    else
        append_log_escaped(line, path);
}

/// Who asked and what the answer was: the rest of an access line after append_access_start.
struct access_outcome {
    unsigned status = 0;
    std::chrono::microseconds elapsed{0};
    std::uint64_t bytes = 0;
    std::string_view route;      // the route template; empty when no route matched
    std::string_view user;       // the authenticated user id; empty when anonymous
    std::string_view client_key; // the throttle's client key; empty when not resolved
    const asio::ip::tcp::endpoint* peer = nullptr;
    std::string_view request_id; // text lines only: JSON has it at the start
};

inline void append_access_end(std::string& line, access_log_format format,
                              const access_outcome& o) {
    if (format == access_log_format::json) {
        line += R"(,"status":)";
        append_number(line, o.status);
        line += R"(,"duration_us":)";
        append_elapsed(line, o.elapsed);
        line += R"(,"bytes":)";
        append_number(line, o.bytes);
        line += R"(,"route":)";
        append_json_or_null(line, o.route);
        line += R"(,"peer":)";
        if (o.peer) {
            line += '"';
            append_peer(line, *o.peer);
            line += '"';
        } else {
            line += "null";
        }
        line += R"(,"client":)";
        append_json_or_null(line, o.client_key);
        line += R"(,"user":)";
        append_json_or_null(line, o.user);
        line += '}';
        return;
    }
    line += ' ';
    append_number(line, o.status);
    line += ' ';
    append_elapsed(line, o.elapsed);
    line += "us ";
    if (!o.user.empty()) {
        line += "user=";
        append_log_escaped(line, o.user);
    } else if (!o.client_key.empty()) {
        line += "client=";
        append_log_escaped(line, o.client_key);
    } else {
        line += "peer=";
        if (o.peer)
            append_peer(line, *o.peer);
        else
            line += '-';
    }
    if (!o.request_id.empty()) {
        line += " id=";
        append_log_escaped(line, o.request_id);
    }
}

/** The access-log line of a response the server sent itself (no handler ran), in access_log's
    format: `<time> <method> <path> <status> <us>us peer=<address:port> id=<request id>` (or the
    JSON object). Method and path are `-` (null) when the request line was never parsed; both
    are escaped, the query is left out.
*/
inline std::string refusal_log_line(access_log_format format,
                                    std::chrono::system_clock::time_point arrived,
                                    std::string_view request_id, std::string_view method,
                                    std::string_view target, std::string_view user_agent,
                                    unsigned status, std::chrono::microseconds elapsed,
                                    const asio::ip::tcp::endpoint& peer) {
    std::string line;
    line.reserve(format == access_log_format::json ? 320 : 160);
    append_access_start(line, format, arrived, request_id, method,
                        target.substr(0, target.find('?')), user_agent);
    access_outcome o;
    o.status = status;
    o.elapsed = elapsed;
    o.peer = &peer;
    o.request_id = request_id;
    append_access_end(line, format, o);
    return line;
}

} // namespace detail

} // namespace rampart

#endif
