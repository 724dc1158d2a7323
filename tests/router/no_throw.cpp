// Dispatch renders routing refusals (404, 405, 400, 406, 414) without throwing them. Each must
// reach the client exactly as the same error thrown to the error envelope does: the reference
// here is a handler that throws what router::match throws (or the 405 the router used to
// throw), run in the same stack.

#include <rampart/router/router.hpp>

#include "errors/wire.hpp"
#include "router/router_test.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace rampart;
using test::echo_route;
using test::wire;

namespace {

router make_router(version_scheme scheme) {
    router_options o;
    o.versioning = std::move(scheme);
    o.max_path_length = 256;
    router api{o};
    auto both = api.versions({"v1", "v2"});
    both.get("/products/", echo_route, "product-list");
    both.get("/products/{id:int}/", echo_route, "product-detail");
    both.post("/products/{id:int}/", echo_route);
    api.unversioned().post("/api/token/", echo_route, "token");
    return api;
}

// The routing errors the way dispatch used to raise them: thrown.
struct throwing_router {
    const router* api;
    asio::awaitable<response> operator()(context& ctx) const {
        route_match m = api->match(ctx.req());
        if (!m.find(ctx.req().method()))
            throw method_not_allowed(ctx.req().method_string(), m.allow());
        co_return response{http::status::ok, 11}; // not compared: only refusals are
    }
};

struct probe {
    http::verb method;
    std::string target;
    test::header_list headers;
};

template <class Format>
void compare(const router& api, const std::vector<probe>& probes) {
    auto dispatch = stack(error_envelope<Format>{Format{}, {}}).wrap(api);
    auto thrown = stack(error_envelope<Format>{Format{}, {}}).wrap(throwing_router{&api});
    auto bare = stack().wrap(api); // no envelope: the context's default rendering
    auto bare_thrown = stack().wrap(throwing_router{&api});
    for (const auto& p : probes) {
        INFO(p.target);
        auto expected = test::send(thrown, p.method, p.target, p.headers);
        REQUIRE(expected.result_int() >= 400);
        CHECK(wire(test::send(dispatch, p.method, p.target, p.headers)) == wire(expected));
        CHECK(wire(test::send(bare, p.method, p.target, p.headers)) ==
              wire(test::send(bare_thrown, p.method, p.target, p.headers)));
    }
}

std::vector<probe> path_probes() {
    std::string deep;
    for (int i = 0; i < 70; ++i)
        deep += "/a";
    return {
        {http::verb::get, "/api/v1/nothing/", {}},
        {http::verb::get, "/api/v9/products/", {}},
        {http::verb::get, "/api/", {}},
        {http::verb::get, "/elsewhere/v1/products/", {}},
        {http::verb::get, "/api/v1/products/abc/", {}},
        {http::verb::get, "/api/v1/products/../", {}},
        {http::verb::get, "/api/v1/%2e%2e/products/", {}},
        {http::verb::get, "/api/v1/%zz/", {}},
        {http::verb::get, "/api/v1/a%00b/", {}},
        {http::verb::get, "/api/v1/%C0%80/", {}},
        {http::verb::get, "/api/v1/caf\xc3\xa9/", {}},
        {http::verb::get, "/api/v1" + deep + "/", {}},
        {http::verb::get, "/api/v1/" + std::string(300, 'x') + "/", {}},
        {http::verb::get, "*", {}},
        {http::verb::get, "/api/v1/products/#frag", {}},
        {http::verb::delete_, "/api/v1/products/3/", {}},
        {http::verb::put, "/api/v2/products/", {}},
        {http::verb::get, "/api/token/", {}},
    };
}

} // namespace

TEST_CASE("routing refusals rendered without a throw are the bytes their throw gives") {
    router by_path = make_router(version_scheme::url_path());
    compare<envelope_format>(by_path, path_probes());
    compare<problem_format>(by_path, path_probes());

    router by_header = make_router(version_scheme::header());
    std::vector<probe> header_probes{
        {http::verb::get, "/products/", {}}, // no version and no default: 406
        {http::verb::get, "/products/", {{"X-API-Version", "v7"}}},
        {http::verb::get, "/nothing/", {{"X-API-Version", "v1"}}},
        {http::verb::delete_, "/products/2/", {{"X-API-Version", "v2"}}},
    };
    compare<envelope_format>(by_header, header_probes);
    compare<problem_format>(by_header, header_probes);

    router by_host = make_router(version_scheme::host_name("api.example.com"));
    std::vector<probe> host_probes{
        {http::verb::get, "/products/", {{"Host", "v3.api.example.com"}}},
        {http::verb::get, "/products/", {{"Host", "a.v1.api.example.com"}}},
        {http::verb::get, "/products/", {{"Host", "bad host"}}},
    };
    compare<envelope_format>(by_host, host_probes);
}

TEST_CASE("the router answers a 404 itself: called directly, it returns the response") {
    router api = make_router(version_scheme::url_path());
    // Called without any stack, a thrown 404 would escape to the caller.
    response res = test::send(api, http::verb::get, "/api/v1/nothing/");
    CHECK(wire(res) == wire(not_found{}.default_response()));
    res = test::send(api, http::verb::delete_, "/api/v1/products/3/");
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(res[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    // match() still throws what dispatch answers, for code that wants the error itself.
    CHECK_THROWS_AS(api.match(test::make_request(http::verb::get, "/api/v1/nothing/")), not_found);
    CHECK_THROWS_AS(api.match(test::make_request(http::verb::get, "/api/v1/%zz/")), bad_request);
}

TEST_CASE("allowed_hosts renders its 400 without a throw, the bytes check() throws give") {
    allowed_hosts hosts{"shop.example.com", ".api.example.com"};
    auto ok = [](context&) -> asio::awaitable<response> {
        co_return text_response(http::status::ok, "in");
    };
    auto rendered = stack(error_envelope<>{}, hosts).wrap(ok);
    auto thrown = stack(error_envelope<>{}).wrap([&](context& ctx) -> asio::awaitable<response> {
        hosts.check(ctx);
        co_return text_response(http::status::ok, "in");
    });
    auto both = [&](request req) {
        request copy = req;
        auto expected = test::call(thrown, std::move(copy));
        auto res = test::call(rendered, std::move(req));
        CHECK(wire(res) == wire(expected));
        return res.result_int();
    };
    auto with_host = [](std::string target, std::string host) {
        request req = test::make_request(http::verb::get, std::move(target));
        req.set(http::field::host, host);
        return req;
    };
    CHECK(both(with_host("/", "evil.example.org")) == 400);
    CHECK(both(with_host("/", "bad host")) == 400);
    CHECK(both(with_host("http://evil.example.org/x", "shop.example.com")) == 400);
    CHECK(both(with_host("http://u@shop.example.com/x", "shop.example.com")) == 400);
    request twice = with_host("/", "shop.example.com");
    twice.insert(http::field::host, "shop.example.com");
    CHECK(both(twice) == 400);
    request none{http::verb::get, "/", 11};
    CHECK(both(none) == 400);
    CHECK(both(with_host("/", "v1.api.example.com:8443")) == 200);
}
