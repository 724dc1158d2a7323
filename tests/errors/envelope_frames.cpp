// The error envelope costs no coroutine frame of its own in a stack: it is not a coroutine when
// a guard follows it (the guard catches for it), and it catches in a frame of its own only when
// what follows declares never_throws. Either way every exception, from any layer, even one that
// wrongly declared never_throws, is answered with the bytes the envelope renders it with.

#include <rampart/errors/envelope.hpp>

#include "errors/wire.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace rampart;
using test::wire;

namespace {

// A coroutine layer that may throw: the composition guards it.
struct pass {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        co_return co_await next(ctx);
    }
};

// Declares never_throws and throws anyway, before calling the rest (a bug in the layer).
struct liar {
    static constexpr bool never_throws = true;
    template <class Next>
    asio::awaitable<response> operator()(context&, Next&) {
        throw std::runtime_error("liar: password=hunter2");
        co_return response{};
    }
};

struct quiet_handler {
    static constexpr bool never_throws = true;
    asio::awaitable<response> operator()(context&) { co_return response{http::status::ok, 11}; }
};

// A handler that throws `E` and is declared never to throw, or not, as chosen.
template <class E, bool Declared>
struct thrower {
    static constexpr bool never_throws = Declared;
    asio::awaitable<response> operator()(context&) {
        throw E("thrower: password=hunter2");
        co_return response{};
    }
};

using with_guard = decltype(stack(error_envelope<>{}, pass{}).wrap(quiet_handler{}));
using without_guard = decltype(stack(error_envelope<>{}).wrap(quiet_handler{}));

} // namespace

// No guard outside the envelope: it never throws, and is the outermost type.
static_assert(never_throws_v<error_envelope<>>);
static_assert(std::is_same_v<with_guard, layered<error_envelope<>, layered<pass, quiet_handler>>>);
static_assert(std::is_same_v<without_guard, layered<error_envelope<>, quiet_handler>>);
static_assert(detail::is_guard<guarded<quiet_handler>> && !detail::is_guard<quiet_handler>);

TEST_CASE("envelope: every exception is the bytes render() gives it, guarded or not") {
    std::vector<std::string> logged;
    auto capture = [&](const log_record& r) { logged.emplace_back(r.message); };
    error_envelope<> env{envelope_format{}, capture};
    error_envelope<problem_format> problem{problem_format{}, capture};

    // What render() (the envelope's own rendering, unchanged) gives for `e`.
    auto rendered = [&](const auto& envelope, std::exception_ptr e) {
        context ctx{test::make_request(http::verb::get, "/x")};
        return wire(envelope.render(std::move(e), ctx));
    };
    auto answer = [](auto app) {
        return wire(test::call(app, test::make_request(http::verb::get, "/x")));
    };
    auto runtime = std::make_exception_ptr(std::runtime_error("x"));
    auto missing = std::make_exception_ptr(not_found{});

    // Behind a guard (the envelope is no coroutine) and behind a never_throws liar (it catches).
    CHECK(answer(stack(env, pass{}).wrap(thrower<std::runtime_error, false>{})) ==
          rendered(env, runtime));
    CHECK(answer(stack(env).wrap(thrower<std::runtime_error, true>{})) == rendered(env, runtime));
    CHECK(answer(stack(env, liar{}).wrap(quiet_handler{})) == rendered(env, runtime));
    CHECK(answer(stack(problem, liar{}).wrap(quiet_handler{})) == rendered(problem, runtime));
    CHECK(answer(stack(problem).wrap(thrower<std::domain_error, true>{})) ==
          rendered(problem, runtime));
    // An http_error keeps its status and text, whichever way it came.
    auto not_found_thrower = [](context&) -> asio::awaitable<response> {
        throw not_found{};
        co_return response{};
    };
    CHECK(answer(stack(env, pass{}).wrap(not_found_thrower)) == rendered(env, missing));
    CHECK(answer(stack(problem).wrap(not_found_thrower)) == rendered(problem, missing));

    // No internal text reaches a client; each 500's cause was logged with it.
    for (const auto& line : logged)
        CHECK(line.find("internal error on GET /x") != std::string::npos);
    CHECK(logged.size() == 5 + 5); // five answers, five references
}

TEST_CASE("envelope: called directly with a next that throws, it answers, never throws") {
    error_envelope<> env{envelope_format{}, {}};
    thrower<std::runtime_error, false> next;
    context ctx{test::make_request(http::verb::get, "/x")};
    response res = test::run(env(ctx, next));
    CHECK(res.result() == http::status::internal_server_error);
    CHECK(res.body().find("hunter2") == std::string::npos);
}
