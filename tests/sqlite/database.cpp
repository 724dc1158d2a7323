#include <rampart/sqlite/database.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <array>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace sqlite = rampart::sqlite;
namespace asio = boost::asio;
using rampart::test::temp_dir;

namespace {

constexpr std::array<sqlite::migration, 2> schema{{
    {1, "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"},
    {2, "INSERT INTO counters VALUES ('hits', 0)"},
}};

int read_hits(sqlite::connection& c) {
    auto q = c.prepare("SELECT value FROM counters WHERE name = 'hits'");
    q.step();
    return q.column<int>(0);
}

} // namespace

TEST_CASE("a database applies its migrations once, at start", "[sqlite]") {
    temp_dir dir;
    {
        sqlite::database db({.path = dir.file("db.sqlite"), .migrations = schema});
        CHECK(db.applied_migrations() == 2);
    }
    sqlite::database db({.path = dir.file("db.sqlite"), .migrations = schema});
    CHECK(db.applied_migrations() == 0);
    CHECK(rampart::test::run(db.run(read_hits)) == 0);
}

TEST_CASE("run executes on a worker and resumes on the caller's executor", "[sqlite]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"), .migrations = schema});
    asio::io_context io;
    std::thread::id io_thread = std::this_thread::get_id();
    std::thread::id worker, after;
    std::string journal;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            journal = co_await db.run([&](sqlite::connection& c) {
                worker = std::this_thread::get_id();
                auto q = c.prepare("PRAGMA journal_mode");
                q.step();
                return q.column<std::string>(0);
            });
            after = std::this_thread::get_id();
            co_await db.run([](sqlite::connection& c) { c.exec("UPDATE counters SET value = 5"); });
        },
        asio::detached);
    io.run();
    CHECK(journal == "wal");
    CHECK(worker != io_thread);
    CHECK(after == io_thread);
    CHECK(rampart::test::run(db.run(read_hits)) == 5);
}

TEST_CASE("errors from run reach the caller: constraint, SQL and user errors", "[sqlite]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"), .migrations = schema});
    auto duplicate =
        db.run([](sqlite::connection& c) { c.exec("INSERT INTO counters VALUES ('hits', 1)"); });
    try {
        rampart::test::run(std::move(duplicate));
        FAIL("duplicate accepted");
    } catch (const sqlite::constraint_error& e) {
        CHECK(e.unique());
    }
    CHECK_THROWS_AS(rampart::test::run(db.run([](sqlite::connection& c) { c.exec("SELEC"); })),
                    sqlite::error);
    CHECK_THROWS_WITH(rampart::test::run(db.run(
                          [](sqlite::connection&) -> int { throw std::logic_error("mine"); })),
                      "mine");
}

TEST_CASE("database::transaction rolls back when the function throws", "[sqlite]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"), .migrations = schema});
    CHECK_THROWS_AS(rampart::test::run(db.transaction([](sqlite::connection& c) {
                        c.exec("UPDATE counters SET value = value + 1");
                        c.exec("INSERT INTO counters VALUES ('hits', 1)"); // duplicate
                    })),
                    sqlite::constraint_error);
    CHECK(rampart::test::run(db.run(read_hits)) == 0);
    int value = rampart::test::run(db.transaction([](sqlite::connection& c) {
        c.exec("UPDATE counters SET value = value + 1");
        return read_hits(c);
    }));
    CHECK(value == 1);
}

TEST_CASE("many coroutines on many threads share the pool without losing a write",
          "[sqlite][concurrency]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"), .workers = 3, .migrations = schema});
    asio::io_context io;
    constexpr int coroutines = 200;
    std::atomic<int> done{0};
    std::atomic<int> resumed_off_io{0};
    std::mutex workers_mutex;
    std::set<std::thread::id> workers;
    for (int i = 0; i < coroutines; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await db.transaction([&](sqlite::connection& c) {
                    {
                        std::lock_guard lock(workers_mutex);
                        workers.insert(std::this_thread::get_id());
                    }
                    int v = read_hits(c);
                    c.prepare("UPDATE counters SET value = ?").bind(1, v + 1).exec();
                });
                if (!io.get_executor().running_in_this_thread())
                    ++resumed_off_io;
                int seen = co_await db.run(read_hits);
                if (seen >= 1)
                    ++done;
            },
            asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { io.run(); });
    for (auto& t : threads)
        t.join();
    CHECK(done == coroutines);
    CHECK(resumed_off_io == 0);
    CHECK(rampart::test::run(db.run(read_hits)) == coroutines);
    CHECK(workers.size() >= 1);
    CHECK(workers.size() <= 3);
}

