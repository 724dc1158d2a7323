#include <rampart/sqlite/connection.hpp>

#include <rampart/sqlite/migrations.hpp>
#include <rampart/sqlite/transaction.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sqlite = rampart::sqlite;
using rampart::test::temp_dir;

TEST_CASE("a connection opens a file in WAL mode with foreign keys and a busy timeout",
          "[sqlite]") {
    temp_dir dir;
    sqlite::connection c(dir.file("app.db"), {.busy_timeout = std::chrono::milliseconds{1234}});
    CHECK(std::filesystem::exists(dir.file("app.db")));
    auto mode = c.prepare("PRAGMA journal_mode");
    REQUIRE(mode.step());
    CHECK(mode.column<std::string>(0) == "wal");
    auto fk = c.prepare("PRAGMA foreign_keys");
    REQUIRE(fk.step());
    CHECK(fk.column<int>(0) == 1);
    auto busy = c.prepare("PRAGMA busy_timeout");
    REQUIRE(busy.step());
    CHECK(busy.column<int>(0) == 1234);
}

TEST_CASE("opening a missing file without create fails with an sqlite::error", "[sqlite]") {
    temp_dir dir;
    try {
        sqlite::connection c(dir.file("absent.db"), {.create = false});
        FAIL("opened a missing file");
    } catch (const sqlite::error& e) {
        CHECK(e.code() == SQLITE_CANTOPEN);
        CHECK(e.unavailable());
    }
}

TEST_CASE("statements bind by index and by name and read typed columns", "[sqlite]") {
    sqlite::connection c(":memory:");
    c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB, note TEXT)");
    std::array<std::byte, 3> bytes{std::byte{1}, std::byte{0}, std::byte{255}};
    c.prepare("INSERT INTO t (id, name, price, data, note) VALUES (?, ?, ?, ?, ?)")
        .bind_all(7, std::string("seven"), 1.25, sqlite::blob{bytes}, nullptr)
        .exec();
    CHECK(c.changes() == 1);
    CHECK(c.last_insert_rowid() == 7);
    c.prepare("INSERT INTO t (id, name, note) VALUES (:id, :name, :note)")
        .bind(":id", std::int64_t{8})
        .bind(":name", "eight")
        .bind(":note", std::optional<std::string>{"n"})
        .exec();

    auto q = c.prepare("SELECT id, name, price, data, note FROM t ORDER BY id");
    REQUIRE(q.column_count() == 5);
    CHECK(q.column_name(1) == "name");
    REQUIRE(q.step());
    CHECK(q.column<std::int64_t>(0) == 7);
    CHECK(q.column<std::string_view>(1) == "seven");
    CHECK(q.column<double>(2) == 1.25);
    CHECK(q.column<std::vector<std::byte>>(3) ==
          std::vector<std::byte>(bytes.begin(), bytes.end()));
    CHECK(q.is_null(4));
    CHECK_FALSE(q.column<std::optional<std::string>>(4).has_value());
    REQUIRE(q.step());
    CHECK(q.column<int>(0) == 8);
    CHECK(q.column<std::optional<std::string>>(4) == std::optional<std::string>{"n"});
    CHECK_FALSE(q.column<std::optional<double>>(2).has_value());
    CHECK_FALSE(q.step());

    // Reset keeps the bindings; the statement runs again from the start.
    q.reset();
    REQUIRE(q.step());
    CHECK(q.column<int>(0) == 7);
}

TEST_CASE("bad SQL and misuse throw sqlite::error, never run", "[sqlite]") {
    sqlite::connection c(":memory:");
    c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    CHECK_THROWS_AS(c.prepare("SELEC 1"), sqlite::error);
    CHECK_THROWS_AS(c.prepare("SELECT 1; DROP TABLE t"), sqlite::error);
    CHECK_THROWS_AS(c.prepare("SELECT :a").bind(":b", 1), sqlite::error);
    CHECK_THROWS_AS(c.prepare("SELECT ?").bind(2, 1), sqlite::error);
    auto still_there = c.prepare("SELECT count(*) FROM t");
    CHECK(still_there.step());
}

