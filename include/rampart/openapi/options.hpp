#ifndef RAMPART_OPENAPI_OPTIONS_HPP
#define RAMPART_OPENAPI_OPTIONS_HPP

#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

namespace rampart::openapi {

/// The error body format the service renders (rampart::envelope_format or problem_format):
/// every error response of the document refers to its one schema component.
enum class error_style {
    /// `{"status": "error", "code": N, "errors": {...}}` as `application/json`.
    envelope,
    /// RFC 9457 problem details as `application/problem+json`.
    problem,
};

/// A security scheme of the document, attached to every operation whose route requires a
/// caller (route_doc::authenticated).
struct security_scheme {
    /// Its key under `components.securitySchemes`.
    std::string name;
    /// The OpenAPI Security Scheme Object.
    boost::json::object definition;

    /// `Authorization: Bearer <JWT>` (jwt::authenticate's header transport).
    static security_scheme bearer_jwt(std::string name = "bearerAuth") {
        return {std::move(name), {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}};
    }
    /// The access token in a cookie (jwt::cookie_options::access_cookie).
    static security_scheme cookie(std::string cookie_name = "access_token",
                                  std::string name = "cookieAuth") {
        return {std::move(name),
                {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::move(cookie_name)}}};
    }
};

/** What a document says beyond the router's declarations: its title, and what the layers
    around the router (which the router cannot see) do to every request.
*/
struct document_options {
    std::string title = "API";
    /// `info.version`: the document's own version, not an API version.
    std::string api_version = "1.0.0";
    std::string description = {};
    /// `servers` URLs; empty: the document's own origin.
    std::vector<std::string> servers = {};
    /// Only this API version (and the unversioned routes); empty: every version.
    std::string version = {};
    error_style errors = error_style::envelope;
    /// The schemes a protected route accepts (any one of them).
    std::vector<security_scheme> security = {security_scheme::bearer_jwt()};
    /// A throttle wraps the router: every operation may answer 429 and carries `RateLimit`
    /// and `RateLimit-Policy`.
    bool throttled = false;
    /// Tokens are checked around the router (jwt::authenticate with enforce): any operation
    /// answers 401 to a bad token, and the public ones accept a token too.
    bool authentication_everywhere = false;
    /// Statuses the layers around the router may answer for any request (400 for a refused
    /// Host, 413 over the server's body limit, 503 when a store is down, ...).
    std::vector<unsigned> common_errors = {};
    /// Every operation must declare its result, and a POST, PUT or PATCH its body: generate()
    /// throws for one that does not, so no route is documented as "anything" by accident.
    bool require_declared = false;
};

} // namespace rampart::openapi

#endif
