#ifndef RAMPART_ROUTER_ROUTER_HPP
#define RAMPART_ROUTER_ROUTER_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/handler.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/router/allowed_hosts.hpp>
#include <rampart/router/deprecation.hpp>
#include <rampart/router/detail/route_table.hpp>
#include <rampart/router/uri.hpp>
#include <rampart/router/version_scheme.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <exception>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

/** How a router reads requests and writes URLs. Every field has a safe default.

    Limits: a path longer than `max_path_length` or a query longer than `max_query_length`
    is answered 414 URI Too Long; a path with more than 64 segments is answered 404 (no route can
    be that deep).
*/
struct router_options {
    /// Where requests name their version.
    version_scheme versioning = version_scheme::url_path();
    /// The version for requests that name none (every scheme but url_path). Empty: none.
    std::string default_version = {};
    /// When not empty, only these versions are served; others answer as unknown.
    std::vector<std::string> allowed_versions = {};
    std::size_t max_path_length = 2048;
    std::size_t max_query_length = 4096;
    /// The public origin for absolute URLs, e.g. `https://shop.example.com` (checked by
    /// normalize_public_url when the router is made). When set, the request's Host is never
    /// consulted. Set it in production.
    std::string public_base_url = {};
    /// Otherwise absolute URLs use this scheme (`http` or `https`) and the Host that
    /// rampart::allowed_hosts accepted for the request; without one (no allowed_hosts in the
    /// stack, or HTTP/1.0 without Host) URLs are path-only (`/api/v1/orders/5/`).
    std::string url_scheme = "http";
};

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

namespace detail {

class router_state_access;

struct version_entry {
    std::string name;
    route_table table;
    std::map<std::string, std::shared_ptr<const route_info>, std::less<>> names;
    std::optional<deprecation> deprecated;
};

} // namespace detail

/** The outcome of matching one request: the path's methods and the captured parameters.

    Parameter values view the request target or this object's own buffer (percent-decoded
    segments), so it is movable but not copyable, and valid while the request lives.
*/
class route_match {
public:
    route_match() = default;
    route_match(route_match&&) = default;
    route_match& operator=(route_match&&) = default;

    /// The version the request resolved to; empty for unversioned routes.
    std::string_view version() const noexcept {
        return version_ ? std::string_view{version_->name} : std::string_view{};
    }

    /// The endpoint serving `method` (HEAD falls back to GET), or nullptr.
    const detail::endpoint* find(http::verb method) const noexcept {
        const detail::endpoint* get = nullptr;
        for (const auto& e : node_->endpoints) {
            if (e.method == method)
                return &e;
            if (e.method == http::verb::get)
                get = &e;
        }
        return method == http::verb::head ? get : nullptr;
    }

    /// The `Allow` list of the matched path (HEAD with GET, OPTIONS always).
    const std::vector<std::string>& allow() const noexcept { return node_->allow; }

    /// The route's name for `method` (empty when unnamed or not served).
    std::string_view route_name(http::verb method) const noexcept {
        auto* e = find(method);
        return e ? std::string_view{e->route->name} : std::string_view{};
    }

    /// Decoded parameter values in pattern order.
    std::size_t param_count() const noexcept { return count_; }
    std::string_view param_value(std::size_t i) const noexcept { return values_[i]; }

private:
    friend class detail::router_state_access;
    const detail::route_table::node* node_ = nullptr;
    const detail::version_entry* version_ = nullptr;
    std::array<std::string_view, detail::max_route_params> values_{};
    std::size_t count_ = 0;
    std::vector<char> decoded_;
};

namespace detail {

class router_state_access {
public:
    static auto& node(route_match& m) { return m.node_; }
    static auto& version(route_match& m) { return m.version_; }
    static auto& values(route_match& m) { return m.values_; }
    static auto& count(route_match& m) { return m.count_; }
    static auto& decoded(route_match& m) { return m.decoded_; }
};

/// Everything a router knows; shared (read-only once serving) by the router, its copies, its
/// url_builder and the CORS middleware.
class router_state {
public:
    explicit router_state(router_options o) : options(std::move(o)) {
        std::string_view prefix = options.versioning.value;
        if (options.versioning.type == version_scheme::kind::url_path && !prefix.empty()) {
            if (prefix.front() != '/')
                throw std::invalid_argument("rampart: the version path prefix begins with '/'");
            prefix.remove_prefix(1);
            while (true) {
                auto slash = prefix.find('/');
                prefix_segments.emplace_back(prefix.substr(0, slash));
                if (slash == std::string_view::npos)
                    break;
                prefix.remove_prefix(slash + 1);
            }
        }
        options.public_base_url = normalize_public_url(options.public_base_url);
        if (options.url_scheme != "http" && options.url_scheme != "https")
            throw std::invalid_argument("rampart: url_scheme is http or https");
    }

