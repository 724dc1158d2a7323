// Serving documents: schema_handler, the Swagger UI page and its assets, and serve_docs in front
// of the rest of a pipeline.

#include <rampart/openapi/serve_docs.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <stdexcept>
#include <string>

namespace {

namespace json = boost::json;
namespace openapi = rampart::openapi;
using rampart::http::status;
using rampart::http::verb;
using rampart::test::make_request;

const json::object sample{
    {"openapi", "3.1.0"}, {"info", {{"title", "t"}, {"version", "1"}}}, {"paths", json::object{}}};

/// A stand-in for swagger-ui-dist: the two files the page loads.
struct fake_assets {
    rampart::test::temp_dir dir;
    fake_assets() {
        std::ofstream(dir.file("swagger-ui.css")) << "body{}";
        std::ofstream(dir.file("swagger-ui-bundle.js")) << "var SwaggerUIBundle;";
    }
};

rampart::response rest(rampart::context&) {
    return rampart::text_response(status::ok, "the rest");
}

/// `send(method, target)`: the answer of `docs` in front of rest(), behind the envelope.
auto sender(openapi::serve_docs docs) {
    return [app = rampart::stack(rampart::error_envelope<>{}, std::move(docs)).wrap(rest)](
               verb method, const char* target) mutable {
        return rampart::test::call(app, make_request(method, target));
    };
}

} // namespace

TEST_CASE("openapi: schema_handler serves the document it serialised once", "[openapi]") {
    openapi::schema_handler h{sample};
    rampart::context ctx{make_request(verb::get, "/api/schema/")};
    rampart::response a = h(ctx);
    rampart::response b = h(ctx);
    CHECK(a.result() == status::ok);
    CHECK(a[rampart::http::field::content_type] == "application/json");
    CHECK(json::parse(a.body()) == sample);
    CHECK(a.body() == b.body());
    CHECK(a[rampart::http::field::content_length] == std::to_string(a.body().size()));
}

TEST_CASE("openapi: swagger_ui from a folder serves the page and its assets", "[openapi]") {
    fake_assets assets;
    openapi::swagger_ui ui{{.schema_url = "/spec.json", .assets_dir = assets.dir.file("")}};
    rampart::response page = ui.page();
    CHECK(page[rampart::http::field::content_type] == "text/html; charset=utf-8");
    CHECK(page.body().find("href=\"./swagger-ui.css\"") != std::string::npos);
    CHECK(page.body().find("src=\"./swagger-ui-bundle.js\"") != std::string::npos);
    CHECK(page.body().find("url: \"/spec.json\"") != std::string::npos);
    // No third party learns the document's URL (Swagger UI's default online validator badge).
    CHECK(page.body().find("validatorUrl: null") != std::string::npos);

    rampart::context css{make_request(verb::get, "/docs/swagger-ui.css")};
    rampart::response r = ui(css);
    CHECK(r.body() == "body{}");
    CHECK(r[rampart::http::field::content_type] == "text/css; charset=utf-8");
    rampart::context js{make_request(verb::get, "/docs/swagger-ui-bundle.js")};
    CHECK(ui(js).body() == "var SwaggerUIBundle;");
    rampart::context other{make_request(verb::get, "/docs/../secret")};
    CHECK_THROWS_AS(ui(other), rampart::not_found);
    rampart::context root{make_request(verb::get, "/docs/")};
    CHECK(ui(root).body() == page.body());
}

TEST_CASE("openapi: swagger_ui from a URL loads the assets from there", "[openapi]") {
    openapi::swagger_ui ui{{.assets_url = "https://assets.example/swagger-ui"}};
    CHECK(ui.page().body().find("href=\"https://assets.example/swagger-ui/swagger-ui.css\"") !=
          std::string::npos);
    CHECK_FALSE(ui.asset("swagger-ui.css"));
}

