#ifndef RAMPART_ROUTER_ROUTER_HPP
#define RAMPART_ROUTER_ROUTER_HPP

// The version router. This header also gives everything a router's user needs: its options,
// route groups, matches, URL building, deprecation and version schemes.

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/handler.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/router/allowed_hosts.hpp>
#include <rampart/router/deprecation.hpp>
#include <rampart/router/detail/router_state.hpp>
#include <rampart/router/options.hpp>
#include <rampart/router/route_declarations.hpp>
#include <rampart/router/route_doc.hpp>
#include <rampart/router/route_group.hpp>
#include <rampart/router/route_match.hpp>
#include <rampart/router/uri.hpp>
#include <rampart/router/url_builder.hpp>
#include <rampart/router/version_scheme.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

/** Answers which methods a request's path serves, for CORS preflights; from basic_router::lookup.

    Resolves the path and version exactly as dispatch does.
*/
class route_lookup {
public:
    explicit route_lookup(std::shared_ptr<const detail::router_state> state) noexcept
        : state_(std::move(state)) {}

    /// The `Allow` list of the request's path.
    /// Throws: the http_error dispatch would answer with (404, 400, 406, 414: the client's)
    /// when the request would not reach a route.
    std::vector<std::string> allow(const request& req) const { return state_->match(req).allow(); }

private:
    std::shared_ptr<const detail::router_state> state_;
};

/** The version router: maps each request to one handler, or to the right error.

    Set it up at start-up (versions, routes, groups, matchers, deprecations), then use it as the
    innermost handler of the service, usually `stack(error_envelope{}, cors{...}, ...).wrap(api)`.
    Configuration is not synchronised: finish it before the first request. Dispatch is const and
    may run on many threads at once. Set-up errors are programming errors and throw
    std::invalid_argument (std::logic_error for a matcher added after routes).

    Per request: the target is split once, each segment percent-decoded after splitting; the
    unversioned table is tried first, then the version is resolved by the scheme and its table
    matched; the method picks the endpoint, and the handler runs through one indirect call.
    Errors: unknown path 404; known path, other method 405 with `Allow`; `OPTIONS` 204 with
    `Allow` (unless a route serves OPTIONS itself); `HEAD` runs the GET handler and drops the
    body, keeping GET's `Content-Length`.

    @tparam Clock the clock deprecation sunsets are checked against (clock_ref<manual_clock> in
    tests).
*/
template <clock_source Clock = system_clock>
class basic_router {
public:
    /// Throws: std::invalid_argument for a bad public_base_url, url_scheme or version prefix.
    explicit basic_router(router_options options = {}, Clock clock = {});

    /// Declares version `name` (idempotent) and returns the group of its routes.
    /// Throws: std::invalid_argument when `name` is not a plain token `[A-Za-z0-9._-]` (no '.'
    /// under the host-name scheme).
    route_group<detail::identity_wrap> version(std::string_view name);

    /// A group whose routes every listed version serves (declaring them): one handler each,
    /// shared by the versions' tables. Throws: as version().
    route_group<detail::identity_wrap> versions(std::initializer_list<std::string_view> names);

    /// The group of routes outside versioning (`/api/token/`), matched on the whole path and
    /// before any version's routes.
    route_group<detail::identity_wrap> unversioned();

    /// Adds a parameter type for patterns (`{sku:sku}`). Add matchers before routes.
    /// Throws: std::invalid_argument for a bad or taken name or an empty test;
    /// std::logic_error once routes exist.
    basic_router& add_matcher(std::string name, std::function<bool(std::string_view)> test);

    /// Marks version `name` deprecated (it must be declared).
    /// Throws: std::invalid_argument for an undeclared version or a successor that is neither a
    /// version name nor a URL.
    basic_router& deprecate(std::string_view name, deprecation d);

    /// Builds URLs of named routes; valid while this router or a copy lives.
    url_builder urls() const noexcept { return url_builder{state_.get()}; }

    /// The versions and routes as declared, with their documentation, for API document
    /// generators (rampart::openapi). Read at start-up, after the routes are added.
    route_declarations declarations() const { return route_declarations{state_}; }

    /// What the CORS middleware asks for a preflight's `Allow`.
    route_lookup lookup() const { return route_lookup{state_}; }

    /// Matches `req` without running anything (what dispatch does first).
    /// Throws: the http_error dispatch would answer with (the client's: 400, 404, 406, 414).
    route_match match(const request& req) const { return state_->match(req); }

    /// Dispatches one request. Routing errors (404, 405, 410, 400, 406, 414) are rendered with
    /// context::render_error without being thrown, as the error envelope would render them
    /// thrown; a handler's exception is rendered with context::render_error too. So dispatch
    /// never throws an http_error: code that wants the routing error itself calls match().
    asio::awaitable<response> operator()(context& ctx) const;

private:
    static std::string join(const std::vector<std::string>& methods);
    static void adopt_absolute_form(context& ctx);
    std::vector<std::pair<std::string, std::string>>
    deprecation_headers(const deprecation& d, const detail::endpoint* ep, const context& ctx) const;

    std::shared_ptr<detail::router_state> state_;
    Clock clock_;
};

/// The router on the real clock.
using router = basic_router<>;

} // namespace rampart

#include <rampart/router/impl/router.hpp>

#endif