    router_options options;
    std::vector<param_matcher> matchers = builtin_matchers();
    version_entry unversioned;
    std::vector<std::unique_ptr<version_entry>> versions;
    std::vector<std::string> prefix_segments;

    version_entry* find_version(std::string_view name) const noexcept {
        for (const auto& v : versions)
            if (v->name == name)
                return v.get();
        return nullptr;
    }

    /// The version `name` if it exists and is allowed.
    const version_entry* served_version(std::string_view name) const noexcept {
        auto* v = find_version(name);
        if (!v)
            return nullptr;
        if (!options.allowed_versions.empty() &&
            std::find(options.allowed_versions.begin(), options.allowed_versions.end(), name) ==
                options.allowed_versions.end())
            return nullptr;
        return v;
    }

    version_entry& declare_version(std::string_view name) {
        if (auto* v = find_version(name))
            return *v;
        bool ok = !name.empty() && name != "." && name != "..";
        for (char c : name)
            ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
        if (options.versioning.type == version_scheme::kind::host_name)
            ok = ok && name.find('.') == std::string_view::npos;
        if (!ok)
            throw std::invalid_argument("rampart: version name \"" + std::string(name) +
                                        "\" must be a plain token [A-Za-z0-9._-]");
        versions.push_back(std::make_unique<version_entry>());
        versions.back()->name = std::string(name);
        return *versions.back();
    }

    void add_matcher(std::string name, std::function<bool(std::string_view)> test) {
        if (!is_param_name(name) || !test)
            throw std::invalid_argument("rampart: a matcher needs a name and a test");
        for (const auto& m : matchers)
            if (m.name == name)
                throw std::invalid_argument("rampart: matcher \"" + name + "\" exists already");
        // Custom matchers go before `str`, which stays the catch-all of last resort.
        matchers.insert(matchers.end() - 1, param_matcher{param_matcher::kind::custom,
                                                          std::move(name), std::move(test)});
        // Inserting shifted `str`'s index; routes registered before this refer to it by index.
        if (has_routes)
            throw std::logic_error("rampart: add matchers before adding routes");
    }

    /// Registers one route in `targets` (nullptr: the unversioned table).
    void add_route(const std::vector<version_entry*>& targets, http::verb method,
                   std::string_view pattern, std::string_view name,
                   const std::shared_ptr<const erased_handler>& handler) {
        auto info = std::make_shared<route_info>();
        info->name = std::string(name);
        info->pattern = std::string(pattern);
        info->segments = parse_pattern(pattern, matchers);
        for (const auto& s : info->segments)
            if (s.is_param)
                info->param_names.push_back(s.text);
        std::shared_ptr<const route_info> shared = std::move(info);
        for (auto* v : targets) {
            if (!name.empty()) {
                auto it = v->names.find(name);
                if (it != v->names.end() && it->second->pattern != pattern)
                    throw std::invalid_argument("rampart: route name \"" + std::string(name) +
                                                "\" names another pattern already");
                if (it == v->names.end())
                    v->names.emplace(std::string(name), shared);
            }
            v->table.insert(shared, method, handler);
        }
        has_routes = true;
    }

