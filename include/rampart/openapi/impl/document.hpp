#ifndef RAMPART_OPENAPI_IMPL_DOCUMENT_HPP
#define RAMPART_OPENAPI_IMPL_DOCUMENT_HPP

#include <rampart/detail/http_date.hpp>
#include <rampart/openapi/detail/components.hpp>

#include <boost/beast/http/verb.hpp>
#include <boost/json/array.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rampart::openapi {
namespace detail {

/// `2027-06-30T00:00:00Z`.
inline std::string rfc3339(std::chrono::sys_seconds t) {
    auto day = std::chrono::floor<std::chrono::days>(t);
    std::chrono::year_month_day ymd{day};
    std::chrono::hh_mm_ss<std::chrono::seconds> hms{t - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

/// The operation's key in its Path Item (`get`), or "" for a method OpenAPI cannot describe.
inline std::string method_key(http::verb m) {
    switch (m) {
    case http::verb::get:
        return "get";
    case http::verb::put:
        return "put";
    case http::verb::post:
        return "post";
    case http::verb::delete_:
        return "delete";
    case http::verb::options:
        return "options";
    case http::verb::head:
        return "head";
    case http::verb::patch:
        return "patch";
    case http::verb::trace:
        return "trace";
    default:
        return {};
    }
}

/// A unique operation id: the route's name (else the method and path), `_<version>` for a
/// versioned route, `_<method>` when a name serves several methods.
inline std::string operation_id(const declared_operation& op, std::set<std::string>& taken) {
    std::string base = op.name.empty() ? method_key(op.method) + op.pattern : op.name;
    std::string id;
    for (char c : base) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.';
        if (plain)
            id += c;
        else if (!id.empty() && id.back() != '_')
            id += '_';
    }
    while (!id.empty() && id.back() == '_')
        id.pop_back();
    if (!op.version.empty())
        id += '_' + op.version;
    if (!taken.insert(id).second) {
        id += '_' + method_key(op.method);
        for (int n = 2; !taken.insert(id).second; ++n)
            id += '_' + std::to_string(n);
    }
    return id;
}

/// The success body's schema for `op`'s version, or nullptr when the route declared none.
inline const boost::json::object* result_for(const declared_operation& op) {
    const boost::json::object* any = nullptr;
    for (const auto& [version, schema] : op.doc->result) {
        if (version == op.version && !version.empty())
            return &schema;
        if (version.empty())
            any = &schema;
    }
    return any;
}

/// `{"next": url|null, "previous": url|null, "<results>": [item, ...]}`.
inline boost::json::object page_schema(const page_doc& p, boost::json::object item) {
    namespace json = boost::json;
    json::object link{{"type", json::array{"string", "null"}}, {"format", "uri-reference"}};
    return {{"type", "object"},
            {"required", json::array{"next", "previous", json::string(p.results_key)}},
            {"properties",
             {{"next", link},
              {"previous", link},
              {p.results_key, {{"type", "array"}, {"items", std::move(item)}}}}},
            {"additionalProperties", false}};
}

class operation_builder {
public:
    operation_builder(const declared_operation& op, const document_options& o,
                      const router_options& router)
        : op_(op), doc_(*op.doc), o_(o), router_(router) {}

    boost::json::object build(std::set<std::string>& ids) {
        namespace json = boost::json;
        json::object out;
        if (!doc_.summary.empty())
            out["summary"] = doc_.summary;
        std::string description = doc_.description;
        const deprecation* dep = op_.deprecated;
        if (dep && dep->sunset) {
            if (!description.empty())
                description += "\n\n";
            description += "Sunset: " + rampart::detail::http_date(*dep->sunset) + ".";
        }
        if (!description.empty())
            out["description"] = description;
        out["operationId"] = operation_id(op_, ids);
        json::array tags;
        for (const auto& t : doc_.tags)
            tags.push_back(json::string(t));
        if (tags.empty() && !op_.version.empty())
            tags.push_back(json::string(op_.version));
        if (!tags.empty())
            out["tags"] = std::move(tags);
        if (dep || doc_.deprecated)
            out["deprecated"] = true;
        if (dep && dep->sunset)
            out["x-sunset"] = rfc3339(*dep->sunset);
        if (auto params = parameters(); !params.empty())
            out["parameters"] = std::move(params);
        if (doc_.body)
            out["requestBody"] = json::object{
                {"required", true}, {"content", {{"application/json", {{"schema", *doc_.body}}}}}};
        out["responses"] = responses();
        if (auto security = security_requirements(); !security.empty())
            out["security"] = std::move(security);
        return out;
    }

private:
    bool throttled() const { return o_.throttled || doc_.throttled; }

    boost::json::array parameters() const {
        namespace json = boost::json;
        json::array out;
        for (const auto& p : op_.params)
            out.push_back(json::object{{"name", p.name},
                                       {"in", "path"},
                                       {"required", true},
                                       {"schema", param_schema(p.type)}});
        if (const auto& pages = doc_.pages) {
            out.push_back(
                json::object{{"name", pages->cursor_param},
                             {"in", "query"},
                             {"required", false},
                             {"description", "An opaque cursor from `next` or `previous`."},
                             {"schema", {{"type", "string"}}}});
            if (!pages->page_size_param.empty())
                out.push_back(json::object{{"name", pages->page_size_param},
                                           {"in", "query"},
                                           {"required", false},
                                           {"schema",
                                            {{"type", "integer"},
                                             {"minimum", 1},
                                             {"maximum", pages->max_page_size},
                                             {"default", pages->default_page_size}}}});
        }
        // Under a header or query scheme the version is a parameter (one version per document).
        using kind = version_scheme::kind;
        const kind scheme = router_.versioning.type;
        if (!op_.version.empty() && (scheme == kind::header || scheme == kind::query_param))
            out.push_back(json::object{{"name", router_.versioning.value},
                                       {"in", scheme == kind::header ? "header" : "query"},
                                       {"required", router_.default_version.empty()},
                                       {"schema", {{"const", op_.version}}}});
        return out;
    }

    unsigned success_status() const {
        return doc_.status ? doc_.status : op_.method == http::verb::post ? 201 : 200;
    }

    boost::json::object success(unsigned status) const {
        namespace json = boost::json;
        json::object res{{"description", status == 201 ? "Created." : "Success."}};
        const json::object* result = result_for(op_);
        if (!result && o_.require_declared)
            throw std::invalid_argument("openapi: " + method_key(op_.method) + " " + op_.path +
                                        " declares no result (route_doc::result)");
        if (status != 204) {
            json::object schema = result ? *result : json::object{};
            if (doc_.pages)
                schema = page_schema(*doc_.pages, std::move(schema));
            res["content"] = json::object{{"application/json", {{"schema", std::move(schema)}}}};
        }
        json::object headers;
        for (const auto& h : doc_.headers) {
            json::object header{
                {"description", h.description},
                {"schema", h.schema.empty() ? json::object{{"type", "string"}} : h.schema}};
            if (h.required)
                header["required"] = true;
            headers[h.name] = std::move(header);
        }
        if (!headers.empty())
            res["headers"] = std::move(headers);
        return res;
    }

    std::vector<unsigned> error_statuses() const {
        std::vector<unsigned> s = {405, 500};
        auto add = [&](bool when, unsigned status) {
            if (when)
                s.push_back(status);
        };
        add(doc_.body.has_value(), 400);
        add(doc_.body.has_value(), 413);
        add(doc_.body.has_value(), 415);
        add(doc_.pages.has_value(), 400);
        add(doc_.authenticated || o_.authentication_everywhere, 401);
        add(!op_.params.empty(), 404);
        add(throttled(), 429);
        add(op_.deprecated && op_.deprecated->gone_after_sunset && op_.deprecated->sunset, 410);
        s.insert(s.end(), doc_.errors.begin(), doc_.errors.end());
        s.insert(s.end(), o_.common_errors.begin(), o_.common_errors.end());
        std::sort(s.begin(), s.end());
        s.erase(std::unique(s.begin(), s.end()), s.end());
        return s;
    }

    boost::json::object error(unsigned status) const {
        namespace json = boost::json;
        json::object schema = ref("schemas", "Error");
        if (o_.errors == error_style::envelope)
            schema = json::object{
                {"allOf",
                 json::array{ref("schemas", "Error"),
                             json::object{{"properties", {{"code", {{"const", status}}}}}}}}};
        json::object res{
            {"description", error_description(status)},
            {"content", {{error_media_type(o_.errors), {{"schema", std::move(schema)}}}}}};
        // What rampart's layers always write on these answers is required (`Allow` and
        // `WWW-Authenticate` are required in their components); a 503 may come from a store
        // that names no time to retry after.
        json::object headers;
        if (status == 401)
            headers["WWW-Authenticate"] = ref("headers", "WWW-Authenticate");
        if (status == 405)
            headers["Allow"] = ref("headers", "Allow");
        if (status == 429)
            headers["Retry-After"] = required_header("Retry-After");
        if (status == 429 && throttled())
            for (const char* name : {"RateLimit", "RateLimit-Policy"})
                headers[name] = required_header(name);
        if (status == 503)
            headers["Retry-After"] = ref("headers", "Retry-After");
        if (!headers.empty())
            res["headers"] = std::move(headers);
        return res;
    }

    /// Headers every response of the operation carries: the rate limit, the deprecation.
    void add_common_headers(boost::json::object& responses) const {
        namespace json = boost::json;
        std::vector<const char*> names;
        if (throttled()) {
            names.push_back("RateLimit");
            names.push_back("RateLimit-Policy");
        }
        if (const deprecation* dep = op_.deprecated) {
            names.push_back("Deprecation");
            if (dep->sunset)
                names.push_back("Sunset");
            if (!dep->successor.empty())
                names.push_back("Link");
        }
        if (names.empty())
            return;
        for (auto& kv : responses) {
            json::value& headers = kv.value().as_object()["headers"];
            if (headers.is_null())
                headers = json::object{};
            for (const char* n : names)
                if (!headers.as_object().contains(n)) // a 429's are required already
                    headers.as_object()[n] = ref("headers", n);
        }
    }

    boost::json::object responses() const {
        boost::json::object out;
        const unsigned status = success_status();
        out[std::to_string(status)] = success(status);
        for (unsigned s : error_statuses())
            out[std::to_string(s)] = error(s);
        add_common_headers(out);
        return out;
    }

    boost::json::array security_requirements() const {
        namespace json = boost::json;
        json::array out;
        if (!doc_.authenticated && !o_.authentication_everywhere)
            return out;
        if (!doc_.authenticated)
            out.push_back(json::object{}); // public: a token is optional
        for (const auto& s : o_.security)
            out.push_back(json::object{{s.name, json::array{}}});
        return out;
    }

    const declared_operation& op_;
    const route_doc& doc_;
    const document_options& o_;
    const router_options& router_;
};

} // namespace detail

inline boost::json::object generate(const route_declarations& routes,
                                    const document_options& options) {
    namespace json = boost::json;
    const std::vector<std::string> versions = routes.versions();
    if (!options.version.empty() &&
        std::find(versions.begin(), versions.end(), options.version) == versions.end())
        throw std::invalid_argument("openapi: the router serves no API version \"" +
                                    options.version + "\"");
    if (options.version.empty() && versions.size() > 1 &&
        routes.options().versioning.type != version_scheme::kind::url_path)
        throw std::invalid_argument("openapi: the version is not in the path under this version "
                                    "scheme; generate one document per version");

    json::object paths;
    std::set<std::string> ids;
    for (const declared_operation& op : routes.operations()) {
        if (!options.version.empty() && !op.version.empty() && op.version != options.version)
            continue;
        std::string key = detail::method_key(op.method);
        if (key.empty())
            continue; // a method OpenAPI has no field for
        if (options.require_declared && !op.doc->body &&
            (op.method == http::verb::post || op.method == http::verb::put ||
             op.method == http::verb::patch))
            throw std::invalid_argument("openapi: " + key + " " + op.path +
                                        " declares no request body (route_doc::body)");
        json::value& item = paths[op.path];
        if (item.is_null())
            item = json::object{};
        item.as_object()[key] = detail::operation_builder(op, options, routes.options()).build(ids);
    }

    json::object info{{"title", options.title}, {"version", options.api_version}};
    if (!options.description.empty())
        info["description"] = options.description;
    json::object components{{"schemas", detail::error_schemas(options.errors)},
                            {"headers", detail::header_components()}};
    json::object schemes;
    for (const auto& s : options.security)
        schemes[s.name] = s.definition;
    if (!schemes.empty())
        components["securitySchemes"] = std::move(schemes);

    json::object doc{{"openapi", "3.1.0"}, {"info", std::move(info)}};
    if (!options.servers.empty()) {
        json::array servers;
        for (const auto& url : options.servers)
            servers.push_back(json::object{{"url", url}});
        doc["servers"] = std::move(servers);
    }
    doc["paths"] = std::move(paths);
    doc["components"] = std::move(components);
    return doc;
}

} // namespace rampart::openapi

#endif
