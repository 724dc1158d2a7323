// Every example of docs/openapi.md, compiled and run.

#include <rampart/openapi.hpp>

#include "support/run.hpp"

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/jwt/authenticate.hpp>
#include <rampart/router.hpp>
#include <rampart/validation.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace doc {

// --- example: types ----------------------------------------------------------------------------
namespace openapi = rampart::openapi;
namespace v = rampart::validation;

struct product {
    std::int64_t id = 0;
    std::string name;
};

struct product_in {
    std::string name;
};
// -----------------------------------------------------------------------------------------------

rampart::response show_product(rampart::context&) {
    return rampart::json_response(rampart::http::status::ok, {{"id", 1}, {"name", "Tea"}});
}
rampart::response create_product(rampart::context&) {
    return rampart::json_response(rampart::http::status::created, {{"id", 2}, {"name", "Tea"}});
}

// --- example: middleware -----------------------------------------------------------------------
/// Lets only staff through; tells the documents so.
struct require_staff {
    template <class Next>
    rampart::asio::awaitable<rampart::response> operator()(rampart::context& ctx, Next& next) {
        if (ctx.principal().claims.find("is_staff") == ctx.principal().claims.end())
            throw rampart::permission_denied{};
        co_return co_await next(ctx);
    }

    template <class Doc>
    void describe(Doc& doc) const {
        doc.authenticated = true;
        doc.errors.push_back(403);
    }
};
// -----------------------------------------------------------------------------------------------

} // namespace doc

TEST_CASE("docs/openapi: declare, generate, serve", "[openapi][docs]") {
    using namespace doc;
    // --- example: declare ----------------------------------------------------------------------
    auto product_out = v::versions(
        v::version("v1",
                   v::shape<product>(v::out("id", &product::id), v::out("name", &product::name))),
        v::version("v2",
                   v::shape<product>(v::out("id", &product::id), v::out("title", &product::name))));
    auto product_in_schema =
        v::schema<product_in>(v::field(&product_in::name, "name").not_blank().max_length(80));

    rampart::router api;
    auto both = api.versions({"v1", "v2"});
    both.get("/products/{id:int}/", show_product, "product-detail",
             {.summary = "One product", .result = openapi::results(product_out), .errors = {404}});
    both.group("/products", rampart::stack(rampart::jwt::require_authenticated{}))
        .post("/", create_product, "product-create",
              {.summary = "Add a product",
               .body = openapi::body_of(product_in_schema),
               .result = openapi::results(product_out),
               .headers = {{"Location", "The new product's URL."}}});
    // -------------------------------------------------------------------------------------------

    // --- example: generate ---------------------------------------------------------------------
    openapi::document_options options;
    options.title = "Products";
    options.throttled = true; // a throttle::limiter wraps the router
    options.require_declared = true;
    boost::json::object document = openapi::generate(api.declarations(), options);

    openapi::document_options v2_only = options;
    v2_only.version = "v2";
    boost::json::object v2_document = openapi::generate(api.declarations(), v2_only);
    // -------------------------------------------------------------------------------------------

    // --- example: serve ------------------------------------------------------------------------
    auto service =
        rampart::stack(
            rampart::error_envelope<>{},
            openapi::serve_docs{document, {.assets_url = "https://assets.example/swagger-ui/"}})
            .wrap(api);
    // -------------------------------------------------------------------------------------------

    const auto& paths = document.at("paths").as_object();
    CHECK(paths.contains("/api/v1/products/{id}/"));
    CHECK(paths.contains("/api/v2/products/"));
    CHECK(paths.at("/api/v2/products/")
              .at("post")
              .at("security")
              .at(0)
              .as_object()
              .contains("bearerAuth"));
    CHECK_FALSE(v2_document.at("paths").as_object().contains("/api/v1/products/{id}/"));
    rampart::response schema = rampart::test::call(
        service, rampart::test::make_request(rampart::http::verb::get, "/api/schema/"));
    CHECK(boost::json::parse(schema.body()) == document);
    rampart::response product = rampart::test::call(
        service, rampart::test::make_request(rampart::http::verb::get, "/api/v2/products/7/"));
    CHECK(product.result() == rampart::http::status::ok);
}

TEST_CASE("docs/openapi: a middleware documents itself", "[openapi][docs]") {
    using namespace doc;
    rampart::router api;
    api.version("v1")
        .group("/admin", rampart::stack(require_staff{}))
        .get("/products/{id:int}/", show_product, "admin-product", {.result = {{"", {}}}});
    boost::json::object document = openapi::generate(api.declarations());
    const auto& op = document.at("paths").at("/api/v1/admin/products/{id}/").at("get");
    CHECK(op.at("responses").as_object().contains("403"));
    CHECK(op.as_object().contains("security"));
}
