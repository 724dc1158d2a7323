#ifndef RAMPART_ROUTER_ALLOWED_HOSTS_HPP
#define RAMPART_ROUTER_ALLOWED_HOSTS_HPP

// The Host header is client input. This header decides which Host values a service answers
// (allowed_hosts, a middleware) and where absolute URLs come from (a configured public URL, or a
// Host that allowed_hosts accepted: url_origin). It lives beside uri.hpp because it must read
// hosts and absolute-form targets with exactly the grammar the router routes on.

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/router/uri.hpp>

#include <boost/beast/http/field.hpp>

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

/// The Host (name and port, as sent) that allowed_hosts accepted for this request; it leaves
/// one on the context (`ctx.find<accepted_host>()`). Absolute URLs are built from it, never
/// from the raw header.
struct accepted_host {
    std::string value;
};

namespace detail {

/// The name part of a valid Host value (`[v6]` keeps its brackets), without the port and
/// without one trailing dot (`example.com.` names `example.com`).
inline std::string_view host_name_part(std::string_view host) noexcept {
    std::string_view name =
        host.front() == '[' ? host.substr(0, host.find(']') + 1) : host.substr(0, host.find(':'));
    if (name.size() > 1 && name.back() == '.')
        name.remove_suffix(1);
    return name;
}

/// A pattern as allowed_hosts keeps it: lower case, no trailing dot. Throws
/// std::invalid_argument for anything but `*`, a host name, `.domain`, IPv4 or `[IPv6]`.
inline std::string host_pattern(std::string_view p) {
    p = trim_ows(p);
    std::string out;
    for (char c : p)
        out += ascii_lower(c);
    if (out == "*")
        return out;
    std::string_view name = out;
    bool domain = !name.empty() && name.front() == '.';
    if (domain)
        name.remove_prefix(1);
    bool ok = is_valid_host(name) && !(domain && name.front() == '[') &&
              (name.front() == '[' ? name.back() == ']' : name.find(':') == std::string_view::npos);
    if (!ok)
        throw std::invalid_argument("rampart: \"" + std::string(p.substr(0, 64)) +
                                    "\" is not a host pattern (a host name, \".domain\", an IP "
                                    "address, \"[IPv6]\" or \"*\"; no port)");
    if (out.size() > 1 && out.back() == '.')
        out.pop_back();
    return out;
}

} // namespace detail

/** Refuses every request whose Host this service does not answer, before any work is done.

    Django's ALLOWED_HOSTS is the model. Patterns: an exact name (`shop.example.com`, an IPv4
    address, `[::1]`), `.example.com` for the domain and all its subdomains, or `*` for every
    host. Any port matches; comparison ignores case and one trailing dot; IPv6 literals are
    compared as written, in brackets.

    Each of these is answered 400 `invalid_host` in the envelope, and nothing further in runs:
    two or more Host headers; an HTTP/1.1 request without Host; a Host that is malformed
    (rampart::is_valid_host) or matches no pattern. An absolute-form target
    (`GET http://h/p HTTP/1.1`) is checked by its authority, which replaces Host (RFC 9112
    3.2.2): the request is rewritten to origin-form with that Host, so no later layer can read
    another one. An HTTP/1.0 request without Host passes, with no accepted_host.

    Put it first in the service's stack (inside only the error envelope and the access log), so
    authentication, throttling and handlers never see a refused Host. It is safe on its own: it
    does not rely on the server having refused anything.
*/
class allowed_hosts {
public:
    /// Throws: std::invalid_argument for an empty list or a pattern that is not one (see above).
    explicit allowed_hosts(const std::vector<std::string>& patterns) {
        for (const auto& p : patterns)
            patterns_.push_back(detail::host_pattern(p));
        if (patterns_.empty())
            throw std::invalid_argument("rampart: allowed_hosts needs at least one pattern "
                                        "(\"*\" allows every host)");
    }
    /// Throws: std::invalid_argument as the vector form does.
    allowed_hosts(std::initializer_list<std::string_view> patterns)
        : allowed_hosts(std::vector<std::string>(patterns.begin(), patterns.end())) {}

    /// Patterns from a comma-separated list (`localhost,.example.com`), as settings give them.
    /// Throws: std::invalid_argument as the constructor does (an empty item included).
    static allowed_hosts parse(std::string_view list) {
        std::vector<std::string> items;
        while (true) {
            auto comma = list.find(',');
            items.emplace_back(list.substr(0, comma));
            if (comma == std::string_view::npos)
                break;
            list.remove_prefix(comma + 1);
        }
        return allowed_hosts(items);
    }

    /// The patterns as matched (lower case, no trailing dot).
    const std::vector<std::string>& patterns() const noexcept { return patterns_; }

