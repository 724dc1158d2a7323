#include <rampart/core/middleware.hpp>

#include "support/run.hpp"

#include <rampart/errors/envelope.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace rampart;

namespace {

// Records when it runs, before and after the rest of the pipeline.
struct trace {
    std::vector<std::string>* log;
    std::string name;

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        log->push_back(name + ">");
        response res = co_await next(ctx);
        log->push_back("<" + name);
        co_return res;
    }
};

// Answers by itself without calling the rest.
struct gate {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        if (ctx.req()["X-Pass"] != "yes") {
            response res{http::status::forbidden, 11};
            res.body() = "gate";
            co_return res;
        }
        co_return co_await next(ctx);
    }
};

// Adds a header to every response that passes out through it, errors included (CORS-like).
struct stamp {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        response res = co_await next(ctx);
        res.set("X-Stamp", "1");
        co_return res;
    }
};

// Throws before calling the rest.
struct refuse {
    template <class Next>
    asio::awaitable<response> operator()(context&, Next&) {
        throw authentication_failed{};
        co_return response{};
    }
};

struct ok_handler {
    std::vector<std::string>* log;
    asio::awaitable<response> operator()(context&) {
        log->push_back("handler");
        response res{http::status::ok, 11};
        res.body() = "ok";
        co_return res;
    }
};

} // namespace

static_assert(middleware<trace>);
static_assert(middleware<gate>);
static_assert(!middleware<ok_handler>);

TEST_CASE("layers run outermost first and unwind in reverse") {
    std::vector<std::string> log;
    auto app = stack(trace{&log, "a"}, trace{&log, "b"}, trace{&log, "c"}).wrap(ok_handler{&log});
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.body() == "ok");
    CHECK(log == std::vector<std::string>{"a>", "b>", "c>", "handler", "<c", "<b", "<a"});
}

TEST_CASE("a layer may answer without calling the rest") {
    std::vector<std::string> log;
    auto app = stack(trace{&log, "outer"}, gate{}, trace{&log, "inner"}).wrap(ok_handler{&log});

    auto refused = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(refused.result() == http::status::forbidden);
    CHECK(log == std::vector<std::string>{"outer>", "<outer"});

    log.clear();
    auto req = test::make_request(http::verb::get, "/");
    req.set("X-Pass", "yes");
    auto passed = test::call(app, std::move(req));
    CHECK(passed.result() == http::status::ok);
    CHECK(log == std::vector<std::string>{"outer>", "inner>", "handler", "<inner", "<outer"});
}

TEST_CASE("an error thrown by an inner layer passes out through the outer layers as a response") {
    std::vector<std::string> log;
    auto app =
        stack(error_envelope<>{}, stamp{}, trace{&log, "t"}, refuse{}).wrap(ok_handler{&log});
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(res["X-Stamp"] == "1");
    CHECK(log == std::vector<std::string>{"t>", "<t"});
    CHECK(boost::json::parse(res.body()).at("code") == 401);
}

TEST_CASE("an exception from the handler reaches every layer as a 500 without its text") {
    std::vector<std::exception_ptr> logged;
    auto throwing = [](context&) -> asio::awaitable<response> {
        throw std::runtime_error("password=hunter2 at /srv/db.cpp:12");
        co_return response{};
    };
    auto app =
        stack(error_envelope<>{envelope_format{},
                               [&](std::exception_ptr e, const context&) { logged.push_back(e); }},
              stamp{})
            .wrap(throwing);
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::internal_server_error);
    CHECK(res["X-Stamp"] == "1");
    CHECK(res.body().find("hunter2") == std::string::npos);
    CHECK(res.body().find("/srv") == std::string::npos);
    REQUIRE(logged.size() == 1);
    CHECK_THROWS_WITH(std::rethrow_exception(logged[0]), Catch::Contains("hunter2"));
}

