#ifndef RAMPART_ROUTER_ROUTE_MATCH_HPP
#define RAMPART_ROUTER_ROUTE_MATCH_HPP

#include <rampart/router/detail/route_table.hpp>
#include <rampart/router/detail/version_entry.hpp>

#include <boost/beast/http/verb.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rampart {

namespace detail {
class router_state_access;
} // namespace detail

/** The outcome of matching one request: the path's methods and the captured parameters.

    Made by basic_router::match (and by dispatch). Parameter values view the request target or
    this object's own buffer (percent-decoded segments), so it is movable but not copyable, and
    valid while the request lives.
*/
class route_match {
public:
    route_match() = default;
    route_match(route_match&&) = default;
    route_match& operator=(route_match&&) = default;

    /// The version the request resolved to; empty for unversioned routes.
    std::string_view version() const noexcept;

    /// The endpoint serving `method` (HEAD falls back to GET), or nullptr.
    const detail::endpoint* find(http::verb method) const noexcept;

    /// The `Allow` list of the matched path (HEAD with GET, OPTIONS always).
    const std::vector<std::string>& allow() const noexcept;

    /// The route's name for `method` (empty when unnamed or not served).
    std::string_view route_name(http::verb method) const noexcept;

    /// How many parameters the route captured.
    std::size_t param_count() const noexcept { return count_; }

    /// The decoded value of parameter `i` (in pattern order; `i < param_count()`).
    std::string_view param_value(std::size_t i) const noexcept { return values_[i]; }

private:
    friend class detail::router_state_access;
    const detail::route_table::node* node_ = nullptr;
    const detail::version_entry* version_ = nullptr;
    std::array<std::string_view, detail::max_route_params> values_{};
    std::size_t count_ = 0;
    std::vector<char> decoded_;
};

} // namespace rampart

#include <rampart/router/impl/route_match.hpp>

#endif