    /// Splits, checks and matches a request. Throws the http_error to answer with when no
    /// route serves the path (404), the input is bad (400/404/414), or the version is unknown.
    route_match match(const request& req) const {
        using access = router_state_access;
        auto t = parse_target({req.target().data(), req.target().size()});
        if (t.kind == parsed_target::form::invalid)
            throw bad_request("The request target is not a valid origin-form or absolute-form "
                              "target.",
                              "invalid_target");
        if (t.kind == parsed_target::form::asterisk)
            throw bad_request("Only OPTIONS may target the whole server (*).", "invalid_target");
        if (t.path.size() > options.max_path_length || t.query.size() > options.max_query_length)
            throw http_error(http::status::uri_too_long, "uri_too_long",
                             "The request URI is too long.");

        route_match m;
        segment_list list;
        std::string_view* segs = list.items;
        std::size_t n = split(t.path, segs, access::decoded(m));

        const route_table::node* node = nullptr;
        auto& values = access::values(m);
        auto& count = access::count(m);
        if (!unversioned.table.empty())
            node = unversioned.table.match(segs, n, matchers, values.data(), count);
        if (!node) {
            std::size_t skip = 0;
            const version_entry* v = resolve_version(req, t, segs, n, skip);
            node = v->table.match(segs + skip, n - skip, matchers, values.data(), count);
            if (!node)
                throw not_found();
            access::version(m) = v;
        }
        access::node(m) = node;
        return m;
    }

    /// Route `name` in `version` ("" for unversioned). Throws std::invalid_argument when the
    /// version or the name is unknown.
    std::pair<const version_entry*, const route_info*> named_route(std::string_view name,
                                                                   std::string_view version) const {
        const version_entry* v = version.empty() ? &unversioned : find_version(version);
        if (!v)
            throw std::invalid_argument("rampart: no API version \"" + std::string(version) + "\"");
        auto it = v->names.find(name);
        if (it == v->names.end())
            throw std::invalid_argument("rampart: no route named \"" + std::string(name) +
                                        "\" in version \"" + std::string(version) + "\"");
        return {v, it->second.get()};
    }

    /// The URL path of `route` in `v` with `params`; throws std::invalid_argument when a value
    /// is missing or does not fit its parameter.
    std::string path_of(const version_entry& v, const route_info& route,
                        std::initializer_list<url_param> params) const {
        return build_path(v, route, [&](std::string_view param) -> const std::string* {
            for (const auto& p : params)
                if (p.name == param)
                    return &p.value;
            return nullptr;
        });
    }

    /// The URL path of route `name` in `version` ("" for unversioned) with `params`.
    std::string path_for(std::string_view name, std::string_view version,
                         std::initializer_list<url_param> params) const {
        auto [v, route] = named_route(name, version);
        return path_of(*v, *route, params);
    }

    /// `scheme://host` for absolute URLs: the configured public base, else the Host that
    /// allowed_hosts accepted, else "" (path-only URLs). Never reads the raw Host header.
    std::string base_url(const context& ctx, std::string_view version) const {
        std::string origin = url_origin(ctx, options.public_base_url, options.url_scheme);
        if (origin.empty() || !options.public_base_url.empty() ||
            options.versioning.type != version_scheme::kind::host_name || version.empty())
            return origin;
        std::string_view host = ctx.find<accepted_host>()->value;
        std::string_view port = host.substr(host_name_of(host).size());
        return options.url_scheme + "://" + std::string(version) + "." + options.versioning.value +
               std::string(port);
    }

    /// The `Link` target of a deprecated version's successor for the route just matched.
    std::string successor_link(const deprecation& d, const route_info* route,
                               const context& ctx) const {
        const std::string& s = d.successor;
        if (s.empty())
            return {};
        if (s.front() == '/' || s.starts_with("http://") || s.starts_with("https://"))
            return s;
        const version_entry* next = find_version(s);
        if (!next)
            return {};
        if (route && !route->name.empty()) {
            auto it = next->names.find(route->name);
            if (it != next->names.end()) {
                bool complete = true;
                std::string path = build_path(
                    *next, *it->second,
                    [&](std::string_view p) -> const std::string* {
                        for (const auto& cp : ctx.params())
                            if (cp.name == p)
                                return &cp.value;
                        complete = false;
                        return nullptr;
                    },
                    false);
                if (complete)
                    return path;
            }
        }
        return version_root(*next);
    }

    bool has_routes = false;

    /// The name part of a valid Host value (`[v6]` with its brackets), without the port.
    static std::string_view host_name_of(std::string_view host) noexcept {
        if (!host.empty() && host.front() == '[')
            return host.substr(0, host.find(']') + 1);
        return host.substr(0, host.find(':'));
    }

