#include <rampart/router/router.hpp>

#include "router/router_test.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using test::echo_route;
using test::envelope_detail;
using test::is_envelope;
using test::send;

namespace {

// Counts its calls in a member: if versions copied the handler, each copy would count alone.
struct counting_handler {
    int calls = 0;
    response operator()(context& ctx) {
        ++calls;
        return text_response(http::status::ok,
                             std::string(ctx.version()) + ":" + std::to_string(calls));
    }
};

// Refuses requests without `X-Auth: yes` (stands in for jwt::require_authenticated).
struct require_header {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        if (ctx.req()["X-Auth"] != "yes")
            throw not_authenticated{};
        co_return co_await next(ctx);
    }
};

// Appends its name to `X-Trace` on the way out, to show the order layers run in.
struct tracer {
    std::string name;
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        response res = co_await next(ctx);
        std::string trace(res["X-Trace"]);
        res.set("X-Trace", trace + name);
        co_return res;
    }
};

router shop_router() {
    router api;
    auto both = api.versions({"v1", "v2"});
    both.get("/products/", echo_route, "product-list");
    both.get("/products/{id:int}/", echo_route, "product-detail");
    both.post("/products/{id:int}/", echo_route);
    both.get("/products/new/", echo_route, "product-new");
    both.get("/files/{name}/", echo_route, "file");
    both.get("/items/{key:uuid}/", echo_route, "item");
    both.get("/tags/{tag:slug}/", echo_route, "tag");
    api.version("v2").get("/products/{id:int}/stock/", echo_route, "product-stock");
    api.unversioned().post("/api/token/", echo_route, "token");
    return api;
}

} // namespace

TEST_CASE("typed parameters are decoded onto the context with the version") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    auto res = send(svc, http::verb::get, "/api/v1/products/42/");
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "version=v1 id=42");

    res = send(svc, http::verb::get, "/api/v2/products/9223372036854775807/");
    CHECK(res.body() == "version=v2 id=9223372036854775807");

    res = send(svc, http::verb::get, "/api/v1/items/123e4567-e89b-12d3-a456-426614174000/");
    CHECK(res.body() == "version=v1 key=123e4567-e89b-12d3-a456-426614174000");
    CHECK(
        send(svc, http::verb::get, "/api/v1/items/123e4567-e89b-12d3-a456-42661417400/").result() ==
        http::status::not_found);

    CHECK(send(svc, http::verb::get, "/api/v1/tags/red-shoes_2/").body() ==
          "version=v1 tag=red-shoes_2");
    CHECK(send(svc, http::verb::get, "/api/v1/tags/red%20shoes/").result() ==
          http::status::not_found);
}

TEST_CASE("int parameters refuse what is not a small non-negative decimal with 404") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    for (const char* id : {"abc", "1a", "-1", "+1", "1.5", "0x10", "9223372036854775808",
                           "99999999999999999999999999", "%31%32x"}) {
        INFO(id);
        auto res = send(svc, http::verb::get, std::string("/api/v1/products/") + id + "/");
        CHECK(res.result() == http::status::not_found);
        CHECK(is_envelope(res));
    }
    // An escaped digit is still a digit.
    CHECK(send(svc, http::verb::get, "/api/v1/products/%34%32/").body() == "version=v1 id=42");
}

TEST_CASE("an encoded slash stays inside its segment, literals are compared decoded") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    CHECK(send(svc, http::verb::get, "/api/v1/files/a%2Fb/").body() == "version=v1 name=a/b");
    CHECK(send(svc, http::verb::get, "/api/v1/files/a/b/").result() == http::status::not_found);
    CHECK(send(svc, http::verb::get, "/api/v1/files/caf%C3%A9%20menu/").body() ==
          "version=v1 name=café menu");
    CHECK(send(svc, http::verb::get, "/api/v1/files/a+b/").body() == "version=v1 name=a+b");
    CHECK(send(svc, http::verb::get, "/api/v1/%70roducts/7/").body() == "version=v1 id=7");
    // The escaped slash never joins the literal segments `products` and `7`.
    CHECK(send(svc, http::verb::get, "/api/v1/products%2F7/").result() == http::status::not_found);
}

