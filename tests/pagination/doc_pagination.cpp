// The examples of docs/pagination.md, compiled and run.

// docs: setup
#include <rampart/core/response.hpp>
#include <rampart/pagination.hpp>
#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite.hpp>

namespace asio = boost::asio;
namespace pg = rampart::pagination;
namespace sqlite = rampart::sqlite;

// Only for the test:
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <array>
#include <string>

namespace {

const std::string secret = "a-secret-of-at-least-16-bytes-0123456789";

// docs: product row
struct product {
    std::int64_t id;
    std::string name;
    std::int64_t price_cents;
    std::int64_t stock;
};

product read_product(sqlite::statement& s) {
    return {s.column<std::int64_t>(0), s.column<std::string>(1), s.column<std::int64_t>(2),
            s.column<std::int64_t>(3)};
}

boost::json::value product_json(const product& p) {
    return {{"id", p.id}, {"name", p.name}, {"stock", p.stock}};
}

// docs: products
struct catalog {
    sqlite::database& db;
    std::string secret; // signs the cursors: at least 16 bytes, from the configuration

    pg::cursor_paginator<> products{{
        .endpoint = "products",
        .ordering = {{"id"}},
        .cursors = {.keys = {secret}},
        .default_page_size = 25,
        .max_page_size = 100,
    }};
    pg::sqlite_keyset products_query{"SELECT id, name, price_cents, stock FROM products",
                                     products.ordering()};

    asio::awaitable<rampart::response> list_products(rampart::context& ctx) {
        pg::sqlite_source source{db, products_query, read_product};
        auto key_of = [](const product& p) { return pg::key{p.id}; };
        auto page = co_await products.paginate(ctx, source, key_of);
        co_return rampart::json_response(rampart::http::status::ok, page.to_json(product_json));
    }
};

// docs: order row
struct order {
    std::int64_t id;
    std::int64_t product_id;
    std::int64_t quantity;
    std::string created_at;
};

order read_order(sqlite::statement& s) {
    return {s.column<std::int64_t>(0), s.column<std::int64_t>(1), s.column<std::int64_t>(2),
            s.column<std::string>(3)};
}

boost::json::value order_json(const order& o) {
    return {{"id", o.id}, {"created_at", o.created_at}};
}

// docs: orders
struct order_book {
    sqlite::database& db;
    std::string secret;

    pg::cursor_paginator<> orders{{
        .endpoint = "orders",
        .ordering = {{"created_at", pg::order::descending}, {"id", pg::order::descending}},
        .cursors = {.keys = {secret}},
    }};
    pg::sqlite_keyset orders_query{"SELECT id, product_id, quantity, created_at FROM orders",
                                   orders.ordering(), "user_id = ?"};

    asio::awaitable<rampart::response> list_orders(rampart::context& ctx, std::int64_t user) {
        pg::sqlite_source source{db, orders_query, read_order, user};
        const std::string filters = "user=" + std::to_string(user);
        auto key_of = [](const order& o) { return pg::key{o.created_at, o.id}; };
        auto page = co_await orders.paginate(ctx, source, key_of, filters);
        co_return rampart::json_response(rampart::http::status::ok, page.to_json(order_json));
    }
};

// docs: select_page
pg::page<product> list_featured(const pg::cursor_paginator<>& paginator,
                                const rampart::context& ctx, const std::vector<product>& featured) {
    auto key_of = [](const product& p) { return pg::key{p.id}; };
    auto source = [&](const pg::page_query& q) { return pg::select_page(featured, key_of, q); };
    return paginator.paginate_now(ctx, source, key_of);
}

// docs: options
pg::cursor_paginator<> products_paginator(const std::string& new_secret,
                                          const std::string& old_secret) {
    return pg::cursor_paginator<>({
        .endpoint = "products",
        .ordering = {{"id"}},
        .cursors = {.keys = {new_secret, old_secret}, .max_age = std::chrono::hours{24}},
        .links = {.public_url = "https://shop.example.com"},
    });
}

constexpr std::array<sqlite::migration, 1> schema{{
    {1, "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "price_cents INTEGER NOT NULL, stock INTEGER NOT NULL);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
        "product_id INTEGER NOT NULL, quantity INTEGER NOT NULL, created_at TEXT NOT NULL);"
        "CREATE INDEX orders_newest ON orders (user_id, created_at DESC, id DESC)"},
}};

struct shop {
    catalog products;
    order_book orders;

    asio::awaitable<rampart::response> list_products(rampart::context& ctx) {
        return products.list_products(ctx);
    }
    asio::awaitable<rampart::response> list_orders(rampart::context& ctx, std::int64_t user) {
        return orders.list_orders(ctx, user);
    }
};

boost::json::object get(shop& s, const std::string& target, bool orders = false,
                        std::int64_t user = 1) {
    rampart::context ctx{rampart::test::make_request(rampart::http::verb::get, target)};
    auto res = rampart::test::run(orders ? s.list_orders(ctx, user) : s.list_products(ctx));
    return boost::json::parse(res.body()).as_object();
}

std::string target_of(const boost::json::value& url) {
    std::string u(url.as_string());
    return u.substr(u.find('/', u.find("://") + 3));
}

} // namespace

