#include <rampart/throttle/client_ip.hpp>

#include <rampart/core/response.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>

using namespace rampart;
using namespace rampart::throttle;

namespace {

asio::ip::tcp::endpoint peer(const char* address) {
    return {asio::ip::make_address(address), 40000};
}

/// The key for a request from `from` carrying one X-Forwarded-For line per element of `xff`.
std::string key_of(const client_ip_options& options, const char* from,
                   std::initializer_list<std::string> xff = {}) {
    request req = test::make_request(http::verb::get, "/");
    for (const auto& line : xff)
        req.insert("X-Forwarded-For", line);
    context ctx{std::move(req), peer(from)};
    return client_ip_resolver{options}.key(ctx);
}

} // namespace

TEST_CASE("client IP: without trusted proxies, the socket peer, X-Forwarded-For is ignored",
          "[throttle][client_ip]") {
    client_ip_options none;
    CHECK(key_of(none, "203.0.113.7") == "ip:203.0.113.7");
    CHECK(key_of(none, "203.0.113.7", {"198.51.100.1"}) == "ip:203.0.113.7");
    CHECK(key_of(none, "203.0.113.7", {"1.1.1.1, 2.2.2.2"}) == "ip:203.0.113.7");
}

TEST_CASE("client IP: with N proxies, the N-th member from the right", "[throttle][client_ip]") {
    client_ip_options one{.trusted_proxies = 1};
    client_ip_options two{.trusted_proxies = 2};
    // One proxy (10.0.0.1) appended the client's address.
    CHECK(key_of(one, "10.0.0.1", {"203.0.113.7"}) == "ip:203.0.113.7");
    // The client wrote its own X-Forwarded-For to pick a key: the proxy's member wins.
    CHECK(key_of(one, "10.0.0.1", {"1.2.3.4, 203.0.113.7"}) == "ip:203.0.113.7");
    CHECK(key_of(one, "10.0.0.1", {"1.2.3.4", "203.0.113.7"}) == "ip:203.0.113.7");
    // Two proxies: the outer one appended the client, the inner one the outer proxy.
    CHECK(key_of(two, "10.0.0.2", {"203.0.113.7, 10.0.0.1"}) == "ip:203.0.113.7");
    CHECK(key_of(two, "10.0.0.2", {"6.6.6.6, 203.0.113.7, 10.0.0.1"}) == "ip:203.0.113.7");
    // Members split over several header lines count in order, as one list.
    CHECK(key_of(two, "10.0.0.2", {"6.6.6.6, 203.0.113.7", "10.0.0.1"}) == "ip:203.0.113.7");
    CHECK(key_of(two, "10.0.0.2", {"6.6.6.6", "203.0.113.7", "10.0.0.1"}) == "ip:203.0.113.7");
    // Whitespace and empty members (RFC 9110 lists) do not shift the count.
    CHECK(key_of(two, "10.0.0.2", {" 203.0.113.7 ,\t10.0.0.1 "}) == "ip:203.0.113.7");
    CHECK(key_of(two, "10.0.0.2", {"203.0.113.7,, 10.0.0.1,"}) == "ip:203.0.113.7");
    // Ports and brackets are accepted and dropped.
    CHECK(key_of(one, "10.0.0.1", {"203.0.113.7:5555"}) == "ip:203.0.113.7");
    CHECK(key_of(one, "10.0.0.1", {"[2001:db8::1]:5555"}) == "ip:2001:db8::/64");
    CHECK(key_of(one, "10.0.0.1", {"[2001:db8::1]"}) == "ip:2001:db8::/64");
    CHECK(key_of(one, "10.0.0.1", {"2001:db8::1"}) == "ip:2001:db8::/64");
}

TEST_CASE("client IP: X-Forwarded-For in a field set with other fields between its lines",
          "[throttle][client_ip]") {
    request req = test::make_request(http::verb::get, "/");
    req.insert("X-Forwarded-For", "6.6.6.6");
    req.insert(http::field::accept, "*/*");
    req.insert("x-forwarded-for", "203.0.113.7");
    req.insert(http::field::user_agent, "t");
    req.insert("X-FORWARDED-FOR", "10.0.0.1");
    context ctx{std::move(req), peer("10.0.0.2")};
    CHECK(client_ip_resolver{{.trusted_proxies = 2}}.key(ctx) == "ip:203.0.113.7");
    CHECK(client_ip_resolver{{.trusted_proxies = 3}}.key(ctx) == "ip:6.6.6.6");
}

