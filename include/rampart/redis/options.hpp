#ifndef RAMPART_REDIS_OPTIONS_HPP
#define RAMPART_REDIS_OPTIONS_HPP

#include <rampart/core/event_observer.hpp>
#include <rampart/detail/uri.hpp>
#include <rampart/redis/circuit_breaker.hpp>
#include <rampart/redis/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::redis {

/// A call finished: with a reply (an error reply included) or without one (`error`: a
/// timeout, a lost connection, ...), `latency` after it was made. See options::on_command.
struct command_event {
    boost::system::error_code error;
    std::chrono::steady_clock::duration latency{};

    bool failed() const noexcept { return error.failed(); }
};

/** Where the server is and how the client treats it.

    Build one with parse_url (`redis://:secret@10.0.0.5:6379/2`) and adjust the timings, or fill
    it in directly. The defaults suit a request path: a call waits at most `command_timeout`
    for its reply, and while Redis is down calls fail at once (no waiting) between reconnect
    attempts, so a throttle can fall back without slowing every request.
*/
struct options {
    /// Host name or IP address (IPv6 without brackets).
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    /// ACL user name (Redis 6+); empty for the `default` user.
    std::string username{};
    /// Sent with `AUTH` on every connection when not empty.
    std::string password{};
    /// Selected with `SELECT` on every connection when not 0.
    unsigned db = 0;

    /// The longest a connection attempt (resolve, connect, AUTH, SELECT) may take.
    std::chrono::milliseconds connect_timeout{1000};
    /// The longest a call waits for its reply. When a call times out the connection is reset
    /// (replies after it could no longer be matched to their calls) and every call still in
    /// flight on it fails.
    std::chrono::milliseconds command_timeout{500};
    /// The wait after the first failed connection attempt; it doubles after each further
    /// failure, up to `backoff_max`. Zero retries at once. A connection that was working and
    /// broke is retried at once, without waiting.
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{2000};
    /// Calls waiting or in flight at most; more fail with error::too_many_pending so that a
    /// stalled server cannot make the queue grow without bound.
    std::size_t max_pending = 65536;
    /// Told of every call as it completes (rampart::metrics::store_metrics makes one), on the
    /// client's strand: it must be quick and not block. None by default.
    event_observer<command_event> on_command{};
    /// When the client stops waiting for a server that does not answer (see circuit_breaker).
    breaker_options breaker{};
};

namespace detail {

inline bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 10)
        return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > max)
        return false;
    out = v;
    return true;
}

} // namespace detail

/** Reads `redis://[[user]:password@]host[:port][/db]` into options (other fields default).

    The port defaults to 6379 and the database to 0; an IPv6 host is written in brackets
    (`redis://[::1]:6379/0`); user and password may be percent-encoded. The text must be an
    RFC 3986 URI (Boost.URL parses it). `rediss://` (TLS), `unix://`, query parameters and
    anything malformed throw url_error with a message that says what is wrong and never
    repeats the password.

    Throws: url_error for any text that is not such a URL (a configuration error).
*/
inline options parse_url(std::string_view url) {
    options o;
    constexpr std::string_view scheme = "redis://";
    if (url.size() < scheme.size() || url.substr(0, scheme.size()) != scheme) {
        if (url.substr(0, 9) == "rediss://")
            throw url_error("invalid redis URL: TLS (rediss://) is not supported; use a TLS "
                            "tunnel or a private network");
        throw url_error("invalid redis URL: expected redis://host:port/db");
    }
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            throw url_error("invalid redis URL: it contains a space or control character");
    auto parsed = rampart::detail::parse_uri(url);
    if (!parsed)
        throw url_error("invalid redis URL: it is not a well-formed URL (look at the "
                        "percent-escapes in the user name and password, the brackets around an "
                        "IPv6 address and the port)");
    const boost::urls::url& u = *parsed;
    if (u.has_query() || u.has_fragment())
        throw url_error("invalid redis URL: query parameters and fragments are not supported");

    if (u.has_userinfo()) {
        // `redis://secret@host` is how some tools write a password alone.
        if (u.has_password()) {
            o.username = u.user();
            o.password = u.password();
        } else {
            o.password = u.user();
        }
        if (o.password.empty())
            throw url_error("invalid redis URL: empty password after '@'");
    }

    switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
    case boost::urls::host_type::ipv4:
        o.host = std::string(u.encoded_host_address());
        break;
    case boost::urls::host_type::name:
        // As written: a percent-escape in a host name is not decoded.
        o.host = std::string(u.encoded_host());
        for (char c : o.host)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == '%'))
                throw url_error("invalid redis URL: the host contains an invalid character");
        break;
    default: // IPvFuture `[v1.x]`, which no Redis client speaks
        throw url_error("invalid redis URL: the host contains an invalid character");
    }
    if (o.host.empty())
        throw url_error("invalid redis URL: the host is missing");
    if (u.has_port()) {
        std::uint64_t port = 0;
        if (u.port().empty())
            throw url_error("invalid redis URL: empty port after ':'");
        if (!detail::parse_decimal(u.port(), 65535, port) || port == 0)
            throw url_error("invalid redis URL: the port must be a number from 1 to 65535");
        o.port = static_cast<std::uint16_t>(port);
    }
    std::string_view path = u.encoded_path(); // empty or "/..." after an authority
    if (path.size() > 1) {
        std::uint64_t db = 0;
        if (!detail::parse_decimal(path.substr(1), 1u << 30, db))
            throw url_error("invalid redis URL: the database after '/' must be a number");
        o.db = static_cast<unsigned>(db);
    }
    return o;
}

} // namespace rampart::redis

#endif
