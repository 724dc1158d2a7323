#ifndef RAMPART_PAGINATION_LINKS_HPP
#define RAMPART_PAGINATION_LINKS_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/pagination/detail/query.hpp>
#include <rampart/router/allowed_hosts.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::pagination {

/** Where `next` and `previous` links point.

    A link is the list's URL (without query) followed by the request's query with only the page
    parameter replaced, so the version, the page size and any filter stay. The list's URL is:

    1. `base_url(ctx)` when set (a fixed string, or the router's reverse URL: anything callable
       with the context);
    2. else `public_url` (`https://shop.example.com`) and the request's path;
    3. else `scheme://` and the Host that rampart::allowed_hosts accepted, and the path;
    4. else (no allowed_hosts in the stack, or HTTP/1.0 without Host) the path alone: a
       path-absolute link, never one built from an unchecked Host header.
*/
struct link_options {
    std::function<std::string(const context&)> base_url = {};
    /// The public origin (checked by rampart::normalize_public_url when the paginator is made).
    std::string public_url = {};
    /// `http` or `https`, for links built from the accepted Host (a TLS-terminating proxy in
    /// front means `https` here although the socket is plain).
    std::string scheme = "http";
};

/// A `link_options::base_url` that is always `url` (absolute, without query).
inline std::function<std::string(const context&)> fixed_base_url(std::string url) {
    return [url = std::move(url)](const context&) { return url; };
}

namespace detail {

/// Checks the options once, at construction. Throws: std::invalid_argument.
inline void check_link_options(link_options& o) {
    if (o.scheme != "http" && o.scheme != "https")
        throw std::invalid_argument("pagination: link scheme must be http or https");
    o.public_url = normalize_public_url(o.public_url);
}

/// The list's URL for this request (see link_options). Never reads the raw Host header.
inline std::string base_url(const link_options& o, const context& ctx) {
    if (o.base_url)
        return o.base_url(ctx);
    std::string out = url_origin(ctx, o.public_url, o.scheme);
    append_safe(out, ctx.path());
    return out;
}

} // namespace detail

} // namespace rampart::pagination

#endif
