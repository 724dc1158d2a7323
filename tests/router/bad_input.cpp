#include <rampart/router/uri.hpp>

#include "router/router_test.hpp"

#include <rampart/router/router.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace rampart;
using test::echo_route;
using test::envelope_detail;
using test::is_envelope;
using test::send;

namespace {

router bad_input_router(router_options o = {}) {
    router api{std::move(o)};
    auto v1 = api.version("v1");
    v1.get("/products/{id:int}/", echo_route, "product");
    v1.get("/files/{name}/", echo_route, "file");
    v1.get("/secret/", echo_route);
    api.unversioned().get("/", echo_route, "root");
    return api;
}

} // namespace

TEST_CASE("over-long paths and query strings are answered 414") {
    router_options o;
    o.max_path_length = 64;
    o.max_query_length = 32;
    auto svc = stack(error_envelope<>{}).wrap(bad_input_router(o));
    std::string name(64 - std::string("/api/v1/files//").size(), 'a');
    CHECK(send(svc, http::verb::get, "/api/v1/files/" + name + "/").result() == http::status::ok);
    auto res = send(svc, http::verb::get, "/api/v1/files/" + name + "a/");
    CHECK(res.result() == http::status::uri_too_long);
    CHECK(is_envelope(res));
    CHECK(envelope_detail(res) == "The request URI is too long.");
    CHECK(send(svc, http::verb::get, "/api/v1/secret/?" + std::string(32, 'q')).result() ==
          http::status::ok);
    CHECK(send(svc, http::verb::get, "/api/v1/secret/?" + std::string(33, 'q')).result() ==
          http::status::uri_too_long);

    // More segments than any route may have: 404 without walking them.
    std::string deep = "/api/v1";
    for (int i = 0; i < 100; ++i)
        deep += "/a";
    auto wide = stack(error_envelope<>{}).wrap(bad_input_router());
    CHECK(send(wide, http::verb::get, deep + "/").result() == http::status::not_found);
}

TEST_CASE("dot segments are 404, never normalised into another route") {
    auto svc = stack(error_envelope<>{}).wrap(bad_input_router());
    for (const char* target :
         {"/api/v1/files/../secret/", "/api/v1/x/../secret/", "/api/v1/./secret/",
          "/api/v1/files/./", "/api/v1/files/%2e%2e/", "/api/v1/files/%2E/", "/api/v1/files/.%2e/",
          "/api/v2/../v1/secret/", "/.."}) {
        INFO(target);
        auto res = send(svc, http::verb::get, target);
        CHECK(res.result() == http::status::not_found);
        CHECK(is_envelope(res));
    }
    // Dots inside a segment are ordinary characters.
    CHECK(send(svc, http::verb::get, "/api/v1/files/...x/").body() == "version=v1 name=...x");
    CHECK(send(svc, http::verb::get, "/api/v1/files/a.b/").body() == "version=v1 name=a.b");
}

TEST_CASE("malformed escapes, NUL bytes, raw control or non-ASCII bytes and bad UTF-8 are 400") {
    auto svc = stack(error_envelope<>{}).wrap(bad_input_router());
    for (const char* target :
         {"/api/v1/files/%zz/", "/api/v1/files/%4/", "/api/v1/files/abc%/", "/api/v1/files/%%41/",
          "/api/v1/files/%G1/", "/api/v1/files/%00/", "/api/v1/files/a%00b/", "/api/v1/%00/",
          "/api/v1/files/%ff/", "/api/v1/files/%C0%AF/", "/api/v1/files/%ED%A0%80/",
          "/api/v1/files/%F4%90%80%80/", "/api/v1/files/%E2%82/"}) {
        INFO(target);
        auto res = send(svc, http::verb::get, target);
        CHECK(res.result() == http::status::bad_request);
        CHECK(is_envelope(res));
    }
    for (std::string target : {std::string("/api/v1/files/a\0b/", 18), std::string("/api/v1/\x01/"),
                               std::string("/api/v1/files/caf\xc3\xa9/"),
                               std::string("/api/v1/files/a b/"), std::string("/api/v1/\x7f/")}) {
        auto res = send(svc, http::verb::get, target);
        CHECK(res.result() == http::status::bad_request);
        CHECK(envelope_detail(res) ==
              "The request path holds a byte that must be percent-encoded.");
    }
    auto res = send(svc, http::verb::get, "/api/v1/files/a%00b/");
    CHECK(envelope_detail(res) == "The request path holds a NUL byte.");
}

