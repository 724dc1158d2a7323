// The shop's products, orders, routes and request checks, driven over real sockets against the
// real binary (../../docs/shop-api.md).

#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace shop_test;

namespace {

/// The path and query of an absolute URL the shop returned (`next` / `previous`).
std::string target_of(const json::value& url) {
    std::string text(url.as_string());
    REQUIRE(text.rfind("http://", 0) == 0);
    return text.substr(text.find('/', 7));
}

json::value product_v1(int id, std::int64_t stock) {
    char price[32];
    std::snprintf(price, sizeof price, "%d.%02d", id * 125 / 100, id * 125 % 100);
    return {
        {"id", id}, {"name", "Product " + std::to_string(id)}, {"price", price}, {"stock", stock}};
}

} // namespace

TEST_CASE("shop: products in v1 and v2 shapes", "[shop]") {
    shop s;
    auto p1 = s.get("/api/v1/products/1/");
    REQUIRE(p1.status() == 200);
    CHECK(p1.header("Content-Type").rfind("application/json", 0) == 0);
    CHECK(p1.body ==
          json::value{{"id", 1}, {"name", "Product 1"}, {"price", "1.25"}, {"stock", 50}});
    CHECK(s.get("/api/v1/products/60/").body ==
          json::value{{"id", 60}, {"name", "Product 60"}, {"price", "75.00"}, {"stock", 50}});
    CHECK(s.get("/api/v1/products/7/").body.at("stock") == 3);
    CHECK(s.get("/api/v1/products/8/").body.at("stock") == 0);

    CHECK(s.get("/api/v2/products/1/").body ==
          json::value{{"id", 1},
                      {"name", "Product 1"},
                      {"price", {{"amount", "1.25"}, {"currency", "USD"}}},
                      {"stock", 50},
                      {"in_stock", true}});
    CHECK(s.get("/api/v2/products/60/").body.at("price") ==
          json::value{{"amount", "75.00"}, {"currency", "USD"}});
    auto p8 = s.get("/api/v2/products/8/").body;
    CHECK(p8.at("stock") == 0);
    CHECK(p8.at("in_stock") == false);
    CHECK(s.get("/api/v2/products/7/").body.at("in_stock") == true);

    // The list pages show the same shapes.
    auto v1 = s.get("/api/v1/products/");
    REQUIRE(v1.status() == 200);
    const auto& items = v1.body.at("results").as_array();
    REQUIRE(items.size() == 25);
    for (int i = 0; i < 25; ++i)
        CHECK(items[i] == product_v1(i + 1, i + 1 == 7 ? 3 : i + 1 == 8 ? 0 : 50));
    CHECK(v1.body.at("previous").is_null());
    CHECK(v1.body.as_object().size() == 3);
    auto v2 = s.get("/api/v2/products/");
    CHECK(v2.body.at("results").as_array()[7] ==
          json::value{{"id", 8},
                      {"name", "Product 8"},
                      {"price", {{"amount", "10.00"}, {"currency", "USD"}}},
                      {"stock", 0},
                      {"in_stock", false}});

    // Unknown and non-numeric ids.
    for (const char* target : {"/api/v1/products/61/", "/api/v2/products/0/",
                               "/api/v1/products/abc/", "/api/v1/products/1.5/",
                               "/api/v1/products/-1/", "/api/v2/products/99999999999999999999/"}) {
        INFO(target);
        CHECK(is_envelope(s.get(target), 404));
    }
}

