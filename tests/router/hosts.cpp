// rampart::allowed_hosts in front of a router: which Host values pass, which are refused before
// anything runs, and which base the router's URLs get from them.

#include <rampart/router.hpp>

#include "router/router_test.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace rampart;
using test::envelope_detail;
using test::is_envelope;

namespace {

/// A service whose only route counts its runs and answers with the URL it would link to.
struct counted_service {
    int runs = 0;
    router api;

    explicit counted_service(router_options options = {}) : api(std::move(options)) {
        auto urls = api.urls();
        api.version("v1").get(
            "/things/{id:int}/",
            [this, urls](context& ctx) {
                ++runs;
                return text_response(http::status::ok,
                                     urls.absolute(ctx, "thing", {{"id", *ctx.param("id")}}));
            },
            "thing");
    }

    response send(const allowed_hosts& hosts, request req) {
        auto svc = stack(error_envelope<>{}, hosts).wrap(api);
        return test::call(svc, std::move(req));
    }
};

request with_host(std::string host, std::string target = "/api/v1/things/7/") {
    request req{http::verb::get, std::move(target), 11};
    req.set(http::field::host, host);
    return req;
}

} // namespace

TEST_CASE("allowed_hosts: exact names, domains, *, any port, case, trailing dot, IPv6", "[hosts]") {
    allowed_hosts hosts{"shop.example.com", ".example.org", "127.0.0.1", "[::1]", "LOCALHOST."};
    for (const char* ok :
         {"shop.example.com", "shop.example.com:8443", "SHOP.Example.COM", "shop.example.com.",
          "shop.example.com.:80", "example.org", "a.example.org", "a.b.example.org:1", "127.0.0.1",
          "127.0.0.1:8080", "[::1]", "[::1]:8080", "localhost", "localhost:1"}) {
        INFO(ok);
        CHECK(hosts.allows(ok));
    }
    for (const char* refused :
         {"evil.example", "shop.example.com.evil.example", "xshop.example.com", "badexample.org",
          "example.org.evil", "127.0.0.2", "[::2]", "[0:0::1]", "", "a b",
          "shop.example.com:", "shop.example.com:99999", "shop.example.com/x", "user@localhost",
          "[::1", "local\r\nhost", "shop.example.com..", ".example.org"}) {
        INFO(refused);
        CHECK_FALSE(hosts.allows(refused));
    }
    allowed_hosts all{"*"};
    CHECK(all.allows("anything.example:1"));
    CHECK_FALSE(all.allows("a b")); // still well-formed only
    CHECK(allowed_hosts::parse(" localhost , .Example.com").patterns() ==
          std::vector<std::string>{"localhost", ".example.com"});

    for (const char* bad : {"", " ", "a b", "example.com:80", "http://example.com", ".[::1]",
                            "[::1]:80", "*.example.com", "exa_mple.com"}) {
        INFO(bad);
        CHECK_THROWS_AS(allowed_hosts{bad}, std::invalid_argument);
    }
    CHECK_THROWS_AS(allowed_hosts(std::vector<std::string>{}), std::invalid_argument);
    CHECK_THROWS_AS(allowed_hosts::parse("localhost,,x"), std::invalid_argument);
}

TEST_CASE("allowed_hosts refuses before anything runs, and URLs use only the accepted Host",
          "[hosts]") {
    counted_service s;
    allowed_hosts hosts{"shop.example.com", "127.0.0.1"};

    auto ok = s.send(hosts, with_host("Shop.Example.com:8443"));
    CHECK(ok.result() == http::status::ok);
    CHECK(ok.body() == "http://Shop.Example.com:8443/api/v1/things/7/");
    CHECK(s.runs == 1);

    SECTION("a Host outside the list") {
        auto res = s.send(hosts, with_host("evil.example"));
        CHECK(res.result() == http::status::bad_request);
        CHECK(is_envelope(res));
        CHECK(envelope_detail(res) == "Invalid Host header.");
        CHECK(res.body().find("evil") == std::string::npos);
        CHECK(s.runs == 1);
    }
    SECTION("a malformed Host") {
        for (const char* bad : {"a b", "", "shop.example.com:x", "shop.example.com/evil"}) {
            INFO(bad);
            CHECK(s.send(hosts, with_host(bad)).result() == http::status::bad_request);
        }
        CHECK(s.runs == 1);
    }
    SECTION("two Host headers, even both allowed") {
        request req = with_host("shop.example.com");
        req.insert(http::field::host, "shop.example.com");
        auto res = s.send(hosts, std::move(req));
        CHECK(res.result() == http::status::bad_request);
        CHECK(envelope_detail(res) == "The request has more than one Host header.");
        CHECK(s.runs == 1);
    }
    SECTION("HTTP/1.1 without Host") {
        auto res = s.send(hosts, request{http::verb::get, "/api/v1/things/7/", 11});
        CHECK(res.result() == http::status::bad_request);
        CHECK(envelope_detail(res) == "An HTTP/1.1 request must have a Host header.");
        CHECK(s.runs == 1);
    }
    SECTION("absolute-form: the authority is the host, checked, and replaces Host") {
        auto res =
            s.send(hosts, with_host("shop.example.com", "http://evil.example/api/v1/things/7/"));
        CHECK(res.result() == http::status::bad_request);
        auto good =
            s.send(hosts, with_host("evil.example", "http://127.0.0.1:81/api/v1/things/7/"));
        CHECK(good.result() == http::status::ok);
        CHECK(good.body() == "http://127.0.0.1:81/api/v1/things/7/");
        CHECK(s.runs == 2);
        CHECK(s.send(hosts, with_host("127.0.0.1", "ftp://127.0.0.1/api/v1/things/7/")).result() ==
              http::status::bad_request);
    }
    SECTION("HTTP/1.0 without Host passes, and links are paths") {
        auto res = s.send(hosts, request{http::verb::get, "/api/v1/things/7/", 10});
        CHECK(res.result() == http::status::ok);
        CHECK(res.body() == "/api/v1/things/7/");
        CHECK(s.runs == 2);
    }
}

TEST_CASE("a public base URL wins over every Host", "[hosts]") {
    router_options o;
    o.public_base_url = "https://shop.example.com";
    counted_service s{o};
    allowed_hosts any{"*"};
    for (const char* host : {"evil.example", "127.0.0.1:9", "[::1]"}) {
        INFO(host);
        auto res = s.send(any, with_host(host));
        CHECK(res.body() == "https://shop.example.com/api/v1/things/7/");
    }
    CHECK(s.send(any, request{http::verb::get, "/api/v1/things/7/", 10}).body() ==
          "https://shop.example.com/api/v1/things/7/");
}
