#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/metrics/endpoint.hpp>
#include <rampart/metrics/http_metrics.hpp>
#include <rampart/router/router.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace rampart;

namespace {

// Each request's handler takes `cost` of the manual clock's time.
struct slow_handler {
    manual_clock* clock;
    std::chrono::milliseconds cost;
    response operator()(context& ctx) const {
        clock->advance(cost);
        return text_response(http::status::ok, std::string(ctx.path()));
    }
};

response get(auto& app, std::string target, http::verb method = http::verb::get) {
    return test::call(app, test::make_request(method, std::move(target)));
}

std::size_t count_of(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("http_metrics: requests are labelled by route template, never by path") {
    manual_clock clock;
    router api;
    auto v1 = api.version("v1");
    v1.get("/products/{id:int}/", slow_handler{&clock, std::chrono::milliseconds{30}});
    v1.get("/products/", slow_handler{&clock, std::chrono::milliseconds{2}});
    v1.post("/orders/", [](context&) { return text_response(http::status::created, "made"); });

    metrics::registry reg;
    auto app = stack(error_envelope<>{},
                     metrics::http_metrics<clock_ref<manual_clock>>{
                         reg,
                         metrics::route_templates(api.declarations()),
                         {},
                         clock_ref<manual_clock>{clock}})
                   .wrap(api);

    for (int id = 1; id <= 1000; ++id)
        REQUIRE(get(app, "/api/v1/products/" + std::to_string(id) + "/").result_int() == 200);
    REQUIRE(get(app, "/api/v1/products/").result_int() == 200);
    REQUIRE(get(app, "/api/v1/orders/", http::verb::post).result_int() == 201);
    REQUIRE(get(app, "/api/v1/nothing/here/").result_int() == 404);
    REQUIRE(get(app, "/api/v1/orders/", http::verb::delete_).result_int() == 405);
    REQUIRE(get(app, "/api/v1/products/", http::verb::propfind).result_int() == 405);

    std::string text = reg.scrape();
    // 1000 distinct ids: one series.
    CHECK(count_of(text, "http_requests_total{") == 6);
    CHECK(text.find("http_requests_total{route=\"/products/{id:int}/\",method=\"GET\","
                    "code=\"200\"} 1000\n") != std::string::npos);
    CHECK(text.find("http_requests_total{route=\"/products/\",method=\"GET\",code=\"200\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("http_requests_total{route=\"/orders/\",method=\"POST\",code=\"201\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("http_requests_total{route=\"(unmatched)\",method=\"GET\",code=\"404\"} 1\n") !=
          std::string::npos);
    // A 405 matched no endpoint: unmatched too, with its method (or "other").
    CHECK(text.find("http_requests_total{route=\"(unmatched)\",method=\"DELETE\",code=\"405\"} "
                    "1\n") != std::string::npos);
    CHECK(text.find("http_requests_total{route=\"(unmatched)\",method=\"other\",code=\"405\"} "
                    "1\n") != std::string::npos);
    CHECK(text.find("/api/v1/products/1/") == std::string::npos);

    // Latency by template, from the clock: 30 ms each for the detail route.
    CHECK(text.find("http_request_duration_seconds_bucket{route=\"/products/{id:int}/\","
                    "le=\"0.025\"} 0\n") != std::string::npos);
    CHECK(text.find("http_request_duration_seconds_bucket{route=\"/products/{id:int}/\","
                    "le=\"0.05\"} 1000\n") != std::string::npos);
    CHECK(text.find("http_request_duration_seconds_count{route=\"/products/{id:int}/\"} 1000\n") !=
          std::string::npos);
    CHECK(text.find("http_request_duration_seconds_sum{route=\"/products/{id:int}/\"} 30") !=
          std::string::npos);
    CHECK(text.find("http_request_duration_seconds_bucket{route=\"/products/\",le=\"0.001\"} "
                    "0\n") != std::string::npos);
    CHECK(text.find("http_request_duration_seconds_bucket{route=\"/products/\",le=\"0.0025\"} "
                    "1\n") != std::string::npos);
    // Routes never requested write no series.
    CHECK(text.find("route=\"(other)\"") == std::string::npos);
}

TEST_CASE("http_metrics: errors thrown inside are counted with their status") {
    router api;
    api.version("v1").get("/boom/", [](context&) -> response { throw std::runtime_error("x"); });
    api.version("v1").get("/denied/", [](context&) -> response { throw permission_denied{"no"}; });
    metrics::registry reg;
    auto app = stack(error_envelope<>{{}, [](std::string_view) {}},
                     metrics::http_metrics<>{reg, metrics::route_templates(api.declarations())})
                   .wrap(api);
    CHECK(get(app, "/api/v1/boom/").result_int() == 500);
    CHECK(get(app, "/api/v1/denied/").result_int() == 403);
    std::string text = reg.scrape();
    CHECK(text.find("http_requests_total{route=\"/boom/\",method=\"GET\",code=\"500\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("http_requests_total{route=\"/denied/\",method=\"GET\",code=\"403\"} 1\n") !=
          std::string::npos);
}

TEST_CASE("http_metrics: a template that was not declared is (other), an odd status is other") {
    router api;
    api.version("v1").get("/known/",
                          [](context&) { return text_response(http::status{299}, "odd"); });
    api.version("v1").get("/late/", [](context&) { return text_response(http::status::ok, ""); });
    metrics::registry reg;
    auto app = stack(metrics::http_metrics<>{reg, {"/known/", "/known/"}}).wrap(api);
    CHECK(get(app, "/api/v1/known/").result_int() == 299);
    CHECK(get(app, "/api/v1/late/").result_int() == 200);
    std::string text = reg.scrape();
    CHECK(text.find("http_requests_total{route=\"/known/\",method=\"GET\",code=\"other\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("http_requests_total{route=\"(other)\",method=\"GET\",code=\"200\"} 1\n") !=
          std::string::npos);
    CHECK_THROWS_AS(metrics::http_metrics<>(reg, {}), std::invalid_argument); // names taken
    metrics::http_metrics_options other;
    other.prefix = "admin_http";
    CHECK_NOTHROW(metrics::http_metrics<>(reg, {}, other));
}

TEST_CASE("serve: answers the scrape at its path, outside what it wraps, counted by its path") {
    router api;
    api.version("v1").get("/x/", [](context&) { return text_response(http::status::ok, "x"); });
    metrics::registry reg;
    metrics::http_metrics<> recorder{reg, {"/metrics"}};
    bool inner_ran = false;
    auto guard_layer = [&](context& ctx, auto& next) -> asio::awaitable<response> {
        inner_ran = true;
        co_return co_await next(ctx);
    };
    auto app = stack(error_envelope<>{}, recorder, metrics::serve{reg}, guard_layer).wrap(api);

    response first = get(app, "/metrics");
    CHECK(first.result_int() == 200);
    CHECK(first[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(!inner_ran);
    // The first scrape is counted once it is answered: the second sees it.
    response second = get(app, "/metrics");
    CHECK(second.body().find("http_requests_total{route=\"/metrics\",method=\"GET\","
                             "code=\"200\"} 1\n") != std::string::npos);
    response head = get(app, "/metrics", http::verb::head);
    CHECK(head.result_int() == 200);
    CHECK(head.body().empty());
    CHECK(head[http::field::content_length] != "0");
    response post = get(app, "/metrics", http::verb::post);
    CHECK(post.result_int() == 405);
    CHECK(post[http::field::allow] == "GET, HEAD, OPTIONS");
    CHECK(get(app, "/metrics", http::verb::options).result_int() == 204);
    CHECK(!inner_ran);
    CHECK(get(app, "/metrics/").result_int() == 404);
    CHECK(inner_ran);

    auto off = stack(error_envelope<>{}, metrics::serve{reg, "/metrics", false}).wrap(api);
    CHECK(get(off, "/metrics").result_int() == 404);
}

TEST_CASE("endpoint: a handler for a route of its own") {
    metrics::registry reg;
    reg.add_counter("seen_total", "Seen.").at().inc(7);
    router api;
    api.unversioned().get("/internal/metrics", metrics::endpoint{reg});
    response res = get(api, "/internal/metrics");
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == metrics::content_type);
    CHECK(res.body() == "# HELP seen_total Seen.\n# TYPE seen_total counter\nseen_total 7\n");
}

TEST_CASE("http_metrics: the route table finds each of many templates, and only those") {
    std::vector<std::string> templates;
    for (int i = 0; i < 300; ++i) // same heads and tails, told apart by the middle or length
        templates.push_back("/items/" + std::string(static_cast<std::size_t>(i % 7), 'x') +
                            std::to_string(i) + "/{id:int}/");
    templates.push_back("/a/");
    templates.push_back("/");
    metrics::detail::route_table table{templates};
    for (std::size_t i = 0; i < templates.size(); ++i)
        CHECK(table.find(templates[i]) == i);
    CHECK(table.find("/items/1/{id:int}") == metrics::detail::route_table::absent);
    CHECK(table.find("/b/") == metrics::detail::route_table::absent);
    CHECK(table.find("") == metrics::detail::route_table::absent);
    CHECK(table.find("/items/x1/{id:int}/x") == metrics::detail::route_table::absent);
}
