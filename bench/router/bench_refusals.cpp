// bench_refusals: what a refused request costs, rendered as dispatch now renders it against the
// same error thrown as a C++ exception (how the router answered before), and the error bodies
// against a boost::json::value built and serialized (how the formats wrote them before).
//
// Pairs, each measured in the same run:
// - `dispatch_404` / `dispatch_404_thrown`: GET of an unknown resource through
//   `stack(error_envelope<>{})` around a 100-route router; the `_thrown` variant runs the same
//   match and throws its not_found to the envelope, as dispatch did.
// - `dispatch_405` / `dispatch_405_thrown`: DELETE of a path that serves GET and POST only.
// - `dispatch_200`: a matching GET through the same stack, the scale for the two above.
// - `envelope_detail` / `envelope_detail_json_value`: `envelope_format{}(not_found{})`.
// - `envelope_fields` / `envelope_fields_json_value`: a validation_error with three field
//   errors, one nested.
// - `render_direct` / `render_thrown`: `ctx.render_error(not_found{})` under the envelope
//   against `ctx.render_error(std::make_exception_ptr(not_found{}))`.
//
// Each dispatch benchmark runs its whole loop inside one coroutine on an io_context, as
// bench_core does, so io_context and co_spawn setup are not in the figures.

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/router/router.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace {

using namespace rampart;

response ok(context&) {
    return text_response(http::status::ok, "ok");
}

router make_router() {
    router api;
    auto v1 = api.version("v1");
    for (int r = 0; r < 20; ++r) {
        std::string base = "/resource" + std::to_string(r);
        v1.get(base + "/", ok);
        v1.post(base + "/", ok);
        v1.get(base + "/{id:int}/", ok);
        v1.post(base + "/{id:int}/", ok);
        v1.get(base + "/{id:int}/items/", ok);
    }
    return api;
}

// Dispatch's refusals as it raised them before: thrown to the envelope, the 404 by match(), the
// 405 after it. Only refused requests are sent here.
asio::awaitable<response> refuse_by_throwing(const router& api, context& ctx) {
    route_match m = api.match(ctx.req());
    throw method_not_allowed(ctx.req().method_string(), m.allow());
    co_return response{};
}

auto thrown_refusals(const router& api) {
    return [&api](context& ctx) { return refuse_by_throwing(api, ctx); };
}

template <class H>
void run_pipeline(benchmark::State& state, H h, http::verb method, const char* target,
                  unsigned expected) {
    asio::io_context io;
    context ctx{request{method, target, 11}};
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            response first = co_await h(ctx);
            if (first.result_int() != expected)
                state.SkipWithError("unexpected status");
            for (auto _ : state) {
                response res = co_await h(ctx);
                benchmark::DoNotOptimize(res);
            }
        },
        asio::detached);
    io.run();
}

const router& shared_router() {
    static const router api = make_router();
    return api;
}

constexpr const char* missing = "/api/v1/unknown-resource/12345/";
constexpr const char* found = "/api/v1/resource10/12345/";

void dispatch_404(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}).wrap(shared_router()), http::verb::get, missing,
                 404);
}
void dispatch_404_thrown(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}).wrap(thrown_refusals(shared_router())),
                 http::verb::get, missing, 404);
}
void dispatch_405(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}).wrap(shared_router()), http::verb::delete_, found,
                 405);
}
void dispatch_405_thrown(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}).wrap(thrown_refusals(shared_router())),
                 http::verb::delete_, found, 405);
}
void dispatch_200(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}).wrap(shared_router()), http::verb::get, found,
                 200);
}

// How the envelope was built before: a json::value, then serialize.
response envelope_as_json_value(const http_error& e) {
    boost::json::value errors;
    if (!e.fields().empty())
        errors = e.fields().to_json();
    else
        errors = {{"detail", std::string_view(e.detail().empty() ? e.code() : e.detail())}};
    boost::json::value body = {{"status", "error"}, {"code", e.status_code()}, {"errors", errors}};
    response res{e.status(), 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : e.headers())
        res.set(name, value);
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

validation_error three_fields() {
    field_errors f;
    f.add("product_id", "Invalid pk \"999\" - object does not exist.", "does_not_exist");
    f.add("quantity", "Ensure this value is greater than or equal to 1.", "min_value");
    f.nested("address").add("city", "This field may not be blank.", "blank");
    return validation_error{std::move(f)};
}

template <class Render>
void render(benchmark::State& state, const http_error& e, Render r) {
    for (auto _ : state) {
        response res = r(e);
        benchmark::DoNotOptimize(res);
    }
}

void envelope_detail(benchmark::State& state) {
    render(state, not_found{}, envelope_format{});
}
void envelope_detail_json_value(benchmark::State& state) {
    render(state, not_found{}, envelope_as_json_value);
}
void envelope_fields(benchmark::State& state) {
    render(state, three_fields(), envelope_format{});
}
void envelope_fields_json_value(benchmark::State& state) {
    render(state, three_fields(), envelope_as_json_value);
}

// The context's two ways in, under the envelope's sink.
template <class Render>
void render_in_context(benchmark::State& state, Render r) {
    error_envelope<> envelope{envelope_format{}, {}};
    context ctx{request{http::verb::get, missing, 11}};
    auto install = [](context&) -> asio::awaitable<response> { co_return response{}; };
    asio::io_context io;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { co_await envelope(ctx, install); }, asio::detached);
    io.run();
    for (auto _ : state) {
        response res = r(ctx);
        benchmark::DoNotOptimize(res);
    }
}

void render_direct(benchmark::State& state) {
    render_in_context(state, [](context& ctx) { return ctx.render_error(not_found{}); });
}
void render_thrown(benchmark::State& state) {
    render_in_context(
        state, [](context& ctx) { return ctx.render_error(std::make_exception_ptr(not_found{})); });
}

} // namespace

BENCHMARK(dispatch_200);
BENCHMARK(dispatch_404);
BENCHMARK(dispatch_404_thrown);
BENCHMARK(dispatch_405);
BENCHMARK(dispatch_405_thrown);
BENCHMARK(envelope_detail);
BENCHMARK(envelope_detail_json_value);
BENCHMARK(envelope_fields);
BENCHMARK(envelope_fields_json_value);
BENCHMARK(render_direct);
BENCHMARK(render_thrown);