TEST_CASE("a literal segment wins over a parameter") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    CHECK(send(svc, http::verb::get, "/api/v1/products/new/").body() == "version=v1");
}

TEST_CASE("parameters backtrack when the literal branch dead-ends") {
    router api;
    auto v1 = api.version("v1");
    v1.get("/a/b/c/", echo_route);
    v1.get("/a/{x}/d/", echo_route);
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v1/a/b/d/").body() == "version=v1 x=b");
    CHECK(send(svc, http::verb::get, "/api/v1/a/b/c/").body() == "version=v1");
}

TEST_CASE("two methods on one path may name their parameters differently") {
    router api;
    api.version("v1").get("/p/{id:int}/", echo_route).post("/p/{pk:int}/", echo_route);
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v1/p/5/").body() == "version=v1 id=5");
    CHECK(send(svc, http::verb::post, "/api/v1/p/5/").body() == "version=v1 pk=5");
}

TEST_CASE("custom matchers") {
    router api;
    api.add_matcher("sku", [](std::string_view s) {
        return s.size() == 8 && s.starts_with("SKU-") &&
               s.find_first_not_of("0123456789", 4) == std::string_view::npos;
    });
    api.version("v1").get("/skus/{code:sku}/", echo_route, "sku").get("/skus/{other}/", echo_route);
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v1/skus/SKU-1234/").body() ==
          "version=v1 code=SKU-1234");
    // Not a SKU: falls to the string parameter, tried last.
    CHECK(send(svc, http::verb::get, "/api/v1/skus/SKU-12x4/").body() ==
          "version=v1 other=SKU-12x4");
    CHECK(api.urls().path("sku", "v1", {{"code", "SKU-0001"}}) == "/api/v1/skus/SKU-0001/");
    CHECK_THROWS_AS(api.urls().path("sku", "v1", {{"code", "nope"}}), std::invalid_argument);
    CHECK_THROWS_AS(api.add_matcher("sku", [](std::string_view) { return true; }),
                    std::invalid_argument);
    CHECK_THROWS_AS(api.add_matcher("late", [](std::string_view) { return true; }),
                    std::logic_error);
}

TEST_CASE("the trailing slash is part of the route, no redirects") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    auto res = send(svc, http::verb::get, "/api/v1/products/1");
    CHECK(res.result() == http::status::not_found);
    CHECK(res.find(http::field::location) == res.end());
    CHECK(send(svc, http::verb::get, "/api/v1/products").result() == http::status::not_found);
    CHECK(send(svc, http::verb::get, "/api/v1/products//").result() == http::status::not_found);
    CHECK(send(svc, http::verb::get, "/api/v1/products/").result() == http::status::ok);
}

TEST_CASE("unknown path 404, other method 405 with Allow, in the envelope") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    auto res = send(svc, http::verb::get, "/api/v1/nothing/");
    CHECK(res.result() == http::status::not_found);
    CHECK(envelope_detail(res) == "Not found.");

    res = send(svc, http::verb::delete_, "/api/v1/products/1/");
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(res[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    CHECK(is_envelope(res));

    res = send(svc, http::verb::put, "/api/v1/products/");
    CHECK(res[http::field::allow] == "GET, HEAD, OPTIONS");

    res = send(svc, http::verb::get, "/api/token/");
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(res[http::field::allow] == "POST, OPTIONS");

    // An unknown method name is sanitised into the message and still 405.
    request req = test::make_request(http::verb::get, "/api/v1/products/");
    req.method_string("BREW");
    res = test::call(svc, std::move(req));
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(envelope_detail(res) == "Method \"BREW\" not allowed.");
}

TEST_CASE("HEAD runs the GET route without a body, OPTIONS answers Allow") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    auto get = send(svc, http::verb::get, "/api/v1/products/3/");
    auto head = send(svc, http::verb::head, "/api/v1/products/3/");
    CHECK(head.result() == http::status::ok);
    CHECK(head.body().empty());
    CHECK(head[http::field::content_length] == std::to_string(get.body().size()));
    CHECK(head[http::field::content_type] == get[http::field::content_type]);

    auto options = send(svc, http::verb::options, "/api/v1/products/3/");
    CHECK(options.result() == http::status::no_content);
    CHECK(options[http::field::allow] == "GET, HEAD, POST, OPTIONS");

    CHECK(send(svc, http::verb::head, "/api/v1/nothing/").result() == http::status::not_found);
    CHECK(send(svc, http::verb::options, "/api/v1/nothing/").result() == http::status::not_found);
}

