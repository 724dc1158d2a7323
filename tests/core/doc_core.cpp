// The examples of docs/core.md, compiled and run. Keep them in step with the page.
#include <rampart/core.hpp>
#include <rampart/errors.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

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

// A hook layer: a plain member function instead of a coroutine.
struct server_header {
    void after(rampart::context&, rampart::response& res) { res.set(http::field::server, "shop"); }
};

// A hook layer that answers by itself while maintenance is on.
struct maintenance {
    bool on = false;
    std::optional<rampart::response> before(rampart::context&) {
        if (!on)
            return std::nullopt;
        rampart::response res{http::status::service_unavailable, 11};
        res.set(http::field::retry_after, "120");
        return res;
    }
};

// A layer that cannot throw and only acts on the way in: no guard, no frame of its own.
struct count_requests {
    static constexpr bool never_throws = true;
    std::atomic<std::uint64_t>* served;

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        served->fetch_add(1, std::memory_order_relaxed);
        return next(ctx); // not a coroutine: no frame of its own
    }
};

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

TEST_CASE("docs/core.md: hook middleware") {
    auto app = rampart::stack(rampart::error_envelope<>{}, doc::server_header{}, doc::maintenance{})
                   .wrap(doc::hello);
    auto ok = test::call(app, test::make_request(http::verb::get, "/hi"));
    CHECK(ok.result() == http::status::ok);
    CHECK(ok[http::field::server] == "shop");

    auto closed = rampart::stack(doc::server_header{}, doc::maintenance{true}).wrap(doc::hello);
    auto res = test::call(closed, test::make_request(http::verb::get, "/hi"));
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(res[http::field::retry_after] == "120");
    CHECK(res[http::field::server] == "shop");
}

TEST_CASE("docs/core.md: a layer that never throws") {
    std::atomic<std::uint64_t> served{0};
    auto app = rampart::stack(doc::count_requests{&served}, doc::require_api_key{"s3cret"})
                   .wrap(doc::hello);
    static_assert(rampart::never_throws_v<decltype(app)>);
    auto refused = test::call(app, test::make_request(http::verb::get, "/hi"));
    CHECK(refused.result() == http::status::forbidden); // the guard behind it rendered the 403
    auto req = test::make_request(http::verb::get, "/hi");
    req.set("X-Api-Key", "s3cret");
    CHECK(test::call(app, std::move(req)).result() == http::status::ok);
    CHECK(served == 2);
}

TEST_CASE("docs/core.md: extension slots") {
    rampart::context ctx{rampart::request{http::verb::get, "/", 11}};
    ctx.emplace<doc::request_id>("r-1");
    if (auto* id = ctx.find<doc::request_id>())
        CHECK(id->value == "r-1");
    CHECK(ctx.find<doc::request_id>() != nullptr);
}
