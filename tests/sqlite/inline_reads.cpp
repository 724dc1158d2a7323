// database::read on the calling thread's own connection, and the moves to the reader threads
// when a lock is in the way or a read runs long. Real files, real locks; nothing is timed.

#include <rampart/sqlite/database.hpp>

#include "support/run.hpp"
#include "support/sqlite_lock.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sqlite = rampart::sqlite;
namespace asio = boost::asio;
using rampart::test::temp_dir;
using namespace std::chrono_literals;

namespace {

constexpr std::array<sqlite::migration, 2> schema{{
    {1, "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"},
    {2, "INSERT INTO counters VALUES ('hits', 0)"},
}};

int read_hits(sqlite::connection& c) {
    auto& q = c.cached("SELECT value FROM counters WHERE name = 'hits'");
    q.step();
    return q.column<int>(0);
}

/// Which thread ran each call, on which connection.
struct calls {
    std::mutex mutex;
    std::vector<std::pair<std::thread::id, sqlite3*>> seen;

    void record(sqlite::connection& c) {
        std::lock_guard lock(mutex);
        seen.emplace_back(std::this_thread::get_id(), c.native_handle());
    }
    std::vector<std::pair<std::thread::id, sqlite3*>> list() {
        std::lock_guard lock(mutex);
        return seen;
    }
};

/// Waits (bounded, for a broken build) until `p` holds. A state, not a duration, is awaited.
template <class P>
bool eventually(P p) {
    for (int i = 0; i < 4000 && !p(); ++i)
        std::this_thread::sleep_for(5ms);
    return p();
}

/// A database file in rollback-journal mode: there, unlike WAL, a lock held elsewhere stops
/// readers, so a read on the calling thread would have to wait.
std::string rollback_file(const temp_dir& dir) {
    std::string path = dir.file("db.sqlite");
    sqlite::connection setup(path, {.wal = false});
    sqlite::migrate(setup, schema);
    return path;
}

constexpr const char* count_to_200k = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                                      "FROM n WHERE x < 200000) SELECT count(*) FROM n";

} // namespace

TEST_CASE("read answers on the calling thread, on a query-only connection of its own",
          "[sqlite][inline]") {
    temp_dir dir;
    std::vector<int> logged;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .migrations = schema,
                         .log = [&](const sqlite::error& e) { logged.push_back(e.code()); },
                         .inline_readers = 1});
    calls c;
    for (int i = 0; i < 3; ++i)
        CHECK(rampart::test::run(db.read([&](sqlite::connection& conn) {
                  c.record(conn);
                  return read_hits(conn);
              })) == 0);
    auto seen = c.list();
    REQUIRE(seen.size() == 3);
    for (auto& [thread, handle] : seen) {
        CHECK(thread == std::this_thread::get_id());
        CHECK(handle == seen[0].second); // one connection, its statements cached
    }
    CHECK(db.read_stats().answered_inline == 3);
    CHECK(db.read_stats().moved_busy == 0);

    // Query-only there too: a write on the read lane is a 503, logged.
    CHECK_THROWS_AS(rampart::test::run(db.read([](sqlite::connection& conn) {
                        conn.exec("UPDATE counters SET value = 1");
                    })),
                    rampart::service_unavailable);
    CHECK(logged == std::vector<int>{SQLITE_READONLY});
    // Errors of the caller's own pass through unchanged.
    CHECK_THROWS_WITH(rampart::test::run(db.read(
                          [](sqlite::connection&) -> int { throw std::logic_error("mine"); })),
                      "mine");
    CHECK_THROWS_AS(rampart::test::run(db.read([](sqlite::connection& conn) {
                        return conn.prepare("SELECT nothing FROM counters").step();
                    })),
                    sqlite::error);
    CHECK(db.read_stats().answered_inline == 6);

    // The writer sees its own writes, and the next inline read sees the commit.
    rampart::test::run(
        db.write([](sqlite::connection& conn) { conn.exec("UPDATE counters SET value = 4"); }));
    CHECK(rampart::test::run(db.read(read_hits)) == 4);
}

