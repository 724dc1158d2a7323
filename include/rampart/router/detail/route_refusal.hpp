#ifndef RAMPART_ROUTER_DETAIL_ROUTE_REFUSAL_HPP
#define RAMPART_ROUTER_DETAIL_ROUTE_REFUSAL_HPP

// Why a request reaches no route, as a value: dispatch renders it (no C++ exception on a 404),
// match() throws it.

#include <rampart/errors/http_error.hpp>

#include <boost/beast/http/status.hpp>

namespace rampart::detail {

/// A routing refusal; `detail` and `code` are static text (nullptr: the error's own default).
struct route_refusal {
    enum class kind : unsigned char { none, not_found, not_acceptable, bad_request, uri_too_long };
    kind what = kind::none;
    const char* detail = nullptr;
    const char* code = nullptr;

    explicit operator bool() const noexcept { return what != kind::none; }

    static route_refusal not_found(const char* detail = nullptr) noexcept {
        return {kind::not_found, detail, nullptr};
    }
    static route_refusal bad_request(const char* detail, const char* code) noexcept {
        return {kind::bad_request, detail, code};
    }
};

/// Calls `f` with the http_error `r` stands for, built on the stack with the exact type and
/// text the router has always thrown (`rampart::not_found`, `bad_request`, ...).
template <class F>
decltype(auto) with_refusal_error(const route_refusal& r, F&& f) {
    using kind = route_refusal::kind;
    switch (r.what) {
    case kind::not_acceptable:
        return f(rampart::not_acceptable(r.detail));
    case kind::bad_request:
        return f(rampart::bad_request(r.detail, r.code));
    case kind::uri_too_long:
        return f(http_error(boost::beast::http::status::uri_too_long, "uri_too_long",
                            "The request URI is too long."));
    default:
        if (r.detail)
            return f(rampart::not_found(r.detail));
        return f(rampart::not_found());
    }
}

/// Throws the http_error `r` stands for (`r` is a refusal).
inline void throw_refusal(const route_refusal& r) {
    with_refusal_error(r, [](const auto& error) { throw error; });
}

} // namespace rampart::detail

#endif