TEST_CASE("the envelope's format applies to errors raised outside it too") {
    auto throwing = [](context&) -> asio::awaitable<response> {
        throw not_found{};
        co_return response{};
    };
    auto app = stack(stamp{}, error_envelope<problem_format>{}).wrap(throwing);
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::not_found);
    CHECK(res[http::field::content_type] == "application/problem+json");
    CHECK(res["X-Stamp"] == "1");
}

TEST_CASE("a layer may transform the response") {
    auto upper = [](context& ctx, auto& next) -> asio::awaitable<response> {
        response res = co_await next(ctx);
        for (auto& c : res.body())
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        co_return res;
    };
    std::vector<std::string> log;
    auto app = stack(upper).wrap(ok_handler{&log});
    CHECK(test::call(app, test::make_request(http::verb::get, "/")).body() == "OK");
}

TEST_CASE("stacks extend and wrap plain Beast-style handlers") {
    std::vector<std::string> log;
    auto beast_fn = [](const request& req) {
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.body() = "beast";
        return res;
    };
    auto app = stack(trace{&log, "a"}).with(stamp{}).wrap(beast_fn);
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.body() == "beast");
    CHECK(res["X-Stamp"] == "1");
    CHECK(log == std::vector<std::string>{"a>", "<a"});
}

TEST_CASE("composition adds no type erasure: the stack is its layers' size") {
    auto app = stack(stamp{}, stamp{}, stamp{}).wrap([](context&) -> asio::awaitable<response> {
        co_return response{};
    });
    // Empty layers and an empty lambda: nothing stored but what alignment forces.
    CHECK(sizeof(app) <= 8);
}

// ---- hook middleware, never_throws, and what the composition builds ----

namespace {

// A hook layer: records its before and after (and stamps the response on the way out).
struct trace_hook {
    std::vector<std::string>* log;
    std::string name;
    void before(context&) { log->push_back(name + ">"); }
    void after(context&, response& res) {
        log->push_back("<" + name);
        res.insert("X-Trace", name);
    }
};

// Only amends the response on its way out.
struct stamp_hook {
    void after(context&, response& res) { res.set("X-Stamp", "1"); }
};

// Answers 403 by itself unless the request carries X-Pass: yes.
struct gate_hook {
    std::optional<response> before(context& ctx) {
        if (ctx.req()["X-Pass"] == "yes")
            return std::nullopt;
        response res{http::status::forbidden, 11};
        res.body() = "gate";
        return res;
    }
    void after(context&, response& res) { res.set("X-Gate-After", "1"); }
};

// Throws in before (a 401) or in after (a 404), as chosen.
struct throwing_hook {
    bool in_before;
    void before(context&) {
        if (in_before)
            throw authentication_failed{};
    }
    void after(context&, response&) {
        if (!in_before)
            throw not_found{};
    }
};

// A coroutine layer that declares whether it never throws: no guard is put outside it when it
// does; declaring false is the same as not declaring it.
template <bool NeverThrows>
struct declared_pass {
    static constexpr bool never_throws = NeverThrows;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        co_return co_await next(ctx);
    }
};
using quiet_pass = declared_pass<true>;
using loud_pass = declared_pass<false>;

// A decorating layer that is not a coroutine at all: it hands back the rest's awaitable.
struct decorate {
    static constexpr bool never_throws = true;
    int* calls;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        ++*calls;
        return next(ctx);
    }
};

struct quiet_handler {
    static constexpr bool never_throws = true;
    asio::awaitable<response> operator()(context&) { co_return response{http::status::ok, 11}; }
};

asio::awaitable<response> throws_401(context&) {
    throw authentication_failed{};
    co_return response{};
}

// Calls `app` with a request that carries X-Pass: yes.
template <class H>
response call_with_pass(H& app) {
    auto req = test::make_request(http::verb::get, "/");
    req.set("X-Pass", "yes");
    return test::call(app, std::move(req));
}

http::response<http::string_body> beast_hello(const request& req) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "hello";
    res.prepare_payload();
    return res;
}

http::response<http::string_body> beast_throws(const request&) {
    throw std::runtime_error("secret detail");
}

} // namespace

