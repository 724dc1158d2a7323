#ifndef RAMPART_VALIDATION_READ_HPP
#define RAMPART_VALIDATION_READ_HPP

#include <rampart/core/context.hpp>
#include <rampart/detail/ascii.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/validation/document.hpp>
#include <rampart/validation/schema.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace rampart::validation {

/** Whether a Content-Type value names JSON: `application/json` or `application/<x>+json`,
    in any case, with any parameters, as long as a `charset` parameter (if any) is UTF-8 (the
    only encoding RFC 8259 allows between systems).
*/
inline bool is_json_media_type(std::string_view content_type) noexcept {
    std::size_t semi = content_type.find(';');
    std::string_view type = rampart::detail::trim_ows(content_type.substr(0, semi));
    std::size_t slash = type.find('/');
    if (slash == std::string_view::npos)
        return false;
    std::string_view top = type.substr(0, slash);
    std::string_view sub = type.substr(slash + 1);
    if (!rampart::detail::iequals(top, "application"))
        return false;
    bool json = rampart::detail::iequals(sub, "json") ||
                (sub.size() > 5 && rampart::detail::iequals(sub.substr(sub.size() - 5), "+json"));
    if (!json)
        return false;
    std::string_view params =
        semi == std::string_view::npos ? std::string_view{} : content_type.substr(semi + 1);
    while (!params.empty()) {
        std::size_t next = params.find(';');
        std::string_view param = rampart::detail::trim_ows(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
        std::size_t eq = param.find('=');
        if (eq == std::string_view::npos)
            continue;
        if (rampart::detail::iequals(rampart::detail::trim_ows(param.substr(0, eq)), "charset")) {
            std::string_view value = rampart::detail::trim_ows(param.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (!rampart::detail::iequals(value, "utf-8") &&
                !rampart::detail::iequals(value, "utf8"))
                return false;
        }
    }
    return true;
}

/// Refuses a request that does not say its body is JSON. A request without Content-Type is
/// refused too, body or not: an endpoint that reads JSON needs one.
/// Throws: unsupported_media_type (415, the client's error).
inline void require_json(const request& req) {
    auto it = req.find(http::field::content_type);
    if (it == req.end())
        throw unsupported_media_type("Missing Content-Type; expected \"application/json\".");
    std::string_view value(it->value().data(), it->value().size());
    if (!is_json_media_type(value))
        throw unsupported_media_type(
            "Unsupported media type in request; expected \"application/json\".");
}

/// Limits for read(): parse_limits, whose max_size the shop's 64 KiB matches by default.
using read_options = parse_limits;

/** Reads the request body as a `T` through `s`, in one call.

    In order: the Content-Type must be JSON (else 415 unsupported_media_type), the body at most
    `options.max_size` bytes (else 413 payload_too_large), strict JSON nested at most
    `options.max_depth` deep with no duplicate keys (else 400 parse_error with a `detail`), a
    JSON object (else 400 parse_error), then every field rule and validator of `s` (else 400
    validation_error with every field's messages). The schema must outlive the call.

    Throws: the client's errors named above (415, 413, 400: rendered as the envelope); and
    whatever a validator throws (a database outage, a bug), as is. try_read() answers the
    client's errors as a value instead.

    @code
    order_in order = co_await rampart::validation::read(ctx, order_schema);
    @endcode
*/
template <class Schema>
asio::awaitable<typename Schema::value_type> read(context& ctx, const Schema& s,
                                                  read_options options = {}) {
    require_json(ctx.req());
    const std::string& body = ctx.req().body();
    // A small body parses into a buffer of this frame without touching the heap.
    unsigned char buffer[4096];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    document doc = parse_json(body, options, &arena);
    if (!doc.root().is_object())
        throw parse_error("Expected a JSON object in the request body.");
    if constexpr (Schema::has_async)
        co_return co_await s.validate_async(doc);
    else
        co_return s.validate(doc);
}

/** The client's error try_read() answers: the http_error read() would have thrown (status,
    code, detail, field errors, headers), kept as the exception it was, so that rethrow() (and
    read_result::value()) throws the same type read() would have.

    A default-constructed read_error holds nothing (boost::system::result needs one): ask
    error() only of a result without a value.
*/
class read_error {
public:
    read_error() = default;

    /// Keeps `e`; called from the handler that caught it, keeps the exception itself too.
    explicit read_error(const http_error& e)
        : thrown_(std::current_exception()), error_(std::make_shared<const http_error>(e)) {}

    /// The error, for its status_code(), code(), detail(), fields() and headers().
    /// Throws: std::logic_error on a default-constructed read_error (a programming error).
    const http_error& get() const {
        if (!error_)
            throw std::logic_error("rampart::validation: read_error holds no error");
        return *error_;
    }
    const http_error* operator->() const { return &get(); }

    /// Throws the error as read() would have: the original exception type.
    /// Throws: the error (the client's, 4xx).
    [[noreturn]] void rethrow() const {
        if (thrown_)
            std::rethrow_exception(thrown_);
        throw get();
    }

private:
    std::exception_ptr thrown_;
    std::shared_ptr<const http_error> error_; // shared: result::error() answers copies
};

/// Boost.System's hook for read_result<T>::value(): an error result rethrows its error.
[[noreturn]] inline void throw_exception_from_error(const read_error& e,
                                                    const boost::source_location&) {
    e.rethrow();
}

/// What try_read() answers: the value, or the client's error.
template <class T>
using read_result = boost::system::result<T, read_error>;

/** Reads the request body as read() does, but answers the client's errors (415, 413, 400, or
    any http_error below 500 a validator throws) as the error of the result instead of
    throwing them: for a handler that answers them its own way.

    `.value()` on an error result rethrows that error, so `(co_await try_read(ctx, s)).value()`
    behaves as read().

    Throws: what a validator throws other than a client's http_error (a database outage, a
    bug, a 5xx), as is; std::bad_alloc.

    @code
    auto order = co_await rampart::validation::try_read(ctx, order_schema);
    if (!order && order.error()->status_code() == 415)
        co_return plain_text_hint(ctx); // the caller's own answer
    @endcode
*/
template <class Schema>
asio::awaitable<read_result<typename Schema::value_type>> try_read(context& ctx, const Schema& s,
                                                                   read_options options = {}) {
    using result = read_result<typename Schema::value_type>;
    try {
        auto value = co_await read(ctx, s, options);
        co_return result(std::move(value));
    } catch (const http_error& e) {
        if (e.status_code() >= 500)
            throw;
        co_return result(boost::system::in_place_error, read_error(e));
    }
}

} // namespace rampart::validation

#endif