TEST_CASE("shop: following next visits every product once, previous walks back", "[shop]") {
    shop s;
    for (const char* version : {"v1", "v2"}) {
        for (int size : {1, 7, 25, 100}) {
            INFO(version << " page_size " << size);
            std::string first =
                std::string("/api/") + version + "/products/?page_size=" + std::to_string(size);
            std::vector<std::int64_t> seen;
            std::vector<std::string> pages{first};
            std::string target = first;
            for (;;) {
                auto r = s.get(target);
                REQUIRE(r.status() == 200);
                const auto& results = r.body.at("results").as_array();
                CHECK(results.size() <= static_cast<std::size_t>(size));
                for (const auto& item : results)
                    seen.push_back(item.at("id").as_int64());
                if (r.body.at("next").is_null())
                    break;
                target = target_of(r.body.at("next"));
                // The links keep the version and the page size.
                CHECK(target.rfind(std::string("/api/") + version + "/products/?", 0) == 0);
                CHECK(target.find("page_size=" + std::to_string(size)) != std::string::npos);
                pages.push_back(target);
                REQUIRE(pages.size() <= 61);
            }
            std::vector<std::int64_t> expected;
            for (int i = 1; i <= 60; ++i)
                expected.push_back(i);
            CHECK(seen == expected);
            CHECK(pages.size() == static_cast<std::size_t>((60 + size - 1) / size));

            // Walk back from the last page with `previous`: each page is the one before it.
            std::vector<std::int64_t> back;
            target = pages.back();
            for (;;) {
                auto r = s.get(target);
                REQUIRE(r.status() == 200);
                const auto& results = r.body.at("results").as_array();
                std::vector<std::int64_t> ids;
                for (const auto& item : results)
                    ids.push_back(item.at("id").as_int64());
                back.insert(back.begin(), ids.begin(), ids.end());
                if (r.body.at("previous").is_null())
                    break;
                target = target_of(r.body.at("previous"));
                CHECK(target.rfind(std::string("/api/") + version + "/products/?", 0) == 0);
                REQUIRE(back.size() <= 60);
            }
            CHECK(back == expected);
        }
    }

    // Default page size is 25.
    CHECK(s.get("/api/v1/products/").body.at("results").as_array().size() == 25);
    CHECK(s.get("/api/v1/products/?page_size=100").body.at("results").as_array().size() == 60);
}

TEST_CASE("shop: bad page sizes and cursors are 400 field errors", "[shop]") {
    shop s;
    for (const char* bad : {"0", "101", "-1", "abc", "", "2.5", "1e2", "99999999999999999999"}) {
        INFO("page_size=" << bad);
        auto r = s.get(std::string("/api/v1/products/?page_size=") + bad);
        REQUIRE(is_envelope(r, 400));
        CHECK(r.errors().contains("page_size"));
        CHECK(r.messages("page_size").size() >= 1);
    }
    auto first = s.get("/api/v1/products/?page_size=5");
    std::string next = target_of(first.body.at("next"));
    std::string cursor = next.substr(next.find("cursor=") + 7);
    REQUIRE(s.get(next).status() == 200);

    std::vector<std::string> bad_cursors;
    std::string altered = cursor;
    altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
    bad_cursors.push_back(altered);
    std::string last_altered = cursor;
    last_altered.back() = last_altered.back() == 'A' ? 'B' : 'A';
    bad_cursors.push_back(last_altered);
    bad_cursors.push_back(cursor.substr(0, cursor.size() - 1));
    bad_cursors.push_back(cursor.substr(0, cursor.size() / 2));
    bad_cursors.push_back("bm90LWEtY3Vyc29y");
    bad_cursors.push_back("AQABAQAAAAAAAAAC");
    bad_cursors.push_back("%%%");
    bad_cursors.push_back("x");
    for (const auto& c : bad_cursors) {
        INFO("cursor=" << c);
        auto r = s.get("/api/v1/products/?page_size=5&cursor=" + c);
        REQUIRE(is_envelope(r, 400));
        CHECK(r.errors().contains("cursor"));
    }
    // A cursor is a position: asked with another page size, the walk goes on from there.
    auto cross = s.get("/api/v1/products/?page_size=6&cursor=" + cursor);
    REQUIRE(cross.status() == 200);
    const auto& rest = cross.body.at("results").as_array();
    REQUIRE(rest.size() == 6);
    CHECK(rest[0].at("id") == 6);
}

