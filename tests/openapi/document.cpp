// The document openapi::generate builds for a test router: parameters, bodies, responses per
// version, security, throttling, deprecation, and its refusals.

#include <rampart/openapi/document.hpp>

#include "support/run.hpp"

#include <rampart/core/response.hpp>
#include <rampart/jwt/authenticate.hpp>
#include <rampart/openapi/describe.hpp>
#include <rampart/pagination/cursor_paginator.hpp>
#include <rampart/router.hpp>
#include <rampart/throttle/limiter.hpp>
#include <rampart/throttle/memory_store.hpp>
#include <rampart/validation.hpp>

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace {

namespace json = boost::json;
namespace openapi = rampart::openapi;
namespace throttle = rampart::throttle;
namespace v = rampart::validation;
using rampart::context;
using rampart::http::status;

struct item {
    std::int64_t id = 0;
    std::string name;
};

struct item_in {
    std::string name;
    int count = 0;
};

rampart::response ok(const context&) {
    return rampart::text_response(status::ok, "ok");
}

auto item_shapes() {
    using v::out;
    auto v1 = v::shape<item>(out("id", &item::id), out("name", &item::name));
    auto v2 = v::shape<item>(out("id", &item::id), out("title", &item::name));
    return v::versions(v::version("v1", v1), v::version("v2", v2));
}

auto item_schema() {
    return v::schema<item_in>(v::field(&item_in::name, "name").not_blank().max_length(40),
                              v::field(&item_in::count, "count").min(1).max(9));
}

/// v1 (deprecated, sunset, successor v2) and v2: a paginated list, a detail by `{id:int}`, a
/// create behind authentication; an unversioned, throttled login; a route with no doc.
struct test_api {
    throttle::memory_store<> store;
    rampart::pagination::cursor_paginator<> pages{{.endpoint = "items",
                                                   .ordering = {{"id"}},
                                                   .cursors = {.keys = {"0123456789abcdef"}},
                                                   .max_page_size = 50}};
    rampart::router router;

    test_api() {
        auto both = router.versions({"v1", "v2"});
        both.get("/items/", ok, "item-list",
                 {.summary = "List items",
                  .result = openapi::results(item_shapes()),
                  .pages = openapi::pages_of(pages)});
        both.get("/items/{id:int}/", ok, "item-detail",
                 {.result = openapi::results(item_shapes()), .errors = {404}});
        both.group("/items", rampart::stack(rampart::jwt::require_authenticated{}))
            .post("/", ok, "item-create",
                  {.body = openapi::body_of(item_schema()),
                   .result = openapi::results(item_shapes()),
                   .headers = {{"Location", "The new item's URL."}}});
        router.unversioned()
            .with(rampart::stack(throttle::limiter{
                store, throttle::per_ip("login", throttle::parse_rate("5/minute"))}))
            .post("/login/", ok, "login",
                  {.body = openapi::body_of(item_schema()),
                   .result = {{"", {{"type", "object"}}}},
                   .status = 200});
        router.version("v2").get("/bare/{slug:slug}/", ok);
        router.deprecate("v1", {.sunset = std::chrono::sys_days{std::chrono::year{2027} /
                                                                std::chrono::June / 30},
                                .successor = "v2"});
    }
};

const json::object& op(const json::object& doc, const char* path, const char* method) {
    return doc.at("paths").at(path).at(method).as_object();
}

} // namespace

TEST_CASE("openapi: paths, typed parameters and operation ids", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    CHECK(doc.at("openapi") == "3.1.0");
    const auto& paths = doc.at("paths").as_object();
    CHECK(paths.contains("/api/v1/items/"));
    CHECK(paths.contains("/api/v2/items/{id}/"));
    CHECK(paths.contains("/login/"));
    CHECK_FALSE(paths.contains("/api/v1/bare/{slug}/")); // only v2 serves it

    const auto& detail = op(doc, "/api/v2/items/{id}/", "get");
    CHECK(detail.at("operationId") == "item-detail_v2");
    const auto& id = detail.at("parameters").as_array().at(0).as_object();
    CHECK(id.at("name") == "id");
    CHECK(id.at("in") == "path");
    CHECK(id.at("required") == true);
    CHECK(id.at("schema").at("type") == "integer");
    CHECK(id.at("schema").at("minimum") == 0);
    const auto& slug = op(doc, "/api/v2/bare/{slug}/", "get").at("parameters").at(0);
    CHECK(slug.at("schema").at("pattern") == "^[A-Za-z0-9_-]+$");
    CHECK(op(doc, "/api/v2/bare/{slug}/", "get").at("operationId") == "get_bare_slug_slug_v2");
    CHECK(op(doc, "/login/", "post").at("operationId") == "login");
}

