#ifndef RAMPART_ERRORS_FORMAT_HPP
#define RAMPART_ERRORS_FORMAT_HPP

#include <rampart/core/types.hpp>
#include <rampart/errors/detail/json_text.hpp>
#include <rampart/errors/http_error.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

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

/// `#/a/b` (RFC 6901 in a URI fragment, as RFC 9457's example): `~` written `~0`, `/` `~1`.
inline void assign_json_pointer(std::string& pointer, const std::vector<std::string_view>& path) {
    pointer.assign("#");
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
}

} // namespace detail

/** The default format: `{"status":"error","code":N,"errors":{...}}` as `application/json`.

    `errors` holds the field errors (lists of messages, nested objects nested) or, for errors
    not tied to a field, `{"detail": "..."}`. The body is written straight into the response
    (the bytes boost::json::serialize gives for that object, with no json::value built).
*/
struct envelope_format {
    response operator()(const http_error& e) const {
        response res = detail::error_response_base(e, "application/json");
        std::string& body = res.body();
        body.reserve(64 + e.detail().size() + e.code().size());
        detail::json_text out{body};
        out.raw(R"({"status":"error","code":)").number(e.status_code()).raw(R"(,"errors":)");
        if (!e.fields().empty())
            detail::field_errors_json::write(out, e.fields());
        else
            out.raw(R"({"detail":)").string(e.detail().empty() ? e.code() : e.detail()).raw("}");
        out.raw("}");
        res.prepare_payload();
        return res;
    }
};

/** RFC 9457 problem details as `application/problem+json`.

    `type` is `about:blank` (so `title` is the status phrase), `code` is the machine-readable
    name, and field errors become an `errors` array of `{"pointer", "detail", "code"}` members,
    with JSON Pointers as in the RFC's own example. Written straight into the response, as
    envelope_format is.
*/
struct problem_format {
    response operator()(const http_error& e) const {
        response res = detail::error_response_base(e, "application/problem+json");
        std::string& body = res.body();
        body.reserve(128 + e.detail().size() + e.code().size());
        detail::json_text out{body};
        auto title = http::obsolete_reason(e.status());
        out.raw(R"({"type":"about:blank","title":)")
            .string({title.data(), title.size()})
            .raw(R"(,"status":)")
            .number(e.status_code())
            .raw(R"(,"code":)")
            .string(e.code());
        bool fields = !e.fields().empty();
        if (fields || !e.detail().empty())
            out.raw(R"(,"detail":)").string(fields ? "Request validation failed." : e.detail());
        if (fields) {
            out.raw(R"(,"errors":[)");
            bool first = true;
            std::string pointer;
            e.fields().for_each(
                [&](const std::vector<std::string_view>& path, const error_detail& d) {
                    detail::assign_json_pointer(pointer, path);
                    out.raw(first ? R"({"pointer":)" : R"(,{"pointer":)")
                        .string(pointer)
                        .raw(R"(,"detail":)")
                        .string(d.message)
                        .raw(R"(,"code":)")
                        .string(d.code)
                        .raw("}");
                    first = false;
                });
            out.raw("]");
        }
        out.raw("}");
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