TEST_CASE("openapi: swagger_ui refuses a configuration it cannot serve", "[openapi]") {
    CHECK_THROWS_AS(openapi::swagger_ui({}), std::invalid_argument);
    CHECK_THROWS_AS(openapi::swagger_ui({.assets_dir = "/x", .assets_url = "https://a.example/"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(openapi::swagger_ui({.schema_url = "/s\"><script>", .assets_url = "/a/"}),
                    std::invalid_argument);
    rampart::test::temp_dir empty;
    CHECK_THROWS_WITH(openapi::swagger_ui({.assets_dir = empty.file("")}),
                      Catch::Contains("swagger-ui.css") && Catch::Contains("swagger-ui-dist"));
}

TEST_CASE("openapi: serve_docs answers its paths and passes the rest on", "[openapi]") {
    fake_assets assets;
    auto send = sender(openapi::serve_docs{sample, {.assets_dir = assets.dir.file("")}});

    rampart::response schema = send(verb::get, "/api/schema/");
    CHECK(schema.result() == status::ok);
    CHECK(json::parse(schema.body()) == sample);
    CHECK(send(verb::get, "/api/docs/").body().find("SwaggerUIBundle") != std::string::npos);
    CHECK(send(verb::get, "/api/docs/swagger-ui.css").body() == "body{}");

    rampart::response head = send(verb::head, "/api/schema/");
    CHECK(head.result() == status::ok);
    CHECK(head.body().empty());
    CHECK(head[rampart::http::field::content_length] == std::to_string(schema.body().size()));

    rampart::response options = send(verb::options, "/api/docs/");
    CHECK(options.result() == status::no_content);
    CHECK(options[rampart::http::field::allow] == "GET, HEAD, OPTIONS");

    rampart::response post = send(verb::post, "/api/schema/");
    CHECK(post.result() == status::method_not_allowed);
    CHECK(post[rampart::http::field::allow] == "GET, HEAD, OPTIONS");
    CHECK(json::parse(post.body()).at("code") == 405);

    CHECK(send(verb::get, "/api/schema").body() == "the rest"); // exact paths only
    CHECK(send(verb::get, "/api/docs/other.js").body() == "the rest");
    CHECK(send(verb::get, "/api/schema/?x=1").result() == status::ok);
}

TEST_CASE("openapi: serve_docs answers a target in absolute form by its path", "[openapi]") {
    fake_assets assets;
    auto send = sender(openapi::serve_docs{sample, {.assets_dir = assets.dir.file("")}});
    CHECK(json::parse(send(verb::get, "http://shop.example/api/schema/").body()) == sample);
    CHECK(json::parse(send(verb::get, "HTTPS://shop.example:8443/api/schema/?x=1").body()) ==
          sample);
    CHECK(send(verb::get, "http://shop.example/api/docs/").body().find("SwaggerUIBundle") !=
          std::string::npos);
    CHECK(send(verb::get, "http://shop.example/api/docs/swagger-ui.css").body() == "body{}");
    CHECK(send(verb::post, "http://shop.example/api/docs/").result() == status::method_not_allowed);
    // Anything else goes on, as before: another path, a malformed or asterisk-form target.
    CHECK(send(verb::get, "http://shop.example/api/other/").body() == "the rest");
    CHECK(send(verb::get, "ftp://shop.example/api/schema/").body() == "the rest");
    CHECK(send(verb::get, "http://user@shop.example/api/schema/").body() == "the rest");
    CHECK(send(verb::options, "*").body() == "the rest");
}

TEST_CASE("openapi: serve_docs without Swagger UI's assets still serves the document",
          "[openapi]") {
    rampart::test::temp_dir empty;
    const openapi::swagger_ui_options ui{.assets_dir = empty.file("")};
    CHECK_THROWS_AS(openapi::serve_docs(sample, ui), std::runtime_error);
    CHECK_THROWS_AS(openapi::serve_docs(sample, ui, {}, openapi::missing_ui::refuse),
                    std::runtime_error);
    // A configuration error is one whatever the policy.
    CHECK_THROWS_AS(openapi::serve_docs(sample, {}, {}, openapi::missing_ui::unavailable),
                    std::invalid_argument);

    openapi::serve_docs docs{sample, ui, {}, openapi::missing_ui::unavailable};
    CHECK_THAT(docs.ui_problem(), Catch::Contains("swagger-ui.css"));
    auto send = sender(docs);
    CHECK(json::parse(send(verb::get, "/api/schema/").body()) == sample);
    rampart::response page = send(verb::get, "/api/docs/");
    CHECK(page.result() == status::service_unavailable);
    json::value body = json::parse(page.body());
    CHECK(body.at("code") == 503);
    CHECK_THAT(std::string(body.at("errors").at("detail").as_string()),
               Catch::Contains("Swagger UI") && Catch::Contains("/api/schema/"));
    CHECK(send(verb::get, "/api/docs/swagger-ui.css").body() == "the rest");
    CHECK(send(verb::options, "/api/docs/").result() == status::no_content);

    fake_assets assets;
    openapi::serve_docs fine{
        sample, {.assets_dir = assets.dir.file("")}, {}, openapi::missing_ui::unavailable};
    CHECK(fine.ui_problem().empty());
}
