#ifndef RAMPART_ERRORS_HTTP_ERROR_HPP
#define RAMPART_ERRORS_HTTP_ERROR_HPP

#include <rampart/core/renderable_error.hpp>
#include <rampart/errors/field_errors.hpp>

#include <boost/beast/http/status.hpp>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

/** The base of every error rampart turns into an HTTP response.

    It carries what a formatter needs and nothing it must guess: the status, a stable
    machine-readable code, either a non-field `detail` message or field errors, and extra
    headers (`Allow`, `Retry-After`, `WWW-Authenticate`, ...). Throw it (or a subclass) from any
    layer; the composition turns it into a response before the next layer out sees it.
*/
class http_error : public renderable_error {
public:
    using header = std::pair<std::string, std::string>;

    http_error(boost::beast::http::status status, std::string code, std::string detail)
        : status_(status), code_(std::move(code)), detail_(std::move(detail)) {}

    http_error(boost::beast::http::status status, std::string code, field_errors fields)
        : status_(status), code_(std::move(code)), fields_(std::move(fields)) {}

    boost::beast::http::status status() const noexcept { return status_; }
    unsigned status_code() const noexcept { return static_cast<unsigned>(status_); }

    /// A stable, machine-readable name for the error (`not_found`, `throttled`, ...).
    const std::string& code() const noexcept { return code_; }

    /// The non-field message; empty when the error is about fields.
    const std::string& detail() const noexcept { return detail_; }

    const field_errors& fields() const noexcept { return fields_; }

    /// Headers the response must carry. Values are checked: CR, LF and NUL are refused so that
    /// nothing a client sent can split a response.
    const std::vector<header>& headers() const noexcept { return headers_; }