TEST_CASE("a write lock held elsewhere beyond the retries is a 503, cause logged", "[sqlite]") {
    temp_dir dir;
    std::vector<int> logged;
    std::mutex log_mutex;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .open = {.busy_timeout = std::chrono::milliseconds{5}},
                         .migrations = schema,
                         .retry = {.attempts = 2, .backoff = std::chrono::milliseconds{1}},
                         .log = [&](const sqlite::error& e) {
                             std::lock_guard lock(log_mutex);
                             logged.push_back(e.code());
                         }});
    sqlite::connection holder(dir.file("db.sqlite"));
    holder.exec("BEGIN IMMEDIATE");
    holder.exec("UPDATE counters SET value = 99");

    try {
        rampart::test::run(
            db.transaction([](sqlite::connection& c) { c.exec("UPDATE counters SET value = 1"); }));
        FAIL("wrote through another connection's lock");
    } catch (const rampart::service_unavailable& e) {
        CHECK(e.status_code() == 503);
        CHECK(std::string(e.what()).find("lock") == std::string::npos);
        REQUIRE(e.headers().size() == 1);
        CHECK(e.headers()[0].first == "Retry-After");
    }
    CHECK_THROWS_AS(rampart::test::run(db.run(
                        [](sqlite::connection& c) { c.exec("UPDATE counters SET value = 2"); })),
                    rampart::service_unavailable);
    // Readers are not blocked by the writer in WAL mode: they see the last commit.
    CHECK(rampart::test::run(db.run(read_hits)) == 0);
    {
        std::lock_guard lock(log_mutex);
        CHECK(logged == std::vector<int>{SQLITE_BUSY, SQLITE_BUSY});
    }
    holder.exec("ROLLBACK");
    rampart::test::run(
        db.transaction([](sqlite::connection& c) { c.exec("UPDATE counters SET value = 3"); }));
    CHECK(rampart::test::run(db.run(read_hits)) == 3);
}

TEST_CASE("a statement left part-way through its rows does not block the next write", "[sqlite]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"), .workers = 1, .migrations = schema});
    rampart::test::run(db.run(
        [](sqlite::connection& c) { c.exec("INSERT INTO counters VALUES ('a', 1), ('b', 2)"); }));
    // Reads one row of two and leaves the statement where it is.
    CHECK(rampart::test::run(db.run([](sqlite::connection& c) {
              auto& s = c.cached("SELECT value FROM counters ORDER BY name");
              s.step();
              return s.column<int>(0);
          })) == 1);
    // Another process writes: a snapshot kept open since the read is now stale.
    sqlite::connection other(dir.file("db.sqlite"));
    other.exec("UPDATE counters SET value = 7 WHERE name = 'hits'");
    rampart::test::run(db.transaction([](sqlite::connection& c) {
        c.exec("UPDATE counters SET value = value + 1 WHERE name = 'hits'");
    }));
    CHECK(rampart::test::run(db.run(read_hits)) == 8);
}

TEST_CASE("a read-only database file answers reads and turns writes into 503", "[sqlite]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    {
        sqlite::connection setup(path, {.wal = false});
        sqlite::migrate(setup, schema);
    }
    std::vector<int> logged;
    auto log = [&](const sqlite::error& e) { logged.push_back(e.code()); };
    auto write = [](sqlite::connection& c) { c.exec("UPDATE counters SET value = 1"); };

    SECTION("opened read-only") {
        sqlite::database db({.path = path, .open = {.read_only = true}, .workers = 1, .log = log});
        CHECK(rampart::test::run(db.run(read_hits)) == 0);
        CHECK_THROWS_AS(rampart::test::run(db.run(write)), rampart::service_unavailable);
        CHECK(logged == std::vector<int>{SQLITE_READONLY});
    }
    SECTION("file without write permission") {
        std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::group_read);
        if (::geteuid() == 0) // root writes regardless of permissions: nothing to observe here
            return;
        sqlite::database db({.path = path, .open = {.wal = false}, .workers = 1, .log = log});
        CHECK(rampart::test::run(db.run(read_hits)) == 0);
        CHECK_THROWS_AS(rampart::test::run(db.run(write)), rampart::service_unavailable);
        CHECK(logged == std::vector<int>{SQLITE_READONLY});
    }
}
