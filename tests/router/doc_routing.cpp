// Every example of docs/routing.md, compiled and run.

#include <rampart/router.hpp>

#include "router/router_test.hpp"

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace doc {

// --- example: handlers -------------------------------------------------------------------------
rampart::response show_product(rampart::context& ctx) {
    std::int64_t id = std::stoll(std::string(*ctx.param("id"))); // {id:int}: digits only
    if (ctx.version() == "v1")
        return rampart::json_response(rampart::http::status::ok, {{"id", id}, {"price", "1.25"}});
    return rampart::json_response(
        rampart::http::status::ok,
        {{"id", id}, {"price", {{"amount", "1.25"}, {"currency", "USD"}}}});
}
// -----------------------------------------------------------------------------------------------

rampart::response list_products(rampart::context& ctx) {
    return rampart::text_response(rampart::http::status::ok,
                                  "products " + std::string(ctx.version()));
}
rampart::response show_stock(rampart::context& ctx) {
    return rampart::text_response(rampart::http::status::ok,
                                  "stock " + std::string(*ctx.param("id")));
}
rampart::response obtain_token(rampart::context&) {
    return rampart::text_response(rampart::http::status::ok, "token");
}
rampart::response list_orders(rampart::context&) {
    return rampart::text_response(rampart::http::status::ok, "orders");
}
rampart::response show_order(rampart::context& ctx) {
    return rampart::text_response(rampart::http::status::ok,
                                  "order " + std::string(*ctx.param("id")));
}

// --- example: a group's middleware ---------------------------------------------------------------
struct require_token {
    template <class Next>
    rampart::asio::awaitable<rampart::response> operator()(rampart::context& ctx, Next& next) {
        if (ctx.req()[rampart::http::field::authorization].empty())
            throw rampart::not_authenticated{};
        co_return co_await next(ctx);
    }
};
// -----------------------------------------------------------------------------------------------

} // namespace doc

using namespace doc;

TEST_CASE("docs: a two-version service") {
    // --- example: two versions -------------------------------------------------------------------
    rampart::router api; // versions in the path: /api/v1/..., /api/v2/...
    auto both = api.versions({"v1", "v2"});
    both.get("/products/", list_products, "product-list");
    both.get("/products/{id:int}/", show_product, "product-detail");
    api.version("v2").get("/products/{id:int}/stock/", show_stock, "product-stock");
    api.unversioned().post("/api/token/", obtain_token, "token");
    // ---------------------------------------------------------------------------------------------

    // --- example: groups -------------------------------------------------------------------------
    auto orders = both.group("/orders", rampart::stack(require_token{}));
    orders.get("/", list_orders, "order-list");
    orders.get("/{id:int}/", show_order, "order-detail");
    // ---------------------------------------------------------------------------------------------

    // --- example: reverse URLs -------------------------------------------------------------------
    auto urls = api.urls();
    std::string path = urls.path("product-detail", "v2", {{"id", 7}}); // "/api/v2/products/7/"
    both.post("/orders/new/", [urls](rampart::context& ctx) {
        // Before the transaction: the route and the base URL, looked up and checked.
        rampart::prepared_url location = urls.prepare(ctx, "order-detail");
        std::int64_t order_id = 42; // ... the order just stored and committed
        auto res = rampart::json_response(rampart::http::status::created, {{"id", order_id}});
        // After the commit: formatting only, which never throws.
        if (auto url = location.try_format({{"id", order_id}}))
            res.set(rampart::http::field::location, *url);
        return res;
    });
    // ---------------------------------------------------------------------------------------------
    CHECK(path == "/api/v2/products/7/");

    // --- example: serving ------------------------------------------------------------------------
    auto service = rampart::stack(rampart::error_envelope<>{},
                                  rampart::allowed_hosts{"localhost", "127.0.0.1", "[::1]"})
                       .wrap(api);
    // ---------------------------------------------------------------------------------------------

    using rampart::test::send;
    auto v1 = send(service, rampart::http::verb::get, "/api/v1/products/3/");
    CHECK(boost::json::parse(v1.body()).at("price") == "1.25");
    auto v2 = send(service, rampart::http::verb::get, "/api/v2/products/3/");
    CHECK(boost::json::parse(v2.body()).at("price").at("currency") == "USD");
    CHECK(send(service, rampart::http::verb::get, "/api/v1/products/3/stock/").result() ==
          rampart::http::status::not_found);
    CHECK(send(service, rampart::http::verb::get, "/api/v3/products/").result() ==
          rampart::http::status::not_found);
    CHECK(send(service, rampart::http::verb::get, "/api/v1/orders/").result() ==
          rampart::http::status::unauthorized);
    CHECK(send(service, rampart::http::verb::get, "/api/v1/orders/5/", {{"Authorization", "x"}})
              .body() == "order 5");
    auto created = send(service, rampart::http::verb::post, "/api/v1/orders/new/");
    CHECK(created[rampart::http::field::location] == "http://127.0.0.1:8080/api/v1/orders/42/");
    CHECK(
        send(service, rampart::http::verb::post, "/api/v1/orders/new/", {{"Host", "evil.example"}})
            .result() == rampart::http::status::bad_request);

    // --- example: public URL ---------------------------------------------------------------------
    rampart::router_options options;
    options.public_base_url = "https://shop.example.com"; // checked here; Host is never read
    rampart::router public_api{options};
    // ---------------------------------------------------------------------------------------------
    public_api.version("v1").get("/orders/{id:int}/", show_order, "order-detail");
    rampart::context anywhere{rampart::test::make_request(rampart::http::verb::get, "/")};
    anywhere.set_version("v1");
    CHECK(public_api.urls().absolute(anywhere, "order-detail", {{"id", 5}}) ==
          "https://shop.example.com/api/v1/orders/5/");
    auto wrong = send(service, rampart::http::verb::delete_, "/api/v2/products/3/");
    CHECK(wrong[rampart::http::field::allow] == "GET, HEAD, OPTIONS");
}

