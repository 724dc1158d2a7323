#include <rampart/router/deprecation.hpp>

#include "router/router_test.hpp"

#include <rampart/router/router.hpp>
#include <rampart/router/version_scheme.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace rampart;
using namespace std::chrono_literals;
using test::echo_route;
using test::envelope_detail;
using test::is_envelope;
using test::send;

namespace {

router_options with_scheme(version_scheme scheme, std::string default_version = {}) {
    router_options o;
    o.versioning = std::move(scheme);
    o.default_version = std::move(default_version);
    return o;
}

template <class Router>
void add_routes(Router& api, const char* a = "1", const char* b = "2") {
    api.versions({a, b}).get("/products/{id:int}/", echo_route, "product");
    api.version(b).get("/only-in-b/", echo_route, "only-b");
}

} // namespace

TEST_CASE("url_path scheme: the version is the segment after the prefix") {
    router api{with_scheme(version_scheme::url_path("/api/"))};
    add_routes(api, "v1", "v2");
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v2/products/4/").body() == "version=v2 id=4");
    for (const char* target :
         {"/api/v3/products/4/", "/api/v0/products/4/", "/api/products/4/", "/v1/products/4/",
          "/api/V1/products/4/", "/api/v1", "/api/v1/only-in-b/"}) {
        INFO(target);
        auto res = send(svc, http::verb::get, target);
        CHECK(res.result() == http::status::not_found);
        CHECK(is_envelope(res));
    }

    router root{with_scheme(version_scheme::url_path(""))};
    add_routes(root, "v1", "v2");
    auto svc2 = stack(error_envelope<>{}).wrap(root);
    CHECK(send(svc2, http::verb::get, "/v1/products/4/").body() == "version=v1 id=4");
    CHECK(root.urls().path("product", "v1", {{"id", 4}}) == "/v1/products/4/");

    router deep{with_scheme(version_scheme::url_path("/svc/api"))};
    add_routes(deep, "v1", "v2");
    auto svc3 = stack(error_envelope<>{}).wrap(deep);
    CHECK(send(svc3, http::verb::get, "/svc/api/v1/products/4/").body() == "version=v1 id=4");
    CHECK(send(svc3, http::verb::get, "/svc/v1/products/4/").result() == http::status::not_found);
}

TEST_CASE("allowed_versions switches declared versions off") {
    auto o = with_scheme(version_scheme::url_path());
    o.allowed_versions = {"v2"};
    router api{o};
    add_routes(api, "v1", "v2");
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/api/v1/products/4/").result() == http::status::not_found);
    CHECK(send(svc, http::verb::get, "/api/v2/products/4/").result() == http::status::ok);
}

TEST_CASE("accept_header scheme: version parameter of the media type, 406 when unknown") {
    router api{with_scheme(version_scheme::accept_header(), "1")};
    add_routes(api);
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/products/4/", {{"Accept", "application/json; version=2"}})
              .body() == "version=2 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/",
               {{"Accept", "text/html, application/json;q=0.9;version=\"2\""}})
              .body() == "version=2 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/", {{"Accept", "application/json"}}).body() ==
          "version=1 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/").body() == "version=1 id=4");
    auto res =
        send(svc, http::verb::get, "/products/4/", {{"Accept", "application/json; version=3"}});
    CHECK(res.result() == http::status::not_acceptable);
    CHECK(is_envelope(res));
    // A known version but an unknown path is still 404.
    CHECK(send(svc, http::verb::get, "/nothing/", {{"Accept", "application/json; version=2"}})
              .result() == http::status::not_found);
    CHECK(api.urls().path("product", "2", {{"id", 4}}) == "/products/4/");

    router strict{with_scheme(version_scheme::accept_header())};
    add_routes(strict);
    auto svc2 = stack(error_envelope<>{}).wrap(strict);
    CHECK(send(svc2, http::verb::get, "/products/4/").result() == http::status::not_acceptable);
}

TEST_CASE("header scheme: a custom header names the version") {
    router api{with_scheme(version_scheme::header("X-API-Version"), "1")};
    add_routes(api);
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/products/4/", {{"X-API-Version", " 2 "}}).body() ==
          "version=2 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/").body() == "version=1 id=4");
    auto res = send(svc, http::verb::get, "/products/4/", {{"X-API-Version", "7"}});
    CHECK(res.result() == http::status::not_acceptable);
    CHECK(is_envelope(res));
    CHECK(send(svc, http::verb::get, "/only-in-b/", {{"X-API-Version", "1"}}).result() ==
          http::status::not_found);
}

TEST_CASE("query_param scheme: ?version=, and reverse URLs keep it") {
    router api{with_scheme(version_scheme::query_param("version"), "1")};
    add_routes(api);
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/products/4/?a=b&version=2").body() == "version=2 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/?versions=2").body() == "version=1 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/").body() == "version=1 id=4");
    auto res = send(svc, http::verb::get, "/products/4/?version=9");
    CHECK(res.result() == http::status::not_found);
    CHECK(is_envelope(res));
    CHECK(send(svc, http::verb::get, "/products/4/?version=").result() == http::status::not_found);
    CHECK(api.urls().path("product", "2", {{"id", 4}}) == "/products/4/?version=2");
}

