// The examples of docs/core.md, compiled and run. Keep them in step with the page.
#include <rampart/core.hpp>
#include <rampart/errors.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace rampart;

namespace doc {

// A middleware that stamps every response with how long the rest of the pipeline took.
struct timing {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        auto start = std::chrono::steady_clock::now();
        response res = co_await next(ctx); // never throws: errors arrive as responses
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - start);
        res.set("Server-Timing", "app;dur=" + std::to_string(us.count() / 1000.0));
        co_return res;
    }
};

// A middleware that answers by itself when a header is missing (a short-circuit).
struct require_api_key {
    std::string key;

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        if (ctx.req()["X-Api-Key"] != key)
            throw permission_denied{"A valid X-Api-Key header is required."};
        co_return co_await next(ctx);
    }
};

// A handler: the async form every layer speaks.
asio::awaitable<response> hello(context& ctx) {
    co_return json_response(http::status::ok, {{"path", std::string(ctx.path())}});
}

// A plain Beast-style function, exactly as Beast's examples write one: it wraps unchanged.
http::response<http::string_body> legacy(const http::request<http::string_body>& req) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "legacy";
    res.prepare_payload();
    return res;
}

// A per-request extension slot: any type, found by type.
struct request_id {
    std::string value;
};

} // namespace doc

TEST_CASE("docs/core.md: composing a stack") {
    auto app =
        rampart::stack(rampart::error_envelope<>{}, doc::timing{}, doc::require_api_key{"s3cret"})
            .wrap(doc::hello);

    auto req = test::make_request(http::verb::get, "/hi");
    req.set("X-Api-Key", "s3cret");
    auto ok = test::call(app, std::move(req));
    CHECK(ok.result() == http::status::ok);
    CHECK(ok.has_content_length());
    CHECK(ok.count("Server-Timing") == 1);

    auto refused = test::call(app, test::make_request(http::verb::get, "/hi"));
    CHECK(refused.result() == http::status::forbidden);
    CHECK(refused.count("Server-Timing") == 1); // the error passed out through `timing`
}

TEST_CASE("docs/core.md: wrapping a Beast-style handler") {
    auto app = rampart::stack(rampart::error_envelope<>{}).wrap(doc::legacy);
    CHECK(test::call(app, test::make_request(http::verb::get, "/")).body() == "legacy");
}

TEST_CASE("docs/core.md: extension slots") {
    rampart::context ctx{rampart::request{http::verb::get, "/", 11}};
    ctx.emplace<doc::request_id>("r-1");
    if (auto* id = ctx.find<doc::request_id>())
        CHECK(id->value == "r-1");
    CHECK(ctx.find<doc::request_id>() != nullptr);
}
