// Match cost of the router for tables of 10, 100 and 1,000 routes: realistic REST paths with
// integer parameters under /api/v1/, five routes per resource. The request hits a resource in
// the middle of the table, at the deepest route (two parameters, five segments after the
// version), so the figure is what a typical detail request pays.

#include <rampart/router/router.hpp>

#include <rampart/core/response.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace rampart;

response ok(context&) {
    return text_response(http::status::ok, "ok");
}

const char* const nouns[] = {"products", "orders",  "users",    "invoices",  "carts",
                             "reviews",  "coupons", "payments", "shipments", "returns"};

std::string resource(int i) {
    std::string name = nouns[i % 10];
    if (i >= 10)
        name.append(std::to_string(i / 10));
    return name;
}

router make_router(int routes) {
    router api;
    auto v1 = api.version("v1");
    for (int r = 0; r < routes / 5; ++r) {
        std::string base = "/";
        base.append(resource(r));
        for (const char* tail :
             {"/", "/{id:int}/", "/{id:int}/items/", "/{id:int}/items/{item:int}/",
              "/{id:int}/items/{item:int}/history/"})
            v1.get(std::string(base).append(tail), ok);
    }
    return api;
}

void match(benchmark::State& state, bool escaped) {
    int routes = static_cast<int>(state.range(0));
    router api = make_router(routes);
    std::string target = "/api/v1/";
    target.append(resource(routes / 10))
        .append("/12345/items/")
        .append(escaped ? "%36%37%38" : "678")
        .append("/history/");
    request req{http::verb::get, target, 11};
    if (api.match(req).param_count() != 2)
        state.SkipWithError("the request did not match");
    for (auto _ : state) {
        route_match m = api.match(req);
        benchmark::DoNotOptimize(m);
    }
}

void BM_match(benchmark::State& state) {
    match(state, false);
}
void BM_match_escaped(benchmark::State& state) {
    match(state, true);
}

void BM_miss(benchmark::State& state) {
    router api = make_router(static_cast<int>(state.range(0)));
    request req{http::verb::get, "/api/v1/unknown-resource/12345/", 11};
    for (auto _ : state) {
        try {
            benchmark::DoNotOptimize(api.match(req));
        } catch (const not_found& e) {
            benchmark::DoNotOptimize(&e);
        }
    }
}

} // namespace

BENCHMARK(BM_match)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_match_escaped)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_miss)->Arg(10)->Arg(1000);