    /// The `Allow` list of `OPTIONS *`: every method some route serves.
    std::vector<std::string> all_methods() const {
        std::vector<http::verb> methods;
        unversioned.table.collect_methods(methods);
        for (const auto& v : versions)
            v->table.collect_methods(methods);
        return route_table::allow_list(methods);
    }

private:
    std::string version_root(const version_entry& v) const {
        switch (options.versioning.type) {
        case version_scheme::kind::url_path:
            return options.versioning.value + "/" + percent_encode(v.name) + "/";
        case version_scheme::kind::query_param:
            return "/?" + percent_encode(options.versioning.value) + "=" + percent_encode(v.name);
        default:
            return "/";
        }
    }

    template <class Lookup>
    std::string build_path(const version_entry& v, const route_info& r, Lookup&& lookup,
                           bool throw_on_missing = true) const {
        std::string path;
        if (&v != &unversioned && options.versioning.type == version_scheme::kind::url_path)
            path = options.versioning.value + "/" + percent_encode(v.name);
        for (const auto& seg : r.segments) {
            path += '/';
            if (!seg.is_param) {
                path += seg.text;
                continue;
            }
            const std::string* value = lookup(seg.text);
            if (!value) {
                if (throw_on_missing)
                    throw std::invalid_argument("rampart: route \"" + r.name +
                                                "\" needs parameter \"" + seg.text + "\"");
                return {};
            }
            if (value->empty() || *value == "." || *value == ".." ||
                !matchers[seg.matcher].test(*value)) {
                if (throw_on_missing)
                    throw std::invalid_argument("rampart: \"" + *value +
                                                "\" is not a valid value for parameter \"" +
                                                seg.text + "\" of route \"" + r.name + "\"");
                return {};
            }
            path += percent_encode(*value);
        }
        if (&v != &unversioned && options.versioning.type == version_scheme::kind::query_param)
            path += "?" + percent_encode(options.versioning.value) + "=" + percent_encode(v.name);
        return path;
    }

    /// Splits `path` (begins with '/') into decoded segments, in one pass. Percent-decoding
    /// happens per segment after splitting, so `%2F` stays inside its segment.
    static std::size_t split(std::string_view path, std::string_view* segs,
                             std::vector<char>& buffer) {
        std::size_t n = 0;
        std::size_t used = 0;
        std::size_t start = 1;
        bool escaped = false;
        const char* p = path.data();
        for (std::size_t i = 1; i <= path.size(); ++i) {
            if (i < path.size() && p[i] != '/') {
                auto c = static_cast<unsigned char>(p[i]);
                if (c <= 0x20 || c >= 0x7f)
                    throw bad_request("The request path holds a byte that must be percent-encoded.",
                                      "invalid_path");
                escaped = escaped || c == '%';
                continue;
            }
            if (n == max_path_segments)
                throw not_found();
            std::string_view seg{p + start, i - start};
            if (escaped) {
                if (buffer.empty())
                    buffer.resize(path.size()); // once: later views must stay valid
                segment_error error = segment_error::none;
                std::size_t len = percent_decode(seg, buffer.data() + used, error);
                if (error == segment_error::nul_byte)
                    throw bad_request("The request path holds a NUL byte.", "invalid_path");
                if (error != segment_error::none)
                    throw bad_request("The request path holds a malformed percent-escape.",
                                      "invalid_path");
                seg = std::string_view{buffer.data() + used, len};
                used += len;
                if (!is_utf8(seg))
                    throw bad_request("The request path is not UTF-8 once decoded.",
                                      "invalid_path");
            }
            if (seg.size() <= 2 && (seg == "." || seg == ".."))
                throw not_found();            // never normalised into another route
            std::construct_at(segs + n, seg); // starts the union member's lifetime
            ++n;
            start = i + 1;
            escaped = false;
        }
        return n;
    }

    [[noreturn]] void unknown_version(std::string_view detail_text) const {
        switch (options.versioning.type) {
        case version_scheme::kind::accept_header:
        case version_scheme::kind::header:
            throw not_acceptable(std::string(detail_text));
        default:
            throw not_found(std::string(detail_text));
        }
    }

