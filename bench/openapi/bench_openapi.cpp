// What the OpenAPI document costs the shop: building it (once, at start-up), serialising it
// (once, in schema_handler's constructor) and serving it (per request: a copy of the bytes),
// against the baseline of any static JSON endpoint of the same size.
//
//   BM_generate             openapi::generate over the shop's route table (14 operations)
//   BM_serialize            boost::json::serialize of that document
//   BM_schema_handler       schema_handler's construction: the serialisation, kept
//   BM_serve                schema_handler::respond(): the per-request cost of GET /api/schema/
//   BM_static_json          baseline: a response whose body is a copy of a same-size, already
//                           serialised JSON text (what serving anything static costs)
//   BM_json_per_request     what serving would cost without the cache: json_response of the
//                           document, serialised per request
//
// The route table is the shop's (examples/shop/app.hpp): the same paths, versions, read shapes,
// write schema, paginators, authentication, login throttle and document options, with empty
// handlers (the document never runs them). Its types and the order shape are the shop's own;
// the document it makes is the shop's GET /api/schema/, byte for byte (54,532 bytes when written).
// BM_serve and BM_static_json should be equal within noise; BM_json_per_request shows what the
// cache saves each request; BM_generate + BM_schema_handler is the start-up cost.

#include "app.hpp"

#include <rampart/openapi.hpp>

#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include <string>

namespace {

namespace json = boost::json;
namespace openapi = rampart::openapi;
namespace pg = rampart::pagination;
namespace throttle = rampart::throttle;
namespace v = rampart::validation;
using rampart::context;
using rampart::response;

response empty(const context&) {
    return response{rampart::http::status::ok, 11};
}

// The product as each version shows it (the shop's product_shapes).
auto product_shapes() {
    using v::out;
    auto money_shape = v::shape<shop::money>(out("amount", &shop::money::amount),
                                             out("currency", &shop::money::currency));
    auto price = [](const shop::product& p) { return shop::money{p.price, p.currency}; };
    auto in_stock = [](const shop::product& p) { return p.stock > 0; };
    auto v1 = v::shape<shop::product>(
        out("id", &shop::product::id), out("name", &shop::product::name),
        out("price", &shop::product::price), out("stock", &shop::product::stock));
    auto v2 =
        v::shape<shop::product>(out("id", &shop::product::id), out("name", &shop::product::name),
                                out("price", price, money_shape),
                                out("stock", &shop::product::stock), out("in_stock", in_stock));
    return v::versions(v::version("v1", v1), v::version("v2", v2));
}

// The order body's schema (the shop's, without its database lookups, which add no schema).
auto order_schema() {
    using v::field;
    return v::schema<shop::order_in>(
        field(&shop::order_in::product_id, "product_id"),
        field(&shop::order_in::quantity, "quantity").min(1).max(100),
        field(&shop::order_in::shipping_address, "shipping_address").not_blank().max_length(500));
}

// A token endpoint's route_doc: a body of required, non-empty string fields.
rampart::route_doc token_route(const char* summary, std::vector<const char*> fields,
                               json::object result) {
    json::object properties;
    json::array required;
    for (const char* f : fields) {
        properties[f] = {{"type", "string"}, {"minLength", 1}};
        required.emplace_back(f);
    }
    return {.summary = summary,
            .tags = {"tokens"},
            .body = json::object{{"type", "object"},
                                 {"properties", std::move(properties)},
                                 {"required", std::move(required)}},
            .result = {{"", std::move(result)}},
            .status = 200,
            .errors = {401}};
}

/// The shop's route table and document options.
struct shop_routes {
    throttle::memory_store<> buckets;
    pg::cursor_paginator<> products{
        {.endpoint = "products", .ordering = {{"id"}}, .cursors = {.keys = {"0123456789abcdef"}}}};
    pg::cursor_paginator<> orders{
        {.endpoint = "orders",
         .ordering = {{"created_at", pg::order::descending}, {"id", pg::order::descending}},
         .cursors = {.keys = {"0123456789abcdef"}}}};
    rampart::router router;
    openapi::document_options options{
        .title = "rampart shop",
        .description = "The example order/product service of rampart (docs/shop-api.md).",
        .throttled = true,
        .authentication_everywhere = true,
        .common_errors = {400, 413, 503},
        .require_declared = true};

