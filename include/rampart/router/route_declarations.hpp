#ifndef RAMPART_ROUTER_ROUTE_DECLARATIONS_HPP
#define RAMPART_ROUTER_ROUTE_DECLARATIONS_HPP

#include <rampart/router/deprecation.hpp>
#include <rampart/router/detail/router_state.hpp>
#include <rampart/router/options.hpp>
#include <rampart/router/route_doc.hpp>

#include <boost/beast/http/verb.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

/// A parameter of a route's pattern: its name and its type, the matcher's name (`int`, `uuid`,
/// `slug`, `str`, or one added with basic_router::add_matcher).
struct declared_param {
    std::string name;
    std::string type;
};

/// One method of one route in one API version, as registered.
struct declared_operation {
    /// The version's name; empty for an unversioned route.
    std::string version;
    http::verb method;
    /// The request path with `{name}` parameters: `/api/v1/products/{id}/` (under url_path; the
    /// registered path alone under the other schemes, where the version is not in the path).
    std::string path;
    /// The path as registered (`/products/{id:int}/`).
    std::string pattern;
    /// The route's name, empty when it has none.
    std::string name;
    std::vector<declared_param> params;
    /// What the route and its group's middleware declared (never null).
    std::shared_ptr<const route_doc> doc;
    /// The version's deprecation, if it is deprecated (valid while the router lives).
    const deprecation* deprecated = nullptr;
};

/** A router's declarations, read once at start-up by API document generators (rampart::openapi):
    the versions it serves, and every operation with its documentation. From
    basic_router::declarations(); valid while the router, or a copy of it, lives.
*/
class route_declarations {
public:
    explicit route_declarations(std::shared_ptr<const detail::router_state> state) noexcept
        : state_(std::move(state)) {}

    /// The versions the router serves (declared and allowed), in declaration order.
    std::vector<std::string> versions() const;

    /// How the router reads versions and writes URLs.
    const router_options& options() const noexcept { return state_->options; }

    /// Every operation, in registration order; a route of several versions once per served
    /// version, unversioned ones with an empty version.
    std::vector<declared_operation> operations() const;

private:
    std::shared_ptr<const detail::router_state> state_;
};

} // namespace rampart

#include <rampart/router/impl/route_declarations.hpp>

#endif