    const version_entry& named_or_default(std::optional<std::string_view> named) const {
        if (named) {
            if (auto* v = served_version(*named))
                return *v;
            unknown_version("Invalid version in request.");
        }
        if (!options.default_version.empty())
            if (auto* v = served_version(options.default_version))
                return *v;
        unknown_version("The request names no API version.");
    }

    const version_entry* resolve_version(const request& req, const parsed_target& t,
                                         const std::string_view* segs, std::size_t n,
                                         std::size_t& skip) const {
        const auto& scheme = options.versioning;
        switch (scheme.type) {
        case version_scheme::kind::url_path: {
            std::size_t p = prefix_segments.size();
            if (n <= p + 1)
                throw not_found();
            for (std::size_t i = 0; i < p; ++i)
                if (segs[i] != prefix_segments[i])
                    throw not_found();
            skip = p + 1;
            auto* v = served_version(segs[p]);
            if (!v)
                throw not_found();
            return v;
        }
        case version_scheme::kind::header: {
            auto it = req.find(scheme.value);
            if (it == req.end())
                return &named_or_default(std::nullopt);
            return &named_or_default(trim({it->value().data(), it->value().size()}));
        }
        case version_scheme::kind::accept_header: {
            std::optional<std::string_view> named;
            for (auto it = req.find(http::field::accept); it != req.end() && !named; ++it) {
                if (it->name() != http::field::accept)
                    break;
                named = accept_version({it->value().data(), it->value().size()});
            }
            return &named_or_default(named);
        }
        case version_scheme::kind::query_param: {
            std::optional<std::string_view> named;
            std::string_view q = t.query;
            while (!q.empty()) {
                auto amp = q.find('&');
                std::string_view pair = q.substr(0, amp);
                auto eq = pair.find('=');
                if (pair.substr(0, eq) == scheme.value)
                    named = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
                if (amp == std::string_view::npos)
                    break;
                q.remove_prefix(amp + 1);
            }
            // Version names are plain tokens, so an escaped value can never name one.
            return &named_or_default(named);
        }
        case version_scheme::kind::host_name: {
            std::string_view host = t.authority;
            if (host.empty()) {
                auto h = req[http::field::host];
                host = {h.data(), h.size()};
            }
            if (!is_valid_host(host))
                throw bad_request("Invalid Host header.", "invalid_host");
            std::string_view name = host_name_of(host);
            if (!name.empty() && name.back() == '.')
                name.remove_suffix(1);
            const std::string& base = scheme.value;
            if (name.size() > base.size() + 1 && name[name.size() - base.size() - 1] == '.' &&
                iequals(name.substr(name.size() - base.size()), base)) {
                std::string_view label = name.substr(0, name.size() - base.size() - 1);
                if (label.find('.') != std::string_view::npos)
                    throw not_found();
                for (const auto& v : versions)
                    if (iequals(v->name, label))
                        return &named_or_default(std::string_view{v->name});
                throw not_found();
            }
            return &named_or_default(std::nullopt);
        }
        }
        throw not_found();
    }

    /// The `version` parameter of the first media range carrying one.
    static std::optional<std::string_view> accept_version(std::string_view accept) {
        while (!accept.empty()) {
            auto comma = accept.find(',');
            std::string_view range = accept.substr(0, comma);
            auto semi = range.find(';');
            while (semi != std::string_view::npos) {
                range.remove_prefix(semi + 1);
                semi = range.find(';');
                std::string_view param = trim(range.substr(0, semi));
                auto eq = param.find('=');
                if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "version")) {
                    std::string_view value = trim(param.substr(eq + 1));
                    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                        value = value.substr(1, value.size() - 2);
                    return value;
                }
            }
            if (comma == std::string_view::npos)
                break;
            accept.remove_prefix(comma + 1);
        }
        return std::nullopt;
    }
};

} // namespace detail

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
    std::optional<std::string> try_format(std::initializer_list<url_param> params) const noexcept {
        try {
            return base_ + state_->path_of(*version_, *route_, params);
        } catch (...) {
            return std::nullopt;
        }
    }

    /// The URL with `params`. Throws: std::invalid_argument when a value is missing or does not
    /// fit its parameter.
    std::string format(std::initializer_list<url_param> params) const {
        return base_ + state_->path_of(*version_, *route_, params);
    }

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
    std::invalid_argument (a programming error).

    Absolute URLs start with router_options::public_base_url when set, else with
    `url_scheme://` and the Host rampart::allowed_hosts accepted; with neither they are
    path-only. No URL is ever built from a Host header that was not checked, and none of these
    functions answers a bad Host: allowed_hosts did that, before the handler ran.
