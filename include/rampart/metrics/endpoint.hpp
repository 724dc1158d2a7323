#ifndef RAMPART_METRICS_ENDPOINT_HPP
#define RAMPART_METRICS_ENDPOINT_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/metrics/registry.hpp>
#include <rampart/router/uri.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::metrics {

/// The scrape answer: 200, `Content-Type: text/plain; version=0.0.4; charset=utf-8`, the
/// registry's text, `Cache-Control: no-store`. Throws: std::bad_alloc.
inline response exposition(const registry& reg, unsigned http_version = 11) {
    response res{http::status::ok, http_version};
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.body() = reg.scrape();
    res.prepare_payload();
    return res;
}

/** A handler answering the scrape, for a route (`api.get("/metrics", metrics::endpoint{reg})`):
    then it runs inside whatever the route's layers do (authentication, throttling). To serve
    it outside them, use `serve`. The registry must outlive it.
*/
class endpoint {
public:
    explicit endpoint(const registry& reg) noexcept : reg_(&reg) {}

    asio::awaitable<response> operator()(context& ctx) const {
        co_return exposition(*reg_, ctx.req().version());
    }

private:
    const registry* reg_;
};

/** A hook middleware that answers the scrape at one path before the layers inside it run:
    place it outside authentication and throttling, so Prometheus needs no token and spends no
    rate, and inside `http_metrics`, which then counts scrapes under the route template `path`.

    The path serves GET and HEAD (OPTIONS answers 204 with `Allow`; other methods 405); any
    other request goes on for the cost of one string compare. Made with `enabled = false` it
    lets everything through, so the path answers what the layers inside answer (a 404).
*/
class serve {
public:
    explicit serve(const registry& reg, std::string path = "/metrics", bool enabled = true)
        : reg_(&reg), path_(std::move(path)), enabled_(enabled) {}

    /// Throws: method_not_allowed (405, the client's) for a method other than GET, HEAD and
    /// OPTIONS on the path.
    std::optional<response> before(context& ctx) const {
        if (!enabled_)
            return std::nullopt;
        std::string_view path = ctx.path();
        if (!path.starts_with('/')) { // absolute form
            auto target = rampart::detail::parse_target(ctx.target());
            if (target.kind != rampart::detail::parsed_target::form::absolute)
                return std::nullopt;
            path = target.path;
        }
        if (path != path_)
            return std::nullopt;
        ctx.set_route_template(path_);
        const http::verb method = ctx.req().method();
        if (method == http::verb::options) {
            response res{http::status::no_content, ctx.req().version()};
            res.set(http::field::allow, "GET, HEAD, OPTIONS");
            return res;
        }
        if (method != http::verb::get && method != http::verb::head)
            throw method_not_allowed(ctx.req().method_string(), {"GET", "HEAD", "OPTIONS"});
        response res = exposition(*reg_, ctx.req().version());
        if (method == http::verb::head)
            res.body().clear(); // Content-Length stays GET's
        return res;
    }

    bool enabled() const noexcept { return enabled_; }
    const std::string& path() const noexcept { return path_; }

private:
    const registry* reg_;
    std::string path_;
    bool enabled_;
};

} // namespace rampart::metrics

#endif
