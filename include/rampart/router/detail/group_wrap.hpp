#ifndef RAMPART_ROUTER_DETAIL_GROUP_WRAP_HPP
#define RAMPART_ROUTER_DETAIL_GROUP_WRAP_HPP

// How a route group wraps a handler in its middleware, composed at compile time.

#include <rampart/core/handler.hpp>
#include <rampart/router/route_doc.hpp>

#include <type_traits>
#include <utility>

namespace rampart::detail {

/// A group without middleware of its own: the handler as make_handler makes it.
struct identity_wrap {
    template <class H>
    auto operator()(H h) const {
        return make_handler(std::move(h));
    }
    void describe(route_doc&) const noexcept {}
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
    /// What the outer groups' layers, then this group's, say about a route (see route_doc).
    void describe(route_doc& doc) const {
        outer.describe(doc);
        stack.for_each_layer([&](const auto& layer) {
            if constexpr (describes_route<std::remove_cvref_t<decltype(layer)>>)
                layer.describe(doc);
        });
    }
};

} // namespace rampart::detail

#endif