*/
class url_builder {
public:
    explicit url_builder(const detail::router_state* state) noexcept : state_(state) {}

    /// The path (plus `?version=` under the query scheme) of route `name` in `version`.
    std::string path(std::string_view name, std::string_view version,
                     std::initializer_list<url_param> params = {}) const {
        return state_->path_for(name, version, params);
    }

    /// The path of route `name` in the version the current request was routed to.
    std::string path(const context& ctx, std::string_view name,
                     std::initializer_list<url_param> params = {}) const {
        return state_->path_for(name, ctx.version(), params);
    }

    /// The absolute URL of route `name` in the request's version (see the class comment; path
    /// only when there is no base). Throws: std::invalid_argument as path() does.
    std::string absolute(const context& ctx, std::string_view name,
                         std::initializer_list<url_param> params = {}) const {
        return base_url(ctx) + path(ctx, name, params);
    }

    /** Route `name` in the request's version, ready to format once its parameters are known:
        call it before a transaction, and try_format() after the commit.

        Throws: std::invalid_argument when the route or version is unknown.
    */
    prepared_url prepare(const context& ctx, std::string_view name) const {
        auto [v, route] = state_->named_route(name, ctx.version());
        return prepared_url{state_, v, route, base_url(ctx)};
    }

    /// `scheme://host` of the current request, as absolute() uses it; "" when there is none.
    std::string base_url(const context& ctx) const { return state_->base_url(ctx, ctx.version()); }

private:
    const detail::router_state* state_;
};

/** Answers which methods a request's path serves, for CORS preflights; from basic_router::lookup.

    Resolves the path and version exactly as dispatch does and throws the same http_error
    (404, 400, 406, 414) when the request would not reach a route.
*/
class route_lookup {
public:
    explicit route_lookup(std::shared_ptr<const detail::router_state> state) noexcept
        : state_(std::move(state)) {}

    std::vector<std::string> allow(const request& req) const { return state_->match(req).allow(); }

private:
    std::shared_ptr<const detail::router_state> state_;
};

namespace detail {

/// A group without middleware of its own: the handler as make_handler makes it.
struct identity_wrap {
    template <class H>
    auto operator()(H h) const {
        return make_handler(std::move(h));
    }
};

/// An outer group's wrapping around this group's stack: `outer(stack.wrap(h))`.
template <class Outer, class Stack>
struct nested_wrap {
    Outer outer;
    Stack stack;
    template <class H>
    auto operator()(H h) const {
        return outer(stack.wrap(std::move(h)));
    }
};

} // namespace detail

/** Routes under a common prefix, for a set of versions, behind common middleware.

    Made by basic_router::version / versions / unversioned, then narrowed with group(). Every
    handler added through a group is wrapped in the group's middleware at compile time and
    type-erased once, at registration; a route shared by several versions is one handler object
    owned jointly by their tables.
*/
template <class Wrap>
class route_group {
public:
    route_group(detail::router_state* state, std::vector<detail::version_entry*> targets,
                std::string prefix, Wrap wrap)
        : state_(state), targets_(std::move(targets)), prefix_(std::move(prefix)),
          wrap_(std::move(wrap)) {}

    /// Serves `method` on `prefix + pattern` with `h` (anything make_handler takes). A
    /// non-empty `name` is what url_builder looks the route up by.
    template <class H>
    route_group& route(http::verb method, std::string_view pattern, H h,
                       std::string_view name = {}) {
        return route({method}, pattern, std::move(h), name);
    }

    /// Serves several methods with one handler (it can read `ctx.req().method()`).
    template <class H>
    route_group& route(std::initializer_list<http::verb> methods, std::string_view pattern, H h,
                       std::string_view name = {}) {
        auto handler = detail::erase_handler(wrap_(std::move(h)));
        std::string full = prefix_ + std::string(pattern);
        for (auto m : methods)
            state_->add_route(targets_, m, full, name, handler);
        return *this;
    }

