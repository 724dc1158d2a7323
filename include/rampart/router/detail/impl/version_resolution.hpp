#ifndef RAMPART_ROUTER_DETAIL_IMPL_VERSION_RESOLUTION_HPP
#define RAMPART_ROUTER_DETAIL_IMPL_VERSION_RESOLUTION_HPP

// How a request names its version under each version_scheme, and what an unknown one answers.

#include <rampart/errors/http_error.hpp>

#include <boost/beast/http/field.hpp>

#include <algorithm>

namespace rampart::detail {

inline const version_entry* router_state::served_version(std::string_view name) const noexcept {
    auto* v = find_version(name);
    if (!v)
        return nullptr;
    if (!options.allowed_versions.empty() &&
        std::find(options.allowed_versions.begin(), options.allowed_versions.end(), name) ==
            options.allowed_versions.end())
        return nullptr;
    return v;
}

inline route_refusal router_state::unknown_version(const char* detail_text) const noexcept {
    switch (options.versioning.type) {
    case version_scheme::kind::accept_header:
    case version_scheme::kind::header:
        return {route_refusal::kind::not_acceptable, detail_text, nullptr};
    default:
        return route_refusal::not_found(detail_text);
    }
}

inline const version_entry* router_state::named_or_default(std::optional<std::string_view> named,
                                                           route_refusal& refusal) const noexcept {
    if (named) {
        if (auto* v = served_version(*named))
            return v;
        refusal = unknown_version("Invalid version in request.");
        return nullptr;
    }
    if (!options.default_version.empty())
        if (auto* v = served_version(options.default_version))
            return v;
    refusal = unknown_version("The request names no API version.");
    return nullptr;
}

inline const version_entry* router_state::resolve_version(const request& req,
                                                          const parsed_target& t,
                                                          const std::string_view* segs,
                                                          std::size_t n, std::size_t& skip,
                                                          route_refusal& refusal) const {
    const auto& scheme = options.versioning;
    switch (scheme.type) {
    case version_scheme::kind::url_path: {
        std::size_t p = prefix_segments.size();
        refusal = route_refusal::not_found();
        if (n <= p + 1)
            return nullptr;
        for (std::size_t i = 0; i < p; ++i)
            if (segs[i] != prefix_segments[i])
                return nullptr;
        skip = p + 1;
        return served_version(segs[p]);
    }
    case version_scheme::kind::header: {
        auto it = req.find(scheme.value);
        if (it == req.end())
            return named_or_default(std::nullopt, refusal);
        return named_or_default(trim_ows({it->value().data(), it->value().size()}), refusal);
    }
    case version_scheme::kind::accept_header: {
        std::optional<std::string_view> named;
        for (auto it = req.find(http::field::accept); it != req.end() && !named; ++it) {
            if (it->name() != http::field::accept)
                break;
            named = accept_version({it->value().data(), it->value().size()});
        }
        return named_or_default(named, refusal);
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
        return named_or_default(named, refusal);
    }
    case version_scheme::kind::host_name: {
        std::string_view host = t.authority;
        if (host.empty()) {
            auto h = req[http::field::host];
            host = {h.data(), h.size()};
        }
        if (!is_valid_host(host)) {
            refusal = route_refusal::bad_request("Invalid Host header.", "invalid_host");
            return nullptr;
        }
        std::string_view name = host_name_of(host);
        if (!name.empty() && name.back() == '.')
            name.remove_suffix(1);
        const std::string& base = scheme.value;
        if (name.size() > base.size() + 1 && name[name.size() - base.size() - 1] == '.' &&
            iequals(name.substr(name.size() - base.size()), base)) {
            std::string_view label = name.substr(0, name.size() - base.size() - 1);
            refusal = route_refusal::not_found();
            if (label.find('.') != std::string_view::npos)
                return nullptr;
            for (const auto& v : versions)
                if (iequals(v->name, label))
                    return named_or_default(std::string_view{v->name}, refusal);
            return nullptr;
        }
        return named_or_default(std::nullopt, refusal);
    }
    }
    refusal = route_refusal::not_found();
    return nullptr;
}

inline std::optional<std::string_view> router_state::accept_version(std::string_view accept) {
    while (!accept.empty()) {
        auto comma = accept.find(',');
        std::string_view range = accept.substr(0, comma);
        auto semi = range.find(';');
        while (semi != std::string_view::npos) {
            range.remove_prefix(semi + 1);
            semi = range.find(';');
            std::string_view param = trim_ows(range.substr(0, semi));
            auto eq = param.find('=');
            if (eq != std::string_view::npos && iequals(trim_ows(param.substr(0, eq)), "version")) {
                std::string_view value = trim_ows(param.substr(eq + 1));
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

} // namespace rampart::detail

#endif
