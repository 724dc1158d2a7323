#ifndef RAMPART_REDIS_ERROR_HPP
#define RAMPART_REDIS_ERROR_HPP

#include <rampart/detail/error_category.hpp>

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace rampart::redis {

/** Why a Redis call failed without a reply from the server.

    A reply the server sent, even an error reply (`-ERR ...`), is not one of these: it comes
    back as a `reply` whose kind is `reply_kind::error`. These codes mean the call has no
    answer at all, so callers fall back (see fail_policy) rather than trust anything.
*/
enum class error {
    /// The reply did not arrive within the call's timeout. The connection was reset, because
    /// later replies could no longer be matched to their calls.
    timeout = 1,
    /// The connection closed or broke while the call was in flight; it may or may not have run.
    connection_lost,
    /// The call was in flight on a connection that was reset because another call timed out.
    connection_reset,
    /// The server could not be reached, or the client is waiting out its reconnect backoff
    /// after failed attempts; the call was never sent.
    unreachable,
    /// The server refused the password (`AUTH`).
    auth_failed,
    /// The server refused the database number (`SELECT`).
    select_failed,
    /// The server sent bytes that are not RESP, or a reply nobody asked for.
    protocol_error,
    /// More calls are waiting than the client's `max_pending` allows.
    too_many_pending,
    /// The client was closed (or destroyed) before the call completed.
    closed,
    /// The circuit breaker is open after repeated timeouts or failed connection attempts; the
    /// call was not sent (see circuit_breaker).
    circuit_open,
};

namespace detail {

/// The words of rampart::redis::error codes.
struct error_text {
    static constexpr const char* name = "rampart.redis";
    static std::string message(int ev) {
        switch (static_cast<error>(ev)) {
        case error::timeout:
            return "redis: no reply within the timeout";
        case error::connection_lost:
            return "redis: connection lost";
        case error::connection_reset:
            return "redis: connection reset after another call timed out";
        case error::unreachable:
            return "redis: server unreachable";
        case error::auth_failed:
            return "redis: authentication refused";
        case error::select_failed:
            return "redis: database selection refused";
        case error::protocol_error:
            return "redis: protocol error";
        case error::too_many_pending:
            return "redis: too many calls pending";
        case error::closed:
            return "redis: client closed";
        case error::circuit_open:
            return "redis: circuit breaker open after repeated failures";
        }
        return "redis: unknown error";
    }
};

} // namespace detail

/// The category of rampart::redis::error codes.
inline const boost::system::error_category& error_category() noexcept {
    return rampart::detail::error_category<detail::error_text>::instance();
}

inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// Thrown when a reply is read as a kind it is not (`integer()` of a string reply, ...).
class unexpected_reply : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by parse_url for a URL it cannot use; `what()` never contains the password.
class url_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

} // namespace rampart::redis

template <>
struct boost::system::is_error_code_enum<rampart::redis::error> : std::true_type {};

#endif