    template <class H>
    route_group& get(std::string_view pattern, H h, std::string_view name = {}) {
        return route(http::verb::get, pattern, std::move(h), name);
    }
    template <class H>
    route_group& post(std::string_view pattern, H h, std::string_view name = {}) {
        return route(http::verb::post, pattern, std::move(h), name);
    }
    template <class H>
    route_group& put(std::string_view pattern, H h, std::string_view name = {}) {
        return route(http::verb::put, pattern, std::move(h), name);
    }
    template <class H>
    route_group& patch(std::string_view pattern, H h, std::string_view name = {}) {
        return route(http::verb::patch, pattern, std::move(h), name);
    }
    template <class H>
    route_group& delete_(std::string_view pattern, H h, std::string_view name = {}) {
        return route(http::verb::delete_, pattern, std::move(h), name);
    }

    /// A sub-group under `prefix` (e.g. "/orders", no trailing slash) whose routes run inside
    /// `layers` (outermost first), inside this group's own middleware.
    template <middleware... Ms>
    auto group(std::string_view prefix, middleware_stack<Ms...> layers) const {
        if (!prefix.empty() && (prefix.front() != '/' || prefix.back() == '/'))
            throw std::invalid_argument("rampart: a group prefix is \"/name\" (no trailing '/')");
        using W = detail::nested_wrap<Wrap, middleware_stack<Ms...>>;
        return route_group<W>(state_, targets_, prefix_ + std::string(prefix),
                              W{wrap_, std::move(layers)});
    }

    /// A sub-group under `prefix` with no middleware of its own.
    auto group(std::string_view prefix) const { return group(prefix, stack()); }

    /// This group's routes with more middleware (innermost), and the same prefix.
    template <middleware... Ms>
    auto with(middleware_stack<Ms...> layers) const {
        return group("", std::move(layers));
    }

private:
    detail::router_state* state_;
    std::vector<detail::version_entry*> targets_;
    std::string prefix_;
    Wrap wrap_;
};

