// bench_core: what rampart's compile-time middleware composition costs per request.
//
// Each benchmark runs its whole loop inside ONE coroutine on an io_context, so it measures the
// pipeline (coroutine frames, the layers' calls, moving the response back out), not io_context
// or co_spawn setup. The bare handler is the same-run baseline: the cost of N layers is the
// difference between a stacked run and `bare_handler`.

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

using namespace rampart;

namespace {

// A layer that does nothing but call the rest: what the composition itself costs.
struct pass_through {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        co_return co_await next(ctx);
    }
};

struct hello_handler {
    asio::awaitable<response> operator()(context&) {
        response res{http::status::ok, 11};
        res.body() = "Hello, world!";
        co_return res;
    }
};

// One coroutine that only forwards to the handler: the price of a single extra frame (a layer
// costs two: the middleware's own and the guard that turns what it throws into a response).
template <class H>
struct forward_once {
    H inner;
    asio::awaitable<response> operator()(context& ctx) { co_return co_await inner(ctx); }
};

template <class H>
void run_pipeline(benchmark::State& state, H h) {
    asio::io_context io;
    context ctx{request{http::verb::get, "/", 11}};
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

void one_forwarding_frame(benchmark::State& state) {
    run_pipeline(state, forward_once<hello_handler>{});
}

void stack_0_layers(benchmark::State& state) {
    run_pipeline(state, stack().wrap(hello_handler{}));
}

void stack_1_layer(benchmark::State& state) {
    run_pipeline(state, stack(pass_through{}).wrap(hello_handler{}));
}

void stack_5_layers(benchmark::State& state) {
    run_pipeline(
        state, stack(pass_through{}, pass_through{}, pass_through{}, pass_through{}, pass_through{})
                   .wrap(hello_handler{}));
}

void stack_envelope_and_4_layers(benchmark::State& state) {
    run_pipeline(state, stack(error_envelope<>{}, pass_through{}, pass_through{}, pass_through{},
                              pass_through{})
                            .wrap(hello_handler{}));
}

} // namespace

BENCHMARK(bare_handler);
BENCHMARK(one_forwarding_frame);
BENCHMARK(stack_0_layers);
BENCHMARK(stack_1_layer);
BENCHMARK(stack_5_layers);
BENCHMARK(stack_envelope_and_4_layers);