TEST_CASE("constraint violations are catchable constraint_errors", "[sqlite]") {
    sqlite::connection c(":memory:");
    c.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
           "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
           "REFERENCES parent(id), code TEXT UNIQUE, qty INTEGER CHECK (qty >= 0));"
           "INSERT INTO parent VALUES (1);"
           "INSERT INTO child VALUES (1, 1, 'a', 0)");
    auto insert = [&](int id, int parent, const char* code, int qty) {
        c.prepare("INSERT INTO child VALUES (?, ?, ?, ?)").bind_all(id, parent, code, qty).exec();
    };
    try {
        insert(2, 1, "a", 1);
        FAIL("duplicate accepted");
    } catch (const sqlite::constraint_error& e) {
        CHECK(e.unique());
        CHECK_FALSE(e.unavailable());
    }
    try {
        insert(3, 99, "b", 1);
        FAIL("dangling reference accepted");
    } catch (const sqlite::constraint_error& e) {
        CHECK(e.foreign_key());
    }
    CHECK_THROWS_AS(insert(4, 1, "c", -1), sqlite::constraint_error);
    CHECK_THROWS_AS(insert(1, 1, "d", 1), sqlite::constraint_error);
}

TEST_CASE("the statement cache hands back a reset statement", "[sqlite]") {
    sqlite::connection c(":memory:", {.statement_cache = 2});
    c.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2)");
    auto& first = c.cached("SELECT v FROM t WHERE v >= ? ORDER BY v");
    first.bind(1, 1);
    REQUIRE(first.step());
    auto& again = c.cached("SELECT v FROM t WHERE v >= ? ORDER BY v");
    CHECK(&again == &first);
    // Bindings were cleared: NULL matches nothing.
    CHECK_FALSE(again.step());
    again.reset().bind(1, 2);
    REQUIRE(again.step());
    CHECK(again.column<int>(0) == 2);
    c.cached("SELECT 1");
    c.cached("SELECT 2"); // over the limit: the cache starts over
    auto& fresh = c.cached("SELECT 3");
    REQUIRE(fresh.step());
    CHECK(fresh.column<int>(0) == 3);
}

TEST_CASE("a transaction commits, or rolls back and rethrows", "[sqlite]") {
    temp_dir dir;
    sqlite::connection c(dir.file("tx.db"));
    c.exec("CREATE TABLE t (v INTEGER)");
    auto count = [&] {
        auto q = c.prepare("SELECT count(*) FROM t");
        q.step();
        return q.column<int>(0);
    };
    int returned = sqlite::transaction(c, [](sqlite::connection& tx) {
        tx.exec("INSERT INTO t VALUES (1)");
        return 42;
    });
    CHECK(returned == 42);
    CHECK(count() == 1);

    CHECK_THROWS_WITH(sqlite::transaction(c,
                                          [](sqlite::connection& tx) {
                                              tx.exec("INSERT INTO t VALUES (2)");
                                              throw std::runtime_error("changed my mind");
                                          }),
                      "changed my mind");
    CHECK(count() == 1);
    CHECK_FALSE(c.in_transaction());

    // Nesting is refused rather than silently committing the outer transaction early.
    CHECK_THROWS_AS(
        sqlite::transaction(
            c, [](sqlite::connection& tx) { sqlite::transaction(tx, [](sqlite::connection&) {}); }),
        sqlite::error);
    CHECK_FALSE(c.in_transaction());
}

TEST_CASE("a transaction retries while another connection holds the write lock, boundedly",
          "[sqlite]") {
    temp_dir dir;
    sqlite::connection c(dir.file("busy.db"), {.busy_timeout = std::chrono::milliseconds{0}});
    c.exec("CREATE TABLE t (v INTEGER)");
    sqlite::connection holder(dir.file("busy.db"));
    holder.exec("BEGIN IMMEDIATE");
    int calls = 0;
    try {
        sqlite::transaction(
            c, [&](sqlite::connection& tx) { ++calls, tx.exec("INSERT INTO t VALUES (1)"); },
            {.attempts = 3, .backoff = std::chrono::milliseconds{1}});
        FAIL("wrote through another connection's lock");
    } catch (const sqlite::error& e) {
        CHECK(e.code() == SQLITE_BUSY);
    }
    CHECK(calls == 0); // BEGIN IMMEDIATE failed each time: f never ran half a transaction
    holder.exec("COMMIT");
    sqlite::transaction(
        c, [&](sqlite::connection& tx) { ++calls, tx.exec("INSERT INTO t VALUES (1)"); });
    CHECK(calls == 1);
}

namespace {
constexpr std::array<sqlite::migration, 3> schema{{
    {1, "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"},
    {2, "ALTER TABLE products ADD COLUMN stock INTEGER NOT NULL DEFAULT 0"},
    {3, "CREATE INDEX products_stock ON products (stock)"},
}};
} // namespace