TEST_CASE("client IP: missing, malformed, spoofed or huge headers fall back to the peer",
          "[throttle][client_ip]") {
    client_ip_options one{.trusted_proxies = 1};
    client_ip_options two{.trusted_proxies = 2};
    // No header, or fewer members than proxies: the request did not pass all proxies.
    CHECK(key_of(one, "10.0.0.1") == "ip:10.0.0.1");
    CHECK(key_of(two, "10.0.0.2", {"203.0.113.7"}) == "ip:10.0.0.2");
    CHECK(key_of(one, "10.0.0.1", {""}) == "ip:10.0.0.1");
    CHECK(key_of(one, "10.0.0.1", {" , ,"}) == "ip:10.0.0.1");
    // The member at the proxies' position is not an address.
    for (const char* bad :
         {"unknown", "_hidden", "example.com", "203.0.113", "203.0.113.7.1", "256.1.1.1",
          "203.0.113.7:", "203.0.113.7:99999999", "203.0.113.7:x", "[2001:db8::1", "[203.0.113.7]x",
          "2001:db8::1%eth0", "fe80::1%25eth0", "203.0.113.7 1.1.1.1", "0x7f.1",
          "::ffff:1.2.3.4:80", "2001:db8::g", "\x01\x02", "1.2.3.4\r"}) {
        INFO(bad);
        CHECK(key_of(one, "10.0.0.1", {bad}) == "ip:10.0.0.1");
    }
    // Garbage further left never matters.
    CHECK(key_of(one, "10.0.0.1", {"garbage, ][, 203.0.113.7"}) == "ip:203.0.113.7");
    // A huge header: only the right end is read; a huge last member is malformed.
    std::string huge(60'000, 'x'); // Beast caps a field value at 64 KiB
    CHECK(key_of(one, "10.0.0.1", {huge + ", 203.0.113.7"}) == "ip:203.0.113.7");
    CHECK(key_of(one, "10.0.0.1", {"203.0.113.7, " + huge}) == "ip:10.0.0.1");
    std::string many;
    for (int i = 0; i < 6'000; ++i)
        many += "1.1.1.1, ";
    CHECK(key_of(one, "10.0.0.1", {many + "203.0.113.7"}) == "ip:203.0.113.7");
    CHECK(key_of(two, "10.0.0.1", {many + "203.0.113.7, 10.0.0.9"}) == "ip:203.0.113.7");
    std::string spaces(10'000, ' ');
    CHECK(key_of(one, "10.0.0.1", {"203.0.113.7," + spaces + ","}) == "ip:10.0.0.1");
}

TEST_CASE("client IP: IPv6 grouped by prefix, IPv4-mapped addresses are IPv4",
          "[throttle][client_ip]") {
    client_ip_options defaults;
    CHECK(key_of(defaults, "2001:db8:1:2:3:4:5:6") == "ip:2001:db8:1:2::/64");
    CHECK(key_of(defaults, "2001:db8:1:2:ffff:ffff:ffff:ffff") == "ip:2001:db8:1:2::/64");
    CHECK(key_of(defaults, "2001:db8:1:3::1") == "ip:2001:db8:1:3::/64");
    CHECK(key_of(defaults, "::ffff:203.0.113.7") == "ip:203.0.113.7");
    CHECK(key_of({.trusted_proxies = 1}, "10.0.0.1", {"::ffff:203.0.113.7"}) == "ip:203.0.113.7");
    CHECK(key_of({.ipv6_prefix = 48}, "2001:db8:1:2::1") == "ip:2001:db8:1::/48");
    CHECK(key_of({.ipv6_prefix = 56}, "2001:db8:1:2ff::1") == "ip:2001:db8:1:200::/56");
    CHECK(key_of({.ipv6_prefix = 57}, "2001:db8:1:2ff::1") == "ip:2001:db8:1:280::/57");
    CHECK(key_of({.ipv6_prefix = 128}, "2001:db8::1") == "ip:2001:db8::1");
    CHECK(key_of({.ipv4_prefix = 24}, "203.0.113.7") == "ip:203.0.113.0/24");
    CHECK(key_of({.ipv4_prefix = 1}, "203.0.113.7") == "ip:128.0.0.0/1");
}

TEST_CASE("client IP: options out of range are refused", "[throttle][client_ip]") {
    CHECK_THROWS_AS(client_ip_resolver({.trusted_proxies = 33}), std::invalid_argument);
    CHECK_THROWS_AS(client_ip_resolver({.ipv6_prefix = 0}), std::invalid_argument);
    CHECK_THROWS_AS(client_ip_resolver({.ipv6_prefix = 129}), std::invalid_argument);
    CHECK_THROWS_AS(client_ip_resolver({.ipv4_prefix = 0}), std::invalid_argument);
    CHECK_THROWS_AS(client_ip_resolver({.ipv4_prefix = 33}), std::invalid_argument);
    CHECK_NOTHROW(client_ip_resolver({.trusted_proxies = 32, .ipv6_prefix = 1, .ipv4_prefix = 32}));
}

TEST_CASE("resolve_client_ip stores the key for later layers", "[throttle][client_ip]") {
    auto h = stack(resolve_client_ip{{.trusted_proxies = 1}}).wrap([](context& ctx) {
        return text_response(http::status::ok, ctx.client_key());
    });
    request req = test::make_request(http::verb::get, "/");
    req.set("X-Forwarded-For", "9.9.9.9, 203.0.113.7");
    context ctx{std::move(req), peer("10.0.0.1")};
    CHECK(test::run(h(ctx)).body() == "ip:203.0.113.7");
}
