#ifndef RAMPART_ROUTER_IMPL_URL_BUILDER_HPP
#define RAMPART_ROUTER_IMPL_URL_BUILDER_HPP

namespace rampart {

namespace detail {

/// The path of `route` in `v` with `params`; throws std::invalid_argument when a value is
/// missing or does not fit its parameter.
inline std::string path_with(const router_state& state, const version_entry& v,
                             const route_info& route, std::initializer_list<url_param> params) {
    return state.build_path(v, route, [&](std::string_view param) -> const std::string* {
        for (const auto& p : params)
            if (p.name == param)
                return &p.value;
        return nullptr;
    });
}

} // namespace detail

inline std::optional<std::string>
prepared_url::try_format(std::initializer_list<url_param> params) const noexcept {
    try {
        return format(params);
    } catch (...) {
        return std::nullopt;
    }
}

inline std::string prepared_url::format(std::initializer_list<url_param> params) const {
    return base_ + detail::path_with(*state_, *version_, *route_, params);
}

inline std::string url_builder::path(std::string_view name, std::string_view version,
                                     std::initializer_list<url_param> params) const {
    auto [v, route] = state_->named_route(name, version);
    return detail::path_with(*state_, *v, *route, params);
}

inline std::string url_builder::path(const context& ctx, std::string_view name,
                                     std::initializer_list<url_param> params) const {
    return path(name, ctx.version(), params);
}

inline std::string url_builder::absolute(const context& ctx, std::string_view name,
                                         std::initializer_list<url_param> params) const {
    return base_url(ctx) + path(ctx, name, params);
}

inline prepared_url url_builder::prepare(const context& ctx, std::string_view name) const {
    auto [v, route] = state_->named_route(name, ctx.version());
    return prepared_url{state_, v, route, base_url(ctx)};
}

inline std::string url_builder::base_url(const context& ctx) const {
    return state_->base_url(ctx, ctx.version());
}

} // namespace rampart

#endif
