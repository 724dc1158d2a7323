#ifndef RAMPART_ROUTER_DETAIL_ROUTER_STATE_HPP
#define RAMPART_ROUTER_DETAIL_ROUTER_STATE_HPP

#include <rampart/core/context.hpp>
#include <rampart/router/deprecation.hpp>
#include <rampart/router/detail/route_refusal.hpp>
#include <rampart/router/detail/route_table.hpp>
#include <rampart/router/detail/version_entry.hpp>
#include <rampart/router/options.hpp>
#include <rampart/router/route_doc.hpp>
#include <rampart/router/route_match.hpp>
#include <rampart/router/uri.hpp>

#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::detail {

/// One registration of a method on a route, as declared, for API documents: kept beside the
/// tables, never read while serving.
struct declared_route {
    std::vector<const version_entry*> versions; // the unversioned entry for unversioned routes
    http::verb method;
    std::shared_ptr<const route_info> route;
    std::shared_ptr<const route_doc> doc;
};

/// Everything a router knows; shared (read-only once serving) by the router, its copies, its
/// url_builder and the CORS middleware.
class router_state {
public:
    /// Throws: std::invalid_argument for a bad version prefix, public_base_url or url_scheme.
    explicit router_state(router_options o);

    router_options options;
    std::vector<param_matcher> matchers = builtin_matchers();
    version_entry unversioned;
    std::vector<std::unique_ptr<version_entry>> versions;
    std::vector<std::string> prefix_segments;
    bool has_routes = false;
    std::vector<declared_route> declared;

    version_entry* find_version(std::string_view name) const noexcept;

    /// The version `name` if it exists and is allowed.
    const version_entry* served_version(std::string_view name) const noexcept;

    /// Declares version `name` (idempotent). Throws: std::invalid_argument when the name is not
    /// a plain token.
    version_entry& declare_version(std::string_view name);

    /// Throws: std::invalid_argument for a bad or duplicate name; std::logic_error after routes.
    void add_matcher(std::string name, std::function<bool(std::string_view)> test);

    /// Registers one route in `targets`, and its documentation. Throws: std::invalid_argument
    /// for a bad pattern, a name that names another pattern, or a method the path serves already.
    void add_route(const std::vector<version_entry*>& targets, http::verb method,
                   std::string_view pattern, std::string_view name,
                   const std::shared_ptr<const erased_handler>& handler,
                   std::shared_ptr<const route_doc> doc);

    /// Splits, checks and matches a request. Throws the http_error to answer with when no
    /// route serves the path (404), the input is bad (400/404/414), or the version is unknown.
    route_match match(const request& req) const;

    /// match() without the throw: fills `m` and returns an empty refusal, or returns what to
    /// answer instead. Throws: std::bad_alloc only.
    route_refusal try_match(const request& req, route_match& m) const;

    /// Route `name` in `version` ("" for unversioned). Throws: std::invalid_argument when the
    /// version or the name is unknown.
    std::pair<const version_entry*, const route_info*> named_route(std::string_view name,
                                                                   std::string_view version) const;

    /// The URL path of `r` in `v`, each parameter's value from `lookup(name)` (a
    /// `const std::string*`, nullptr when missing). With `throw_on_missing`, a missing or
    /// invalid value throws std::invalid_argument; otherwise the result is "".
    template <class Lookup>
    std::string build_path(const version_entry& v, const route_info& r, Lookup&& lookup,
                           bool throw_on_missing = true) const;

    /// `scheme://host` for absolute URLs: the configured public base, else the Host that
    /// allowed_hosts accepted, else "" (path-only URLs). Never reads the raw Host header.
    std::string base_url(const context& ctx, std::string_view version) const;

    /// The `Link` target of a deprecated version's successor for the route just matched.
    std::string successor_link(const deprecation& d, const route_info* route,
                               const context& ctx) const;

    /// The `Allow` list of `OPTIONS *`: every method some route serves.
    std::vector<std::string> all_methods() const;

    /// The name part of a valid Host value (`[v6]` with its brackets), without the port.
    static std::string_view host_name_of(std::string_view host) noexcept;

private:
    std::string version_root(const version_entry& v) const;

    /// Splits `path` (begins with '/') into decoded segments, in one pass, and counts them in
    /// `n`. Percent-decoding happens per segment after splitting, so `%2F` stays inside its
    /// segment.
    static route_refusal split(std::string_view path, std::string_view* segs, std::size_t& n,
                               std::vector<char>& buffer);

    // Version resolution (detail/impl/version_resolution.hpp): each gives the version, or
    // nullptr and the refusal to answer.
    route_refusal unknown_version(const char* detail_text) const noexcept;
    const version_entry* named_or_default(std::optional<std::string_view> named,
                                          route_refusal& refusal) const noexcept;
    const version_entry* resolve_version(const request& req, const parsed_target& t,
                                         const std::string_view* segs, std::size_t n,
                                         std::size_t& skip, route_refusal& refusal) const;
    /// The `version` parameter of the first media range carrying one.
    static std::optional<std::string_view> accept_version(std::string_view accept);
};

} // namespace rampart::detail

#include <rampart/router/detail/impl/router_state.hpp>
#include <rampart/router/detail/impl/version_resolution.hpp>

#endif
