// The examples of docs/sqlite.md, compiled and run.

// docs: setup
#include <rampart/sqlite.hpp>

namespace asio = boost::asio;
namespace sqlite = rampart::sqlite;

// Only for the test:
#include <rampart/errors/http_error.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

// docs: schema
constexpr std::array<sqlite::migration, 2> migrations{{
    {1, "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "stock INTEGER NOT NULL CHECK (stock >= 0))"},
    {2, "CREATE TABLE orders (id INTEGER PRIMARY KEY, "
        "product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT NULL)"},
}};

// docs: open
// Throws sqlite::error when the file cannot be opened or a migration fails: start-up stops.
sqlite::database open_shop_database(const std::string& path) {
    return sqlite::database({.path = path, .workers = 2, .migrations = migrations});
}

// The same without sqlite::error: the error code says why (sqlite::errc::cantopen, ...).
std::unique_ptr<sqlite::database> try_open_shop_database(const std::string& path) {
    auto db = sqlite::database::try_open({.path = path, .workers = 2, .migrations = migrations});
    if (!db) {
        std::cerr << "shop: cannot open " << path << ": " << db.error().message() << '\n';
        return nullptr;
    }
    return std::move(*db);
}

// docs: try_prepare
// Checks, at start-up, that a query the service relies on compiles against the schema.
bool query_compiles(sqlite::connection& c, std::string_view sql) {
    auto statement = c.try_prepare(sql);
    if (!statement && statement.error() == sqlite::errc::error)
        std::cerr << "shop: the schema does not fit: " << sql << '\n';
    return statement.has_value();
}

// docs: read
asio::awaitable<std::int64_t> stock_of(sqlite::database& db, std::int64_t id) {
    co_return co_await db.read([id](sqlite::connection& c) {
        auto& s = c.cached("SELECT stock FROM products WHERE id = ?");
        s.bind(1, id);
        if (!s.step())
            throw rampart::not_found();
        return s.column<std::int64_t>(0);
    });
}

// docs: inline reads
// One inline read connection per I/O thread, so every read can answer where it arrives.
sqlite::database open_for_io_threads(const std::string& path, unsigned io_threads) {
    return sqlite::database({.path = path, .migrations = migrations, .inline_readers = io_threads});
}

// A report scans every order: marked long, it goes straight to the reader threads.
asio::awaitable<std::int64_t> units_ordered(sqlite::database& db) {
    co_return co_await db.run(
        [](sqlite::connection& c) {
            auto& s = c.cached("SELECT coalesce(sum(quantity), 0) FROM orders");
            s.step();
            return s.column<std::int64_t>(0);
        },
        sqlite::lane::long_read);
}

// docs: read_stats
// For a metrics endpoint: how many reads left their I/O thread, and why.
void print_read_stats(const sqlite::database& db) {
    sqlite::read_stats s = db.read_stats();
    std::cout << "inline " << s.answered_inline << ", moved (lock) " << s.moved_busy
              << ", moved (long) " << s.moved_long << '\n';
}

// docs: transaction
asio::awaitable<std::optional<std::int64_t>> place_order(sqlite::database& db, std::int64_t product,
                                                         std::int64_t quantity) {
    co_return co_await db.transaction([=](sqlite::connection& c) -> std::optional<std::int64_t> {
        c.cached("UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?")
            .bind_all(quantity, product, quantity)
            .exec();
        if (c.changes() == 0)
            return std::nullopt; // unknown product or not enough stock: nothing changed
        c.cached("INSERT INTO orders (product_id, quantity) VALUES (?, ?)")
            .bind_all(product, quantity)
            .exec();
        return c.last_insert_rowid();
    });
}

// docs: constraint
asio::awaitable<void> add_order_row(sqlite::database& db, std::int64_t product) {
    try {
        co_await db.write([product](sqlite::connection& c) {
            c.cached("INSERT INTO orders (product_id, quantity) VALUES (?, 1)")
                .bind(1, product)
                .exec();
        });
    } catch (const sqlite::constraint_error& e) {
        if (e.foreign_key())
            throw rampart::validation_error("product_id", "Unknown product.");
        throw;
    }
}

} // namespace

TEST_CASE("docs: a database with migrations, reads, transactions, constraints", "[sqlite][docs]") {
    rampart::test::temp_dir dir;
    std::string path = dir.file("shop.db");
    sqlite::database db = open_shop_database(path);

    CHECK(db.applied_migrations() == 2);
    rampart::test::run(db.run(
        [](sqlite::connection& c) { c.exec("INSERT INTO products VALUES (7, 'Product 7', 3)"); }));
    CHECK(rampart::test::run(stock_of(db, 7)) == 3);
    CHECK_THROWS_AS(rampart::test::run(stock_of(db, 8)), rampart::not_found);
    CHECK(rampart::test::run(place_order(db, 7, 2)) == std::optional<std::int64_t>{1});
    CHECK(rampart::test::run(place_order(db, 7, 2)) == std::nullopt);
    CHECK(rampart::test::run(stock_of(db, 7)) == 1);
    CHECK_THROWS_AS(rampart::test::run(add_order_row(db, 999)), rampart::validation_error);
    rampart::test::run(add_order_row(db, 7));
}

TEST_CASE("docs: opening without exceptions, and checking queries", "[sqlite][docs]") {
    rampart::test::temp_dir dir;
    CHECK(try_open_shop_database(dir.file("missing/shop.db")) == nullptr);
    auto db = try_open_shop_database(dir.file("shop.db"));
    REQUIRE(db != nullptr);
    CHECK(db->applied_migrations() == 2);
    sqlite::connection c(dir.file("shop.db"));
    CHECK(query_compiles(c, "SELECT stock FROM products WHERE id = ?"));
    CHECK_FALSE(query_compiles(c, "SELECT colour FROM products"));
}

TEST_CASE("docs: inline reads, a long read marked, read statistics", "[sqlite][docs]") {
    rampart::test::temp_dir dir;
    sqlite::database db = open_for_io_threads(dir.file("shop.db"), 1);
    rampart::test::run(db.run([](sqlite::connection& c) {
        c.exec("INSERT INTO products VALUES (7, 'Product 7', 9)");
        c.exec("INSERT INTO orders (product_id, quantity) VALUES (7, 2), (7, 3)");
    }));
    CHECK(rampart::test::run(stock_of(db, 7)) == 9);
    CHECK(rampart::test::run(units_ordered(db)) == 5);
    CHECK(db.read_stats().answered_inline == 1); // stock_of; the report went to a reader thread
    print_read_stats(db);
}
