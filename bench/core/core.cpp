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

// A layer that does nothing but call the rest: what the composition itself costs. Unless it
// declares never_throws, it may throw as far as the composition knows, so it gets a guard
// outside it; declared, it is its own frame and nothing more.
template <bool NeverThrows>
struct coroutine_pass_through {
    static constexpr bool never_throws = NeverThrows;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        co_return co_await next(ctx);
    }
};
using pass_through = coroutine_pass_through<false>;
using never_throwing_pass_through = coroutine_pass_through<true>;

// A layer that only decorates: not a coroutine, it hands back the rest's awaitable (no frame).
struct decorating_pass_through {
    static constexpr bool never_throws = true;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        return next(ctx);
    }
};

// A hook layer: adjacent ones are fused into one frame, which also guards what is inside.
struct hook_pass_through {
    void before(context&) {}
    void after(context&, response&) {}
};

struct hello_handler {
    asio::awaitable<response> operator()(context&) {
        response res{http::status::ok, 11};
        res.body() = "Hello, world!";
        co_return res;
    }
};

// One coroutine that only forwards to the handler: the price of a single extra frame (a
// pass_through layer costs two: its own and the guard that turns what it throws into a
// response; a never-throwing one costs one; decorating and hook layers cost none of their own).
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

// Five frames and one guard (behind the innermost layer: the handler may throw).
void stack_5_never_throwing_layers(benchmark::State& state) {
    using p = never_throwing_pass_through;
    run_pipeline(state, stack(p{}, p{}, p{}, p{}, p{}).wrap(hello_handler{}));
}

// No frame of their own: one guard frame around the handler.
void stack_5_decorating_layers(benchmark::State& state) {
    using p = decorating_pass_through;
    run_pipeline(state, stack(p{}, p{}, p{}, p{}, p{}).wrap(hello_handler{}));
}

// One fused frame for the five, which is also the handler's guard.
void stack_5_hook_layers(benchmark::State& state) {
    using p = hook_pass_through;
    run_pipeline(state, stack(p{}, p{}, p{}, p{}, p{}).wrap(hello_handler{}));
}

// One fused frame for the four hooks, and the envelope's own frame: it catches there, since
// the fused hooks that follow it are no guard (before: a guard, the envelope's frame, the hooks).
void stack_envelope_and_4_hook_layers(benchmark::State& state) {
    using p = hook_pass_through;
    run_pipeline(state, stack(error_envelope<>{}, p{}, p{}, p{}, p{}).wrap(hello_handler{}));
}

// The error envelope as it was: a coroutine layer that may throw, so its own frame and a guard
// outside it (the real envelope inside it adds none: a guard follows it).
struct coroutine_envelope {
    error_envelope<> envelope = error_envelope<>{};
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        co_return co_await envelope(ctx, next);
    }
};

// Hands back the rest's awaitable, like decorating_pass_through, but may throw as far as the
// composition knows (authenticate for a request without credentials).
struct forwarding_pass_through {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        return next(ctx);
    }
};

// The shop's stack (examples/shop/app.hpp) by the shape of its layers, around the bare handler,
// for an anonymous request: envelope, access_log, allowed_hosts, authenticate, limiter, enforce.
// Before: every layer a coroutine behind a guard, the envelope too: 13 frames. Now: the
// envelope none, access_log its own and a guard, allowed_hosts and enforce hooks (one frame
// each, which also guards what follows), authenticate none, the never-throwing limiter its own:
// 5 frames.
void shop_layers_as_before(benchmark::State& state) {
    using c = pass_through;
    run_pipeline(state, stack(coroutine_envelope{}, c{}, c{}, c{}, c{}, c{}).wrap(hello_handler{}));
}

void shop_layers(benchmark::State& state) {
    using c = pass_through;
    using h = hook_pass_through;
    run_pipeline(state, stack(error_envelope<>{}, c{}, h{}, forwarding_pass_through{},
                              never_throwing_pass_through{}, h{})
                            .wrap(hello_handler{}));
}

} // namespace

BENCHMARK(bare_handler);
BENCHMARK(one_forwarding_frame);
BENCHMARK(stack_0_layers);
BENCHMARK(stack_1_layer);
BENCHMARK(stack_5_layers);
BENCHMARK(stack_envelope_and_4_layers);
BENCHMARK(stack_5_never_throwing_layers);
BENCHMARK(stack_5_decorating_layers);
BENCHMARK(stack_5_hook_layers);
BENCHMARK(stack_envelope_and_4_hook_layers);
BENCHMARK(shop_layers_as_before);
BENCHMARK(shop_layers);
