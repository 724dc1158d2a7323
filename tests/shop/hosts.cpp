// The shop and the Host header, over real sockets against the real binary: SHOP_ALLOWED_HOSTS
// refuses before any work, SHOP_PUBLIC_URL is the base of every absolute URL, and an order is
// never committed behind an error answer (HTTP/1.0 without Host, `Host: a b`).

#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace shop_test;

namespace {

/// Sends `bytes` as they are (any Host, two, or none) and reads one response.
reply raw_exchange(unsigned short port, const std::string& bytes) {
    http_client client{port};
    client.send(bytes);
    reply r{client.receive(), nullptr};
    boost::system::error_code ec;
    json::value parsed = json::parse(r.raw.body(), ec);
    if (!ec)
        r.body = std::move(parsed);
    return r;
}

/// A raw POST of an order for product `product` (quantity 2) with `host_lines` (each ending in
/// CRLF, or empty) and HTTP version `version`.
std::string raw_order(const std::string& token, int product, const std::string& host_lines,
                      const std::string& version = "HTTP/1.1") {
    std::string body = json::serialize(order_body(product, 2));
    return "POST /api/v1/orders/ " + version + "\r\n" + host_lines + "Authorization: Bearer " +
           token + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

/// How many orders `token`'s user has (through the API, Host allowed).
std::size_t order_count(const shop& s, const std::string& token) {
    reply r = s.get("/api/v1/orders/?page_size=100", token);
    REQUIRE(r.status() == 200);
    return r.body.at("results").as_array().size();
}

/// The path and query of an absolute URL, or the URL itself when it is a path.
std::string target_of(const std::string& url) {
    if (!url.empty() && url.front() == '/')
        return url;
    return url.substr(url.find('/', url.find("://") + 3));
}

process::environment hosts_environment(process::environment extra = {}) {
    process::environment env{{"SHOP_ALLOWED_HOSTS", std::nullopt},
                             {"SHOP_PUBLIC_URL", std::nullopt}};
    for (auto& [name, value] : extra)
        env[name] = value;
    return env;
}

} // namespace

TEST_CASE("shop: a Host outside SHOP_ALLOWED_HOSTS is a 400 and nothing is done", "[shop][hosts]") {
    shop s{hosts_environment()};
    const std::string token = s.login().first;
    const std::int64_t before = s.stock(3);

    for (const std::string host :
         {"evil.example", "127.0.0.1.evil.example", "localhost.:1", "LOCALHOST:8080", "[::1]:9"}) {
        INFO(host);
        auto req = json_request(http::verb::post, "/api/v1/orders/",
                                json::serialize(order_body(3, 2)), token);
        req.set(http::field::host, host);
        reply r = s.send(std::move(req));
        bool allowed = host.find("evil") == std::string::npos;
        if (allowed) {
            CHECK(r.status() == 201); // any port, any case, a trailing dot, IPv6
            CHECK(r.header("Location").rfind("http://" + host + "/api/v1/orders/", 0) == 0);
            continue;
        }
        REQUIRE(is_envelope(r, 400));
        CHECK(r.detail() == "Invalid Host header.");
        CHECK(r.raw.body().find("evil") == std::string::npos);
        CHECK_FALSE(r.has_header("Location"));
        // Refused before the throttle: no RateLimit headers were computed for it.
        CHECK_FALSE(r.has_header("RateLimit"));
    }
    CHECK(s.stock(3) == before - 3 * 2);
    CHECK(order_count(s, token) == 3);

    // Reads and logins too: nothing answers under a foreign Host.
    auto list = rampart::test::make_get("/api/v1/products/");
    list.set(http::field::host, "evil.example");
    CHECK(is_envelope(s.send(std::move(list)), 400));
    auto login = json_request(http::verb::post, "/api/token/",
                              R"({"username":"alice","password":"alice-pass-1234"})");
    login.set(http::field::host, "evil.example");
    CHECK(is_envelope(s.send(std::move(login)), 400));
}

TEST_CASE("shop: two Host headers, or none on HTTP/1.1, are refused, nothing is ordered",
          "[shop][hosts]") {
    shop s{hosts_environment()};
    const std::string token = s.login().first;
    const std::int64_t before = s.stock(4);

    reply two =
        raw_exchange(s.port(), raw_order(token, 4, "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n"));
    CHECK(is_envelope(two, 400));
    reply two_mixed =
        raw_exchange(s.port(), raw_order(token, 4, "Host: 127.0.0.1\r\nHost: evil.example\r\n"));
    CHECK(is_envelope(two_mixed, 400));
    reply none = raw_exchange(s.port(), raw_order(token, 4, ""));
    CHECK(is_envelope(none, 400));
    reply spaced = raw_exchange(s.port(), raw_order(token, 4, "Host: a b\r\n"));
    CHECK(is_envelope(spaced, 400));
    reply spaced_old = raw_exchange(s.port(), raw_order(token, 4, "Host: a b\r\n", "HTTP/1.0"));
    CHECK(is_envelope(spaced_old, 400));

    CHECK(s.stock(4) == before);
    CHECK(order_count(s, token) == 0);
}

TEST_CASE("shop: an HTTP/1.0 order without Host is placed and answered 201 with a usable "
          "Location",
          "[shop][hosts]") {
    shop s{hosts_environment()};
    const std::string token = s.login().first;
    const std::int64_t before = s.stock(5);

    reply r = raw_exchange(s.port(), raw_order(token, 5, "", "HTTP/1.0"));
    // Either outcome the contract allows must be coherent: this one is the 201.
    REQUIRE(r.status() == 201);
    std::string location = r.header("Location");
    std::string id = std::to_string(r.body.at("id").as_int64());
    CHECK(location == "/api/v1/orders/" + id + "/"); // no Host to trust: a path-absolute reference
    CHECK(s.stock(5) == before - 2);
    CHECK(order_count(s, token) == 1);
    reply fetched = s.get(location, token);
    REQUIRE(fetched.status() == 200);
    CHECK(fetched.body == r.body);
}

TEST_CASE("shop: SHOP_PUBLIC_URL is the base of next, previous and Location whatever the Host",
          "[shop][hosts]") {
    shop s{hosts_environment({{"SHOP_PUBLIC_URL", "https://Shop.Example.com/"}})};
    const std::string token = s.login().first;
    const std::string base = "https://shop.example.com";

    for (const std::string host : {"127.0.0.1", "localhost:1234", "[::1]"}) {
        INFO(host);
        auto first = rampart::test::make_get("/api/v2/products/?page_size=2");
        first.set(http::field::host, host);
        reply page1 = s.send(std::move(first));
        REQUIRE(page1.status() == 200);
        std::string next(page1.body.at("next").as_string());
        CHECK(next.rfind(base + "/api/v2/products/?page_size=2&cursor=", 0) == 0);
        auto second = rampart::test::make_get(target_of(next));
        second.set(http::field::host, host);
        reply page2 = s.send(std::move(second));
        REQUIRE(page2.status() == 200);
        CHECK(std::string(page2.body.at("previous").as_string())
                  .rfind(base + "/api/v2/products/", 0) == 0);

        auto order = json_request(http::verb::post, "/api/v2/orders/",
                                  json::serialize(order_body(6, 1)), token);
        order.set(http::field::host, host);
        reply placed = s.send(std::move(order));
        REQUIRE(placed.status() == 201);
        CHECK(placed.header("Location") ==
              base + "/api/v2/orders/" + std::to_string(placed.body.at("id").as_int64()) + "/");
    }
    reply old = raw_exchange(s.port(), raw_order(token, 6, "", "HTTP/1.0"));
    REQUIRE(old.status() == 201);
    CHECK(old.header("Location").rfind(base + "/api/v1/orders/", 0) == 0);
    // The public URL does not widen the allowed hosts.
    auto foreign = rampart::test::make_get("/api/v1/products/");
    foreign.set(http::field::host, "shop.example.com");
    CHECK(is_envelope(s.send(std::move(foreign)), 400));
}

TEST_CASE("shop: SHOP_ALLOWED_HOSTS patterns: * allows all, .domain its subdomains",
          "[shop][hosts]") {
    SECTION("*") {
        shop s{hosts_environment({{"SHOP_ALLOWED_HOSTS", "*"}})};
        auto req = rampart::test::make_get("/api/v1/products/?page_size=1");
        req.set(http::field::host, "anything.example:81");
        reply r = s.send(std::move(req));
        REQUIRE(r.status() == 200);
        CHECK(std::string(r.body.at("next").as_string())
                  .rfind("http://anything.example:81/api/v1/products/", 0) == 0);
        auto bad = rampart::test::make_get("/api/v1/products/");
        bad.set(http::field::host, "any thing");
        CHECK(is_envelope(s.send(std::move(bad)), 400)); // still well-formed only
    }
    SECTION(".example.com") {
        shop s{hosts_environment({{"SHOP_ALLOWED_HOSTS", ".example.com, 127.0.0.1"}})};
        for (const std::string host : {"example.com", "api.EXAMPLE.com:8443", "127.0.0.1"}) {
            INFO(host);
            auto req = rampart::test::make_get("/api/v1/products/1/");
            req.set(http::field::host, host);
            CHECK(s.send(std::move(req)).status() == 200);
        }
        auto req = rampart::test::make_get("/api/v1/products/1/");
        req.set(http::field::host, "localhost");
        CHECK(is_envelope(s.send(std::move(req)), 400));
    }
}

TEST_CASE("shop: bad SHOP_ALLOWED_HOSTS or SHOP_PUBLIC_URL stops start-up naming it",
          "[shop][hosts]") {
    temp_dir dir;
    for (auto [variable, value] :
         {std::pair{"SHOP_ALLOWED_HOSTS", "shop.example.com:80"},
          std::pair{"SHOP_ALLOWED_HOSTS", "a b"}, std::pair{"SHOP_ALLOWED_HOSTS", ""},
          std::pair{"SHOP_ALLOWED_HOSTS", "localhost,,x"},
          std::pair{"SHOP_PUBLIC_URL", "shop.example.com"},
          std::pair{"SHOP_PUBLIC_URL", "ftp://shop.example.com"},
          std::pair{"SHOP_PUBLIC_URL", "https://shop.example.com/api"}}) {
        INFO(variable << "=" << value);
        auto env = default_environment(dir.file("shop.db"));
        env[variable] = value;
        process p{shop_binary(), {}, env};
        auto code = p.wait(std::chrono::seconds{30});
        REQUIRE(code.has_value());
        CHECK(*code == 2);
        CHECK(p.errors().find(variable) != std::string::npos);
    }
    process help{shop_binary(), {"--help"}, without_shop_settings()};
    REQUIRE(help.wait(std::chrono::seconds{30}) == 0);
    CHECK(help.output().find("SHOP_ALLOWED_HOSTS") != std::string::npos);
    CHECK(help.output().find("SHOP_PUBLIC_URL") != std::string::npos);
}