TEST_CASE("a route may serve OPTIONS and HEAD itself") {
    router api;
    api.version("v1")
        .get("/x/", echo_route)
        .route(http::verb::options, "/x/",
               [](context&) { return text_response(http::status::ok, "custom options"); })
        .route(http::verb::head, "/x/", [](context&) {
            response res{http::status::ok, 11};
            res.set("X-Head", "own");
            return res;
        });
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::options, "/api/v1/x/").body() == "custom options");
    CHECK(send(svc, http::verb::head, "/api/v1/x/")["X-Head"] == "own");
}

TEST_CASE("OPTIONS * lists what the service serves, other methods on * are 400") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    auto res = send(svc, http::verb::options, "*");
    CHECK(res.result() == http::status::no_content);
    CHECK(res[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    res = send(svc, http::verb::get, "*");
    CHECK(res.result() == http::status::bad_request);
    CHECK(is_envelope(res));
}

TEST_CASE("a route shared by versions is one handler, not a copy per version") {
    router api;
    api.versions({"v1", "v2"}).get("/count/", counting_handler{});
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v1/count/").body() == "v1:1");
    CHECK(send(svc, http::verb::get, "/api/v2/count/").body() == "v2:2");
    CHECK(send(svc, http::verb::get, "/api/v1/count/").body() == "v1:3");
}

TEST_CASE("a per-version route exists only in its version") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    CHECK(send(svc, http::verb::get, "/api/v2/products/5/stock/").body() == "version=v2 id=5");
    CHECK(send(svc, http::verb::get, "/api/v1/products/5/stock/").result() ==
          http::status::not_found);
}

TEST_CASE("unversioned routes are matched on the whole path, outside versions") {
    auto svc = stack(error_envelope<>{}).wrap(shop_router());
    auto res = send(svc, http::verb::post, "/api/token/");
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "version=");
}

TEST_CASE("handlers of every kind make_handler takes") {
    router api;
    api.version("v1")
        .get("/async/",
             [](context&) -> asio::awaitable<response> {
                 co_return text_response(http::status::ok, "async");
             })
        .get("/sync/", [](context&) { return text_response(http::status::ok, "sync"); })
        .get("/beast/", [](const request& req) {
            http::response<http::empty_body> res{http::status::accepted, req.version()};
            return res;
        });
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v1/async/").body() == "async");
    CHECK(send(svc, http::verb::get, "/api/v1/sync/").body() == "sync");
    CHECK(send(svc, http::verb::get, "/api/v1/beast/").result() == http::status::accepted);
}

TEST_CASE("an exception in a handler becomes the envelope's response") {
    router api;
    api.version("v1")
        .get("/boom/", [](context&) -> response { throw std::runtime_error("secret detail"); })
        .get("/gone/", [](context&) -> response { throw not_found("No such order."); });
    std::string logged;
    auto svc = stack(error_envelope<>{envelope_format{},
                                      [&](std::exception_ptr, const context&) { logged = "yes"; }})
                   .wrap(api);
    auto res = send(svc, http::verb::get, "/api/v1/boom/");
    CHECK(res.result() == http::status::internal_server_error);
    CHECK(res.body().find("secret") == std::string::npos);
    CHECK(logged == "yes");
    res = send(svc, http::verb::get, "/api/v1/gone/");
    CHECK(res.result() == http::status::not_found);
    CHECK(envelope_detail(res) == "No such order.");
}