static_assert(hook_middleware<trace_hook>);
static_assert(hook_middleware<stamp_hook>);
static_assert(hook_middleware<gate_hook>);
static_assert(!middleware<trace_hook>);
static_assert(!hook_middleware<trace>);
static_assert(layer<trace> && layer<trace_hook>);
static_assert(!layer<ok_handler>);
static_assert(never_throws_v<quiet_pass>);
static_assert(!never_throws_v<loud_pass>);
static_assert(!never_throws_v<trace>);
static_assert(!never_throws_v<int>);

// What the composition builds, checked on the types: each is a count of coroutine frames.
namespace {
using hooks5 = decltype(stack(stamp_hook{}, stamp_hook{}, stamp_hook{}, stamp_hook{}, stamp_hook{})
                            .wrap(ok_handler{}));
using quiet5 = decltype(stack(quiet_pass{}, quiet_pass{}, quiet_pass{}, quiet_pass{}, quiet_pass{})
                            .wrap(ok_handler{}));
using beast_hooked = decltype(stack(stamp_hook{}).wrap(&beast_hello));
using beast_guarded = decltype(stack().wrap(&beast_hello));
} // namespace
// Five hook layers are one frame (which also guards the handler), and nothing around it.
static_assert(std::is_same_v<hooks5, detail::fused<ok_handler, stamp_hook, stamp_hook, stamp_hook,
                                                   stamp_hook, stamp_hook>>);
// Five never-throwing layers: one frame each, a single guard (behind the innermost, since the
// handler may throw) and no outer guard.
static_assert(
    std::is_same_v<
        quiet5,
        layered<
            quiet_pass,
            layered<quiet_pass,
                    layered<quiet_pass, layered<quiet_pass, layered<quiet_pass, ok_handler>>>>>>);
// A layer that may throw still gets a guard outside it.
static_assert(std::is_same_v<decltype(stack(loud_pass{}).wrap(quiet_handler{})),
                             guarded<layered<loud_pass, quiet_handler>>>);
static_assert(std::is_same_v<decltype(stack().wrap(quiet_handler{})), quiet_handler>);
// A Beast-style function is called inside the frame of the fused layers or of the guard.
static_assert(
    std::is_same_v<beast_hooked, detail::fused<beast_adapter<decltype(&beast_hello)>, stamp_hook>>);
static_assert(std::is_same_v<beast_guarded, guarded<beast_adapter<decltype(&beast_hello)>>>);

TEST_CASE("hook layers run in stack order, interleaved with coroutine layers") {
    std::vector<std::string> log;
    auto app = stack(trace{&log, "a"}, trace_hook{&log, "b"}, trace_hook{&log, "c"},
                     trace{&log, "d"}, trace_hook{&log, "e"})
                   .wrap(ok_handler{&log});
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.body() == "ok");
    CHECK(log == std::vector<std::string>{"a>", "b>", "c>", "d>", "e>", "handler", "<e", "<d", "<c",
                                          "<b", "<a"});
    // Innermost after first: e, then c, then b.
    std::vector<std::string> traces;
    for (const auto& field : res)
        if (field.name_string() == "X-Trace")
            traces.emplace_back(field.value());
    CHECK(traces == std::vector<std::string>{"e", "c", "b"});
}

TEST_CASE("a hook layer may answer in before: the rest and its own after are skipped") {
    std::vector<std::string> log;
    auto app = stack(stamp{}, trace_hook{&log, "outer"}, gate_hook{}, trace_hook{&log, "inner"})
                   .wrap(ok_handler{&log});

    auto refused = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(refused.result() == http::status::forbidden);
    CHECK(refused.body() == "gate");
    CHECK(refused["X-Stamp"] == "1");
    CHECK(refused.count("X-Gate-After") == 0);
    CHECK(log == std::vector<std::string>{"outer>", "<outer"});

    log.clear();
    auto passed = call_with_pass(app);
    CHECK(passed.result() == http::status::ok);
    CHECK(passed["X-Gate-After"] == "1");
    CHECK(log == std::vector<std::string>{"outer>", "inner>", "handler", "<inner", "<outer"});
}

