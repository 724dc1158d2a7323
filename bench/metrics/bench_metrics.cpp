// bench_metrics: what recording a request's metrics costs (issue 16: under 50 ns a request).
//
// As bench_core, each benchmark runs its loop inside ONE coroutine, so it measures the pipeline
// and nothing of io_context. The same-run baselines:
//   - bare_handler: the handler alone (it sets the route template, as the router does);
//   - hook_baseline: the handler behind one hook layer that records nothing (the fused frame a
//     run of hooks costs: in a real stack http_metrics joins the hooks next to it, for free);
//   - shop_hooks_without_metrics: envelope + two hooks, as the shop's stack has them.
// The cost of recording is http_metrics minus hook_baseline, and shop_hooks_with_metrics minus
// shop_hooks_without_metrics; beside an access log (access_log_with_metrics minus
// access_log_without_metrics) the clock reads are shared, so only the recording is added;
// http_metrics minus bare_handler adds the hook frame. Of that, http_metrics_manual_clock minus
// hook_baseline is the recording alone (its clock read is an atomic load); the rest is two
// system_clock reads (system_clock_read).

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/metrics/http_metrics.hpp>
#include <rampart/metrics/registry.hpp>
#include <rampart/server/access_log.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

using namespace rampart;

namespace {

constexpr std::string_view route = "/products/{id:int}/";

// The shop's twelve-odd patterns: the lookup is a hash, whatever their number.
std::vector<std::string> templates() {
    return {"/products/",         "/products/{id:int}/",   "/orders/",
            "/orders/{id:int}/",  "/api/token/",           "/api/token/refresh/",
            "/api/token/verify/", "/api/token/blacklist/", "/metrics"};
}

struct hello_handler {
    asio::awaitable<response> operator()(context& ctx) {
        ctx.set_route_template(route); // what the router does on a match
        response res{http::status::ok, 11};
        res.body() = "Hello, world!";
        co_return res;
    }
};

struct hook_pass_through {
    void before(context&) {}
    void after(context&, response&) {}
};

template <class H>
void run_pipeline(benchmark::State& state, H h) {
    asio::io_context io;
    context ctx{request{http::verb::get, "/api/v1/products/7/", 11}};
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

void bare_handler(benchmark::State& state) {
    run_pipeline(state, hello_handler{});
}

void hook_baseline(benchmark::State& state) {
    run_pipeline(state, stack(hook_pass_through{}).wrap(hello_handler{}));
}

void http_metrics(benchmark::State& state) {
    metrics::registry reg;
    run_pipeline(state, stack(metrics::http_metrics<>{reg, templates()}).wrap(hello_handler{}));
}

// The recording alone: the same layer on a clock whose read is one atomic load.
void http_metrics_manual_clock(benchmark::State& state) {
    metrics::registry reg;
    manual_clock clock;
    run_pipeline(state, stack(metrics::http_metrics<clock_ref<manual_clock>>{
                                  reg, templates(), {}, clock_ref<manual_clock>{clock}})
                            .wrap(hello_handler{}));
}

// What http_metrics pays twice a request to time it.
void system_clock_read(benchmark::State& state) {
    system_clock clock;
    for (auto _ : state)
        benchmark::DoNotOptimize(clock.now());
}

void shop_hooks_without_metrics(benchmark::State& state) {
    using h = hook_pass_through;
    run_pipeline(state, stack(error_envelope<>{}, h{}, h{}).wrap(hello_handler{}));
}

void shop_hooks_with_metrics(benchmark::State& state) {
    using h = hook_pass_through;
    metrics::registry reg;
    run_pipeline(state,
                 stack(error_envelope<>{}, metrics::http_metrics<>{reg, templates()}, h{}, h{})
                     .wrap(hello_handler{}));
}

// As the shop has it: the access log outside the metrics layer. The two share their clock
// reads (the log's start and the metrics layer's end), so the difference is the recording.
struct discard_lines {
    void operator()(std::string_view line) const noexcept { benchmark::DoNotOptimize(line); }
};

void access_log_without_metrics(benchmark::State& state) {
    using h = hook_pass_through;
    run_pipeline(state,
                 stack(error_envelope<>{}, access_log<discard_lines>{discard_lines{}}, h{}, h{})
                     .wrap(hello_handler{}));
}

void access_log_with_metrics(benchmark::State& state) {
    using h = hook_pass_through;
    metrics::registry reg;
    run_pipeline(state, stack(error_envelope<>{}, access_log<discard_lines>{discard_lines{}},
                              metrics::http_metrics<>{reg, templates()}, h{}, h{})
                            .wrap(hello_handler{}));
}

// The parts alone.
void counter_inc(benchmark::State& state) {
    static metrics::registry reg; // shared by the threads of the threaded run
    static metrics::counter c = reg.add_counter("bench_total", "B.").at();
    for (auto _ : state)
        c.inc();
    benchmark::DoNotOptimize(c.value());
}

void histogram_observe(benchmark::State& state) {
    metrics::registry reg;
    metrics::histogram h =
        reg.add_histogram("bench_seconds", "B.", metrics::latency_buckets()).at();
    double v = 0.003;
    for (auto _ : state) {
        h.observe(v);
        benchmark::DoNotOptimize(v);
    }
}

void scrape_shop_sized(benchmark::State& state) {
    metrics::registry reg;
    metrics::http_metrics<> m{reg, templates()};
    context ctx{request{http::verb::get, "/api/v1/products/7/", 11}};
    response res{http::status::ok, 11};
    ctx.set_route_template(route);
    m.before(ctx);
    m.after(ctx, res);
    for (auto _ : state)
        benchmark::DoNotOptimize(reg.scrape());
}

} // namespace

BENCHMARK(bare_handler);
BENCHMARK(hook_baseline);
BENCHMARK(http_metrics);
BENCHMARK(http_metrics_manual_clock);
BENCHMARK(system_clock_read);
BENCHMARK(shop_hooks_without_metrics);
BENCHMARK(shop_hooks_with_metrics);
BENCHMARK(access_log_without_metrics);
BENCHMARK(access_log_with_metrics);
BENCHMARK(counter_inc)->Threads(1)->Threads(2);
BENCHMARK(histogram_observe);
BENCHMARK(scrape_shop_sized);