    /// Whether `host` (a Host value, optional port) is well-formed and matches a pattern.
    bool allows(std::string_view host) const noexcept {
        if (!is_valid_host(host))
            return false;
        std::string_view name = detail::host_name_part(host);
        for (const auto& p : patterns_) {
            if (p == "*" || detail::iequals(name, p))
                return true;
            if (p.front() == '.' && (detail::iequals(name, std::string_view(p).substr(1)) ||
                                     (name.size() > p.size() &&
                                      detail::iequals(name.substr(name.size() - p.size()), p))))
                return true;
        }
        return false;
    }

    /// The middleware, as a hook (core/middleware.hpp): check()'s work before the rest, without
    /// a coroutine frame of its own. A refused Host is the answer, rendered with
    /// context::render_error (the envelope's 400), without a C++ exception.
    /// Throws: std::bad_alloc only.
    std::optional<response> before(context& ctx) const {
        if (refusal r = admit(ctx); r.detail)
            return ctx.render_error(bad_request(r.detail, r.code));
        return std::nullopt;
    }

    /// The same as a middleware (for route groups): before(), then the rest.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) const {
        return before_then(*this, ctx, next);
    }

    /// What the middleware does before calling in: records the accepted Host (and adopts an
    /// absolute-form target). For code outside a stack. Throws: bad_request (400
    /// `invalid_host`, or `invalid_target` for a malformed absolute-form target).
    void check(context& ctx) const {
        if (refusal r = admit(ctx); r.detail)
            throw bad_request(r.detail, r.code);
    }

private:
    /// Why a request is refused (static text), or a null detail when it is admitted.
    struct refusal {
        const char* detail = nullptr;
        const char* code = "invalid_host";
    };

    refusal admit(context& ctx) const {
        request& req = ctx.req();
        std::size_t count = req.count(http::field::host);
        if (count > 1)
            return {"The request has more than one Host header."};
        std::string_view target{req.target().data(), req.target().size()};
        bool absolute_form = !target.empty() && target.front() != '/' && target != "*";
        if (count == 0 && req.version() >= 11)
            return {"An HTTP/1.1 request must have a Host header."};
        std::string host;
        if (absolute_form) {
            auto t = detail::parse_target(target);
            if (t.kind != detail::parsed_target::form::absolute)
                return {"The request target is not a valid origin-form or absolute-form target.",
                        "invalid_target"};
            host = std::string(t.authority);
            std::string origin(t.path);
            if (target.find('?') != std::string_view::npos)
                origin += "?" + std::string(t.query);
            if (!allows(host))
                return {"Invalid Host header."};
            req.set(http::field::host, host);
            req.target(origin);
        } else if (count == 1) {
            auto field = req[http::field::host];
            std::string_view value{field.data(), field.size()};
            if (!allows(value))
                return {"Invalid Host header."};
            host.assign(value);
        } else {
            return {}; // HTTP/1.0 without Host: nothing to build absolute URLs from
        }
        ctx.emplace<accepted_host>(accepted_host{std::move(host)});
        return {};
    }

    std::vector<std::string> patterns_;
};

/** Checks and normalises a public base URL, `http://` or `https://` then a host
    (rampart::is_valid_host) and an optional port; one trailing `/` may follow. Returns it with
    the scheme and host in lower case and no trailing `/`; "" for "".

    Throws: std::invalid_argument for anything else (a path, query, fragment, user info, another
    scheme): a URL every link is built on is checked once, at start-up.
*/
inline std::string normalize_public_url(std::string_view url) {
    if (url.empty())
        return {};
    std::string out;
    for (char c : url)
        out += detail::ascii_lower(c);
    std::string_view rest = out;
    std::size_t scheme = rest.starts_with("https://") ? 8 : rest.starts_with("http://") ? 7 : 0;
    rest.remove_prefix(scheme);
    if (rest.ends_with('/'))
        rest.remove_suffix(1);
    if (scheme == 0 || !is_valid_host(rest))
        throw std::invalid_argument("rampart: a public URL is http:// or https:// and a host with "
                                    "an optional port, nothing else (e.g. "
                                    "https://shop.example.com)");
    out.resize(scheme + rest.size());
    return out;
}

/** `scheme://host[:port]` to put before a path for an absolute URL of this request:
    `public_url` when set (normalize_public_url's form); else `scheme` and the Host allowed_hosts
    accepted; else "" (no allowed_hosts in the stack, or HTTP/1.0 without Host), so the URL
    stays a path-absolute reference (`/api/v1/orders/5/`), which is valid in `Location` and
    links. The raw Host header is never used.
*/
inline std::string url_origin(const context& ctx, std::string_view public_url,
                              std::string_view scheme) {
    if (!public_url.empty())
        return std::string(public_url);
    const accepted_host* host = ctx.find<accepted_host>();
    if (!host)
        return {};
    std::string out(scheme);
    out += "://";
    out += host->value;
    return out;
}

} // namespace rampart

#endif
