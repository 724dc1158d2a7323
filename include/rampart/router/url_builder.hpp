#ifndef RAMPART_ROUTER_URL_BUILDER_HPP
#define RAMPART_ROUTER_URL_BUILDER_HPP

#include <rampart/core/context.hpp>
#include <rampart/router/detail/router_state.hpp>

#include <concepts>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace rampart {

/// A reverse-URL parameter: a name and a value (text or integer), percent-encoded when used.
struct url_param {
    std::string_view name;
    std::string value;

    url_param(std::string_view n, std::string_view v) : name(n), value(v) {}
    url_param(std::string_view n, const char* v) : name(n), value(v) {}
    url_param(std::string_view n, const std::string& v) : name(n), value(v) {}
    template <std::integral I>
    url_param(std::string_view n, I v) : name(n), value(std::to_string(v)) {}
};

/** One named route's URL for one request, checked in advance: url_builder::prepare() looks the
    route up and fixes the base (public URL or accepted Host) before any work is done, so that
    after a commit only try_format() remains, which cannot fail.

    Valid while the router lives; it does not refer to the request.
*/
class prepared_url {
public:
    prepared_url(const detail::router_state* state, const detail::version_entry* version,
                 const detail::route_info* route, std::string base) noexcept
        : state_(state), version_(version), route_(route), base_(std::move(base)) {}

    /// The URL with `params`; nullopt when a value is missing or does not fit its parameter
    /// (or memory runs out). Never throws: for after a commit, where an error would lie to the
    /// client about what happened.
    std::optional<std::string> try_format(std::initializer_list<url_param> params) const noexcept;

    /// The URL with `params`.
    /// Throws: std::invalid_argument when a value is missing or does not fit its parameter (a
    /// programming error, never the client's).
    std::string format(std::initializer_list<url_param> params) const;

    /// `scheme://host` (empty: the URLs are path-only).
    const std::string& base() const noexcept { return base_; }

private:
    const detail::router_state* state_;
    const detail::version_entry* version_;
    const detail::route_info* route_;
    std::string base_;
};

/** Builds URLs of named routes, so links and `Location` headers never hand-assemble paths.

    Obtained from basic_router::urls(); valid while the router (or any copy of it) lives, so
    handlers may capture it by value. Parameter values are percent-encoded and must satisfy
    their parameter's type; a wrong name, version, missing or invalid value throws
    std::invalid_argument (a programming error: the error envelope answers it 500).

    Absolute URLs start with router_options::public_base_url when set, else with
    `url_scheme://` and the Host rampart::allowed_hosts accepted; with neither they are
    path-only. No URL is ever built from a Host header that was not checked, and none of these
    functions answers a bad Host: allowed_hosts did that, before the handler ran.
*/
class url_builder {
public:
    explicit url_builder(const detail::router_state* state) noexcept : state_(state) {}

    /// The path (plus `?version=` under the query scheme) of route `name` in `version`.
    /// Throws: std::invalid_argument for an unknown route or version, or a missing or invalid
    /// parameter value (programming errors).
    std::string path(std::string_view name, std::string_view version,
                     std::initializer_list<url_param> params = {}) const;

    /// The path of route `name` in the version the current request was routed to.
    /// Throws: std::invalid_argument as the other overload.
    std::string path(const context& ctx, std::string_view name,
                     std::initializer_list<url_param> params = {}) const;

    /// The absolute URL of route `name` in the request's version (see the class comment; path
    /// only when there is no base). Throws: std::invalid_argument as path() does.
    std::string absolute(const context& ctx, std::string_view name,
                         std::initializer_list<url_param> params = {}) const;

    /** Route `name` in the request's version, ready to format once its parameters are known:
        call it before a transaction, and try_format() after the commit.

        Throws: std::invalid_argument when the route or version is unknown (a programming error).
    */
    prepared_url prepare(const context& ctx, std::string_view name) const;

    /// `scheme://host` of the current request, as absolute() uses it; "" when there is none.
    std::string base_url(const context& ctx) const;

private:
    const detail::router_state* state_;
};

} // namespace rampart

#include <rampart/router/impl/url_builder.hpp>

#endif
