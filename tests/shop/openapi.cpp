// GET /api/schema/ and GET /api/docs/: the OpenAPI 3.1 document generated from the shop's
// routes (checked by an independent validator) and its Swagger UI page; neither is throttled
// nor needs a token.

#include "shop_process.hpp"

#include "support/openapi_validator.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace shop_test;

namespace {

const json::object& operation(const reply& r, const char* path, const char* method) {
    return r.body.at("paths").at(path).at(method).as_object();
}

const json::value& success_schema(const json::object& op, const char* status) {
    return op.at("responses").at(status).at("content").at("application/json").at("schema");
}

/// A folder standing in for swagger-ui-dist, so these tests need no npm.
std::string fake_swagger_ui(const temp_dir& dir) {
    std::ofstream(dir.file("swagger-ui.css")) << "body{}";
    std::ofstream(dir.file("swagger-ui-bundle.js")) << "var SwaggerUIBundle;";
    return dir.file("");
}

} // namespace

TEST_CASE("shop: /api/schema/ documents both versions from the routes", "[shop][openapi]") {
    shop s;
    reply r = s.get("/api/schema/");
    REQUIRE(r.status() == 200);
    CHECK(r.header("Content-Type") == "application/json");
    CHECK(r.body.at("openapi") == "3.1.0");

    // Responses from the read shapes, per version.
    auto item = [&](const char* path) {
        return success_schema(operation(r, path, "get"), "200").at("properties").at("price");
    };
    CHECK(item("/api/v1/products/{id}/").at("type") == "string");
    CHECK(item("/api/v2/products/{id}/").at("type") == "object");
    const auto& list = operation(r, "/api/v2/products/", "get");
    CHECK(success_schema(list, "200").at("required") == json::array{"next", "previous", "results"});
    CHECK(list.at("parameters").at(1).at("name") == "page_size");
    CHECK(list.at("parameters").at(1).at("schema").at("maximum") == 100);
    CHECK(operation(r, "/api/v1/products/{id}/", "get")
              .at("parameters")
              .at(0)
              .at("schema")
              .at("type") == "integer");

    // The order body from the write schema; the bearer scheme on the protected routes.
    const auto& create = operation(r, "/api/v1/orders/", "post");
    const auto& body = create.at("requestBody").at("content").at("application/json").at("schema");
    CHECK(body.at("properties").at("quantity").at("minimum") == 1);
    CHECK(body.at("properties").at("quantity").at("maximum") == 100);
    CHECK(body.at("properties").at("shipping_address").at("maxLength") == 500);
    CHECK(create.at("security") == json::array{json::object{{"bearerAuth", json::array{}}}});
    CHECK(r.body.at("components").at("securitySchemes").at("bearerAuth").at("scheme") == "bearer");
    const auto& responses = create.at("responses").as_object();
    for (const char* status : {"201", "400", "401", "405", "413", "415", "429", "500", "503"}) {
        INFO(status);
        CHECK(responses.contains(status));
    }
    CHECK(responses.at("429").at("headers").as_object().contains("Retry-After"));
    CHECK(responses.at("201").at("headers").as_object().contains("RateLimit"));
    CHECK(operation(r, "/api/token/", "post").at("responses").as_object().contains("200"));
}

TEST_CASE("shop: /api/schema/ passes an OpenAPI 3.1 validator", "[shop][openapi]") {
    shop s;
    reply r = s.get("/api/schema/");
    REQUIRE(r.status() == 200);
    std::string why;
    auto verdict = rampart::test::validate_openapi(r.raw.body(), why);
    if (!verdict) {
        WARN("skipped: " << why);
        return;
    }
    INFO(verdict->report);
    CHECK(verdict->valid);
}

TEST_CASE("shop: /api/docs/ serves Swagger UI for the document", "[shop][openapi]") {
    temp_dir assets;
    shop s{{{"SHOP_SWAGGER_UI", fake_swagger_ui(assets)}}};
    reply page = s.get("/api/docs/");
    REQUIRE(page.status() == 200);
    CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(page.raw.body().find("url: \"/api/schema/\"") != std::string::npos);
    reply js = s.get("/api/docs/swagger-ui-bundle.js");
    CHECK(js.status() == 200);
    CHECK(js.raw.body() == "var SwaggerUIBundle;");
    CHECK(s.get("/api/docs/swagger-ui.css").raw.body() == "body{}");

    reply post = s.post("/api/docs/", std::string("{}"));
    CHECK(is_envelope(post, 405));
    CHECK(post.header("Allow") == "GET, HEAD, OPTIONS");
}

TEST_CASE("shop: the documentation needs no token and spends no rate", "[shop][openapi]") {
    temp_dir assets;
    shop s{{{"SHOP_THROTTLE_ANON", "1/hour"}, {"SHOP_SWAGGER_UI", fake_swagger_ui(assets)}}};
    for (int i = 0; i < 3; ++i) {
        reply r = s.get("/api/schema/", "not-a-token");
        CHECK(r.status() == 200);
        CHECK_FALSE(r.has_header("RateLimit"));
        CHECK(s.get("/api/docs/").status() == 200);
    }
    CHECK(s.get("/api/v1/products/").status() == 200); // the one request the rate allows
    CHECK(s.get("/api/v1/products/").status() == 429);
}

TEST_CASE("shop: SHOP_SWAGGER_UI naming no swagger-ui-dist stops start-up", "[shop][openapi]") {
    temp_dir dir;
    process::environment env = default_environment(dir.file("shop.db"));
    env["SHOP_SWAGGER_UI"] = dir.file("nothing-here");
    process p{shop_binary(), {}, env};
    auto code = p.wait(std::chrono::seconds{30});
    REQUIRE(code.has_value());
    CHECK(*code == 2);
    CHECK(p.errors().find("SHOP_SWAGGER_UI") != std::string::npos);
}

TEST_CASE("shop: without Swagger UI's assets the shop starts, serves the document, and /api/docs/ "
          "answers 503",
          "[shop][openapi]") {
    temp_dir assets; // the bundle passes the configuration's check; the stylesheet is missing
    std::ofstream(assets.file("swagger-ui-bundle.js")) << "var SwaggerUIBundle;";
    shop s{{{"SHOP_SWAGGER_UI", assets.file("")}}};
    CHECK(s.get("/api/schema/").status() == 200);
    reply page = s.get("/api/docs/");
    CHECK(is_envelope(page, 503));
    CHECK(page.detail().find("/api/schema/") != std::string::npos);
    CHECK(s.get("/api/docs/swagger-ui-bundle.js").status() == 404);
    CHECK(s.get("/api/v1/products/1/").status() == 200);
    CHECK(s.terminate() == 0);
    CHECK(s.proc().errors().find("warning: /api/docs/ answers 503") != std::string::npos);
}

TEST_CASE("shop: the documentation answers a target in absolute form", "[shop][openapi]") {
    shop s;
    for (const char* target : {"http://127.0.0.1/api/schema/", "http://localhost:1/api/schema/"}) {
        INFO(target);
        reply r = s.send(rampart::test::make_get(target));
        CHECK(r.status() == 200);
        CHECK(r.body.at("openapi") == "3.1.0");
    }
    // The authority replaces Host: one outside SHOP_ALLOWED_HOSTS is refused before the docs.
    CHECK(is_envelope(s.send(rampart::test::make_get("http://evil.example/api/schema/")), 400));
}