TEST_CASE("docs: products by id and orders newest first, from SQLite", "[pagination][docs]") {
    rampart::test::temp_dir dir;
    sqlite::database db({.path = dir.file("shop.db"), .migrations = schema});
    rampart::test::run(db.transaction([](sqlite::connection& c) {
        for (int i = 1; i <= 60; ++i)
            c.prepare("INSERT INTO products VALUES (?, ?, ?, 50)")
                .bind_all(i, "Product " + std::to_string(i), i * 125)
                .exec();
        for (int i = 1; i <= 30; ++i)
            c.prepare("INSERT INTO orders VALUES (?, ?, 3, 1, ?)")
                .bind_all(i, i % 2 + 1, "2026-11-27T15:00:0" + std::to_string(i % 3) + "Z")
                .exec();
    }));
    shop s{{db, secret}, {db, secret}};

    auto first = get(s, "/api/v1/products/");
    CHECK(first.at("results").as_array().size() == 25);
    CHECK(first.at("previous").is_null());
    auto second = get(s, target_of(first.at("next")));
    CHECK(second.at("results").as_array()[0].at("id") == 26);
    auto small = get(s, "/api/v1/products/?page_size=50");
    CHECK(small.at("results").as_array().size() == 50);

    std::vector<std::int64_t> ids;
    std::string target = "/api/v1/orders/?page_size=4";
    for (;;) {
        auto page = get(s, target, true, 2);
        for (const auto& o : page.at("results").as_array())
            ids.push_back(o.at("id").as_int64());
        if (page.at("next").is_null())
            break;
        target = target_of(page.at("next"));
    }
    // User 2 owns the odd ids 1..29; newest first, ties by id descending.
    std::vector<std::int64_t> expected;
    for (char second_digit : {'2', '1', '0'})
        for (int i = 29; i >= 1; i -= 2)
            if ("012"[i % 3] == second_digit)
                expected.push_back(i);
    CHECK(ids == expected);

    // User 1 cannot replay user 2's cursor.
    auto page = get(s, "/api/v1/orders/?page_size=4", true, 2);
    CHECK_THROWS_AS(get(s, target_of(page.at("next")), true, 1), rampart::validation_error);
}

TEST_CASE("docs: limit/offset", "[pagination][docs]") {
    // docs: limit offset
    pg::limit_offset_paginator paginator(
        {.default_limit = 20, .max_limit = 100, .max_offset = 5000});
    auto respond = [&](rampart::context& ctx) -> asio::awaitable<rampart::response> {
        std::vector<int> numbers(250);
        for (int i = 0; i < 250; ++i)
            numbers[static_cast<std::size_t>(i)] = i;
        auto page = co_await paginator.paginate(
            ctx, [&] { return numbers.size(); },
            [&](std::size_t offset, std::size_t limit) {
                auto from = numbers.begin() + static_cast<std::ptrdiff_t>(offset);
                auto to =
                    from + static_cast<std::ptrdiff_t>(std::min(limit, numbers.size() - offset));
                return std::vector<int>(from, to);
            });
        co_return rampart::json_response(rampart::http::status::ok,
                                         page.to_json([](int n) { return n; }));
    };
    rampart::context ctx{rampart::test::make_request(rampart::http::verb::get, "/n/?offset=240")};
    rampart::allowed_hosts{"127.0.0.1"}.check(ctx); // what the service's stack does first
    auto body = boost::json::parse(rampart::test::run(respond(ctx)).body());
    CHECK(body.at("count") == 250);
    CHECK(body.at("results").as_array().size() == 10);
    CHECK(body.at("next").is_null());
    CHECK(body.at("previous") == "http://127.0.0.1:8080/n/?offset=220&limit=20");
}

TEST_CASE("docs: rotation, expiry and links behind a proxy", "[pagination][docs]") {
    const std::string new_secret = "the-new-secret-0123456789abcdef";
    const std::string old_secret = secret;
    auto paginator = products_paginator(new_secret, old_secret);
    rampart::context ctx{rampart::test::make_request(rampart::http::verb::get, "/p/?page_size=1")};
    ctx.req().set(rampart::http::field::host, "attacker.example"); // never reflected
    std::vector<int> rows{1, 2, 3};
    auto page = paginator.paginate_now(
        ctx,
        [&](const pg::page_query& q) {
            return pg::select_page(
                rows, [](int r) { return pg::key{r}; }, q);
        },
        [](int r) { return pg::key{r}; });
    CHECK(page.next->rfind("https://shop.example.com/p/?page_size=1&cursor=", 0) == 0);
}

TEST_CASE("docs: select_page pages rows in memory", "[pagination][docs]") {
    pg::cursor_paginator<> paginator{{.endpoint = "featured",
                                      .ordering = {{"id"}},
                                      .cursors = {.keys = {secret}},
                                      .default_page_size = 2}};
    std::vector<product> featured{{9, "nine", 900, 1}, {3, "three", 300, 1}, {5, "five", 500, 0}};
    rampart::context ctx{rampart::test::make_request(rampart::http::verb::get, "/f/")};
    auto first = list_featured(paginator, ctx, featured);
    REQUIRE(first.results.size() == 2);
    CHECK(first.results[0].id == 3);
    CHECK(first.results[1].id == 5);
    REQUIRE(first.next);
    rampart::context next{rampart::test::make_request(rampart::http::verb::get,
                                                      first.next->substr(first.next->find("/f/")))};
    auto second = list_featured(paginator, next, featured);
    REQUIRE(second.results.size() == 1);
    CHECK(second.results[0].id == 9);
    CHECK_FALSE(second.next);
}