TEST_CASE("an inner layer's error passes out through hooks fused on both sides of a coroutine") {
    std::vector<std::string> log;
    auto app = stack(error_envelope<>{}, stamp_hook{}, trace{&log, "co"}, trace_hook{&log, "hook"},
                     refuse{})
                   .wrap(ok_handler{&log});
    auto unauthorized = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(unauthorized.result() == http::status::unauthorized);
    CHECK(unauthorized["X-Stamp"] == "1");
    CHECK(unauthorized["X-Trace"] == "hook");
    CHECK(boost::json::parse(unauthorized.body()).at("code") == 401);
    CHECK(log == std::vector<std::string>{"co>", "hook>", "<hook", "<co"});
}

TEST_CASE("a hook that throws in before is rendered there, and the layers outside see it") {
    std::vector<std::string> log;
    auto app = stack(error_envelope<>{}, trace_hook{&log, "outer"}, throwing_hook{true},
                     trace_hook{&log, "inner"})
                   .wrap(ok_handler{&log});
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(res["X-Trace"] == "outer");
    CHECK(boost::json::parse(res.body()).at("code") == 401);
    CHECK(log == std::vector<std::string>{"outer>", "<outer"});
}

TEST_CASE("a hook that throws in after replaces the response, and the layers outside see it") {
    std::vector<std::string> log;
    auto app = stack(error_envelope<>{}, stamp{}, trace_hook{&log, "outer"}, throwing_hook{false},
                     trace_hook{&log, "inner"})
                   .wrap(ok_handler{&log});
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::not_found);
    CHECK(res["X-Trace"] == "outer"); // inner's header went with the replaced response
    CHECK(res["X-Stamp"] == "1");
    CHECK(boost::json::parse(res.body()).at("code") == 404);
    CHECK(log == std::vector<std::string>{"outer>", "inner>", "handler", "<inner", "<outer"});
}

TEST_CASE("a never-throwing layer still sees the errors of the layers inside it") {
    int calls = 0;
    auto app = stack(error_envelope<>{}, stamp{}, quiet_pass{}, decorate{&calls}, quiet_pass{})
                   .wrap(throws_401);
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(res["X-Stamp"] == "1");
    CHECK(boost::json::parse(res.body()).at("code") == 401);
    CHECK(calls == 1);

    auto refusing = stack(stamp{}, quiet_pass{}, refuse{}).wrap(quiet_handler{});
    auto refused = test::call(refusing, test::make_request(http::verb::get, "/"));
    CHECK(refused.result() == http::status::unauthorized);
    CHECK(refused["X-Stamp"] == "1");
}

TEST_CASE("a pipeline of never-throwing layers answers without any guard") {
    int calls = 0;
    auto app = stack(decorate{&calls}, quiet_pass{}, decorate{&calls}).wrap(quiet_handler{});
    static_assert(
        std::is_same_v<decltype(app),
                       layered<decorate, layered<quiet_pass, layered<decorate, quiet_handler>>>>);
    CHECK(test::call(app, test::make_request(http::verb::get, "/")).result() == http::status::ok);
    CHECK(calls == 2);
}

