#ifndef RAMPART_ROUTER_CORS_HPP
#define RAMPART_ROUTER_CORS_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/router/router.hpp>
#include <rampart/router/uri.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

/** What a CORS policy lets browsers do. Nothing is allowed until listed.

    Origins are exact (`https://app.example.com`, compared case-insensitively), a pattern with
    one leading wildcard label (`https://` then `*.example.com`: any subdomain, at any depth,
    never the bare domain, same scheme and port), or `*` (any origin, answered with a literal `*`;
   refused together with credentials, since browsers would then require the origin to be echoed and
    that would hand every site the user's cookies).
*/
struct cors_options {
    std::vector<std::string> allowed_origins;
    std::vector<http::verb> allowed_methods = {http::verb::get,   http::verb::head,
                                               http::verb::post,  http::verb::put,
                                               http::verb::patch, http::verb::delete_};
    /// Request headers a preflight may ask for (case-insensitive).
    std::vector<std::string> allowed_headers = {"Authorization", "Content-Type"};
    /// Response headers scripts may read beyond the CORS-safelisted ones.
    std::vector<std::string> expose_headers;
    bool allow_credentials = false;
    /// How long browsers may cache a preflight answer; 0 sends no `Access-Control-Max-Age`.
    std::chrono::seconds max_age{600};
};

/** The CORS middleware. Place it outside the router (after the error envelope).

    - Actual requests from an allowed origin get `Access-Control-Allow-Origin` (the origin, or
      `*`), `Access-Control-Allow-Credentials` and `Access-Control-Expose-Headers` on every
      response, errors included (`next` returns errors as responses, so they pass through here).
      Every response gets `Vary: Origin`.
    - Preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) are answered here,
      from the route table: 204 with the methods the path serves (that the policy allows), the
      requested headers and `Access-Control-Max-Age`. A disallowed origin, method or header is
      answered 403 in the envelope; an unknown path 404, a method the path does not serve 405.
*/
class cors {
public:
    /// A policy whose preflights consult `routes` (basic_router::lookup()).
    /// Throws: std::invalid_argument for an origin or origin pattern that is not one, `*` with
    /// allow_credentials, or an invalid header name (programming errors, found at start-up).
    cors(cors_options options, route_lookup routes)
        : state_(std::make_shared<const state>(compile(std::move(options)), std::move(routes))) {}

    /// Runs the request (or answers its preflight). A refused preflight is rendered here, as a
    /// response; what `next` throws passes through unchanged.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        const state& s = *state_;
        auto origin_field = ctx.req()[http::field::origin];
        std::string_view origin{origin_field.data(), origin_field.size()};
        bool has_origin = ctx.req().find(http::field::origin) != ctx.req().end();
        bool allowed = has_origin && s.allows(origin);
        bool preflight =
            has_origin && ctx.req().method() == http::verb::options &&
            ctx.req().find(http::field::access_control_request_method) != ctx.req().end();
        response res;
        if (preflight) {
            try {
                res = s.answer_preflight(ctx, allowed);
            } catch (...) {
                res = ctx.render_error(std::current_exception());
            }
        } else {
            res = co_await next(ctx);
        }
        if (allowed)
            s.decorate(res, origin, !preflight);
        add_vary(res, preflight);
        co_return res;
    }