    http_error& with_header(std::string name, std::string value) {
        for (char c : name)
            if (c == '\r' || c == '\n' || c == '\0' || c == ':' || c == ' ')
                throw std::invalid_argument("rampart: invalid header name");
        for (char& c : value)
            if (c == '\r' || c == '\n' || c == '\0')
                c = ' ';
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    const char* what() const noexcept override {
        return detail_.empty() ? code_.c_str() : detail_.c_str();
    }

    /// This error in envelope_format: what a context with no error sink answers.
    response default_response() const override;

private:
    boost::beast::http::status status_;
    std::string code_;
    std::string detail_;
    field_errors fields_;
    std::vector<header> headers_;
};

/// 400: one or more fields failed validation.
class validation_error : public http_error {
public:
    explicit validation_error(field_errors fields)
        : http_error(boost::beast::http::status::bad_request, "invalid", std::move(fields)) {}
    /// A single field error.
    validation_error(std::string_view field, std::string message, std::string code = "invalid")
        : http_error(boost::beast::http::status::bad_request, "invalid",
                     field_errors{}.add(field, std::move(message), std::move(code))) {}
};

/// 400: the body could not be read as the declared format.
class parse_error : public http_error {
public:
    explicit parse_error(std::string detail = "Malformed request.")
        : http_error(boost::beast::http::status::bad_request, "parse_error", std::move(detail)) {}
};

/// 400: a request the server will not process, for reasons not tied to a field.
class bad_request : public http_error {
public:
    explicit bad_request(std::string detail = "Bad request.", std::string code = "bad_request")
        : http_error(boost::beast::http::status::bad_request, std::move(code), std::move(detail)) {}
};

/// 401: no credentials were presented.
class not_authenticated : public http_error {
public:
    explicit not_authenticated(std::string detail = "Authentication credentials were not provided.")
        : http_error(boost::beast::http::status::unauthorized, "not_authenticated",
                     std::move(detail)) {}
};

/// 401: credentials were presented and refused.
class authentication_failed : public http_error {
public:
    explicit authentication_failed(std::string detail = "Incorrect authentication credentials.",
                                   std::string code = "authentication_failed")
        : http_error(boost::beast::http::status::unauthorized, std::move(code), std::move(detail)) {
    }
};

/// 403: authenticated, but not allowed.
class permission_denied : public http_error {
public:
    explicit permission_denied(
        std::string detail = "You do not have permission to perform this action.")
        : http_error(boost::beast::http::status::forbidden, "permission_denied",
                     std::move(detail)) {}
};

/// 404.
class not_found : public http_error {
public:
    explicit not_found(std::string detail = "Not found.")
        : http_error(boost::beast::http::status::not_found, "not_found", std::move(detail)) {}
};

/// 405, with the `Allow` header listing what the resource serves.
class method_not_allowed : public http_error {
public:
    method_not_allowed(std::string_view method, const std::vector<std::string>& allowed)
        : http_error(boost::beast::http::status::method_not_allowed, "method_not_allowed",
                     "Method \"" + sanitize(method) + "\" not allowed.") {
        std::string allow;
        for (const auto& m : allowed) {
            if (!allow.empty())
                allow += ", ";
            allow += m;
        }
        with_header("Allow", std::move(allow));
    }

private:
    static std::string sanitize(std::string_view m) {
        std::string out;
        for (char c : m.substr(0, 32))
            out += (c >= 0x21 && c <= 0x7e && c != '"') ? c : '?';
        return out;
    }
};

/// 406: no representation matches the `Accept` header (or an unknown version was asked for).
class not_acceptable : public http_error {
public:
    explicit not_acceptable(std::string detail = "Could not satisfy the request Accept header.")
        : http_error(boost::beast::http::status::not_acceptable, "not_acceptable",
                     std::move(detail)) {}
};

/// 410: the resource (or API version) is gone for good.
class gone : public http_error {
public:
    explicit gone(std::string detail = "This resource is no longer available.")
        : http_error(boost::beast::http::status::gone, "gone", std::move(detail)) {}
};

/// 413: the body is larger than the limit.
class payload_too_large : public http_error {
public:
    explicit payload_too_large(std::string detail = "Request body is too large.")
        : http_error(boost::beast::http::status::payload_too_large, "payload_too_large",
                     std::move(detail)) {}
};

/// 415: the body's media type is not one the endpoint reads.
class unsupported_media_type : public http_error {
public:
    explicit unsupported_media_type(std::string detail = "Unsupported media type in request.")
        : http_error(boost::beast::http::status::unsupported_media_type, "unsupported_media_type",
                     std::move(detail)) {}
};

/// 429, with an honest `Retry-After` in whole seconds (at least 1).
class throttled : public http_error {
public:
    explicit throttled(std::chrono::seconds wait)
        : http_error(boost::beast::http::status::too_many_requests, "throttled", message(wait)),
          wait_(wait < std::chrono::seconds{1} ? std::chrono::seconds{1} : wait) {
        with_header("Retry-After", std::to_string(wait_.count()));
    }
    std::chrono::seconds wait() const noexcept { return wait_; }

private:
    static std::string message(std::chrono::seconds wait) {
        auto s = wait.count() < 1 ? 1 : wait.count();
        return "Request was throttled. Expected available in " + std::to_string(s) +
               (s == 1 ? " second." : " seconds.");
    }
    std::chrono::seconds wait_;
};

/// 431: the request's header section is larger than the limit.
class header_too_large : public http_error {
public:
    explicit header_too_large(std::string detail = "Request header fields are too large.")
        : http_error(boost::beast::http::status::request_header_fields_too_large,
                     "header_too_large", std::move(detail)) {}
};

/// 500. The detail is fixed on purpose: an internal error never shows its cause to a client.
class internal_error : public http_error {
public:
    internal_error()
        : http_error(boost::beast::http::status::internal_server_error, "internal_error",
                     "A server error occurred.") {}
};

/// 503: a dependency is down and there is no fallback.
class service_unavailable : public http_error {
public:
    explicit service_unavailable(std::string detail = "Service temporarily unavailable.",
                                 std::chrono::seconds retry_after = std::chrono::seconds{0})
        : http_error(boost::beast::http::status::service_unavailable, "service_unavailable",
                     std::move(detail)) {
        if (retry_after.count() > 0)
            with_header("Retry-After", std::to_string(retry_after.count()));
    }
};

} // namespace rampart

// http_error::default_response() is envelope_format's, defined with it.
#include <rampart/errors/format.hpp>

#endif