/** The version router: maps each request to one handler, or to the right error.

    Set it up at start-up (versions, routes, groups, matchers, deprecations), then use it as the
    innermost handler of the service, usually `stack(error_envelope{}, cors{...}, ...).wrap(api)`.
    Configuration is not synchronised: finish it before the first request. Dispatch is const and
    may run on many threads at once.

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
    explicit basic_router(router_options options = {}, Clock clock = {})
        : state_(std::make_shared<detail::router_state>(std::move(options))),
          clock_(std::move(clock)) {}

    /// Declares version `name` (idempotent) and returns the group of its routes.
    route_group<detail::identity_wrap> version(std::string_view name) { return versions({name}); }

    /// A group whose routes every listed version serves (declaring them): one handler each,
    /// shared by the versions' tables.
    route_group<detail::identity_wrap> versions(std::initializer_list<std::string_view> names) {
        std::vector<detail::version_entry*> targets;
        for (auto n : names)
            targets.push_back(&state_->declare_version(n));
        return {state_.get(), std::move(targets), {}, {}};
    }

    /// The group of routes outside versioning (`/api/token/`), matched on the whole path and
    /// before any version's routes.
    route_group<detail::identity_wrap> unversioned() {
        return {state_.get(), {&state_->unversioned}, {}, {}};
    }

    /// Adds a parameter type for patterns (`{sku:sku}`). Add matchers before routes.
    basic_router& add_matcher(std::string name, std::function<bool(std::string_view)> test) {
        state_->add_matcher(std::move(name), std::move(test));
        return *this;
    }

    /// Marks version `name` deprecated (it must be declared).
    basic_router& deprecate(std::string_view name, deprecation d) {
        auto* v = state_->find_version(name);
        if (!v)
            throw std::invalid_argument("rampart: no API version \"" + std::string(name) + "\"");
        for (unsigned char c : d.successor)
            if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>')
                throw std::invalid_argument("rampart: a successor is a version name or a URL");
        v->deprecated = std::move(d);
        return *this;
    }

    url_builder urls() const noexcept { return url_builder{state_.get()}; }
    route_lookup lookup() const { return route_lookup{state_}; }

    /// Matches `req` without running anything (what dispatch does first). Throws the
    /// http_error dispatch would answer with.
    route_match match(const request& req) const { return state_->match(req); }

    /// Dispatches one request.
    asio::awaitable<response> operator()(context& ctx) const {
        if (ctx.target() == "*" && ctx.req().method() == http::verb::options) {
            response all{http::status::no_content, ctx.req().version()};
            all.set(http::field::allow, join(state_->all_methods()));
            co_return all;
        }
        adopt_absolute_form(ctx);
        route_match m = state_->match(ctx.req());
        ctx.set_version(m.version());
        const detail::version_entry* v = version_of(m);
        const deprecation* dep = v && v->deprecated ? &*v->deprecated : nullptr;

        http::verb method = ctx.req().method();
        const detail::endpoint* ep = m.find(method);
        if (ep) {
            ctx.clear_params();
            for (std::size_t i = 0; i < m.param_count(); ++i)
                ctx.add_param(ep->route->param_names[i], std::string(m.param_value(i)));
        }
        if (dep && dep->gone_after_sunset && dep->sunset && clock_.now() >= *dep->sunset) {
            gone error("API version " + std::string(m.version()) + " was retired on " +
                       http_date(*dep->sunset) + ".");
            for (auto& [name, value] : deprecation_headers(*dep, ep, ctx))
                error.with_header(std::move(name), std::move(value));
            throw error;
        }

        response res;
        if (!ep) {
            if (method != http::verb::options)
                throw method_not_allowed(ctx.req().method_string(), m.allow());
            res = response{http::status::no_content, ctx.req().version()};
            res.set(http::field::allow, join(m.allow()));
        } else {
            try {
                res = co_await ep->handler->call(ep->handler->object, ctx);
            } catch (...) {
                res = ctx.render_error(std::current_exception());
            }
            if (method == http::verb::head && ep->method == http::verb::get) {
                if (res.find(http::field::content_length) == res.end() && !res.chunked())
                    res.content_length(res.body().size());
                res.body().clear();
            }
        }
        if (dep)
            for (auto& [name, value] : deprecation_headers(*dep, ep, ctx))
                res.set(name, value);
        co_return res;
    }

private:
    static const detail::version_entry* version_of(route_match& m) {
        return detail::router_state_access::version(m);
    }

    static std::string join(const std::vector<std::string>& methods) {
        std::string out;
        for (const auto& m : methods) {
            if (!out.empty())
                out += ", ";
            out += m;
        }
        return out;
    }

    /// RFC 9112 3.2.2: an absolute-form target's authority replaces the Host header. The
    /// target is rewritten to origin-form, so handlers and later layers see one shape.
    static void adopt_absolute_form(context& ctx) {
        std::string_view target = ctx.target();
        if (target.empty() || target.front() == '/' || target == "*")
            return;
        auto t = detail::parse_target(target);
        if (t.kind != detail::parsed_target::form::absolute)
            return; // match() answers it 400
        std::string authority(t.authority);
        std::string origin(t.path);
        if (target.find('?') != std::string_view::npos)
            origin += "?" + std::string(t.query);
        ctx.req().set(http::field::host, authority);
        ctx.req().target(origin);
    }

    std::vector<std::pair<std::string, std::string>> deprecation_headers(const deprecation& d,
                                                                         const detail::endpoint* ep,
                                                                         const context& ctx) const {
        std::vector<std::pair<std::string, std::string>> out;
        out.emplace_back("Deprecation",
                         d.since ? "@" + std::to_string(d.since->time_since_epoch().count())
                                 : std::string("true"));
        if (d.sunset)
            out.emplace_back("Sunset", http_date(*d.sunset));
        std::string link = state_->successor_link(d, ep ? ep->route.get() : nullptr, ctx);
        if (!link.empty())
            out.emplace_back("Link", "<" + link + ">; rel=\"successor-version\"");
        return out;
    }

    std::shared_ptr<detail::router_state> state_;
    Clock clock_;
};

/// The router on the real clock.
using router = basic_router<>;

static_assert(handler<router>);

} // namespace rampart

#endif