TEST_CASE("openapi: pagination parameters and envelope", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    const auto& list = op(doc, "/api/v2/items/", "get");
    CHECK(list.at("summary") == "List items");
    const auto& params = list.at("parameters").as_array();
    REQUIRE(params.size() == 2);
    CHECK(params.at(0).at("name") == "cursor");
    CHECK(params.at(0).at("in") == "query");
    CHECK(params.at(1).at("name") == "page_size");
    CHECK(params.at(1).at("schema").at("maximum") == 50);
    CHECK(params.at(1).at("schema").at("default") == 25);
    const auto& page =
        list.at("responses").at("200").at("content").at("application/json").at("schema");
    CHECK(page.at("required") == json::array{"next", "previous", "results"});
    CHECK(page.at("properties").at("next").at("type") == json::array{"string", "null"});
    const auto& item = page.at("properties").at("results").at("items");
    CHECK(item.at("properties").as_object().contains("title")); // v2's shape
    CHECK(list.at("responses").as_object().contains("400"));    // a bad cursor or page size
}

TEST_CASE("openapi: responses differ per version", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    auto schema = [&](const char* path) {
        return op(doc, path, "get")
            .at("responses")
            .at("200")
            .at("content")
            .at("application/json")
            .at("schema")
            .at("properties")
            .as_object();
    };
    CHECK(schema("/api/v1/items/{id}/").contains("name"));
    CHECK_FALSE(schema("/api/v1/items/{id}/").contains("title"));
    CHECK(schema("/api/v2/items/{id}/").contains("title"));
    CHECK_FALSE(schema("/api/v2/items/{id}/").contains("name"));
    CHECK_FALSE(schema("/api/v2/items/{id}/").contains("$schema"));
}

TEST_CASE("openapi: request bodies carry the write schema's rules", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    const auto& create = op(doc, "/api/v1/items/", "post");
    const auto& body = create.at("requestBody").as_object();
    CHECK(body.at("required") == true);
    const auto& schema = body.at("content").at("application/json").at("schema");
    CHECK(schema.at("required") == json::array{"name", "count"});
    CHECK(schema.at("properties").at("name").at("maxLength") == 40);
    CHECK(schema.at("properties").at("count").at("minimum") == 1);
    CHECK(schema.at("properties").at("count").at("maximum") == 9);
    const auto& responses = create.at("responses").as_object();
    CHECK(responses.contains("201"));
    CHECK(responses.at("201").at("headers").as_object().contains("Location"));
    for (const char* s : {"400", "401", "405", "413", "415", "500"})
        CHECK(responses.contains(s));
    CHECK_FALSE(responses.contains("404")); // no path parameter, no declared 404
}

TEST_CASE("openapi: errors refer to the one envelope component", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    const auto& e404 = op(doc, "/api/v2/items/{id}/", "get").at("responses").at("404");
    const auto& schema = e404.at("content").at("application/json").at("schema");
    CHECK(schema.at("allOf").at(0).at("$ref") == "#/components/schemas/Error");
    CHECK(schema.at("allOf").at(1).at("properties").at("code").at("const") == 404);
    const auto& envelope = doc.at("components").at("schemas").at("Error");
    CHECK(envelope.at("required") == json::array{"status", "code", "errors"});
    const auto& e405 = op(doc, "/api/v2/items/{id}/", "get").at("responses").at("405");
    CHECK(e405.at("headers").at("Allow").at("$ref") == "#/components/headers/Allow");

    openapi::document_options problem;
    problem.errors = openapi::error_style::problem;
    json::object pdoc = openapi::generate(api.router.declarations(), problem);
    const auto& p404 = op(pdoc, "/api/v2/items/{id}/", "get").at("responses").at("404");
    CHECK(p404.at("content").at("application/problem+json").at("schema").at("$ref") ==
          "#/components/schemas/Error");
    CHECK(pdoc.at("components").at("schemas").at("Error").at("required") ==
          json::array{"type", "title", "status", "code"});
}

