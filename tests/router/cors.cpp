#include <rampart/router/cors.hpp>

#include "router/router_test.hpp"

#include <rampart/router/router.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace rampart;
using test::echo_route;
using test::envelope_detail;
using test::is_envelope;
using test::send;

namespace {

router cors_router() {
    router api;
    auto v1 = api.version("v1");
    v1.get("/products/", echo_route).post("/products/", echo_route);
    v1.get("/orders/", [](context&) -> response { throw not_authenticated{}; });
    v1.delete_("/orders/{id:int}/", echo_route);
    return api;
}

cors_options policy() {
    cors_options o;
    o.allowed_origins = {"https://app.example.com", "https://*.shop.example"};
    o.allowed_headers = {"Authorization", "Content-Type"};
    o.expose_headers = {"Location", "RateLimit"};
    o.max_age = std::chrono::seconds{600};
    return o;
}

template <class Svc>
response preflight(Svc& svc, std::string target, std::string origin, std::string method,
                   std::string headers = {}) {
    test::header_list h{{"Origin", origin}, {"Access-Control-Request-Method", method}};
    if (!headers.empty())
        h.emplace_back("Access-Control-Request-Headers", headers);
    return send(svc, http::verb::options, std::move(target), h);
}

} // namespace

TEST_CASE("simple requests from allowed origins get the CORS headers and Vary") {
    router api = cors_router();
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    auto res =
        send(svc, http::verb::get, "/api/v1/products/", {{"Origin", "https://app.example.com"}});
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");
    CHECK(res[http::field::access_control_expose_headers] == "Location, RateLimit");
    CHECK(res.find(http::field::access_control_allow_credentials) == res.end());
    CHECK(res[http::field::vary] == "Origin");

    // No Origin: not a CORS request; the response still varies on Origin for caches.
    res = send(svc, http::verb::get, "/api/v1/products/");
    CHECK(res.find(http::field::access_control_allow_origin) == res.end());
    CHECK(res[http::field::vary] == "Origin");
}

TEST_CASE("origin patterns admit subdomains only, same scheme") {
    router api = cors_router();
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    auto acao = [&](const char* origin) {
        auto res = send(svc, http::verb::get, "/api/v1/products/", {{"Origin", origin}});
        return std::string(res[http::field::access_control_allow_origin]);
    };
    CHECK(acao("https://eu.shop.example") == "https://eu.shop.example");
    CHECK(acao("https://a.b.shop.example") == "https://a.b.shop.example");
    CHECK(acao("https://APP.example.com") == "https://APP.example.com");
    CHECK(acao("https://shop.example").empty());
    CHECK(acao("http://eu.shop.example").empty());
    CHECK(acao("https://evilshop.example").empty());
    CHECK(acao("https://eu.shop.example.evil.com").empty());
    CHECK(acao("https://eu.shop.example:8443").empty());
    CHECK(acao("https://x/.shop.example").empty());
    CHECK(acao("https://..shop.example").empty());
    CHECK(acao("null").empty());
    CHECK(acao("https://app.example.com.evil.com").empty());
}

TEST_CASE("a disallowed origin gets no CORS headers but its response is unchanged") {
    router api = cors_router();
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    auto res = send(svc, http::verb::get, "/api/v1/products/", {{"Origin", "https://evil.com"}});
    CHECK(res.result() == http::status::ok);
    CHECK(res.find(http::field::access_control_allow_origin) == res.end());
    CHECK(res[http::field::vary] == "Origin");
}

