// bench_operations: what issue 16's per-request layers cost besides metrics (bench/metrics):
// the access log as text and as JSON, the health layer on a request that is not a probe, and
// making a request id.
//
// As bench_core, each benchmark runs its loop inside ONE coroutine, so it measures the layers and
// nothing of io_context. Same-run baseline: `no_log`, the envelope and two hooks around the
// handler. The request carries a request id and a user agent, as a served one does.

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/access_log.hpp>
#include <rampart/server/health.hpp>
#include <rampart/server/request_id_generator.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <string_view>

using namespace rampart;

namespace {

struct hello_handler {
    asio::awaitable<response> operator()(context& ctx) {
        ctx.set_route_template("/products/{id:int}/");
        response res{http::status::ok, 11};
        res.body() = "Hello, world!";
        co_return res;
    }
};

struct hook_pass_through {
    void before(context&) {}
    void after(context&, response&) {}
};

struct discard_lines {
    void operator()(std::string_view line) const noexcept { benchmark::DoNotOptimize(line); }
};

template <class H>
void run_pipeline(benchmark::State& state, H h) {
    asio::io_context io;
    request req{http::verb::get, "/api/v1/products/7/", 11};
    req.set(http::field::user_agent, "curl/7.88.1");
    context ctx{std::move(req)};
    ctx.set_request_id(*request_id::parse("0f8a3c52-7a0e-4c1b-9d2e-5b7f2a9c0e14"));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (auto _ : state) {
                response res = co_await h(ctx);
                benchmark::DoNotOptimize(res);
            }
        },
        asio::detached);
    io.run();
}

using h = hook_pass_through;

void no_log(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}, h{}, h{}).wrap(hello_handler{}));
}

void access_log_text(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{},
                              access_log<discard_lines>{discard_lines{}, access_log_format::text},
                              h{}, h{})
                            .wrap(hello_handler{}));
}

void access_log_json(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{},
                              access_log<discard_lines>{discard_lines{}, access_log_format::json},
                              h{}, h{})
                            .wrap(hello_handler{}));
}

// The health layer on every request that is not /healthz or /readyz.
void health_pass_through(benchmark::State& state) {
    run_pipeline(
        state, stack(error_envelope<>{}, health{health_options{}}, h{}, h{}).wrap(hello_handler{}));
}

// A new id for a request that came without a sane one: what the server does per request.
void request_id_generate(benchmark::State& state) {
    request_id_generator ids;
    for (auto _ : state) {
        request_id id = ids.next();
        benchmark::DoNotOptimize(id);
    }
}

} // namespace

BENCHMARK(no_log);
BENCHMARK(access_log_text);
BENCHMARK(access_log_json);
BENCHMARK(health_pass_through);
BENCHMARK(request_id_generate);