TEST_CASE("openapi: security on the routes that require a caller", "[openapi]") {
    test_api api;
    openapi::document_options o;
    o.security.push_back(openapi::security_scheme::cookie());
    json::object doc = openapi::generate(api.router.declarations(), o);
    const auto& create = op(doc, "/api/v2/items/", "post");
    CHECK(create.at("security") == json::array{json::object{{"bearerAuth", json::array{}}},
                                               json::object{{"cookieAuth", json::array{}}}});
    const auto& e401 = create.at("responses").at("401");
    CHECK(e401.at("headers").as_object().contains("WWW-Authenticate"));
    CHECK_FALSE(op(doc, "/api/v2/items/", "get").contains("security"));
    CHECK_FALSE(op(doc, "/api/v2/items/", "get").at("responses").as_object().contains("401"));
    const auto& schemes = doc.at("components").at("securitySchemes");
    CHECK(schemes.at("bearerAuth").at("scheme") == "bearer");
    CHECK(schemes.at("cookieAuth").at("in") == "cookie");

    o.authentication_everywhere = true;
    json::object everywhere = openapi::generate(api.router.declarations(), o);
    const auto& list = op(everywhere, "/api/v2/items/", "get");
    CHECK(list.at("security").at(0) == json::object{}); // a token is optional there
    CHECK(list.at("responses").as_object().contains("401"));
}

TEST_CASE("openapi: throttled routes answer 429 with their headers", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    const auto& login = op(doc, "/login/", "post").at("responses").as_object();
    REQUIRE(login.contains("429"));
    CHECK(login.at("429").at("headers").as_object().contains("Retry-After"));
    CHECK(login.at("200").at("headers").as_object().contains("RateLimit"));
    CHECK(login.at("400").at("headers").as_object().contains("RateLimit-Policy"));
    CHECK_FALSE(op(doc, "/api/v2/items/", "get").at("responses").as_object().contains("429"));

    openapi::document_options o;
    o.throttled = true;
    o.common_errors = {400, 503};
    json::object all = openapi::generate(api.router.declarations(), o);
    const auto& list = op(all, "/api/v2/items/", "get").at("responses").as_object();
    CHECK(list.contains("429"));
    CHECK(list.contains("503"));
    CHECK(list.at("200").at("headers").as_object().contains("RateLimit"));
}

TEST_CASE("openapi: a deprecated version's operations", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    const auto& old = op(doc, "/api/v1/items/", "get");
    CHECK(old.at("deprecated") == true);
    CHECK(old.at("x-sunset") == "2027-06-30T00:00:00Z");
    CHECK(old.at("description").as_string().find("Sunset: Wed, 30 Jun 2027 00:00:00 GMT") !=
          json::string::npos);
    const auto& headers = old.at("responses").at("200").at("headers").as_object();
    CHECK(headers.contains("Deprecation"));
    CHECK(headers.contains("Sunset"));
    CHECK(headers.contains("Link"));
    CHECK_FALSE(op(doc, "/api/v2/items/", "get").contains("deprecated"));
}

TEST_CASE("openapi: one document per version", "[openapi]") {
    test_api api;
    openapi::document_options o;
    o.version = "v2";
    json::object doc = openapi::generate(api.router.declarations(), o);
    const auto& paths = doc.at("paths").as_object();
    CHECK(paths.contains("/api/v2/items/"));
    CHECK_FALSE(paths.contains("/api/v1/items/"));
    CHECK(paths.contains("/login/")); // unversioned routes serve every version

    o.version = "v3";
    CHECK_THROWS_AS(openapi::generate(api.router.declarations(), o), std::invalid_argument);
}

TEST_CASE("openapi: a route without a declared result", "[openapi]") {
    test_api api;
    json::object doc = openapi::generate(api.router.declarations());
    const auto& bare = op(doc, "/api/v2/bare/{slug}/", "get");
    CHECK(bare.at("responses").at("200").at("content").at("application/json").at("schema") ==
          json::object{});

    openapi::document_options strict;
    strict.require_declared = true;
    CHECK_THROWS_WITH(openapi::generate(api.router.declarations(), strict),
                      Catch::Contains("/api/v2/bare/{slug}/") && Catch::Contains("no result"));

    rampart::router writes;
    writes.version("v1").post("/things/", ok, "thing-create", {.result = {{"", {}}}});
    CHECK_THROWS_WITH(openapi::generate(writes.declarations(), strict),
                      Catch::Contains("no request body"));
}

