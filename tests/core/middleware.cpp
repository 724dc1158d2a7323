#include <rampart/core/middleware.hpp>

#include "support/run.hpp"

#include <rampart/errors/envelope.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <string>
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