TEST_CASE("shop: versions, unknown paths, methods and the trailing slash", "[shop]") {
    shop s;
    for (const char* target : {"/api/v3/products/", "/api/v0/products/", "/api/V1/products/",
                               "/api/v1.0/products/", "/api/products/", "/api/v3/products/1/",
                               "/api/v3/orders/", "/nothing", "/api/v1/widgets/"}) {
        INFO(target);
        CHECK(is_envelope(s.get(target), 404));
    }
    // Slash-less forms: 404, never a redirect.
    for (const char* target :
         {"/api/v1/products", "/api/v2/products/1", "/api/v1/orders", "/api/v1/orders/1"}) {
        INFO(target);
        auto r = s.get(target);
        CHECK(is_envelope(r, 404));
        CHECK_FALSE(r.has_header("Location"));
    }
    auto token_slashless = s.post("/api/token", json::value{{"username", "alice"}});
    CHECK(is_envelope(token_slashless, 404));

    // Known paths, other methods: 405 with Allow.
    struct probe {
        const char* target;
        http::verb method;
        const char* allowed;
    };
    for (const auto& p : {probe{"/api/v1/products/", http::verb::post, "GET"},
                          probe{"/api/v2/products/", http::verb::delete_, "GET"},
                          probe{"/api/v1/products/1/", http::verb::put, "GET"},
                          probe{"/api/token/", http::verb::get, "POST"},
                          probe{"/api/token/refresh/", http::verb::get, "POST"},
                          probe{"/api/token/verify/", http::verb::put, "POST"},
                          probe{"/api/token/blacklist/", http::verb::delete_, "POST"}}) {
        INFO(p.target << " " << p.method);
        auto r = s.get(p.target, {}, p.method);
        CHECK(is_envelope(r, 405));
        std::string allow = r.header("Allow");
        CHECK(allow.find(p.allowed) != std::string::npos);
    }
    // The orders collection serves GET and POST; its detail GET only.
    auto [access, refresh] = s.login();
    auto r = s.get("/api/v1/orders/", access, http::verb::delete_);
    CHECK(is_envelope(r, 405));
    CHECK(r.header("Allow").find("GET") != std::string::npos);
    CHECK(r.header("Allow").find("POST") != std::string::npos);
    r = s.get("/api/v1/orders/1/", access, http::verb::post);
    CHECK(is_envelope(r, 405));
    CHECK(r.header("Allow").find("GET") != std::string::npos);
    CHECK(r.header("Allow").find("POST") == std::string::npos);
}