TEST_CASE("route groups run their own middleware, composed around their routes only") {
    router api;
    auto both = api.versions({"v1", "v2"});
    both.get("/products/", echo_route);
    auto orders = both.group("/orders", stack(require_header{}, tracer{"orders"}));
    orders.get("/", echo_route, "order-list").get("/{id:int}/", echo_route, "order-detail");
    auto audited = orders.group("/{id:int}/audit", stack(tracer{"audit"}));
    audited.get("/", echo_route, "order-audit");
    api.unversioned()
        .group("/api/token", stack(tracer{"login-throttle"}))
        .post("/", echo_route, "token");
    auto svc = stack(error_envelope<>{}).wrap(api);

    auto res = send(svc, http::verb::get, "/api/v1/orders/");
    CHECK(res.result() == http::status::unauthorized);
    CHECK(is_envelope(res));
    res = send(svc, http::verb::get, "/api/v2/orders/7/", {{"X-Auth", "yes"}});
    CHECK(res.body() == "version=v2 id=7");
    CHECK(res["X-Trace"] == "orders");
    // The nested group runs inside its parent: audit first on the way out, then orders.
    res = send(svc, http::verb::get, "/api/v1/orders/7/audit/", {{"X-Auth", "yes"}});
    CHECK(res["X-Trace"] == "auditorders");
    CHECK(send(svc, http::verb::get, "/api/v1/orders/7/audit/").result() ==
          http::status::unauthorized);
    // Routes outside the group are untouched.
    res = send(svc, http::verb::get, "/api/v1/products/");
    CHECK(res.result() == http::status::ok);
    CHECK(res.find("X-Trace") == res.end());
    CHECK(send(svc, http::verb::post, "/api/token/")["X-Trace"] == "login-throttle");
    CHECK(api.urls().path("order-audit", "v2", {{"id", 7}}) == "/api/v2/orders/7/audit/");
}

TEST_CASE("bad route declarations are refused at start-up") {
    router api;
    auto v1 = api.version("v1");
    v1.get("/a/{id:int}/", echo_route, "a");
    CHECK_THROWS_AS(v1.get("/a/{pk:int}/", echo_route), std::invalid_argument); // same path+GET
    CHECK_THROWS_AS(v1.get("/b/", echo_route, "a"), std::invalid_argument);     // name taken
    CHECK_THROWS_AS(v1.get("no-slash/", echo_route), std::invalid_argument);
    CHECK_THROWS_AS(v1.get("/{id:float}/", echo_route), std::invalid_argument);
    CHECK_THROWS_AS(v1.get("/{id}/{id}/", echo_route), std::invalid_argument);
    CHECK_THROWS_AS(v1.get("/{1x}/", echo_route), std::invalid_argument);
    CHECK_THROWS_AS(v1.get("/../x/", echo_route), std::invalid_argument);
    CHECK_THROWS_AS(v1.get("/a%2Fb/", echo_route), std::invalid_argument);
    CHECK_THROWS_AS(v1.group("/trailing/", stack()), std::invalid_argument);
    CHECK_THROWS_AS(api.version("v 1"), std::invalid_argument);
    CHECK_THROWS_AS(api.deprecate("v9", {}), std::invalid_argument);
}

