#ifndef RAMPART_ROUTER_IMPL_ROUTER_HPP
#define RAMPART_ROUTER_IMPL_ROUTER_HPP

#include <boost/beast/http/field.hpp>

#include <exception>
#include <stdexcept>

namespace rampart {

template <clock_source Clock>
basic_router<Clock>::basic_router(router_options options, Clock clock)
    : state_(std::make_shared<detail::router_state>(std::move(options))), clock_(std::move(clock)) {
}

template <clock_source Clock>
route_group<detail::identity_wrap> basic_router<Clock>::version(std::string_view name) {
    return versions({name});
}

template <clock_source Clock>
route_group<detail::identity_wrap>
basic_router<Clock>::versions(std::initializer_list<std::string_view> names) {
    std::vector<detail::version_entry*> targets;
    for (auto n : names)
        targets.push_back(&state_->declare_version(n));
    return {state_.get(), std::move(targets), {}, {}};
}

template <clock_source Clock>
route_group<detail::identity_wrap> basic_router<Clock>::unversioned() {
    return {state_.get(), {&state_->unversioned}, {}, {}};
}

template <clock_source Clock>
basic_router<Clock>& basic_router<Clock>::add_matcher(std::string name,
                                                      std::function<bool(std::string_view)> test) {
    state_->add_matcher(std::move(name), std::move(test));
    return *this;
}

template <clock_source Clock>
basic_router<Clock>& basic_router<Clock>::deprecate(std::string_view name, deprecation d) {
    auto* v = state_->find_version(name);
    if (!v)
        throw std::invalid_argument("rampart: no API version \"" + std::string(name) + "\"");
    for (unsigned char c : d.successor)
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>')
            throw std::invalid_argument("rampart: a successor is a version name or a URL");
    v->deprecated = std::move(d);
    return *this;
}

template <clock_source Clock>
asio::awaitable<response> basic_router<Clock>::operator()(context& ctx) const {
    if (ctx.target() == "*" && ctx.req().method() == http::verb::options) {
        response all{http::status::no_content, ctx.req().version()};
        all.set(http::field::allow, join(state_->all_methods()));
        co_return all;
    }
    adopt_absolute_form(ctx);
    // Refusals are rendered here, never thrown: a 404 costs its rendering, not an exception.
    route_match m;
    if (detail::route_refusal refusal = state_->try_match(ctx.req(), m))
        co_return detail::with_refusal_error(
            refusal, [&](const auto& error) { return ctx.render_error(error); });
    ctx.set_version(m.version());
    const detail::version_entry* v = detail::router_state_access::version(m);
    const deprecation* dep = v && v->deprecated ? &*v->deprecated : nullptr;

    http::verb method = ctx.req().method();
    const detail::endpoint* ep = m.find(method);
    if (ep) {
        ctx.set_route_template(ep->route->pattern);
        ctx.clear_params();
        ctx.reserve_params(m.param_count());
        for (std::size_t i = 0; i < m.param_count(); ++i)
            ctx.add_param(ep->route->param_names[i], std::string(m.param_value(i)));
    }
    if (dep && dep->gone_after_sunset && dep->sunset && clock_.now() >= *dep->sunset) {
        gone error("API version " + std::string(m.version()) + " was retired on " +
                   http_date(*dep->sunset) + ".");
        for (auto& [name, value] : deprecation_headers(*dep, ep, ctx))
            error.with_header(std::move(name), std::move(value));
        co_return ctx.render_error(error);
    }

    response res;
    if (!ep) {
        if (method != http::verb::options)
            co_return ctx.render_error(method_not_allowed(ctx.req().method_string(), m.allow()));
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

template <clock_source Clock>
std::string basic_router<Clock>::join(const std::vector<std::string>& methods) {
    std::string out;
    for (const auto& m : methods) {
        if (!out.empty())
            out += ", ";
        out += m;
    }
    return out;
}

/// RFC 9112 3.2.2: an absolute-form target's authority replaces the Host header. The target is
/// rewritten to origin-form, so handlers and later layers see one shape.
template <clock_source Clock>
void basic_router<Clock>::adopt_absolute_form(context& ctx) {
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

template <clock_source Clock>
std::vector<std::pair<std::string, std::string>>
basic_router<Clock>::deprecation_headers(const deprecation& d, const detail::endpoint* ep,
                                         const context& ctx) const {
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("Deprecation", d.since
                                        ? "@" + std::to_string(d.since->time_since_epoch().count())
                                        : std::string("true"));
    if (d.sunset)
        out.emplace_back("Sunset", http_date(*d.sunset));
    std::string link = state_->successor_link(d, ep ? ep->route.get() : nullptr, ctx);
    if (!link.empty())
        out.emplace_back("Link", "<" + link + ">; rel=\"successor-version\"");
    return out;
}

static_assert(handler<router>);

} // namespace rampart

#endif