TEST_CASE("threads beyond inline_readers, and inline_readers 0, read on the reader threads",
          "[sqlite][inline]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    SECTION("a second thread, one inline reader") {
        sqlite::database db({.path = path, .migrations = schema, .inline_readers = 1});
        calls c;
        auto read = [&](sqlite::connection& conn) {
            c.record(conn);
            return read_hits(conn);
        };
        CHECK(rampart::test::run(db.read(read)) == 0); // this thread takes the one reader
        std::thread::id other;
        std::thread([&] {
            other = std::this_thread::get_id();
            CHECK(rampart::test::run(db.read(read)) == 0);
        }).join();
        auto seen = c.list();
        REQUIRE(seen.size() == 2);
        CHECK(seen[0].first == std::this_thread::get_id());
        CHECK(seen[1].first != other);
        CHECK(seen[1].first != std::this_thread::get_id());
        CHECK(seen[1].second != seen[0].second);
        CHECK(db.read_stats().answered_inline == 1);
    }
    SECTION("none") {
        sqlite::database db({.path = path, .migrations = schema, .inline_readers = 0});
        std::thread::id ran;
        CHECK(rampart::test::run(db.read([&](sqlite::connection& conn) {
                  ran = std::this_thread::get_id();
                  return read_hits(conn);
              })) == 0);
        CHECK(ran != std::this_thread::get_id());
        CHECK(db.read_stats().answered_inline == 0);
    }
}

TEST_CASE("a read started inside another read's function goes to the reader threads",
          "[sqlite][inline]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"), .migrations = schema, .inline_readers = 1});
    std::thread::id inner;
    int outer = rampart::test::run(db.read([&](sqlite::connection& c) {
        // Its own connection is busy with this call: the nested read may not use it.
        int nested = rampart::test::run(db.read([&](sqlite::connection& other) {
            inner = std::this_thread::get_id();
            return read_hits(other) + 1;
        }));
        return read_hits(c) + nested;
    }));
    CHECK(outer == 1);
    CHECK(inner != std::this_thread::get_id());
    CHECK(db.read_stats().answered_inline == 1);
}

TEST_CASE("a lock in the way moves the read to the reader threads, and the I/O thread goes on",
          "[sqlite][inline]") {
    temp_dir dir;
    std::string path = rollback_file(dir);
    sqlite::database db({.path = path,
                         .open = {.wal = false, .busy_timeout = 20s},
                         .workers = 1,
                         .inline_readers = 2}); // the I/O thread's, then this thread's
    sqlite::connection holder(path, {.wal = false});
    holder.exec("BEGIN EXCLUSIVE");

    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread io_thread([&] { io.run(); });
    const std::thread::id io_id = io_thread.get_id();
    calls c;
    std::promise<int> answer;
    auto answered = answer.get_future();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            int v = co_await db.read([&](sqlite::connection& conn) {
                c.record(conn);
                return read_hits(conn);
            });
            answer.set_value(v);
        },
        asio::detached);

    REQUIRE(eventually([&] { return db.read_stats().moved_busy == 1; }));
    // The read now waits on the reader thread; the I/O thread is free for other work.
    std::promise<void> ran;
    asio::post(io, [&] { ran.set_value(); });
    CHECK(ran.get_future().wait_for(15s) == std::future_status::ready);
    CHECK(answered.wait_for(0s) == std::future_status::timeout);

    holder.exec("ROLLBACK");
    CHECK(answered.get() == 0);
    guard.reset();
    io_thread.join();
    auto seen = c.list();
    REQUIRE(seen.size() == 2); // tried on the I/O thread, answered by the reader thread
    CHECK(seen[0].first == io_id);
    CHECK(seen[1].first != io_id);
    CHECK(db.read_stats().answered_inline == 0);
    // With the lock gone, a read answers on its calling thread again.
    CHECK(rampart::test::run(db.read(read_hits)) == 0);
    CHECK(db.read_stats().answered_inline == 1);
}

TEST_CASE("a moved read still gives up at the bounded wait: 503 with Retry-After, logged once",
          "[sqlite][inline]") {
    temp_dir dir;
    std::string path = rollback_file(dir);
    std::vector<int> logged;
    std::mutex log_mutex;
    sqlite::database db({.path = path,
                         .open = {.wal = false, .busy_timeout = 100ms},
                         .workers = 1,
                         .log =
                             [&](const sqlite::error& e) {
                                 std::lock_guard lock(log_mutex);
                                 logged.push_back(e.code());
                             },
                         .inline_readers = 1});
    sqlite::connection holder(path, {.wal = false});
    holder.exec("BEGIN EXCLUSIVE");
    try {
        rampart::test::run(db.read(read_hits));
        FAIL("read through an exclusive lock");
    } catch (const rampart::service_unavailable& e) {
        REQUIRE(e.headers().size() == 1);
        CHECK(e.headers()[0] == std::pair<std::string, std::string>{"Retry-After", "1"});
    }
    CHECK(db.read_stats().moved_busy == 1);
    std::lock_guard lock(log_mutex);
    CHECK(logged == std::vector<int>{SQLITE_BUSY}); // the worker's failure, not the inline try
}

