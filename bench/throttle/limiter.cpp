// bench_limiter: what the limiter middleware costs per request, admitted and refused.
//
// - `limiter_admit`: an admitted request through `stack(error_envelope<>{}, limiter)` with a
//   memory_store (asked in the limiter's own frame, no coroutine for the take), beside
//   `envelope_only`, the same stack without the limiter: the difference is the limiter.
// - `limiter_429`: a refused request, the 429 rendered with ctx.render_error(throttled(...)).
// - `render_429` / `render_429_thrown`: the refusal's rendering alone, under the envelope, as
//   the limiter does it now against what it did before (the throttled error made an
//   exception_ptr, which the envelope's sink rethrows to read): the bytes are the same
//   (tests/throttle/render_429.cpp), the throw is what the pair measures.
//
// Each stack benchmark runs its whole loop inside one coroutine on an io_context, as bench_core
// does, so io_context and co_spawn setup are not in the figures.

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/throttle/limiter.hpp>
#include <rampart/throttle/memory_store.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>

namespace {

using namespace rampart;
using namespace rampart::throttle;

response ok(context&) {
    return text_response(http::status::ok, "ok");
}

template <class H>
void run_pipeline(benchmark::State& state, H h) {
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (auto _ : state) {
                context ctx{request{http::verb::get, "/api/products/", 11},
                            {asio::ip::make_address("203.0.113.7"), 50000}};
                response res = co_await h(ctx);
                benchmark::DoNotOptimize(res);
            }
        },
        asio::detached);
    io.run();
}

void envelope_only(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}).wrap(ok));
}

void limiter_admit(benchmark::State& state) {
    memory_store<> store;
    run_pipeline(state, stack(error_envelope<>{},
                              limiter{store, anonymous(rate{1'000'000'000, std::chrono::hours{1}})})
                            .wrap(ok));
}

void limiter_429(benchmark::State& state) {
    memory_store<> store;
    run_pipeline(
        state, stack(error_envelope<>{}, limiter{store, anonymous(rate{1, std::chrono::hours{24}})})
                   .wrap(ok));
}

template <class Render>
void render_in_context(benchmark::State& state, Render render) {
    error_envelope<> envelope;
    auto app = stack(envelope).wrap(
        [&](context& ctx) -> asio::awaitable<response> { co_return render(ctx); });
    run_pipeline(state, app);
}

void render_429(benchmark::State& state) {
    render_in_context(state, [](const context& ctx) {
        return ctx.render_error(throttled(std::chrono::seconds{86400}));
    });
}

void render_429_thrown(benchmark::State& state) {
    render_in_context(state, [](const context& ctx) {
        return ctx.render_error(std::make_exception_ptr(throttled(std::chrono::seconds{86400})));
    });
}

} // namespace

BENCHMARK(envelope_only);
BENCHMARK(limiter_admit);
BENCHMARK(limiter_429);
BENCHMARK(render_429);
BENCHMARK(render_429_thrown);