TEST_CASE("docs: custom matchers") {
    // --- example: custom matcher -----------------------------------------------------------------
    rampart::router api;
    api.add_matcher("sku", [](std::string_view s) { // before the routes that use it
        return s.size() == 8 && s.starts_with("SKU-");
    });
    api.version("v1").get("/skus/{code:sku}/", [](rampart::context& ctx) {
        return rampart::text_response(rampart::http::status::ok, std::string(*ctx.param("code")));
    });
    // ---------------------------------------------------------------------------------------------
    auto service = rampart::stack(rampart::error_envelope<>{}).wrap(api);
    CHECK(rampart::test::send(service, rampart::http::verb::get, "/api/v1/skus/SKU-0001/").body() ==
          "SKU-0001");
}

TEST_CASE("docs: version schemes") {
    // --- example: schemes ------------------------------------------------------------------------
    rampart::router_options options;
    options.versioning = rampart::version_scheme::accept_header(); // Accept: ...; version=2
    options.default_version = "1"; // for requests that name no version
    rampart::router negotiated{options};
    negotiated.versions({"1", "2"}).get("/products/{id:int}/", show_product, "product-detail");
    // ---------------------------------------------------------------------------------------------
    auto service = rampart::stack(rampart::error_envelope<>{}).wrap(negotiated);
    using rampart::test::send;
    auto res = send(service, rampart::http::verb::get, "/products/3/",
                    {{"Accept", "application/json; version=3"}});
    CHECK(res.result() == rampart::http::status::not_acceptable);
    res = send(service, rampart::http::verb::get, "/products/3/");
    CHECK(res.result() == rampart::http::status::ok);
}