TEST_CASE("migrations apply once, in order, and are recorded", "[sqlite]") {
    temp_dir dir;
    {
        sqlite::connection c(dir.file("m.db"));
        CHECK(sqlite::migrate(c, std::span(schema).first(2)) == 2);
        CHECK(sqlite::migrate(c, std::span(schema).first(2)) == 0);
    }
    sqlite::connection c(dir.file("m.db"));
    CHECK(sqlite::migrate(c, schema) == 1);
    CHECK(sqlite::migrate(c, schema) == 0);
    auto versions = c.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY rowid");
    std::vector<int> seen;
    while (versions.step()) {
        seen.push_back(versions.column<int>(0));
        CHECK(versions.column<std::string>(1).size() == 24); // 2026-11-27T14:55:07.123Z
    }
    CHECK(seen == std::vector<int>{1, 2, 3});
    auto user_version = c.prepare("PRAGMA user_version");
    user_version.step();
    CHECK(user_version.column<int>(0) == 3);
    c.exec("INSERT INTO products (name, stock) VALUES ('a', 5)"); // migration 2's column exists
}

TEST_CASE("a failing migration leaves the schema as it was", "[sqlite]") {
    temp_dir dir;
    sqlite::connection c(dir.file("m.db"));
    constexpr std::array<sqlite::migration, 2> broken{{
        {1, "CREATE TABLE a (id INTEGER PRIMARY KEY)"},
        {2, "CREATE TABLE b (id INTEGER PRIMARY KEY, x REFERENCES nowhere(id)) oops"},
    }};
    CHECK_THROWS_AS(sqlite::migrate(c, broken), sqlite::error);
    auto tables = c.prepare("SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')");
    tables.step();
    CHECK(tables.column<int>(0) == 0);
    CHECK(sqlite::migrate(c, std::span(broken).first(1)) == 1);
}

TEST_CASE("migrations must be numbered 1..N, and a newer database is refused", "[sqlite]") {
    sqlite::connection c(":memory:");
    constexpr std::array<sqlite::migration, 2> gap{{{1, "SELECT 1"}, {3, "SELECT 1"}}};
    CHECK_THROWS_AS(sqlite::migrate(c, gap), std::invalid_argument);
    REQUIRE(sqlite::migrate(c, schema) == 3);
    CHECK_THROWS_AS(sqlite::migrate(c, std::span(schema).first(2)), sqlite::error);
}

TEST_CASE("exec resets, so one statement can be bound and run again at once", "[sqlite]") {
    temp_dir dir;
    sqlite::connection c(dir.file("app.db"));
    c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    auto& insert = c.cached("INSERT INTO t (id, name) VALUES (?, ?)");
    for (std::int64_t i = 1; i <= 3; ++i)
        insert.bind_all(i, "row " + std::to_string(i)).exec();
    CHECK(c.changes() == 1);
    auto count = c.prepare("SELECT COUNT(*) FROM t");
    REQUIRE(count.step());
    CHECK(count.column<std::int64_t>(0) == 3);
}

TEST_CASE("file_moved tells when the open file was deleted or replaced", "[sqlite][moved]") {
    temp_dir dir;
    std::string path = dir.file("app.db");
    sqlite::connection c(path);
    c.exec("CREATE TABLE t (x INTEGER)");
    CHECK(c.filename() == path);
    CHECK_FALSE(c.file_moved());
    CHECK_FALSE(c.read_only());
    CHECK_FALSE(sqlite::connection(":memory:").file_moved());

    SECTION("deleted") {
        std::filesystem::remove(path);
    }
    SECTION("renamed away") {
        std::filesystem::rename(path, path + ".old");
    }
    SECTION("replaced") {
        std::filesystem::copy_file(path, path + ".new");
        std::filesystem::rename(path + ".new", path);
    }
    CHECK(c.file_moved());
    // The free transaction refuses to commit into a file that is gone: rolled back.
    try {
        sqlite::transaction(c, [](sqlite::connection& tx) { tx.exec("INSERT INTO t VALUES (1)"); });
        FAIL("committed into a moved file");
    } catch (const sqlite::error& e) {
        CHECK(e.extended_code() == SQLITE_READONLY_DBMOVED);
        CHECK(e.unavailable());
        CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
    CHECK_FALSE(c.in_transaction());
    auto count = c.prepare("SELECT COUNT(*) FROM t");
    REQUIRE(count.step());
    CHECK(count.column<int>(0) == 0);
}
