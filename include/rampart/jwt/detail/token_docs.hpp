#ifndef RAMPART_JWT_DETAIL_TOKEN_DOCS_HPP
#define RAMPART_JWT_DETAIL_TOKEN_DOCS_HPP

// The token endpoints' route_docs, as token_service's options make them: what its handlers
// read and write, so API documents (rampart::openapi) describe them without a second source.

#include <rampart/jwt/cookies.hpp>
#include <rampart/router/route_doc.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace rampart::jwt::detail {

/// The longest token the refresh, verify and blacklist endpoints read, in bytes.
inline constexpr std::size_t max_token_size = 16 * 1024;

/// A string member as string_field reads it: not blank (some character besides space and tab),
/// at most `max_bytes` bytes (a bound in characters is the closest JSON Schema can say).
inline boost::json::object string_member(std::size_t max_bytes) {
    return {{"type", "string"},
            {"pattern", "[^ \\t]"},
            {"maxLength", max_bytes},
            {"description", "Not blank; at most " + std::to_string(max_bytes) + " bytes."}};
}

/// A request body of the named string members (`required`: each must be present).
inline boost::json::object token_body(std::vector<std::pair<const char*, std::size_t>> members,
                                      bool required) {
    boost::json::object properties;
    boost::json::array names;
    for (auto& [name, max] : members) {
        properties[name] = string_member(max);
        names.push_back(boost::json::string(name));
    }
    boost::json::object out{{"type", "object"}, {"properties", std::move(properties)}};
    if (required)
        out["required"] = std::move(names);
    return out;
}

/// `{"access", "refresh"}`, or `{}` when the tokens travel in cookies only.
inline boost::json::object token_pair_result(token_transport transport) {
    if (transport == token_transport::cookies)
        return {{"type", "object"}, {"maxProperties", 0}};
    boost::json::object token{{"type", "string"}, {"description", "A JWT (HS256 by default)."}};
    return {{"type", "object"},
            {"required", boost::json::array{"access", "refresh"}},
            {"properties", {{"access", token}, {"refresh", token}}},
            {"additionalProperties", false}};
}

inline boost::json::object empty_result() {
    return {{"type", "object"}, {"maxProperties", 0}};
}

/// The parts every token endpoint shares: a JSON body, 200, 401 (with `WWW-Authenticate`) for
/// a refused credential or token, 503 for a store or user directory that is down.
inline route_doc token_doc(std::string summary, std::string description, boost::json::object body,
                           boost::json::object result) {
    route_doc d;
    d.summary = std::move(summary);
    d.description = std::move(description);
    d.tags = {"tokens"};
    d.body = std::move(body);
    d.result = {{"", std::move(result)}};
    d.status = 200;
    d.errors = {401, 503};
    return d;
}

/// `Cache-Control: no-store` on every response carrying tokens.
inline header_doc no_store_header() {
    return {.name = "Cache-Control",
            .description = "Tokens are never stored by caches.",
            .schema = {{"const", "no-store"}},
            .required = true};
}

/// The `Set-Cookie` headers of a response that sets (or clears) the token cookies.
inline header_doc cookies_header(const cookie_options& c, bool clears) {
    return {.name = "Set-Cookie",
            .description = std::string(clears ? "Clears" : "Sets") + " the `" + c.access_cookie +
                           "`, `" + c.refresh_cookie + "` (HttpOnly) and `" + c.csrf_cookie +
                           "` cookies.",
            .required = true};
}

/// What the refresh and blacklist endpoints add in a cookie transport: the token may come from
/// the refresh cookie, with the CSRF double-submit (403 when it fails).
inline void refresh_cookie_doc(route_doc& d, const cookie_options& c) {
    d.description += " With no `refresh` in the body, the `" + c.refresh_cookie +
                     "` cookie is read; the `" + c.csrf_header + "` header must then equal the `" +
                     c.csrf_cookie + "` cookie (403 otherwise).";
    d.errors.push_back(403);
}

} // namespace rampart::jwt::detail

#endif
