#ifndef RAMPART_CORE_LOG_HPP
#define RAMPART_CORE_LOG_HPP

// The one logging hook. Every part of rampart that logs (access_log, the server's own refusals
// and operational messages, the error envelope's 500s, the Redis stores' outages, SQLite's 503s)
// hands a log_record to a sink of the same shape, and writes to stderr when given none.

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <sys/uio.h>
#include <unistd.h>

namespace rampart {

class context;

/// How bad it is: `info` (access lines, recoveries), `warning` (an outage with a fallback),
/// `error` (a 500's cause, a 503 without fallback, the server unable to accept).
enum class log_level { info, warning, error };

/** One log event: a complete line of text plus what a structured logger may want.

    The message is what the stderr default writes, without a trailing newline; every byte a
    client controls in it is already escaped (access lines) or was checked by the HTTP parser
    (paths), so a sink may write it as is. The views are valid only during the call.
*/
struct log_record {
    log_record(log_level level, std::string_view source, std::string_view message,
               const context* request = nullptr, std::exception_ptr error = nullptr) noexcept
        : level(level), source(source), message(message), request(request),
          error(std::move(error)) {}

    log_level level;
    /// The part of rampart that logged: `"access"`, `"server"`, `"errors"`, `"redis"` or
    /// `"sqlite"`.
    std::string_view source;
    /// One line, no trailing newline.
    std::string_view message;
    /// The request the line is about (access lines, internal errors), or nullptr.
    const context* request = nullptr;
    /// The exception behind it (a 500's cause, a `sqlite::error`), or null.
    std::exception_ptr error;
};

/// A sink of records: called with each record, possibly from several threads at once.
template <class S>
concept record_sink = std::invocable<S&, const log_record&>;

/// A sink of lines (the older shape, still accepted everywhere): gets each record's message.
template <class S>
concept line_sink = std::invocable<S&, std::string_view>;

namespace detail {

/// Writes `line` and a newline to `fd` in one writev(2) (retried only for what a signal or a
/// short write left), so lines from many threads and processes never mix. No allocation.
inline void write_line(int fd, std::string_view line) noexcept {
    char newline = '\n';
    iovec parts[2] = {{const_cast<char*>(line.data()), line.size()}, {&newline, 1}};
    iovec* next = parts;
    int count = 2;
    while (count > 0) {
        ssize_t n = ::writev(fd, next, count);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // nowhere left to report a failing stderr
        }
        auto done = static_cast<std::size_t>(n);
        while (count > 0 && done >= next->iov_len) {
            done -= next->iov_len;
            ++next;
            --count;
        }
        if (count > 0) {
            next->iov_base = static_cast<char*>(next->iov_base) + done;
            next->iov_len -= done;
        }
    }
}

template <class F>
struct is_std_function : std::false_type {};
template <class Sig>
struct is_std_function<std::function<Sig>> : std::true_type {};

/// Whether `f` is a null function pointer or an empty std::function: what an option given
/// one treats as "no sink" instead of calling it.
template <class F>
bool is_empty_callable(const F& f) noexcept {
    if constexpr (std::is_pointer_v<F> || std::is_member_pointer_v<F> || is_std_function<F>::value)
        return !f;
    else
        return false;
}

} // namespace detail

/// The default sink: each message and a newline on stderr in a single write(2), so lines from
/// many threads never mix. Accepts records and plain lines.
struct stderr_sink {
    void operator()(const log_record& record) const noexcept {
        detail::write_line(STDERR_FILENO, record.message);
    }
    void operator()(std::string_view line) const noexcept {
        detail::write_line(STDERR_FILENO, line);
    }
};

/** The one sink type options store: any record_sink or line_sink, type-erased.

    Empty (default-constructed, `{}` or `nullptr`) means "no sink"; what that does is the
    option's to say (most drop the records, some fall back to stderr_sink). Calling it never
    throws: an exception from the wrapped sink is swallowed, so a failing logger cannot take a
    connection or a store down with it. Components that log once per request (access_log) take
    their sink as a template parameter instead, so the request path has no call through this.
*/
class log_sink {
public:
    log_sink() noexcept = default;
    log_sink(std::nullptr_t) noexcept {}

    /// Wraps a record_sink, or a line_sink (which then gets each record's message).
    template <class F>
    requires(!std::derived_from<std::remove_cvref_t<F>, log_sink> &&
             (record_sink<std::decay_t<F>> || line_sink<std::decay_t<F>>)) log_sink(F&& f) {
        using sink_type = std::decay_t<F>;
        if (detail::is_empty_callable(f))
            return;
        if constexpr (record_sink<sink_type>)
            fn_ = std::forward<F>(f);
        else
            fn_ = [line = sink_type(std::forward<F>(f))](const log_record& record) mutable {
                line(record.message);
            };
    }

    explicit operator bool() const noexcept { return static_cast<bool>(fn_); }

    /// Hands `record` to the sink, if any. Never throws.
    void operator()(const log_record& record) const noexcept {
        if (!fn_)
            return;
        try {
            fn_(record);
        } catch (...) {
        }
    }

private:
    std::function<void(const log_record&)> fn_;
};

} // namespace rampart

#endif