TEST_CASE("absolute-form targets are routed by their path, the authority becomes the Host") {
    router api = bad_input_router();
    std::string host_seen;
    api.version("v1").get("/host/", [&](context& ctx) {
        host_seen = std::string(ctx.req()[http::field::host]) + " " + std::string(ctx.target());
        return text_response(http::status::ok, "ok");
    });
    auto svc = stack(error_envelope<>{}).wrap(api);
    CHECK(send(svc, http::verb::get, "http://example.com/api/v1/products/3/").body() ==
          "version=v1 id=3");
    CHECK(send(svc, http::verb::get, "HTTPS://example.com:8443/api/v1/host/?a=1").body() == "ok");
    CHECK(host_seen == "example.com:8443 /api/v1/host/?a=1");
    CHECK(send(svc, http::verb::get, "http://example.com").body() == "version=");
    CHECK(send(svc, http::verb::get, "http://example.com?x=1").body() == "version=");
    for (const char* target :
         {"ftp://example.com/api/v1/secret/", "http://user@example.com/api/v1/secret/",
          "http:///api/v1/secret/", "http://bad host/x", "example.com/api/v1/secret/",
          "/api/v1/secret/#frag", "http://example.com:99999/"}) {
        INFO(target);
        auto res = send(svc, http::verb::get, target);
        CHECK(res.result() == http::status::bad_request);
        CHECK(is_envelope(res));
    }
}

TEST_CASE("is_valid_host and percent_encode") {
    CHECK(is_valid_host("example.com"));
    CHECK(is_valid_host("example.com:8080"));
    CHECK(is_valid_host("127.0.0.1:1"));
    CHECK(is_valid_host("[2001:db8::1]:443"));
    CHECK(is_valid_host("localhost"));
    CHECK_FALSE(is_valid_host(""));
    CHECK_FALSE(is_valid_host("a..b"));
    CHECK_FALSE(is_valid_host(".a"));
    CHECK_FALSE(is_valid_host("a:"));
    CHECK_FALSE(is_valid_host("a:65536"));
    CHECK_FALSE(is_valid_host("a:1:2"));
    CHECK_FALSE(is_valid_host("[::1"));
    CHECK_FALSE(is_valid_host("[::1]x"));
    CHECK_FALSE(is_valid_host("a_b.com"));
    CHECK_FALSE(is_valid_host(std::string(256, 'a')));
    CHECK(percent_encode("a-b_c.d~e") == "a-b_c.d~e");
    CHECK(percent_encode("a/b c%") == "a%2Fb%20c%25");
    CHECK(percent_encode(std::string("\0\xff", 2)) == "%00%FF");
}

TEST_CASE("no input makes the router answer 500 or anything outside the envelope") {
    // A deterministic storm of odd targets: each must get a 2xx from a route or a 4xx envelope.
    router_options o;
    o.max_path_length = 256;
    auto svc = stack(error_envelope<>{}).wrap(bad_input_router(o));
    std::mt19937 rng(20261127);
    const std::string alphabet = "/%.aZ09v1~?#:@!$&'()*+,;=-_ \x01\x7f\xc3\xa9"
                                 "%2F%2e%00%zz%C3";
    for (int i = 0; i < 3000; ++i) {
        std::string target = (i % 3 == 0) ? "/api/v1/" : "/";
        int len = static_cast<int>(rng() % 40);
        for (int k = 0; k < len; ++k)
            target += alphabet[rng() % alphabet.size()];
        auto method = (i % 5 == 0) ? http::verb::post : http::verb::get;
        auto res = send(svc, method, target);
        INFO(target);
        REQUIRE(res.result_int() < 500);
        if (res.result_int() >= 400)
            REQUIRE(is_envelope(res));
    }
}