TEST_CASE("openapi: a scheme without the version in the path needs one version", "[openapi]") {
    rampart::router api{{.versioning = rampart::version_scheme::header()}};
    api.version("1").get("/items/", ok, "item-list", {.result = {{"", {}}}});
    api.version("2").get("/items/", ok, "item-list", {.result = {{"", {}}}});
    CHECK_THROWS_AS(openapi::generate(api.declarations()), std::invalid_argument);
    openapi::document_options o;
    o.version = "2";
    json::object doc = openapi::generate(api.declarations(), o);
    const auto& param = op(doc, "/items/", "get").at("parameters").at(0);
    CHECK(param.at("in") == "header");
    CHECK(param.at("name") == "X-API-Version");
    CHECK(param.at("schema").at("const") == "2");
}

TEST_CASE("openapi: declarations list served versions and nested groups' layers", "[openapi]") {
    throttle::memory_store<> store;
    rampart::router api{{.allowed_versions = {"v2"}}};
    auto both = api.versions({"v1", "v2"});
    both.group("/a", rampart::stack(rampart::jwt::require_authenticated{}))
        .group("/b", rampart::stack(throttle::limiter{
                         store, throttle::per_ip("b", throttle::parse_rate("5/minute"))}))
        .get("/{key:uuid}/", ok, "nested", {.summary = "Nested"});
    rampart::route_declarations d = api.declarations();
    CHECK(d.versions() == std::vector<std::string>{"v2"}); // v1 is declared, not served
    auto ops = d.operations();
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].version == "v2");
    CHECK(ops[0].path == "/api/v2/a/b/{key}/");
    CHECK(ops[0].pattern == "/a/b/{key:uuid}/");
    REQUIRE(ops[0].params.size() == 1);
    CHECK(ops[0].params[0].type == "uuid");
    CHECK(ops[0].doc->summary == "Nested");
    CHECK(ops[0].doc->authenticated); // from the outer group
    CHECK(ops[0].doc->throttled);     // from the inner one
    json::object doc = openapi::generate(d);
    CHECK(op(doc, "/api/v2/a/b/{key}/", "get").at("parameters").at(0).at("schema").at("format") ==
          "uuid");
}

TEST_CASE("openapi: headers every answer carries are required", "[openapi]") {
    test_api api;
    openapi::document_options o;
    o.authentication_everywhere = true;
    json::object doc = openapi::generate(api.router.declarations(), o);
    const auto& headers = doc.at("components").at("headers");
    CHECK(headers.at("Allow").at("required") == true);
    CHECK(headers.at("WWW-Authenticate").at("required") == true);
    CHECK_FALSE(headers.at("Retry-After").as_object().contains("required"));
    CHECK_FALSE(headers.at("RateLimit").as_object().contains("required"));

    // A 429 of a throttle carries Retry-After and the rate-limit headers: inline, required.
    const auto& login = op(doc, "/login/", "post").at("responses").as_object();
    for (const char* name : {"Retry-After", "RateLimit", "RateLimit-Policy"}) {
        INFO(name);
        const auto& h = login.at("429").at("headers").at(name);
        CHECK(h.at("required") == true);
        CHECK(h.at("schema") == headers.at(name).at("schema"));
    }
    // Elsewhere the rate-limit headers may be absent (a refusal before the throttle).
    CHECK(login.at("200").at("headers").at("RateLimit").at("$ref") ==
          "#/components/headers/RateLimit");
    CHECK(login.at("401").at("headers").at("WWW-Authenticate").at("$ref") ==
          "#/components/headers/WWW-Authenticate");

    // A success header the route declares required.
    const auto& created = op(doc, "/api/v2/items/", "post").at("responses").at("201");
    CHECK_FALSE(created.at("headers").at("Location").as_object().contains("required"));
    rampart::router r;
    r.unversioned().post(
        "/things/", ok, "thing-create",
        {.body = json::object{{"type", "object"}},
         .result = {{"", {{"type", "object"}}}},
         .headers = {{.name = "Location", .description = "Its URL.", .required = true}}});
    json::object things = openapi::generate(r.declarations());
    CHECK(op(things, "/things/", "post")
              .at("responses")
              .at("201")
              .at("headers")
              .at("Location")
              .at("required") == true);
}