TEST_CASE("docs: deprecation") {
    using namespace std::chrono_literals;
    rampart::manual_clock test_clock{std::chrono::sys_seconds{1'700'000'000s}};
    // --- example: deprecation --------------------------------------------------------------------
    // basic_router<Clock>: tests pass a clock_ref<manual_clock>; `rampart::router` is the real
    // clock.
    rampart::basic_router<rampart::clock_ref<rampart::manual_clock>> api{
        rampart::router_options{}, rampart::clock_ref<rampart::manual_clock>{test_clock}};
    api.versions({"v1", "v2"}).get("/products/{id:int}/", show_product, "product-detail");

    rampart::deprecation retiring;
    retiring.since = std::chrono::sys_seconds{1'688'169'599s};  // Deprecation: @1688169599
    retiring.sunset = std::chrono::sys_seconds{1'735'689'600s}; // Sunset: Wed, 01 Jan 2025 ...
    retiring.successor = "v2";         // Link: </api/v2/products/7/>; rel="successor-version"
    retiring.gone_after_sunset = true; // then 410 Gone, in the envelope
    api.deprecate("v1", retiring);
    // ---------------------------------------------------------------------------------------------
    auto service = rampart::stack(rampart::error_envelope<>{}).wrap(api);
    using rampart::test::send;
    auto res = send(service, rampart::http::verb::get, "/api/v1/products/7/");
    CHECK(res["Link"] == "</api/v2/products/7/>; rel=\"successor-version\"");
    test_clock.set(rampart::manual_clock::time_point{1'735'689'600s});
    CHECK(send(service, rampart::http::verb::get, "/api/v1/products/7/").result() ==
          rampart::http::status::gone);
}

TEST_CASE("docs: CORS") {
    rampart::router api;
    api.versions({"v1", "v2"}).get("/products/", list_products, "product-list");
    // --- example: cors ---------------------------------------------------------------------------
    rampart::cors_options cors_policy;
    cors_policy.allowed_origins = {"https://shop.example.com", "https://*.shop.example.com"};
    cors_policy.allowed_headers = {"Authorization", "Content-Type"};
    cors_policy.expose_headers = {"Location", "RateLimit", "RateLimit-Policy"};
    cors_policy.allow_credentials = true; // allowed origins are echoed, never `*`

    auto service =
        rampart::stack(rampart::error_envelope<>{}, rampart::cors{cors_policy, api.lookup()})
            .wrap(api);
    // ---------------------------------------------------------------------------------------------
    using rampart::test::send;
    auto res =
        send(service, rampart::http::verb::options, "/api/v1/products/",
             {{"Origin", "https://m.shop.example.com"}, {"Access-Control-Request-Method", "GET"}});
    CHECK(res.result() == rampart::http::status::no_content);
    CHECK(res[rampart::http::field::access_control_allow_methods] == "GET, HEAD, OPTIONS");
    res = send(service, rampart::http::verb::get, "/api/v9/products/",
               {{"Origin", "https://shop.example.com"}});
    CHECK(res.result() == rampart::http::status::not_found);
    CHECK(res[rampart::http::field::access_control_allow_origin] == "https://shop.example.com");
}

namespace doc {

// --- example: public reads, protected writes ---------------------------------------------------
rampart::response list_reviews(rampart::context&) {
    return rampart::json_response(rampart::http::status::ok, boost::json::array{});
}
rampart::response create_review(rampart::context&) {
    return rampart::json_response(rampart::http::status::created, {{"id", 1}});
}
// -----------------------------------------------------------------------------------------------

} // namespace doc

TEST_CASE("docs: public GET, protected POST on one path") {
    // --- example: protect one method -------------------------------------------------------------
    rampart::router api;
    auto v1 = api.version("v1");
    // with() returns a NEW group (v1's prefix and middleware, plus require_token inside them);
    // v1 itself is unchanged, so routes added to v1 stay public.
    auto writers = v1.with(rampart::stack(require_token{}));
    v1.get("/reviews/", list_reviews, "review-list"); // GET (and HEAD): anyone
    writers.post("/reviews/", create_review);         // POST on the same path: a token first
    // ---------------------------------------------------------------------------------------------
    auto service = rampart::stack(rampart::error_envelope<>{}).wrap(api);
    using rampart::test::send;
    CHECK(send(service, rampart::http::verb::get, "/api/v1/reviews/").result() ==
          rampart::http::status::ok);
    CHECK(send(service, rampart::http::verb::post, "/api/v1/reviews/").result() ==
          rampart::http::status::unauthorized);
    CHECK(send(service, rampart::http::verb::post, "/api/v1/reviews/", {{"Authorization", "x"}})
              .result() == rampart::http::status::created);
    CHECK(send(service, rampart::http::verb::options,
               "/api/v1/reviews/")[rampart::http::field::allow] == "GET, HEAD, POST, OPTIONS");
}

TEST_CASE("docs: typed parameters") {
    // --- example: typed parameters ---------------------------------------------------------------
    rampart::router api;
    api.version("v1").get("/invoices/{id:int}/", [](rampart::context& ctx) {
        // {id:int} only matches digits that fit an int64 (anything else is a 404), so this is set.
        std::int64_t id = *ctx.param<std::int64_t>("id");
        return rampart::json_response(rampart::http::status::ok, {{"id", id}});
    });
    api.version("v1").get("/pages/{n}/", [](rampart::context& ctx) {
        // A plain {n} matches any text: param<T> is the check (nullopt: not a number, or too big).
        std::optional<std::uint16_t> n = ctx.param<std::uint16_t>("n");
        if (!n)
            throw rampart::not_found{};
        return rampart::json_response(rampart::http::status::ok, {{"page", *n}});
    });
    // ---------------------------------------------------------------------------------------------
    auto service = rampart::stack(rampart::error_envelope<>{}).wrap(api);
    using rampart::test::send;
    CHECK(boost::json::parse(send(service, rampart::http::verb::get, "/api/v1/invoices/12/").body())
              .at("id") == 12);
    CHECK(send(service, rampart::http::verb::get, "/api/v1/invoices/99999999999999999999/")
              .result() == rampart::http::status::not_found);
    CHECK(boost::json::parse(send(service, rampart::http::verb::get, "/api/v1/pages/3/").body())
              .at("page") == 3);
    CHECK(send(service, rampart::http::verb::get, "/api/v1/pages/70000/").result() ==
          rampart::http::status::not_found);
    CHECK(send(service, rampart::http::verb::get, "/api/v1/pages/x/").result() ==
          rampart::http::status::not_found);
}