TEST_CASE("another process holds BEGIN EXCLUSIVE on a WAL file: reads still answer inline",
          "[sqlite][inline][lanes]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    sqlite::database db({.path = path, .migrations = schema, .inline_readers = 1});
    auto holder = rampart::test::hold_exclusive(path, 6, {"UPDATE counters SET value = 42;"});
    if (!holder) {
        WARN("no sqlite3 shell: skipped");
        return;
    }
    REQUIRE(rampart::test::write_lock_held(path));
    for (int i = 0; i < 5; ++i)
        CHECK(rampart::test::run(db.read(read_hits)) == 0); // the last commit
    CHECK(rampart::test::write_lock_held(path));
    CHECK(db.read_stats().answered_inline == 5);
    CHECK(db.read_stats().moved_busy == 0);
    CHECK(holder->wait(15s) == 0);
    CHECK(rampart::test::run(db.read(read_hits)) == 42);
}

TEST_CASE("a read past its step budget runs again on the reader threads, and long_read goes there "
          "at once",
          "[sqlite][inline]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .workers = 1,
                         .migrations = schema,
                         .inline_readers = 1,
                         .inline_read_steps = 10'000});
    calls c;
    auto count = [&](sqlite::connection& conn) {
        c.record(conn);
        auto& s = conn.cached(count_to_200k);
        s.step();
        return s.column<std::int64_t>(0);
    };
    const auto me = std::this_thread::get_id();

    SECTION("moved after the budget") {
        CHECK(rampart::test::run(db.read(count)) == 200000);
        auto seen = c.list();
        REQUIRE(seen.size() == 2);
        CHECK(seen[0].first == me);
        CHECK(seen[1].first != me);
        CHECK(db.read_stats().moved_long == 1);
    }
    SECTION("moved even when the function swallows the interruption") {
        auto swallowing = [&](sqlite::connection& conn) -> std::int64_t {
            try {
                return count(conn);
            } catch (const sqlite::error&) {
                return -1;
            }
        };
        CHECK(rampart::test::run(db.read(swallowing)) == 200000);
        CHECK(c.list().size() == 2);
        CHECK(db.read_stats().moved_long == 1);
    }
    SECTION("marked long: straight to the reader threads") {
        CHECK(rampart::test::run(db.run(count, sqlite::lane::long_read)) == 200000);
        auto seen = c.list();
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].first != me);
        CHECK(db.read_stats().moved_long == 0);
    }
    SECTION("no budget") {
        sqlite::database unbounded(
            {.path = dir.file("db.sqlite"), .inline_readers = 1, .inline_read_steps = 0});
        CHECK(rampart::test::run(unbounded.read(count)) == 200000);
        CHECK(c.list().size() == 1);
        CHECK(unbounded.read_stats().answered_inline == 1);
    }
    // The budget is per call: a short read after a long one answers inline.
    CHECK(rampart::test::run(db.read(read_hits)) == 0);
    CHECK(db.read_stats().answered_inline == 1);
}

TEST_CASE("two I/O threads read inline beside the writer: each connection stays on one thread",
          "[sqlite][inline][concurrency]") {
    temp_dir dir;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .workers = 1,
                         .migrations = schema,
                         .inline_readers = 2,
                         .inline_read_steps = 0});
    asio::io_context io;
    constexpr int coroutines = 200;
    std::atomic<int> ordered{0};
    calls c;
    for (int i = 0; i < coroutines; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await db.transaction([](sqlite::connection& conn) {
                    conn.exec("UPDATE counters SET value = value + 1");
                });
                int first = co_await db.read([&](sqlite::connection& conn) {
                    c.record(conn);
                    return read_hits(conn);
                });
                int second = co_await db.read(read_hits);
                if (first >= 1 && second >= first) // each read sees every commit before it
                    ++ordered;
            },
            asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&] { io.run(); });
    for (auto& t : threads)
        t.join();
    CHECK(ordered == coroutines);
    CHECK(rampart::test::run(db.write(read_hits)) == coroutines);
    std::map<sqlite3*, std::set<std::thread::id>> threads_of;
    for (auto& [thread, handle] : c.list())
        threads_of[handle].insert(thread);
    for (auto& [handle, ids] : threads_of)
        CHECK(ids.size() == 1);
    auto stats = db.read_stats();
    CHECK(stats.answered_inline + stats.moved_busy == 2 * coroutines);
    CHECK(stats.answered_inline > 0);
    CHECK(stats.moved_long == 0);
}
