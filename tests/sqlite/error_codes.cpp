// sqlite::errc, its category, and the non-throwing try_ forms beside the throwing ones.

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/database.hpp>
#include <rampart/sqlite/error.hpp>
#include <rampart/sqlite/migrations.hpp>

#include <rampart/redis/error.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <fstream>
#include <stdexcept>
#include <string>

namespace sqlite = rampart::sqlite;
using rampart::test::temp_dir;

static_assert(boost::system::is_error_code_enum<sqlite::errc>::value);
static_assert(static_cast<int>(sqlite::errc::busy) == SQLITE_BUSY);
static_assert(sqlite::unavailable(SQLITE_IOERR_WRITE));
static_assert(!sqlite::unavailable(SQLITE_CONSTRAINT_UNIQUE));

TEST_CASE("sqlite::errc codes live in the rampart.sqlite category", "[sqlite][errc]") {
    boost::system::error_code ec = sqlite::errc::busy;
    CHECK(ec.category() == sqlite::error_category());
    CHECK(std::string(ec.category().name()) == "rampart.sqlite");
    CHECK(ec.value() == SQLITE_BUSY);
    CHECK(ec.message() == "sqlite: database is locked");
    CHECK(ec == sqlite::errc::busy);
    CHECK(ec != sqlite::errc::locked);
    CHECK(sqlite::unavailable(ec));
    CHECK_FALSE(sqlite::unavailable(make_error_code(sqlite::errc::constraint)));
    // The same number in another category is not SQLite's.
    boost::system::error_code other = rampart::redis::error::timeout;
    CHECK_FALSE(sqlite::unavailable(boost::system::error_code(SQLITE_BUSY, other.category())));
}

TEST_CASE("a thrown sqlite::error carries its primary code as an error code", "[sqlite][errc]") {
    sqlite::connection c(":memory:");
    c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    c.exec("INSERT INTO t VALUES (1)");
    try {
        c.exec("INSERT INTO t VALUES (1)");
        FAIL("a duplicate key was inserted");
    } catch (const sqlite::constraint_error& e) {
        CHECK(e.extended_code() == SQLITE_CONSTRAINT_PRIMARYKEY);
        CHECK(e.error_code() == sqlite::errc::constraint);
        CHECK_FALSE(e.unavailable());
    }
}

TEST_CASE("connection::try_open returns a connection or the open error", "[sqlite][errc]") {
    temp_dir dir;
    auto missing = sqlite::connection::try_open(dir.file("absent.db"), {.create = false});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error() == sqlite::errc::cantopen);
    CHECK(sqlite::unavailable(missing.error()));

    {
        std::ofstream junk(dir.file("junk.db"), std::ios::binary);
        junk << std::string(4096, 'x');
    }
    auto not_a_db = sqlite::connection::try_open(dir.file("junk.db"));
    REQUIRE_FALSE(not_a_db.has_value());
    CHECK(not_a_db.error() == sqlite::errc::notadb);

    auto opened = sqlite::connection::try_open(dir.file("app.db"));
    REQUIRE(opened.has_value());
    opened->exec("CREATE TABLE t (x)");
    CHECK(opened->filename() == dir.file("app.db"));
}

TEST_CASE("connection::try_prepare gives the same verdict as prepare, without throwing",
          "[sqlite][errc]") {
    sqlite::connection c(":memory:");
    c.exec("CREATE TABLE t (x INTEGER)");
    struct bad {
        const char* sql;
        sqlite::errc code;
    };
    for (auto [sql, code] :
         {bad{"SELEKT 1", sqlite::errc::error}, bad{"SELECT y FROM t", sqlite::errc::error},
          bad{"SELECT 1; SELECT 2", sqlite::errc::misuse}, bad{"  ;  ", sqlite::errc::misuse}}) {
        INFO(sql);
        auto r = c.try_prepare(sql);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == code);
        try {
            c.prepare(sql);
            FAIL("prepare accepted bad SQL");
        } catch (const sqlite::error& e) {
            CHECK(e.error_code() == r.error());
        }
    }
    auto good = c.try_prepare("SELECT 41 + 1");
    REQUIRE(good.has_value());
    REQUIRE(good->step());
    CHECK(good->column<int>(0) == 42);
}

TEST_CASE("try_migrate returns the count or the failure (misnumbering still throws)",
          "[sqlite][errc]") {
    temp_dir dir;
    sqlite::connection c(dir.file("m.db"));
    constexpr std::array<sqlite::migration, 2> two{
        {{1, "CREATE TABLE a (x)"}, {2, "CREATE TABLE b (y)"}}};
    auto applied = sqlite::try_migrate(c, two);
    REQUIRE(applied.has_value());
    CHECK(*applied == 2);
    CHECK(sqlite::try_migrate(c, two).value() == 0);

    // A database newer than the code: a downgrade is refused.
    auto older = sqlite::try_migrate(c, std::span(two).first(1));
    REQUIRE_FALSE(older.has_value());
    CHECK(older.error() == sqlite::errc::error);

    constexpr std::array<sqlite::migration, 3> broken{
        {{1, "CREATE TABLE a (x)"}, {2, "CREATE TABLE b (y)"}, {3, "CREATE TABLE a (z)"}}};
    auto failed = sqlite::try_migrate(c, broken);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error() == sqlite::errc::error);
    CHECK_FALSE(c.in_transaction());

    constexpr std::array<sqlite::migration, 1> misnumbered{{{2, "CREATE TABLE c (z)"}}};
    CHECK_THROWS_AS(sqlite::try_migrate(c, misnumbered), std::invalid_argument);
}

TEST_CASE("database::try_open starts a database or returns why it cannot", "[sqlite][errc]") {
    temp_dir dir;
    auto missing = sqlite::database::try_open(
        {.path = dir.file("absent.db"), .open = {.create = false}, .workers = 1});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error() == sqlite::errc::cantopen);

    constexpr std::array<sqlite::migration, 1> schema{{{1, "CREATE TABLE t (x)"}}};
    auto db =
        sqlite::database::try_open({.path = dir.file("ok.db"), .workers = 1, .migrations = schema});
    REQUIRE(db.has_value());
    CHECK((*db)->applied_migrations() == 1);
}
