#ifndef RAMPART_ROUTER_DETAIL_IMPL_ROUTER_STATE_HPP
#define RAMPART_ROUTER_DETAIL_IMPL_ROUTER_STATE_HPP

#include <rampart/errors/http_error.hpp>
#include <rampart/router/allowed_hosts.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace rampart::detail {

inline router_state::router_state(router_options o) : options(std::move(o)) {
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

inline version_entry* router_state::find_version(std::string_view name) const noexcept {
    for (const auto& v : versions)
        if (v->name == name)
            return v.get();
    return nullptr;
}

inline version_entry& router_state::declare_version(std::string_view name) {
    if (auto* v = find_version(name))
        return *v;
    bool ok = !name.empty() && name != "." && name != "..";
    for (char c : name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.');
    if (options.versioning.type == version_scheme::kind::host_name)
        ok = ok && name.find('.') == std::string_view::npos;
    if (!ok)
        throw std::invalid_argument("rampart: version name \"" + std::string(name) +
                                    "\" must be a plain token [A-Za-z0-9._-]");
    versions.push_back(std::make_unique<version_entry>());
    versions.back()->name = std::string(name);
    return *versions.back();
}

inline void router_state::add_matcher(std::string name,
                                      std::function<bool(std::string_view)> test) {
    if (!is_param_name(name) || !test)
        throw std::invalid_argument("rampart: a matcher needs a name and a test");
    for (const auto& m : matchers)
        if (m.name == name)
            throw std::invalid_argument("rampart: matcher \"" + name + "\" exists already");
    // Custom matchers go before `str`, which stays the catch-all of last resort.
    matchers.insert(matchers.end() - 1,
                    param_matcher{param_matcher::kind::custom, std::move(name), std::move(test)});
    // Inserting shifted `str`'s index; routes registered before this refer to it by index.
    if (has_routes)
        throw std::logic_error("rampart: add matchers before adding routes");
}

inline void router_state::add_route(const std::vector<version_entry*>& targets, http::verb method,
                                    std::string_view pattern, std::string_view name,
                                    const std::shared_ptr<const erased_handler>& handler,
                                    std::shared_ptr<const route_doc> doc) {
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
    declared.push_back({{targets.begin(), targets.end()}, method, shared, std::move(doc)});
    has_routes = true;
}

inline route_match router_state::match(const request& req) const {
    route_match m;
    if (route_refusal refusal = try_match(req, m))
        throw_refusal(refusal);
    return m;
}

inline route_refusal router_state::try_match(const request& req, route_match& m) const {
    using access = router_state_access;
    auto t = parse_target({req.target().data(), req.target().size()});
    if (t.kind == parsed_target::form::invalid)
        return route_refusal::bad_request("The request target is not a valid origin-form or "
                                          "absolute-form target.",
                                          "invalid_target");
    if (t.kind == parsed_target::form::asterisk)
        return route_refusal::bad_request("Only OPTIONS may target the whole server (*).",
                                          "invalid_target");
    if (t.path.size() > options.max_path_length || t.query.size() > options.max_query_length)
        return {route_refusal::kind::uri_too_long};

    segment_list list;
    std::string_view* segs = list.items;
    std::size_t n = 0;
    access::decoded(m).clear(); // split sizes it for this path
    if (route_refusal refusal = split(t.path, segs, n, access::decoded(m)))
        return refusal;

    const route_table::node* node = nullptr;
    auto& values = access::values(m);
    auto& count = access::count(m);
    if (!unversioned.table.empty())
        node = unversioned.table.match(segs, n, matchers, values.data(), count);
    if (!node) {
        std::size_t skip = 0;
        route_refusal refusal;
        const version_entry* v = resolve_version(req, t, segs, n, skip, refusal);
        if (!v)
            return refusal;
        node = v->table.match(segs + skip, n - skip, matchers, values.data(), count);
        if (!node)
            return route_refusal::not_found();
        access::version(m) = v;
    }
    access::node(m) = node;
    return {};
}

inline std::pair<const version_entry*, const route_info*>
router_state::named_route(std::string_view name, std::string_view version) const {
    const version_entry* v = version.empty() ? &unversioned : find_version(version);
    if (!v)
        throw std::invalid_argument("rampart: no API version \"" + std::string(version) + "\"");
    auto it = v->names.find(name);
    if (it == v->names.end())
        throw std::invalid_argument("rampart: no route named \"" + std::string(name) +
                                    "\" in version \"" + std::string(version) + "\"");
    return {v, it->second.get()};
}

template <class Lookup>
std::string router_state::build_path(const version_entry& v, const route_info& r, Lookup&& lookup,
                                     bool throw_on_missing) const {
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
                throw std::invalid_argument("rampart: route \"" + r.name + "\" needs parameter \"" +
                                            seg.text + "\"");
            return {};
        }
        if (value->empty() || *value == "." || *value == ".." ||
            !matchers[seg.matcher].test(*value)) {
            if (throw_on_missing)
                throw std::invalid_argument("rampart: \"" + *value +
                                            "\" is not a valid value for parameter \"" + seg.text +
                                            "\" of route \"" + r.name + "\"");
            return {};
        }
        path += percent_encode(*value);
    }
    if (&v != &unversioned && options.versioning.type == version_scheme::kind::query_param)
        path += "?" + percent_encode(options.versioning.value) + "=" + percent_encode(v.name);
    return path;
}