TEST_CASE("a Beast-style handler wraps unchanged behind hooks and guards, errors included") {
    auto hooked = stack(error_envelope<>{}, stamp_hook{}).wrap(&beast_hello);
    auto res = test::call(hooked, test::make_request(http::verb::get, "/"));
    CHECK(res.body() == "hello");
    CHECK(res[http::field::content_type] == "text/plain");
    CHECK(res["X-Stamp"] == "1");

    auto failing =
        stack(error_envelope<>{envelope_format{}, log_sink{}}, stamp_hook{}).wrap(&beast_throws);
    auto failed = test::call(failing, test::make_request(http::verb::get, "/"));
    CHECK(failed.result() == http::status::internal_server_error);
    CHECK(failed["X-Stamp"] == "1");
    CHECK(failed.body().find("secret") == std::string::npos);

    auto bare = stack().wrap(&beast_throws);
    auto bare_failed = test::call(bare, test::make_request(http::verb::get, "/"));
    CHECK(bare_failed.result() == http::status::internal_server_error);
    CHECK(bare_failed.body().find("secret") == std::string::npos);

    int seen = 0;
    auto sync_throwing = stack(stamp_hook{}).wrap([&](context&) -> response {
        ++seen;
        throw not_found{};
    });
    auto not_found_res = test::call(sync_throwing, test::make_request(http::verb::get, "/"));
    CHECK(not_found_res.result() == http::status::not_found);
    CHECK(not_found_res["X-Stamp"] == "1");
    CHECK(seen == 1);
}

namespace {
// Not a coroutine and not declared never-throwing: what it throws before returning the rest's
// awaitable is caught by the guard outside it.
struct sync_refuse {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        if (ctx.req()["X-Pass"] != "yes")
            throw permission_denied{};
        return next(ctx);
    }
};

// Declares never_throws and throws anyway (a bug in the layer).
struct liar {
    static constexpr bool never_throws = true;
    template <class Next>
    asio::awaitable<response> operator()(context&, Next&) {
        throw not_found{};
        co_return response{};
    }
};
} // namespace

TEST_CASE("a layer that is not a coroutine and may throw is guarded like any other") {
    auto app = stack(error_envelope<>{}, stamp_hook{}, sync_refuse{}).wrap(quiet_handler{});
    auto refused = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(refused.result() == http::status::forbidden);
    CHECK(refused["X-Stamp"] == "1");
    CHECK(boost::json::parse(refused.body()).at("code") == 403);

    CHECK(call_with_pass(app).result() == http::status::ok);
}

TEST_CASE("a layer that throws despite declaring never_throws is still answered, outside") {
    // No guard between stamp and the liar, so stamp's after-work is skipped; the guard outside
    // stamp (which may throw) renders the 404.
    auto app = stack(stamp{}, liar{}).wrap(quiet_handler{});
    auto res = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(res.result() == http::status::not_found);
    CHECK(res.count("X-Stamp") == 0);
}

TEST_CASE("hook layers take no space and wrap no type erasure") {
    auto app = stack(stamp_hook{}, stamp_hook{}, stamp_hook{}).wrap(quiet_handler{});
    CHECK(sizeof(app) <= 8);
}

namespace {
// A hook with a call operator too: a middleware where only those are taken (a route group's
// stack), composed as a hook by stack.
struct gate_both_ways {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) const {
        return before_then(*this, ctx, next);
    }
    std::optional<response> before(context& ctx) const {
        if (ctx.req()["X-Pass"] == "yes")
            return std::nullopt;
        return response{http::status::forbidden, 11};
    }
};
} // namespace

static_assert(middleware<gate_both_ways> && hook_middleware<gate_both_ways>);
static_assert(std::is_same_v<decltype(stack(gate_both_ways{}).wrap(quiet_handler{})),
                             detail::fused<quiet_handler, gate_both_ways>>);

TEST_CASE("a hook with a call operator is fused by stack, and runs before the rest when called") {
    auto app = stack(stamp_hook{}, gate_both_ways{}).wrap(quiet_handler{});
    auto refused = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(refused.result() == http::status::forbidden);
    CHECK(refused["X-Stamp"] == "1");
    CHECK(call_with_pass(app).result() == http::status::ok);

    gate_both_ways gate;
    quiet_handler next;
    context refused_ctx{test::make_request(http::verb::get, "/")};
    CHECK(test::run(gate(refused_ctx, next)).result() == http::status::forbidden);
    auto req = test::make_request(http::verb::get, "/");
    req.set("X-Pass", "yes");
    context passed_ctx{std::move(req)};
    CHECK(test::run(gate(passed_ctx, next)).result() == http::status::ok);
}
