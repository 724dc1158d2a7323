#include <rampart/detail/uri.hpp>

#include <catch2/catch.hpp>

#include <string_view>

namespace d = rampart::detail;

TEST_CASE("parse_uri reads what Boost.URL reads", "[detail][uri]") {
    auto u = d::parse_uri("redis://app:p%40ss@[::1]:7000/3");
    REQUIRE(u);
    CHECK(u->scheme() == "redis");
    CHECK(u->user() == "app");
    CHECK(u->password() == "p@ss");
    CHECK(u->host_type() == boost::urls::host_type::ipv6);
    CHECK(u->encoded_host_address() == "::1");
    CHECK(u->port() == "7000");
    CHECK(u->encoded_path() == "/3");

    auto v4 = d::parse_uri("http://10.0.0.5:80/x?y#z");
    REQUIRE(v4);
    CHECK(v4->host_type() == boost::urls::host_type::ipv4);
    CHECK(v4->encoded_host() == "10.0.0.5");
    CHECK(v4->encoded_path() == "/x");
}

TEST_CASE("parse_uri reads a name that starts like an IPv4 address as the name (Boost.URL 1.81 "
          "cuts it)",
          "[detail][uri]") {
    for (std::string_view text : {"redis://10.0.0.5.nip.io:6380/2", "http://1.2.3.4.5/",
                                  "http://127.0.0.1b800/x", "redis://:pw@1.2.3.4-a.example"}) {
        INFO(text);
        auto u = d::parse_uri(text);
        REQUIRE(u);
        CHECK(u->host_type() == boost::urls::host_type::name);
        auto at = text.find("//") + 2;
        if (auto userinfo = text.find('@'); userinfo != std::string_view::npos)
            at = userinfo + 1;
        auto name = text.substr(at, text.find_first_of(":/", at) - at);
        CHECK(u->encoded_host() == name);
    }
    auto u = d::parse_uri("redis://10.0.0.5.nip.io:6380/2");
    REQUIRE(u);
    CHECK(u->port() == "6380");
    CHECK(u->encoded_path() == "/2");
}

TEST_CASE("parse_uri refuses a path that does not start with '/' after an authority",
          "[detail][uri]") {
    for (std::string_view bad : {"redis://h:80x", "redis://[::1]x", "http://a.com:1:2",
                                 "http://1.2.3.4:80x", "redis://a@b@h", "http://a.com:65-535"}) {
        INFO(bad);
        CHECK_FALSE(d::parse_uri(bad));
    }
    CHECK_FALSE(d::parse_uri("redis://h o"));
    CHECK_FALSE(d::parse_uri("redis://:p%zz@h"));
    CHECK_FALSE(d::parse_uri("no-scheme"));
    CHECK(d::parse_uri("mailto:a@b.example")); // no authority: any path, as RFC 3986 allows
}