TEST_CASE("host_name scheme: the first label under the base domain") {
    router api{with_scheme(version_scheme::host_name("api.example.com"), "v1")};
    add_routes(api, "v1", "v2");
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "/products/4/", {{"Host", "v2.api.example.com"}}).body() ==
          "version=v2 id=4");
    CHECK(
        send(svc, http::verb::get, "/products/4/", {{"Host", "V2.API.example.com:8080"}}).body() ==
        "version=v2 id=4");
    CHECK(send(svc, http::verb::get, "/products/4/", {{"Host", "api.example.com"}}).body() ==
          "version=v1 id=4");
    for (const char* host : {"v3.api.example.com", "a.v2.api.example.com"}) {
        INFO(host);
        auto res = send(svc, http::verb::get, "/products/4/", {{"Host", host}});
        CHECK(res.result() == http::status::not_found);
        CHECK(is_envelope(res));
    }
    CHECK(send(svc, http::verb::get, "/products/4/", {{"Host", "bad host"}}).result() ==
          http::status::bad_request);
    // An absolute-form target's authority is the host (RFC 9112 3.2.2).
    CHECK(send(svc, http::verb::get, "http://v2.api.example.com/products/4/",
               {{"Host", "v1.api.example.com"}})
              .body() == "version=v2 id=4");

    context ctx{test::make_request(http::verb::get, "/products/4/")};
    ctx.req().set(http::field::host, "v1.api.example.com:8443");
    allowed_hosts{".api.example.com"}.check(ctx);
    ctx.set_version("v2");
    CHECK(api.urls().absolute(ctx, "product", {{"id", 4}}) ==
          "http://v2.api.example.com:8443/products/4/");
}

TEST_CASE("deprecation headers before the sunset, 410 after it when opted in") {
    manual_clock clock{std::chrono::sys_seconds{1'700'000'000s}};
    basic_router<clock_ref<manual_clock>> api{router_options{}, clock_ref<manual_clock>{clock}};
    api.versions({"v1", "v2"}).get("/products/{id:int}/", echo_route, "product");
    api.version("v1").get("/legacy/", echo_route, "legacy");
    api.version("v1").get("/fails/", [](context&) -> response { throw permission_denied{}; });

    deprecation d;
    d.since = std::chrono::sys_seconds{1'688'169'599s};
    d.sunset = std::chrono::sys_seconds{1'735'689'600s}; // Wed, 01 Jan 2025 00:00:00 GMT
    d.successor = "v2";
    d.gone_after_sunset = true;
    api.deprecate("v1", d);
    auto svc = stack(error_envelope<>{}).wrap(api);

    auto res = send(svc, http::verb::get, "/api/v1/products/5/");
    CHECK(res.result() == http::status::ok);
    CHECK(res["Deprecation"] == "@1688169599");
    CHECK(res["Sunset"] == "Wed, 01 Jan 2025 00:00:00 GMT");
    CHECK(res["Link"] == "</api/v2/products/5/>; rel=\"successor-version\"");
    // A route the successor lacks links to the successor's root.
    CHECK(send(svc, http::verb::get, "/api/v1/legacy/")["Link"] ==
          "</api/v2/>; rel=\"successor-version\"");
    // Errors from the version carry the headers too.
    res = send(svc, http::verb::get, "/api/v1/fails/");
    CHECK(res.result() == http::status::forbidden);
    CHECK(res["Deprecation"] == "@1688169599");
    // The successor itself is not deprecated.
    auto current = send(svc, http::verb::get, "/api/v2/products/5/");
    CHECK(current.find("Deprecation") == current.end());
    CHECK(current.find("Sunset") == current.end());

    clock.set(manual_clock::time_point{1'735'689'599s});
    CHECK(send(svc, http::verb::get, "/api/v1/products/5/").result() == http::status::ok);
    clock.advance(1s);
    res = send(svc, http::verb::get, "/api/v1/products/5/");
    CHECK(res.result() == http::status::gone);
    CHECK(is_envelope(res));
    CHECK(envelope_detail(res) == "API version v1 was retired on Wed, 01 Jan 2025 00:00:00 GMT.");
    CHECK(res["Sunset"] == "Wed, 01 Jan 2025 00:00:00 GMT");
    CHECK(res["Link"] == "</api/v2/products/5/>; rel=\"successor-version\"");
    CHECK(send(svc, http::verb::get, "/api/v2/products/5/").result() == http::status::ok);
}

TEST_CASE("without the opt-in a sunset version keeps answering, with its headers") {
    manual_clock clock{std::chrono::sys_seconds{1'800'000'000s}};
    basic_router<clock_ref<manual_clock>> api{router_options{}, clock_ref<manual_clock>{clock}};
    api.version("v1").get("/p/", echo_route, "p");
    deprecation d;
    d.sunset = std::chrono::sys_seconds{1'735'689'600s};
    d.successor = "https://docs.example.com/migrate";
    api.deprecate("v1", d);
    auto svc = stack(error_envelope<>{}).wrap(api);
    auto res = send(svc, http::verb::get, "/api/v1/p/");
    CHECK(res.result() == http::status::ok);
    CHECK(res["Deprecation"] == "true");
    CHECK(res["Link"] == "<https://docs.example.com/migrate>; rel=\"successor-version\"");

    deprecation bad;
    bad.successor = "v2>; rel=x";
    CHECK_THROWS_AS(api.deprecate("v1", bad), std::invalid_argument);
}

TEST_CASE("http_date formats RFC 9110 IMF-fixdate") {
    CHECK(http_date(std::chrono::sys_seconds{784111777s}) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(http_date(std::chrono::sys_seconds{0s}) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(http_date(std::chrono::sys_seconds{951782400s}) == "Tue, 29 Feb 2000 00:00:00 GMT");
}