    shop_routes() {
        auto product_out = product_shapes();
        auto order_out = shop::order_shape();
        auto both = router.versions({"v1", "v2"});
        both.get("/products/", empty, "product-list",
                 {.summary = "List products, by id",
                  .tags = {"products"},
                  .result = openapi::results(product_out),
                  .pages = openapi::pages_of(products)});
        both.get("/products/{id:int}/", empty, "product-detail",
                 {.summary = "One product",
                  .tags = {"products"},
                  .result = openapi::results(product_out),
                  .errors = {404}});
        auto mine = both.group("/orders", rampart::stack(rampart::jwt::require_authenticated{}));
        mine.get("/", empty, "order-list",
                 {.summary = "The caller's orders, newest first",
                  .tags = {"orders"},
                  .result = openapi::results(order_out),
                  .pages = openapi::pages_of(orders)});
        mine.post("/", empty, "order-create",
                  {.summary = "Place an order",
                   .description = "The product's stock drops by `quantity` in the same "
                                  "transaction.",
                   .tags = {"orders"},
                   .body = openapi::body_of(order_schema()),
                   .result = openapi::results(order_out),
                   .headers = {{"Location", "The new order's URL."}}});
        mine.get("/{id:int}/", empty, "order-detail",
                 {.summary = "One of the caller's orders",
                  .tags = {"orders"},
                  .result = openapi::results(order_out),
                  .errors = {404}});

        json::object pair{
            {"type", "object"},
            {"properties", {{"access", {{"type", "string"}}}, {"refresh", {{"type", "string"}}}}},
            {"required", json::array{"access", "refresh"}}};
        json::object nothing{{"type", "object"}, {"maxProperties", 0}};
        auto tokens = router.unversioned();
        tokens
            .with(rampart::stack(throttle::limiter{
                buckets, throttle::per_ip("login", throttle::parse_rate("5/minute"))}))
            .post("/api/token/", empty, "token",
                  token_route("Obtain an access and a refresh token", {"username", "password"},
                              pair));
        tokens.post("/api/token/refresh/", empty, "token-refresh",
                    token_route("Rotate a refresh token", {"refresh"}, pair));
        tokens.post("/api/token/verify/", empty, "token-verify",
                    token_route("Check a token", {"token"}, nothing));
        tokens.post(
            "/api/token/blacklist/", empty, "token-blacklist",
            token_route("Log out: the refresh token never works again", {"refresh"}, nothing));
    }
};

const shop_routes& routes() {
    static const shop_routes r;
    return r;
}

const json::object& document() {
    static const json::object d =
        openapi::generate(routes().router.declarations(), routes().options);
    return d;
}

void BM_generate(benchmark::State& state) {
    const shop_routes& r = routes();
    for (auto _ : state) {
        json::object d = openapi::generate(r.router.declarations(), r.options);
        benchmark::DoNotOptimize(d);
    }
    std::size_t operations = 0;
    for (const auto& path : document().at("paths").as_object())
        operations += path.value().as_object().size();
    state.counters["operations"] = static_cast<double>(operations);
}

void BM_serialize(benchmark::State& state) {
    const json::object& d = document();
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string text = json::serialize(d);
        bytes = text.size();
        benchmark::DoNotOptimize(text);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
    state.counters["document_bytes"] = static_cast<double>(bytes);
}

void BM_schema_handler(benchmark::State& state) {
    json::value d = document();
    for (auto _ : state) {
        openapi::schema_handler h{d};
        benchmark::DoNotOptimize(h);
    }
}

void BM_serve(benchmark::State& state) {
    const openapi::schema_handler h{json::value(document())};
    for (auto _ : state) {
        response res = h.respond();
        benchmark::DoNotOptimize(res);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * h.text().size()));
}

/// The baseline: a same-size JSON text made once (not the document), copied into each response
/// exactly as a static endpoint would.
void BM_static_json(benchmark::State& state) {
    const std::size_t size = json::serialize(document()).size();
    const std::string text = R"({"filler":")" + std::string(size - 14, 'x') + R"("})";
    for (auto _ : state) {
        response res{rampart::http::status::ok, 11};
        res.set(rampart::http::field::content_type, "application/json");
        res.body() = text;
        res.prepare_payload();
        benchmark::DoNotOptimize(res);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_json_per_request(benchmark::State& state) {
    const json::value d = document();
    for (auto _ : state) {
        response res = rampart::json_response(rampart::http::status::ok, d);
        benchmark::DoNotOptimize(res);
    }
}

} // namespace

BENCHMARK(BM_generate);
BENCHMARK(BM_serialize);
BENCHMARK(BM_schema_handler);
BENCHMARK(BM_serve);
BENCHMARK(BM_static_json);
BENCHMARK(BM_json_per_request);