TEST_CASE("shop: placing, listing and reading orders", "[shop]") {
    shop s;
    auto [alice, alice_refresh] = s.login();
    auto [bob, bob_refresh] = s.login("bob", "bob-pass-1234");
    CHECK(s.stock(3) == 50);

    for (const char* version : {"v1", "v2"}) {
        INFO(version);
        std::int64_t before = s.stock(3);
        auto r = s.post(std::string("/api/") + version + "/orders/", order_body(3, 2), alice);
        REQUIRE(r.status() == 201);
        const auto& o = r.body.as_object();
        CHECK(o.size() == 6);
        CHECK(o.at("id").is_int64());
        CHECK(o.at("product_id") == 3);
        CHECK(o.at("quantity") == 2);
        CHECK(o.at("shipping_address") == "1 Main St, Springfield");
        CHECK(o.at("status") == "pending");
        std::string created(o.at("created_at").as_string());
        CHECK(std::regex_match(created,
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)")));
        std::string id = std::to_string(o.at("id").as_int64());
        std::string location = r.header("Location");
        CHECK(location.rfind("http://", 0) == 0);
        CHECK(location.size() >= id.size() + 2);
        CHECK(location.substr(location.size() - (std::string("/orders/") + id + "/").size()) ==
              "/orders/" + id + "/");
        // The Location answers with the same order.
        auto fetched = s.get(location.substr(location.find('/', 7)), alice);
        REQUIRE(fetched.status() == 200);
        CHECK(fetched.body == r.body);
        CHECK(s.stock(3) == before - 2);
    }

    // Unknown extra fields are ignored.
    json::value extra = order_body(4, 1);
    extra.as_object()["coupon"] = "FREE";
    extra.as_object()["id"] = 999;
    CHECK(s.post("/api/v1/orders/", extra, alice).status() == 201);

    // Bob's order: alice never sees it.
    auto bobs = s.post("/api/v1/orders/", order_body(5, 1, "2 Elm St"), bob);
    REQUIRE(bobs.status() == 201);
    std::string bobs_id = std::to_string(bobs.body.at("id").as_int64());
    CHECK(is_envelope(s.get("/api/v1/orders/" + bobs_id + "/", alice), 404));
    CHECK(s.get("/api/v1/orders/" + bobs_id + "/", bob).status() == 200);
    CHECK(is_envelope(s.get("/api/v2/orders/999999/", alice), 404));
    CHECK(is_envelope(s.get("/api/v1/orders/abc/", alice), 404));

    // The list: the caller's own, newest first, paginated.
    for (int i = 0; i < 4; ++i)
        REQUIRE(s.post("/api/v1/orders/", order_body(10 + i, 1), alice).status() == 201);
    auto list = s.get("/api/v1/orders/", alice);
    REQUIRE(list.status() == 200);
    const auto& mine = list.body.at("results").as_array();
    REQUIRE(mine.size() == 7);
    for (std::size_t i = 0; i + 1 < mine.size(); ++i) {
        CHECK(mine[i].at("created_at").as_string() >= mine[i + 1].at("created_at").as_string());
        CHECK(mine[i].at("id").as_int64() > mine[i + 1].at("id").as_int64());
    }
    CHECK(mine[0].at("product_id") == 13);
    for (const auto& o : mine)
        CHECK(o.at("id") != bobs.body.at("id"));
    auto bob_list = s.get("/api/v2/orders/", bob);
    REQUIRE(bob_list.body.at("results").as_array().size() == 1);

    // Paging through orders, two at a time, sees all seven once.
    std::set<std::int64_t> ids;
    std::string target = "/api/v1/orders/?page_size=2";
    int pages = 0;
    for (;;) {
        auto r = s.get(target, alice);
        REQUIRE(r.status() == 200);
        for (const auto& o : r.body.at("results").as_array())
            CHECK(ids.insert(o.at("id").as_int64()).second);
        ++pages;
        if (r.body.at("next").is_null())
            break;
        std::string next(r.body.at("next").as_string());
        target = next.substr(next.find('/', 7));
        REQUIRE(pages < 10);
    }
    CHECK(ids.size() == 7);
    CHECK(pages == 4);
    // Alice's cursor is bound to her list: Bob cannot page with it.
    auto page = s.get("/api/v1/orders/?page_size=2", alice);
    std::string next(page.body.at("next").as_string());
    auto as_bob = s.get(next.substr(next.find('/', 7)), bob);
    REQUIRE(is_envelope(as_bob, 400));
    CHECK(as_bob.errors().contains("cursor"));
}

TEST_CASE("shop: every validation message, all at once", "[shop]") {
    shop s;
    const std::string token = s.login().first; // a named string: lambdas capture it
    auto order = [&](const json::value& body) { return s.post("/api/v1/orders/", body, token); };

    auto r = order(order_body(3, 0));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.body == json::parse(R"({"status":"error","code":400,"errors":{"quantity":)"
                                R"(["Quantity must be at least 1."]}})"));
    r = order(order_body(3, -5));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("quantity") == std::vector<std::string>{"Quantity must be at least 1."});
    r = order(order_body(3, 101));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("quantity") == std::vector<std::string>{"Maximum order quantity is 100."});
    CHECK(order(order_body(3, 100)).status() == 400); // stock 50: insufficient, not the maximum
    r = order(order_body(7, 4));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.body.at("errors") ==
          json::parse(R"({"quantity":["Insufficient stock for this product."]})"));
    r = order(order_body(8, 1));
    CHECK(r.messages("quantity") ==
          std::vector<std::string>{"Insufficient stock for this product."});
    for (int unknown : {61, 0, -1}) {
        r = order(order_body(unknown, 1));
        REQUIRE(is_envelope(r, 400));
        CHECK(r.errors().size() == 1);
        CHECK(r.messages("product_id").size() == 1);
    }
    r = order(order_body(3, 1, ""));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("shipping_address").size() == 1);
    r = order(order_body(3, 1, "   "));
    CHECK(r.messages("shipping_address").size() == 1);
    r = order(order_body(3, 1, std::string(501, 'a')));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.messages("shipping_address").size() == 1);
    CHECK(order(order_body(3, 1, std::string(500, 'a'))).status() == 201);

    // Every failing field at once.
    r = order(json::value{{"product_id", "x"}, {"quantity", 0}, {"shipping_address", ""}});
    REQUIRE(is_envelope(r, 400));
    CHECK(r.errors().size() == 3);
    CHECK(r.messages("product_id").size() == 1);
    CHECK(r.messages("quantity") == std::vector<std::string>{"Quantity must be at least 1."});
    CHECK(r.messages("shipping_address").size() == 1);
    r = order(json::parse("{}"));
    REQUIRE(is_envelope(r, 400));
    CHECK(r.errors().size() == 3);
    for (const char* f : {"product_id", "quantity", "shipping_address"})
        CHECK(r.messages(f).size() == 1);

    // Wrong JSON types, null and missing, one field at a time.
    for (const char* field : {"product_id", "quantity", "shipping_address"}) {
        std::vector<json::value> wrongs{json::value("2"),     json::value(2.5), json::value(true),
                                        json::value(nullptr), json::array{1},   json::object{}};
        if (std::string_view(field) == "shipping_address")
            wrongs = {json::value(2),       json::value(2.5), json::value(true),
                      json::value(nullptr), json::array{"a"}, json::object{}};
        for (const auto& wrong : wrongs) {
            json::value body = order_body(3, 1);
            body.as_object()[field] = wrong;
            INFO(field << " = " << json::serialize(wrong));
            r = order(body);
            REQUIRE(is_envelope(r, 400));
            CHECK(r.errors().size() == 1);
            CHECK(r.messages(field).size() == 1);
        }
        json::value body = order_body(3, 1);
        body.as_object().erase(field);
        INFO(field << " missing");
        r = order(body);
        REQUIRE(is_envelope(r, 400));
        CHECK(r.errors().size() == 1);
        CHECK(r.messages(field).size() == 1);
    }
    // No failed order took stock.
    CHECK(s.stock(3) == 49);
    CHECK(s.stock(7) == 3);
}