private:
    struct origin_rule {
        std::string exact;  // lower-case; empty for a pattern
        std::string scheme; // pattern: "https://"
        std::string suffix; // pattern: ".example.com[:port]"
    };

    struct compiled {
        cors_options options;
        std::vector<origin_rule> rules;
        bool any = false;
        std::string expose_list; // Access-Control-Expose-Headers, joined once
    };

    static std::string lower(std::string_view s) {
        std::string out(s);
        for (char& c : out)
            c = detail::ascii_lower(c);
        return out;
    }

    static compiled compile(cors_options o) {
        compiled c;
        for (const auto& origin : o.allowed_origins) {
            if (origin == "*") {
                c.any = true;
                continue;
            }
            for (unsigned char ch : origin)
                if (ch <= 0x20 || ch >= 0x7f || ch == ',')
                    throw std::invalid_argument("rampart: CORS origin \"" + origin +
                                                "\" holds an invalid character");
            auto star = origin.find('*');
            if (star == std::string::npos) {
                c.rules.push_back({lower(origin), {}, {}});
                continue;
            }
            auto scheme_end = origin.find("://");
            if (scheme_end == std::string::npos || star != scheme_end + 3 ||
                origin.size() < star + 3 || origin[star + 1] != '.' ||
                origin.find('*', star + 1) != std::string::npos)
                throw std::invalid_argument("rampart: CORS origin pattern \"" + origin +
                                            "\" must look like https://*.example.com");
            c.rules.push_back({{}, lower(origin.substr(0, star)), lower(origin.substr(star + 1))});
        }
        if (c.any && o.allow_credentials)
            throw std::invalid_argument(
                "rampart: CORS allows any origin with credentials: list the origins instead");
        for (const auto& h : o.allowed_headers)
            for (unsigned char ch : h)
                if (ch <= 0x20 || ch >= 0x7f || ch == ',' || ch == ':')
                    throw std::invalid_argument("rampart: CORS header name \"" + h +
                                                "\" is invalid");
        for (const auto& h : o.expose_headers)
            for (unsigned char ch : h)
                if (ch <= 0x20 || ch >= 0x7f || ch == ',' || ch == ':')
                    throw std::invalid_argument("rampart: CORS header name \"" + h +
                                                "\" is invalid");
        for (const auto& h : o.expose_headers) {
            if (!c.expose_list.empty())
                c.expose_list += ", ";
            c.expose_list += h;
        }
        c.options = std::move(o);
        return c;
    }

    struct state {
        state(compiled c, route_lookup r) : policy(std::move(c)), routes(std::move(r)) {}

        compiled policy;
        route_lookup routes;

        bool allows(std::string_view origin) const {
            if (policy.any)
                return true;
            for (const auto& r : policy.rules) {
                if (!r.exact.empty()) {
                    if (detail::iequals(r.exact, origin))
                        return true;
                    continue;
                }
                if (origin.size() <= r.scheme.size() + r.suffix.size())
                    continue;
                if (!detail::iequals(origin.substr(0, r.scheme.size()), r.scheme) ||
                    !detail::iequals(origin.substr(origin.size() - r.suffix.size()), r.suffix))
                    continue;
                std::string_view middle = origin.substr(
                    r.scheme.size(), origin.size() - r.scheme.size() - r.suffix.size());
                if (label_run(middle))
                    return true;
            }
            return false;
        }

        /// One or more DNS labels (`a`, `a.b`): letters, digits, hyphens, no empty label.
        static bool label_run(std::string_view s) {
            if (s.empty() || s.front() == '.' || s.back() == '.' || s.front() == '-')
                return false;
            char previous = 0;
            for (char c : s) {
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.';
                if (!ok || (c == '.' && previous == '.'))
                    return false;
                previous = c;
            }
            return true;
        }

        bool method_allowed(std::string_view name) const {
            for (auto m : policy.options.allowed_methods)
                if (http::to_string(m) == name)
                    return true;
            return false;
        }

        bool header_allowed(std::string_view name) const {
            for (const auto& h : policy.options.allowed_headers)
                if (detail::iequals(h, name))
                    return true;
            return false;
        }

        response answer_preflight(context& ctx, bool origin_allowed) const {
            if (!origin_allowed)
                throw permission_denied("CORS: origin not allowed.");
            auto requested_field = ctx.req()[http::field::access_control_request_method];
            std::string_view requested =
                detail::trim_ows(std::string_view{requested_field.data(), requested_field.size()});
            std::vector<std::string> served = routes.allow(ctx.req());
            bool served_method = false;
            for (const auto& m : served)
                served_method = served_method || m == requested;
            if (!served_method)
                throw method_not_allowed(requested, served);
            if (!method_allowed(requested))
                throw permission_denied("CORS: method not allowed.");

            auto headers_field = ctx.req()[http::field::access_control_request_headers];
            std::string_view headers{headers_field.data(), headers_field.size()};
            std::string echoed;
            while (!headers.empty()) {
                auto comma = headers.find(',');
                std::string_view h = detail::trim_ows(headers.substr(0, comma));
                if (!h.empty()) {
                    if (!header_allowed(h))
                        throw permission_denied("CORS: header not allowed.");
                    if (!echoed.empty())
                        echoed += ", ";
                    echoed += lower(h);
                }
                if (comma == std::string_view::npos)
                    break;
                headers.remove_prefix(comma + 1);
            }

            std::string methods;
            for (const auto& m : served) {
                if (m != "OPTIONS" && !method_allowed(m))
                    continue;
                if (!methods.empty())
                    methods += ", ";
                methods += m;
            }
            response res{http::status::no_content, ctx.req().version()};
            res.set(http::field::access_control_allow_methods, methods);
            if (!echoed.empty())
                res.set(http::field::access_control_allow_headers, echoed);
            if (policy.options.max_age.count() > 0)
                res.set(http::field::access_control_max_age,
                        std::to_string(policy.options.max_age.count()));
            return res;
        }

        void decorate(response& res, std::string_view origin, bool actual) const {
            if (policy.any)
                res.set(http::field::access_control_allow_origin, "*");
            else
                res.set(http::field::access_control_allow_origin, origin);
            if (policy.options.allow_credentials)
                res.set(http::field::access_control_allow_credentials, "true");
            if (actual && !policy.expose_list.empty())
                res.set(http::field::access_control_expose_headers, policy.expose_list);
        }
    };

    static void add_vary(response& res, bool preflight) {
        auto existing = res[http::field::vary];
        if (existing.empty()) { // the usual case: nothing to merge, no copy
            res.set(http::field::vary, preflight ? "Origin, Access-Control-Request-Method, "
                                                   "Access-Control-Request-Headers"
                                                 : "Origin");
            return;
        }
        std::string vary(existing);
        auto add = [&](std::string_view name) {
            std::string_view rest = vary;
            while (!rest.empty()) {
                auto comma = rest.find(',');
                if (detail::iequals(detail::trim_ows(rest.substr(0, comma)), name))
                    return;
                if (comma == std::string_view::npos)
                    break;
                rest.remove_prefix(comma + 1);
            }
            if (!vary.empty())
                vary += ", ";
            vary += name;
        };
        add("Origin");
        if (preflight) {
            add("Access-Control-Request-Method");
            add("Access-Control-Request-Headers");
        }
        res.set(http::field::vary, vary);
    }

    std::shared_ptr<const state> state_;
};

static_assert(middleware<cors>);

} // namespace rampart

#endif