TEST_CASE("preflights are answered from the route table") {
    router api = cors_router();
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    auto res = preflight(svc, "/api/v1/products/", "https://app.example.com", "POST",
                         "Content-Type, authorization");
    CHECK(res.result() == http::status::no_content);
    CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");
    CHECK(res[http::field::access_control_allow_methods] == "GET, HEAD, POST, OPTIONS");
    CHECK(res[http::field::access_control_allow_headers] == "content-type, authorization");
    CHECK(res[http::field::access_control_max_age] == "600");
    CHECK(res[http::field::vary] ==
          "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");

    res = preflight(svc, "/api/v1/orders/3/", "https://eu.shop.example", "DELETE");
    CHECK(res.result() == http::status::no_content);
    CHECK(res[http::field::access_control_allow_methods] == "DELETE, OPTIONS");

    // The path does not serve the method: 405 with Allow, with CORS headers so the page can see.
    res = preflight(svc, "/api/v1/products/", "https://app.example.com", "DELETE");
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(res[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");
    CHECK(is_envelope(res));

    res = preflight(svc, "/api/v1/nowhere/", "https://app.example.com", "GET");
    CHECK(res.result() == http::status::not_found);
    CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");

    res = preflight(svc, "/api/v1/products/", "https://app.example.com", "POST", "X-Secret");
    CHECK(res.result() == http::status::forbidden);
    CHECK(envelope_detail(res) == "CORS: header not allowed.");

    res = preflight(svc, "/api/v1/products/", "https://evil.com", "POST");
    CHECK(res.result() == http::status::forbidden);
    CHECK(res.find(http::field::access_control_allow_origin) == res.end());
    CHECK(envelope_detail(res) == "CORS: origin not allowed.");
}

TEST_CASE("a method the route serves but the policy does not is refused in preflight") {
    router api = cors_router();
    cors_options o = policy();
    o.allowed_methods = {http::verb::get};
    auto svc = stack(error_envelope<>{}, cors{o, api.lookup()}).wrap(api);
    auto res = preflight(svc, "/api/v1/products/", "https://app.example.com", "POST");
    CHECK(res.result() == http::status::forbidden);
    CHECK(envelope_detail(res) == "CORS: method not allowed.");
    res = preflight(svc, "/api/v1/products/", "https://app.example.com", "GET");
    CHECK(res[http::field::access_control_allow_methods] == "GET, OPTIONS");
}

TEST_CASE("a plain OPTIONS (no preflight headers) still reaches the router") {
    router api = cors_router();
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    auto res = send(svc, http::verb::options, "/api/v1/products/",
                    {{"Origin", "https://app.example.com"}});
    CHECK(res.result() == http::status::no_content);
    CHECK(res[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");
}

TEST_CASE("credentials: the origin is echoed, never *") {
    router api = cors_router();
    cors_options o = policy();
    o.allow_credentials = true;
    auto svc = stack(error_envelope<>{}, cors{o, api.lookup()}).wrap(api);
    auto res =
        send(svc, http::verb::get, "/api/v1/products/", {{"Origin", "https://app.example.com"}});
    CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");
    CHECK(res[http::field::access_control_allow_credentials] == "true");

    cors_options any;
    any.allowed_origins = {"*"};
    any.allow_credentials = true;
    CHECK_THROWS_AS((cors{any, api.lookup()}), std::invalid_argument);

    any.allow_credentials = false;
    auto open = stack(error_envelope<>{}, cors{any, api.lookup()}).wrap(api);
    res = send(open, http::verb::get, "/api/v1/products/", {{"Origin", "https://whoever.net"}});
    CHECK(res[http::field::access_control_allow_origin] == "*");
}

TEST_CASE("error responses carry the CORS headers too") {
    router api = cors_router();
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    for (auto [method, target, status] :
         {std::tuple{http::verb::get, "/api/v1/orders/", http::status::unauthorized},
          std::tuple{http::verb::get, "/api/v9/x/", http::status::not_found},
          std::tuple{http::verb::put, "/api/v1/products/", http::status::method_not_allowed},
          std::tuple{http::verb::get, "/api/v1/%zz/", http::status::bad_request}}) {
        INFO(target);
        auto res = send(svc, method, target, {{"Origin", "https://app.example.com"}});
        CHECK(res.result() == status);
        CHECK(is_envelope(res));
        CHECK(res[http::field::access_control_allow_origin] == "https://app.example.com");
        CHECK(res[http::field::vary] == "Origin");
    }
}

TEST_CASE("bad CORS configuration is refused") {
    router api = cors_router();
    for (const char* origin : {"https://*example.com", "https://a.*.example.com", "*.example.com",
                               "https://**.x.com", "https://app.example.com\r\n"}) {
        INFO(origin);
        cors_options o;
        o.allowed_origins = {origin};
        CHECK_THROWS_AS((cors{o, api.lookup()}), std::invalid_argument);
    }
    cors_options o;
    o.allowed_headers = {"X-Bad\r\nInjected: 1"};
    CHECK_THROWS_AS((cors{o, api.lookup()}), std::invalid_argument);
}

TEST_CASE("Vary merges with the handler's own and is always the last header set") {
    router api;
    api.version("v1").get("/varies/", [](context& ctx) {
        response res = text_response(http::status::ok, "ok");
        res.set(http::field::vary, ctx.req()["X-Vary"]);
        res.set("X-After", "1");
        return res;
    });
    auto svc = stack(error_envelope<>{}, cors{policy(), api.lookup()}).wrap(api);
    auto vary_of = [&](std::string handler_vary) {
        auto res = send(svc, http::verb::get, "/api/v1/varies/",
                        {{"Origin", "https://app.example.com"}, {"X-Vary", handler_vary}});
        std::string last;
        for (const auto& f : res)
            last = std::string(f.name_string());
        CHECK(last == "Vary");
        return std::string(res[http::field::vary]);
    };
    CHECK(vary_of("") == "Origin");
    CHECK(vary_of("Accept-Encoding") == "Accept-Encoding, Origin");
    CHECK(vary_of("accept-encoding, ORIGIN") == "accept-encoding, ORIGIN");
    CHECK(vary_of("Accept-Encoding, Cookie, X-Long-Header-Name-Beyond-Small-Strings") ==
          "Accept-Encoding, Cookie, X-Long-Header-Name-Beyond-Small-Strings, Origin");
}
