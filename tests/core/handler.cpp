#include <rampart/core/handler.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <boost/beast/http/empty_body.hpp>

using namespace rampart;

namespace {

// Written exactly as Boost.Beast's examples write a handler: no rampart types in sight.
http::response<http::string_body> beast_style(const http::request<http::string_body>& req) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "you asked for " + std::string(req.target());
    res.prepare_payload();
    return res;
}

http::response<http::empty_body> beast_no_content(http::request<http::string_body>&& req) {
    http::response<http::empty_body> res{http::status::no_content, req.version()};
    res.set("X-Moved", req.body());
    return res;
}

struct async_handler {
    asio::awaitable<response> operator()(context& ctx) {
        co_return text_like(std::string(ctx.path()));
    }
    static response text_like(std::string s) {
        response res{http::status::ok, 11};
        res.body() = std::move(s);
        return res;
    }
};

} // namespace

static_assert(handler<async_handler>);
static_assert(!handler<decltype(&beast_style)>);
static_assert(beast_handler<decltype(&beast_style)>);

TEST_CASE("an asynchronous handler is used as it is") {
    auto h = make_handler(async_handler{});
    static_assert(std::is_same_v<decltype(h), async_handler>);
    CHECK(test::call(h, test::make_request(http::verb::get, "/a?b")).body() == "/a");
}

TEST_CASE("a synchronous context handler is adapted unchanged") {
    int calls = 0;
    auto h = make_handler([&](context& ctx) {
        ++calls;
        response res{http::status::created, 11};
        res.body() = std::string(ctx.query());
        return res;
    });
    auto res = test::call(h, test::make_request(http::verb::post, "/x?q=1"));
    CHECK(calls == 1);
    CHECK(res.result() == http::status::created);
    CHECK(res.body() == "q=1");
}

TEST_CASE("a Beast-style function is adapted unchanged") {
    auto h = make_handler(&beast_style);
    auto res = test::call(h, test::make_request(http::verb::get, "/hello"));
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "you asked for /hello");
    CHECK(res[http::field::content_type] == "text/plain");
}

TEST_CASE("a Beast-style function taking the request by rvalue gets it moved in") {
    auto h = make_handler(&beast_no_content);
    auto req = test::make_request(http::verb::post, "/x");
    req.body() = "moved";
    auto res = test::call(h, std::move(req));
    CHECK(res.result() == http::status::no_content);
    CHECK(res["X-Moved"] == "moved");
    CHECK(res.body().empty());
}