TEST_CASE("reverse URLs by route name, version and parameters") {
    router api = shop_router();
    auto urls = api.urls();
    CHECK(urls.path("product-detail", "v1", {{"id", 3}}) == "/api/v1/products/3/");
    CHECK(urls.path("product-list", "v2") == "/api/v2/products/");
    CHECK(urls.path("product-stock", "v2", {{"id", "12"}}) == "/api/v2/products/12/stock/");
    CHECK(urls.path("token", "") == "/api/token/");
    // Values are percent-encoded so they never change the URL's shape.
    CHECK(urls.path("file", "v1", {{"name", "a b/c?d#e%"}}) ==
          "/api/v1/files/a%20b%2Fc%3Fd%23e%25/");
    CHECK(urls.path("file", "v1", {{"name", "café"}}) == "/api/v1/files/caf%C3%A9/");
    CHECK_THROWS_AS(urls.path("product-stock", "v1", {{"id", 1}}), std::invalid_argument);
    CHECK_THROWS_AS(urls.path("product-detail", "v1", {{"id", "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(urls.path("product-detail", "v1"), std::invalid_argument);
    CHECK_THROWS_AS(urls.path("file", "v1", {{"name", ".."}}), std::invalid_argument);
    CHECK_THROWS_AS(urls.path("product-detail", "v3", {{"id", 1}}), std::invalid_argument);

    // Every URL it builds routes back to the same route and values.
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, urls.path("file", "v2", {{"name", "a b/c?d#e%"}})).body() ==
          "version=v2 name=a b/c?d#e%");
}

TEST_CASE("absolute reverse URLs from the accepted Host or the public base URL, else paths") {
    router api = shop_router();
    context ctx{test::make_request(http::verb::get, "/api/v1/products/")};
    ctx.set_version("v1");
    // No allowed_hosts ran: the Host header is never used, whatever it says.
    for (const char* host : {"127.0.0.1:8080", "evil.com/x", "a b", "", "host:99999", "[zz]",
                             "x@evil.com", "h\r\nSet-Cookie: a=b"}) {
        INFO(host);
        ctx.req().set(http::field::host, host);
        CHECK(api.urls().base_url(ctx).empty());
        CHECK(api.urls().absolute(ctx, "product-detail", {{"id", 3}}) == "/api/v1/products/3/");
    }
    ctx.req().set(http::field::host, "[::1]:8080");
    allowed_hosts{"[::1]"}.check(ctx);
    CHECK(api.urls().base_url(ctx) == "http://[::1]:8080");
    CHECK(api.urls().absolute(ctx, "product-detail", {{"id", 3}}) ==
          "http://[::1]:8080/api/v1/products/3/");

    router_options secure;
    secure.url_scheme = "https";
    router strict{secure};
    strict.version("v1").get("/p/", echo_route, "p");
    context c2{test::make_request(http::verb::get, "/api/v1/p/")};
    c2.set_version("v1");
    c2.req().set(http::field::host, "Shop.Example.com:8443");
    allowed_hosts{".example.com"}.check(c2);
    CHECK(strict.urls().absolute(c2, "p") == "https://Shop.Example.com:8443/api/v1/p/");

    router_options pub;
    pub.public_base_url = "HTTPS://api.example.com/";
    router fixed{pub};
    fixed.version("v1").get("/p/", echo_route, "p");
    c2.req().set(http::field::host, "attacker.example");
    CHECK(fixed.urls().absolute(c2, "p") == "https://api.example.com/api/v1/p/");
    context old{request{http::verb::get, "/api/v1/p/", 10}}; // HTTP/1.0, no Host
    old.set_version("v1");
    CHECK(fixed.urls().absolute(old, "p") == "https://api.example.com/api/v1/p/");

    for (const char* bad :
         {"api.example.com", "ftp://api.example.com", "https://api.example.com/x",
          "https://u@api.example.com", "https://a b", "https://api.example.com?q"}) {
        INFO(bad);
        router_options o;
        o.public_base_url = bad;
        CHECK_THROWS_AS(router{o}, std::invalid_argument);
    }
    router_options scheme;
    scheme.url_scheme = "javascript";
    CHECK_THROWS_AS(router{scheme}, std::invalid_argument);
}

TEST_CASE("prepared URLs: checked before the work, formatted after it without throwing") {
    router api = shop_router();
    context ctx{test::make_request(http::verb::get, "/api/v2/products/")};
    ctx.set_version("v2");
    allowed_hosts{"127.0.0.1"}.check(ctx);
    auto urls = api.urls();
    prepared_url detail = urls.prepare(ctx, "product-detail");
    CHECK(detail.base() == "http://127.0.0.1:8080");
    CHECK(detail.try_format({{"id", 9}}) == "http://127.0.0.1:8080/api/v2/products/9/");
    CHECK(detail.format({{"id", 9}}) == "http://127.0.0.1:8080/api/v2/products/9/");
    // A value that does not fit, or a missing one: no URL, and no exception.
    CHECK_FALSE(detail.try_format({{"id", -1}}));
    CHECK_FALSE(detail.try_format({}));
    CHECK_THROWS_AS(detail.format({{"id", "x"}}), std::invalid_argument);
    // What can fail fails at prepare(): an unknown route or version.
    CHECK_THROWS_AS(urls.prepare(ctx, "no-such-route"), std::invalid_argument);
    ctx.set_version("v9");
    CHECK_THROWS_AS(urls.prepare(ctx, "product-detail"), std::invalid_argument);
    // HTTP/1.0 without Host: a path, which cannot fail either.
    context old{request{http::verb::post, "/api/v1/products/", 10}};
    allowed_hosts{"127.0.0.1"}.check(old);
    old.set_version("v1");
    CHECK(urls.prepare(old, "product-detail").try_format({{"id", 4}}) == "/api/v1/products/4/");
}

TEST_CASE("match() reports the route without running it") {
    router api = shop_router();
    auto m = api.match(test::make_request(http::verb::get, "/api/v2/files/x%2Fy/"));
    CHECK(m.version() == "v2");
    CHECK(m.route_name(http::verb::get) == "file");
    REQUIRE(m.param_count() == 1);
    // The decoded value lives in the match: it survives a move.
    route_match moved = std::move(m);
    CHECK(moved.param_value(0) == "x/y");
    CHECK(moved.find(http::verb::post) == nullptr);
    CHECK(moved.find(http::verb::head) != nullptr);
    CHECK_THROWS_AS(api.match(test::make_request(http::verb::get, "/api/v2/none/")), not_found);
}

TEST_CASE("one router dispatches from many threads at once", "[concurrency]") {
    router api = shop_router();
    auto svc = stack(error_envelope<>{}).wrap(api);
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 300; ++i) {
                std::string id = std::to_string(t * 1000 + i);
                std::string version = (i % 2) ? "v1" : "v2";
                auto res = send(svc, http::verb::get, "/api/" + version + "/files/x%2F" + id + "/");
                if (res.body() != "version=" + version + " name=x/" + id)
                    ++wrong;
                if (api.urls().path("product-detail", version, {{"id", id}}) !=
                    "/api/" + version + "/products/" + id + "/")
                    ++wrong;
            }
        });
    for (auto& th : threads)
        th.join();
    CHECK(wrong == 0);
}

TEST_CASE("the matched route's pattern is on the context, never the raw path") {
    std::string seen = "<not called>";
    auto record = [&seen](context& ctx) {
        seen = std::string(ctx.route_template());
        return text_response(http::status::ok, "");
    };
    router api;
    api.version("v1").get("/products/{id:int}/", record).get("/products/", record);
    auto svc = stack(error_envelope<>{}).wrap(std::move(api));

    CHECK(send(svc, http::verb::get, "/api/v1/products/42/").result() == http::status::ok);
    CHECK(seen == "/products/{id:int}/");
    CHECK(send(svc, http::verb::get, "/api/v1/products/?page=2").result() == http::status::ok);
    CHECK(seen == "/products/");

    seen = "<not called>";
    CHECK(send(svc, http::verb::get, "/api/v1/nowhere/").result() == http::status::not_found);
    CHECK(seen == "<not called>");
}
