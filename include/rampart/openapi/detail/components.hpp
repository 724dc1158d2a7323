#ifndef RAMPART_OPENAPI_DETAIL_COMPONENTS_HPP
#define RAMPART_OPENAPI_DETAIL_COMPONENTS_HPP

// The parts every document shares: the error body's schema, the headers rampart's layers write,
// and the schemas of typed path parameters.

#include <rampart/openapi/options.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace rampart::openapi::detail {

inline boost::json::object ref(std::string_view section, std::string_view name) {
    return {{"$ref", "#/components/" + std::string(section) + "/" + std::string(name)}};
}

/// The media type of error bodies in `style`.
inline const char* error_media_type(error_style style) noexcept {
    return style == error_style::problem ? "application/problem+json" : "application/json";
}

/// `components.schemas`: `Error` (the envelope or a problem) and what it refers to.
inline boost::json::object error_schemas(error_style style) {
    namespace json = boost::json;
    json::object out;
    if (style == error_style::problem) {
        json::object item{{"type", "object"},
                          {"required", json::array{"pointer", "detail", "code"}},
                          {"properties",
                           {{"pointer", {{"type", "string"}}},
                            {"detail", {{"type", "string"}}},
                            {"code", {{"type", "string"}}}}}};
        out["Error"] =
            json::object{{"type", "object"},
                         {"description", "RFC 9457 problem details."},
                         {"required", json::array{"type", "title", "status", "code"}},
                         {"properties",
                          {{"type", {{"type", "string"}}},
                           {"title", {{"type", "string"}}},
                           {"status", {{"type", "integer"}, {"minimum", 400}, {"maximum", 599}}},
                           {"code", {{"type", "string"}}},
                           {"detail", {{"type", "string"}}},
                           {"errors", {{"type", "array"}, {"items", std::move(item)}}}}}};
        return out;
    }
    // Field errors map names to lists of messages, nested objects nest (array items under
    // their index); an error not tied to a field is `{"detail": "..."}`.
    out["ErrorMessages"] = json::object{
        {"anyOf",
         json::array{json::object{{"type", "string"}},
                     json::object{{"type", "array"}, {"items", {{"type", "string"}}}},
                     json::object{{"type", "object"},
                                  {"additionalProperties", ref("schemas", "ErrorMessages")}}}}};
    out["Error"] = json::object{
        {"type", "object"},
        {"description", "The error envelope: `code` is the HTTP status."},
        {"required", json::array{"status", "code", "errors"}},
        {"additionalProperties", false},
        {"properties",
         {{"status", {{"const", "error"}}},
          {"code", {{"type", "integer"}, {"minimum", 400}, {"maximum", 599}}},
          {"errors",
           {{"type", "object"}, {"additionalProperties", ref("schemas", "ErrorMessages")}}}}}};
    return out;
}

/// `components.headers`: what rampart's layers write on documented responses. `Allow` (on 405)
/// and `WWW-Authenticate` (on 401) are on every response that refers to them.
inline boost::json::object header_components() {
    namespace json = boost::json;
    auto string_header = [](const char* description) {
        return json::object{{"description", description}, {"schema", {{"type", "string"}}}};
    };
    json::object h;
    h["Allow"] = string_header("The methods the path serves.");
    h["Allow"].as_object()["required"] = true;
    h["Retry-After"] =
        json::object{{"description", "Whole seconds after which the request would be admitted."},
                     {"schema", {{"type", "integer"}, {"minimum", 1}}}};
    h["RateLimit"] = string_header("The tightest applicable limit's state "
                                   "(draft-ietf-httpapi-ratelimit-headers).");
    h["RateLimit-Policy"] = string_header("The tightest applicable limit's quota and window.");
    h["WWW-Authenticate"] =
        string_header("The authentication scheme, and why a token was refused.");
    h["WWW-Authenticate"].as_object()["required"] = true;
    h["Deprecation"] = string_header("The version is deprecated (RFC 9745).");
    h["Sunset"] = string_header("When the version stops being served (RFC 8594).");
    h["Link"] = string_header("The successor version (rel=\"successor-version\").");
    return h;
}

/// The header component `name` inline, marked required: this response always carries it (a
/// `$ref` cannot say so, and the component is optional on other responses).
inline boost::json::object required_header(std::string_view name) {
    boost::json::object h = header_components().at(name).as_object();
    h["required"] = true;
    return h;
}

/// The schema of a path parameter of matcher type `type`.
inline boost::json::object param_schema(std::string_view type) {
    if (type == "int")
        return {{"type", "integer"},
                {"minimum", 0},
                {"maximum", std::numeric_limits<std::int64_t>::max()}};
    if (type == "uuid")
        return {{"type", "string"}, {"format", "uuid"}};
    if (type == "slug")
        return {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]+$"}};
    return {{"type", "string"}, {"minLength", 1}}; // `str` and custom matchers
}

/// What an error status means on a documented operation.
inline const char* error_description(unsigned status) noexcept {
    switch (status) {
    case 400:
        return "Invalid request: field errors, or a malformed request.";
    case 401:
        return "Authentication required, or the token was refused.";
    case 403:
        return "The caller may not do this.";
    case 404:
        return "Not found.";
    case 405:
        return "Method not allowed on this path (`Allow` lists the methods it serves).";
    case 406:
        return "The requested version is not served.";
    case 409:
        return "Conflict with the current state.";
    case 410:
        return "The version was retired.";
    case 413:
        return "Request body too large.";
    case 414:
        return "Request target too long.";
    case 415:
        return "The body is not `application/json`.";
    case 429:
        return "Too many requests: retry after `Retry-After` seconds.";
    case 500:
        return "Internal error (the body never carries internal text).";
    case 503:
        return "A service this one depends on is unavailable.";
    default:
        return "Error.";
    }
}

} // namespace rampart::openapi::detail

#endif
