#ifndef RAMPART_PAGINATION_LINKS_HPP
#define RAMPART_PAGINATION_LINKS_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/pagination/detail/query.hpp>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::pagination {

/** Where `next` and `previous` links point.

    Links are absolute URLs: the list's URL (without query) followed by the request's query with
    only the page parameter replaced, so the version, the page size and any filter stay.
    The list's URL comes from `base_url` when set (a fixed string, or the router's reverse URL:
    anything callable with the context). Otherwise it is built from the request:
    `scheme://Host/path`, where Host must be well-formed and, when `allowed_hosts` is not empty,
    one of them (else 400): a Host header is client input, and a link is something clients follow.
*/
struct link_options {
    std::function<std::string(const context&)> base_url = {};
    /// `http` or `https`, for links built from the request (a TLS-terminating proxy in front
    /// means `https` here although the socket is plain).
    std::string scheme = "http";
    /// Host names (without port, case-insensitive) links built from the request may name.
    std::vector<std::string> allowed_hosts = {};
};

/// A `link_options::base_url` that is always `url` (absolute, without query).
inline std::function<std::string(const context&)> fixed_base_url(std::string url) {
    return [url = std::move(url)](const context&) { return url; };
}

namespace detail {

inline bool valid_host(std::string_view host, std::string_view& name) noexcept {
    if (host.empty() || host.size() > 255)
        return false;
    std::string_view port;
    if (host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos)
            return false;
        name = host.substr(0, close + 1);
        for (char c : name.substr(1, name.size() - 2))
            if (!(hex_digit(c) >= 0 || c == ':' || c == '.'))
                return false;
        if (name.size() < 4)
            return false;
        auto rest = host.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return false;
            port = rest.substr(1);
            if (port.empty())
                return false;
        }
    } else {
        auto colon = host.find(':');
        name = host.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = host.substr(colon + 1);
            if (port.empty())
                return false;
        }
        if (name.empty() || name.front() == '.' || name.front() == '-')
            return false;
        for (char c : name)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-'))
                return false;
    }
    if (port.size() > 5)
        return false;
    for (char c : port)
        if (c < '0' || c > '9')
            return false;
    return true;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        return lower(x) == lower(y);
    });
}

inline void check_link_options(const link_options& o) {
    if (o.scheme != "http" && o.scheme != "https")
        throw std::invalid_argument("pagination: link scheme must be http or https");
}

/// The list's absolute URL for this request (see link_options).
inline std::string base_url(const link_options& o, const context& ctx) {
    if (o.base_url)
        return o.base_url(ctx);
    auto field = ctx.req()[http::field::host];
    std::string_view host(field.data(), field.size());
    std::string_view name;
    if (!valid_host(host, name))
        throw bad_request("Invalid Host header.", "invalid_host");
    if (!o.allowed_hosts.empty() &&
        std::none_of(o.allowed_hosts.begin(), o.allowed_hosts.end(),
                     [&](const std::string& h) { return iequals(h, name); }))
        throw bad_request("Invalid Host header.", "invalid_host");
    std::string out = o.scheme;
    out += "://";
    out += host;
    append_safe(out, ctx.path());
    return out;
}

} // namespace detail

} // namespace rampart::pagination

#endif