TEST_CASE("shop: malformed bodies, media types and sizes", "[shop]") {
    shop s;
    auto [token, refresh] = s.login();
    for (const char* body : {"{", "{\"product_id\": 3,", "not json", "", "{\"a\":1}}", "[1,2",
                             "{\"product_id\": 3, \"quantity\": 1, \"quantity\": }"}) {
        INFO(body);
        auto r = s.post("/api/v1/orders/", std::string(body), token);
        REQUIRE(is_envelope(r, 400));
        CHECK(r.errors().size() == 1);
        CHECK(!r.detail().empty());
    }
    for (const char* body : {"[]", "[1,2]", "3", "\"text\"", "null", "true"}) {
        INFO(body);
        auto r = s.post("/api/v1/orders/", std::string(body), token);
        REQUIRE(is_envelope(r, 400));
        CHECK(!r.detail().empty());
    }
    // Token endpoints read JSON the same way.
    auto r = s.post("/api/token/", std::string("{\"username\":"));
    REQUIRE(is_envelope(r, 400));
    CHECK(!r.detail().empty());

    std::string good = json::serialize(order_body(3, 1));
    for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "application/xml"}) {
        INFO("Content-Type: " << type);
        auto res = s.send(json_request(http::verb::post, "/api/v1/orders/", good, token, type));
        CHECK(is_envelope(res, 415));
    }
    auto with_charset = s.send(json_request(http::verb::post, "/api/v1/orders/", good, token,
                                            "application/json; charset=utf-8"));
    CHECK(with_charset.status() == 201);
    CHECK(is_envelope(s.send(json_request(http::verb::post, "/api/token/", "{}", {}, "text/plain")),
                      415));

    // Over 64 KiB: 413, whatever the body is; just under it is read.
    std::string address(64 * 1024, 'a');
    auto big = s.post("/api/v1/orders/", json::serialize(order_body(3, 1, address)), token);
    CHECK(is_envelope(big, 413));
    auto big_login = s.post("/api/token/", std::string(64 * 1024 + 1, ' '));
    CHECK(is_envelope(big_login, 413));
    std::string padded = json::serialize(order_body(3, 1));
    padded.insert(1, std::string(60 * 1024, ' '));
    CHECK(s.post("/api/v1/orders/", padded, token).status() == 201);
    CHECK(s.stock(3) == 48);
}
