#include <rampart/detail/authority.hpp>

#include <catch2/catch.hpp>

#include <string_view>

namespace d = rampart::detail;

TEST_CASE("split_host_port splits names, IP literals and ports", "[detail]") {
    d::host_port p;
    REQUIRE(d::split_host_port("example.com:8080", p));
    CHECK(p.host == "example.com");
    CHECK(p.port == "8080");
    CHECK_FALSE(p.ip_literal);
    REQUIRE(d::split_host_port("[::1]:443", p));
    CHECK(p.host == "::1");
    CHECK(p.port == "443");
    CHECK(p.ip_literal);
    REQUIRE(d::split_host_port("[::1]", p));
    CHECK(p.port.empty());
    REQUIRE(d::split_host_port("host", p));
    CHECK(p.host == "host");
    CHECK(p.port.empty());
    REQUIRE(d::split_host_port("", p));
    CHECK(p.host.empty());
}

TEST_CASE("split_host_port refuses broken brackets and empty ports", "[detail]") {
    d::host_port p;
    for (std::string_view bad : {"[::1", "[::1]x", "[::1]:", "host:", "[::1]]:80"}) {
        INFO(bad);
        CHECK_FALSE(d::split_host_port(bad, p));
    }
}

TEST_CASE("port_value takes 1 to 5 digits up to 65535", "[detail]") {
    CHECK(d::port_value("0") == 0);
    CHECK(d::port_value("80") == 80);
    CHECK(d::port_value("65535") == 65535);
    CHECK(d::port_value("00080") == 80);
    for (std::string_view bad : {"", "65536", "99999", "100000", "-1", "+1", "8O", " 80", "1e3"}) {
        INFO(bad);
        CHECK(d::port_value(bad) == -1);
    }
}
