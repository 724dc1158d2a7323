#ifndef RAMPART_ROUTER_ROUTE_GROUP_HPP
#define RAMPART_ROUTER_ROUTE_GROUP_HPP

#include <rampart/core/handler.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/router/detail/group_wrap.hpp>
#include <rampart/router/detail/router_state.hpp>
#include <rampart/router/route_doc.hpp>

#include <boost/beast/http/verb.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace rampart {

/** Routes under a common prefix, for a set of versions, behind common middleware.

    Made by basic_router::version / versions / unversioned, then narrowed with group() and
    with(), which return a *new* group and leave this one as it was: routes added to the new
    group get its prefix and middleware, routes added here keep this group's. Every handler
    added through a group is wrapped in the group's middleware at compile time and type-erased
    once, at registration; a route shared by several versions is one handler object owned
    jointly by their tables.

    Registration runs at start-up; its errors are programming errors and throw
    std::invalid_argument (see route()). A handler that is not rampart::handler_like does not
    compile, at the registering line.
*/
template <class Wrap>
class route_group {
public:
    route_group(detail::router_state* state, std::vector<detail::version_entry*> targets,
                std::string prefix, Wrap wrap)
        : state_(state), targets_(std::move(targets)), prefix_(std::move(prefix)),
          wrap_(std::move(wrap)) {}

    /** Serves `method` on `prefix + pattern` with `h`. A non-empty `name` is what url_builder
        looks the route up by (and an API document's operation id); `doc` is what API documents
        say about the route, completed by the group's middleware (route_doc, describes_route).
        Neither is read while serving.

        Throws: std::invalid_argument (a programming error) when the pattern is malformed or
        names an unknown parameter type, when `name` already names another pattern in a
        version, or when the path already serves `method`.
    */
    template <handler_like H>
    route_group& route(http::verb method, std::string_view pattern, H h, std::string_view name = {},
                       route_doc doc = {});

    /// Serves several methods with one handler (it can read `ctx.req().method()`).
    /// Throws: std::invalid_argument as the one-method route().
    template <handler_like H>
    route_group& route(std::initializer_list<http::verb> methods, std::string_view pattern, H h,
                       std::string_view name = {}, route_doc doc = {});

    /// route(http::verb::get, ...): GET, and HEAD through it. Throws: as route().
    template <handler_like H>
    route_group& get(std::string_view pattern, H h, std::string_view name = {}, route_doc doc = {});

    /// route(http::verb::post, ...). Throws: as route().
    template <handler_like H>
    route_group& post(std::string_view pattern, H h, std::string_view name = {},
                      route_doc doc = {});

    /// route(http::verb::put, ...). Throws: as route().
    template <handler_like H>
    route_group& put(std::string_view pattern, H h, std::string_view name = {}, route_doc doc = {});

    /// route(http::verb::patch, ...). Throws: as route().
    template <handler_like H>
    route_group& patch(std::string_view pattern, H h, std::string_view name = {},
                       route_doc doc = {});

    /// route(http::verb::delete_, ...). Throws: as route().
    template <handler_like H>
    route_group& delete_(std::string_view pattern, H h, std::string_view name = {},
                         route_doc doc = {});

    /// A new sub-group under `prefix` (e.g. "/orders", no trailing slash) whose routes run
    /// inside `layers` (outermost first), inside this group's own middleware.
    /// Throws: std::invalid_argument when `prefix` is not empty or "/name" without a trailing '/'.
    template <middleware... Ms>
    [[nodiscard]] auto group(std::string_view prefix, middleware_stack<Ms...> layers) const;

    /// A new sub-group under `prefix` with no middleware of its own. Throws: as above.
    [[nodiscard]] auto group(std::string_view prefix) const;

    /// A new group with this group's prefix and middleware, plus `layers` inside them. This
    /// group is unchanged: use the returned one for the routes that need `layers`.
    template <middleware... Ms>
    [[nodiscard]] auto with(middleware_stack<Ms...> layers) const;

private:
    detail::router_state* state_;
    std::vector<detail::version_entry*> targets_;
    std::string prefix_;
    Wrap wrap_;
};

} // namespace rampart

#include <rampart/router/impl/route_group.hpp>

#endif
