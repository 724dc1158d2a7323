#ifndef RAMPART_ROUTER_IMPL_ROUTE_GROUP_HPP
#define RAMPART_ROUTER_IMPL_ROUTE_GROUP_HPP

#include <stdexcept>
#include <utility>

namespace rampart {

template <class Wrap>
template <handler_like H>
route_group<Wrap>& route_group<Wrap>::route(http::verb method, std::string_view pattern, H h,
                                            std::string_view name, route_doc doc) {
    return route({method}, pattern, std::move(h), name, std::move(doc));
}

template <class Wrap>
template <handler_like H>
route_group<Wrap>& route_group<Wrap>::route(std::initializer_list<http::verb> methods,
                                            std::string_view pattern, H h, std::string_view name,
                                            route_doc doc) {
    auto handler = detail::erase_handler(wrap_(std::move(h)));
    std::string full = prefix_ + std::string(pattern);
    wrap_.describe(doc);
    auto described = std::make_shared<const route_doc>(std::move(doc));
    for (auto m : methods)
        state_->add_route(targets_, m, full, name, handler, described);
    return *this;
}

// get, post, put, patch and delete_ are route() with their verb: one definition, written once.
#define RAMPART_ROUTE_GROUP_VERB(VERB)                                                             \
    template <class Wrap>                                                                          \
    template <handler_like H>                                                                      \
    route_group<Wrap>& route_group<Wrap>::VERB(std::string_view pattern, H h,                      \
                                               std::string_view name, route_doc doc) {             \
        return route(http::verb::VERB, pattern, std::move(h), name, std::move(doc));               \
    }
RAMPART_ROUTE_GROUP_VERB(get)
RAMPART_ROUTE_GROUP_VERB(post)
RAMPART_ROUTE_GROUP_VERB(put)
RAMPART_ROUTE_GROUP_VERB(patch)
RAMPART_ROUTE_GROUP_VERB(delete_)
#undef RAMPART_ROUTE_GROUP_VERB

template <class Wrap>
template <middleware... Ms>
auto route_group<Wrap>::group(std::string_view prefix, middleware_stack<Ms...> layers) const {
    if (!prefix.empty() && (prefix.front() != '/' || prefix.back() == '/'))
        throw std::invalid_argument("rampart: a group prefix is \"/name\" (no trailing '/')");
    using W = detail::nested_wrap<Wrap, middleware_stack<Ms...>>;
    return route_group<W>(state_, targets_, prefix_ + std::string(prefix),
                          W{wrap_, std::move(layers)});
}

template <class Wrap>
auto route_group<Wrap>::group(std::string_view prefix) const {
    return group(prefix, stack());
}

template <class Wrap>
template <middleware... Ms>
auto route_group<Wrap>::with(middleware_stack<Ms...> layers) const {
    return group("", std::move(layers));
}

} // namespace rampart

#endif