inline std::string router_state::base_url(const context& ctx, std::string_view version) const {
    std::string origin = url_origin(ctx, options.public_base_url, options.url_scheme);
    if (origin.empty() || !options.public_base_url.empty() ||
        options.versioning.type != version_scheme::kind::host_name || version.empty())
        return origin;
    std::string_view host = ctx.find<accepted_host>()->value;
    std::string_view port = host.substr(host_name_of(host).size());
    return options.url_scheme + "://" + std::string(version) + "." + options.versioning.value +
           std::string(port);
}

inline std::string router_state::successor_link(const deprecation& d, const route_info* route,
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

inline std::vector<std::string> router_state::all_methods() const {
    std::vector<http::verb> methods;
    unversioned.table.collect_methods(methods);
    for (const auto& v : versions)
        v->table.collect_methods(methods);
    return route_table::allow_list(methods);
}

inline std::string_view router_state::host_name_of(std::string_view host) noexcept {
    if (!host.empty() && host.front() == '[')
        return host.substr(0, host.find(']') + 1);
    return host.substr(0, host.find(':'));
}

inline std::string router_state::version_root(const version_entry& v) const {
    switch (options.versioning.type) {
    case version_scheme::kind::url_path:
        return options.versioning.value + "/" + percent_encode(v.name) + "/";
    case version_scheme::kind::query_param:
        return "/?" + percent_encode(options.versioning.value) + "=" + percent_encode(v.name);
    default:
        return "/";
    }
}

inline route_refusal router_state::split(std::string_view path, std::string_view* segs,
                                         std::size_t& n, std::vector<char>& buffer) {
    n = 0;
    std::size_t used = 0;
    std::size_t start = 1;
    bool escaped = false;
    const char* p = path.data();
    for (std::size_t i = 1; i <= path.size(); ++i) {
        if (i < path.size() && p[i] != '/') {
            auto c = static_cast<unsigned char>(p[i]);
            if (c <= 0x20 || c >= 0x7f)
                return route_refusal::bad_request(
                    "The request path holds a byte that must be percent-encoded.", "invalid_path");
            escaped = escaped || c == '%';
            continue;
        }
        if (n == max_path_segments)
            return route_refusal::not_found();
        std::string_view seg{p + start, i - start};
        if (escaped) {
            if (buffer.empty())
                buffer.resize(path.size()); // once: later views must stay valid
            segment_error error = segment_error::none;
            std::size_t len = percent_decode(seg, buffer.data() + used, error);
            if (error == segment_error::nul_byte)
                return route_refusal::bad_request("The request path holds a NUL byte.",
                                                  "invalid_path");
            if (error != segment_error::none)
                return route_refusal::bad_request(
                    "The request path holds a malformed percent-escape.", "invalid_path");
            seg = std::string_view{buffer.data() + used, len};
            used += len;
            if (!is_utf8(seg))
                return route_refusal::bad_request("The request path is not UTF-8 once decoded.",
                                                  "invalid_path");
        }
        if (seg.size() <= 2 && (seg == "." || seg == ".."))
            return route_refusal::not_found(); // never normalised into another route
        std::construct_at(segs + n, seg);      // starts the union member's lifetime
        ++n;
        start = i + 1;
        escaped = false;
    }
    return {};
}

} // namespace rampart::detail

#endif
