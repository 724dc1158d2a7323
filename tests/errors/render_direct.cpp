// context::render_error(const E&): an error rendered without being thrown must be, byte for
// byte and log line for log line, what rendering it thrown gives, whatever sink is installed.

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include "errors/wire.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <new>
#include <string>
#include <typeinfo>
#include <vector>

using namespace rampart;
using test::wire;

namespace {

// A renderable error that is not an http_error: the envelope answers it 500 and logs it.
struct teapot_error : renderable_error {
    response default_response() const override {
        return text_response(http::status::misdirected_request, "teapot");
    }
    const char* what() const noexcept override { return "teapot"; }
};

// What the log sink saw: each record's line and the type of its exception.
struct log_capture {
    std::vector<std::string> lines;
    std::vector<std::string> types;
    log_sink sink() {
        return [this](const log_record& r) {
            lines.emplace_back(r.message);
            try {
                std::rethrow_exception(r.error);
            } catch (const std::exception& e) {
                types.emplace_back(typeid(e).name());
            }
        };
    }
};

// Runs `body(ctx)` as the handler inside `layers` and returns the handler's own result (the
// rendering under test), not what the stack makes of it.
template <class Stack>
response inside(Stack layers, const std::function<response(context&)>& body) {
    response seen;
    auto app = std::move(layers).wrap([&](context& ctx) -> asio::awaitable<response> {
        seen = body(ctx);
        co_return seen;
    });
    test::call(app, test::make_request(http::verb::get, "/orders/7/"));
    return seen;
}

// Each error both ways under `layers`: same bytes, same log lines and exception types.
template <class MakeStack>
void check_both_ways(MakeStack make_stack) {
    auto each = [&](const auto& error) {
        INFO(typeid(error).name());
        log_capture thrown_log, direct_log;
        response thrown = inside(make_stack(thrown_log.sink()), [&](context& ctx) {
            return ctx.render_error(std::make_exception_ptr(error));
        });
        response direct = inside(make_stack(direct_log.sink()),
                                 [&](context& ctx) { return ctx.render_error(error); });
        CHECK(wire(direct) == wire(thrown));
        CHECK(direct_log.lines == thrown_log.lines);
        CHECK(direct_log.types == thrown_log.types);
    };
    each(not_found{});
    each(method_not_allowed{"DELETE", {"GET", "HEAD", "OPTIONS"}});
    each(throttled{std::chrono::seconds{3}});
    each(validation_error{"quantity", "Too small.", "min_value"});
    each(internal_error{});
    each(service_unavailable{"Database unavailable.", std::chrono::seconds{5}});
    each(teapot_error{});
}

// A format that cannot render (as if memory ran out).
struct failing_format {
    response operator()(const http_error&) const { throw std::bad_alloc{}; }
};

} // namespace

TEST_CASE("an error rendered without a throw is the response and log its throw gives") {
    SECTION("envelope format") {
        check_both_ways([](log_sink log) {
            return stack(error_envelope<envelope_format>{envelope_format{}, std::move(log)});
        });
    }
    SECTION("problem format") {
        check_both_ways([](log_sink log) {
            return stack(error_envelope<problem_format>{problem_format{}, std::move(log)});
        });
    }
    SECTION("no envelope: the context's default") {
        check_both_ways([](log_sink) { return stack(); });
    }
}

TEST_CASE("the 5xx a direct render logs carries the error's own type") {
    log_capture log;
    response res = inside(stack(error_envelope<>{envelope_format{}, log.sink()}),
                          [](context& ctx) { return ctx.render_error(internal_error{}); });
    CHECK(res.result() == http::status::internal_server_error);
    REQUIRE(log.types.size() == 1);
    CHECK(log.types[0] == typeid(internal_error).name());
    CHECK(log.lines[0] == "rampart: internal error on GET /orders/7/: A server error occurred.");
}

TEST_CASE("a sink set without a direct renderer gets the error as an exception of its type") {
    struct recorder {
        std::string seen;
        static response sink(const void* self, std::exception_ptr e, const context&) {
            auto& r = *const_cast<recorder*>(static_cast<const recorder*>(self));
            try {
                std::rethrow_exception(e);
            } catch (const not_found&) {
                r.seen = "not_found";
            } catch (...) {
                r.seen = "other";
            }
            return text_response(http::status::not_found, "custom");
        }
    } rec;
    context ctx{test::make_request(http::verb::get, "/")};
    ctx.set_error_sink(&recorder::sink, &rec);
    response res = ctx.render_error(not_found{});
    CHECK(rec.seen == "not_found");
    CHECK(res.body() == "custom");
}

TEST_CASE("a format that fails while rendering directly still answers the fixed 500") {
    auto make = [] { return stack(error_envelope<failing_format>{failing_format{}, {}}); };
    response direct = inside(make(), [](context& ctx) { return ctx.render_error(not_found{}); });
    response thrown = inside(make(), [](context& ctx) {
        return ctx.render_error(std::make_exception_ptr(not_found{}));
    });
    CHECK(direct.result() == http::status::internal_server_error);
    CHECK(wire(direct) == wire(thrown));
    CHECK(direct.body() ==
          R"({"status":"error","code":500,"errors":{"detail":"A server error occurred."}})");
}
