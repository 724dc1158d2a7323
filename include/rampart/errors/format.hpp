#ifndef RAMPART_ERRORS_FORMAT_HPP
#define RAMPART_ERRORS_FORMAT_HPP

#include <rampart/core/types.hpp>
#include <rampart/errors/http_error.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <concepts>

namespace rampart {

/// Renders an http_error as a response: status, headers and body. The composition and the
/// server call it; it must not throw for any http_error.
template <class F>
concept error_format = requires(const F& f, const http_error& e) {
    { f(e) } -> std::same_as<response>;
};

namespace detail {

inline response error_response_base(const http_error& e, std::string_view content_type) {
    response res{e.status(), 11};
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : e.headers())
        res.set(name, value);
    return res;
}

} // namespace detail

/** The default format: `{"status":"error","code":N,"errors":{...}}` as `application/json`.

    `errors` holds the field errors (lists of messages, nested objects nested) or, for errors
    not tied to a field, `{"detail": "..."}`.
*/
struct envelope_format {
    response operator()(const http_error& e) const {
        boost::json::object errors;
        if (!e.fields().empty())
            errors = e.fields().to_json();
        else
            errors["detail"] = e.detail().empty() ? e.code() : e.detail();
        boost::json::object body;
        body["status"] = "error";
        body["code"] = e.status_code();
        body["errors"] = std::move(errors);
        response res = detail::error_response_base(e, "application/json");
        res.body() = boost::json::serialize(body);
        res.prepare_payload();
        return res;
    }
};

/** RFC 9457 problem details as `application/problem+json`.

    `type` is `about:blank` (so `title` is the status phrase), `code` is the machine-readable
    name, and field errors become an `errors` array of `{"pointer", "detail", "code"}` members,
    with JSON Pointers as in the RFC's own example.
*/
struct problem_format {
    response operator()(const http_error& e) const {
        boost::json::object body;
        body["type"] = "about:blank";
        body["title"] = std::string(http::obsolete_reason(e.status()));
        body["status"] = e.status_code();
        body["code"] = e.code();
        if (!e.detail().empty())
            body["detail"] = e.detail();
        if (!e.fields().empty()) {
            boost::json::array list;
            e.fields().for_each(
                [&](const std::vector<std::string_view>& path, const error_detail& d) {
                    std::string pointer = "#";
                    for (auto segment : path) {
                        pointer += '/';
                        for (char c : segment) {
                            if (c == '~')
                                pointer += "~0";
                            else if (c == '/')
                                pointer += "~1";
                            else
                                pointer += c;
                        }
                    }
                    list.push_back(boost::json::object{
                        {"pointer", pointer}, {"detail", d.message}, {"code", d.code}});
                });
            body["detail"] = "Request validation failed.";
            body["errors"] = std::move(list);
        }
        response res = detail::error_response_base(e, "application/problem+json");
        res.body() = boost::json::serialize(body);
        res.prepare_payload();
        return res;
    }
};

inline response http_error::default_response() const {
    return envelope_format{}(*this);
}

static_assert(error_format<envelope_format>);
static_assert(error_format<problem_format>);

} // namespace rampart

#endif
