#ifndef RAMPART_ROUTER_IMPL_ROUTE_MATCH_HPP
#define RAMPART_ROUTER_IMPL_ROUTE_MATCH_HPP

namespace rampart {

namespace detail {

/// The router's way into a route_match it fills in (the class keeps its members private).
class router_state_access {
public:
    static auto& node(route_match& m) { return m.node_; }
    static auto& version(route_match& m) { return m.version_; }
    static auto& values(route_match& m) { return m.values_; }
    static auto& count(route_match& m) { return m.count_; }
    static auto& decoded(route_match& m) { return m.decoded_; }
};

} // namespace detail

inline std::string_view route_match::version() const noexcept {
    return version_ ? std::string_view{version_->name} : std::string_view{};
}

inline const detail::endpoint* route_match::find(http::verb method) const noexcept {
    const detail::endpoint* get = nullptr;
    for (const auto& e : node_->endpoints) {
        if (e.method == method)
            return &e;
        if (e.method == http::verb::get)
            get = &e;
    }
    return method == http::verb::head ? get : nullptr;
}

inline const std::vector<std::string>& route_match::allow() const noexcept {
    return node_->allow;
}

inline std::string_view route_match::route_name(http::verb method) const noexcept {
    auto* e = find(method);
    return e ? std::string_view{e->route->name} : std::string_view{};
}

} // namespace rampart

#endif
