#include <rampart/sqlite/database.hpp>

#include "support/process.hpp"
#include "support/run.hpp"
#include "support/sqlite_lock.hpp"
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

#include <chrono>
#include <future>
#include <grp.h>
#include <latch>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>

namespace sqlite = rampart::sqlite;
namespace asio = boost::asio;
using rampart::test::hold_exclusive;
using rampart::test::temp_dir;
using rampart::test::write_lock_held;

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
                int seen = co_await db.read(read_hits);
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
    CHECK(workers.size() == 1); // every write on the one writer thread
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

TEST_CASE("another process holds BEGIN EXCLUSIVE: reads answer, writes wait the bound, then 503",
          "[sqlite][lanes]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    std::vector<int> logged;
    std::mutex log_mutex;
    sqlite::database db({.path = path,
                         .open = {.busy_timeout = std::chrono::milliseconds{1500}},
                         .migrations = schema,
                         .log = [&](const sqlite::error& e) {
                             std::lock_guard lock(log_mutex);
                             logged.push_back(e.code());
                         }});
    auto holder = hold_exclusive(path, 8, {"UPDATE counters SET value = 42;"});
    if (!holder) {
        WARN("no sqlite3 shell: skipped");
        return;
    }
    REQUIRE(write_lock_held(path));

    // A write goes first and waits for the lock on the writer thread...
    auto start = std::chrono::steady_clock::now();
    auto blocked_write = db.async_run(
        [](sqlite::connection& c) { c.exec("UPDATE counters SET value = 1"); }, asio::use_future);
    auto second_write = db.async_run(
        [](sqlite::connection& c) { c.exec("UPDATE counters SET value = 2"); }, asio::use_future);
    // ...and reads queued after it answer at once, from the last commit, while it still waits
    // and the other process still holds the lock.
    for (int i = 0; i < 5; ++i)
        CHECK(rampart::test::run(db.read(read_hits)) == 0);
    CHECK(blocked_write.wait_for(std::chrono::seconds{0}) == std::future_status::timeout);
    CHECK(write_lock_held(path));

    // The writes give up at their deadline (the busy timeout, counted from when they were
    // queued): both together, not one after the other.
    CHECK_THROWS_AS(blocked_write.get(), rampart::service_unavailable);
    CHECK_THROWS_AS(second_write.get(), rampart::service_unavailable);
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= std::chrono::milliseconds{1400});
    CHECK(waited < std::chrono::milliseconds{2900});
    CHECK(write_lock_held(path));
    {
        std::lock_guard lock(log_mutex);
        CHECK(logged == std::vector<int>{SQLITE_BUSY, SQLITE_BUSY});
    }
    CHECK(holder->wait(std::chrono::seconds{15}) == 0);
    CHECK(rampart::test::run(db.read(read_hits)) == 42);
    rampart::test::run(
        db.write([](sqlite::connection& c) { c.exec("UPDATE counters SET value = 3"); }));
    CHECK(rampart::test::run(db.read(read_hits)) == 3);
}

TEST_CASE("the read lane is query-only", "[sqlite][lanes]") {
    temp_dir dir;
    std::vector<int> logged;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .workers = 1,
                         .migrations = schema,
                         .log = [&](const sqlite::error& e) { logged.push_back(e.code()); }});
    CHECK_THROWS_AS(rampart::test::run(db.read(
                        [](sqlite::connection& c) { c.exec("UPDATE counters SET value = 1"); })),
                    rampart::service_unavailable);
    CHECK(logged == std::vector<int>{SQLITE_READONLY});
    CHECK(rampart::test::run(db.run(read_hits, sqlite::lane::read)) == 0);
}

TEST_CASE("a full write queue refuses at once with 503 and Retry-After, logged once",
          "[sqlite][lanes]") {
    temp_dir dir;
    std::vector<std::string> logged;
    std::mutex log_mutex;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .migrations = schema,
                         .log =
                             [&](const sqlite::error& e) {
                                 std::lock_guard lock(log_mutex);
                                 logged.push_back(e.what());
                             },
                         .write_queue = 2});
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> started;
    auto busy = db.async_run(
        [&](sqlite::connection&) {
            started.set_value();
            released.wait();
        },
        asio::use_future);
    started.get_future().wait(); // the writer is taken, its queue empty
    auto increment = [](sqlite::connection& c) { c.exec("UPDATE counters SET value = value + 1"); };
    auto first = db.async_run(increment, asio::use_future);
    auto second = db.async_run(increment, asio::use_future);
    for (int i = 0; i < 3; ++i) {
        try {
            rampart::test::run(db.write(increment));
            FAIL("queued beyond the bound");
        } catch (const rampart::service_unavailable& e) {
            REQUIRE(e.headers().size() == 1);
            CHECK(e.headers()[0] == std::pair<std::string, std::string>{"Retry-After", "1"});
        }
    }
    // Reads have their own lane: a full write queue does not stop them.
    CHECK(rampart::test::run(db.read(read_hits)) == 0);
    release.set_value();
    busy.get();
    first.get();
    second.get();
    CHECK(rampart::test::run(db.read(read_hits)) == 2);
    std::lock_guard lock(log_mutex);
    REQUIRE(logged.size() == 1);
    CHECK(logged[0].find("write queue is full") != std::string::npos);
}

TEST_CASE("a full read queue refuses at once with 503 and Retry-After, writes unaffected",
          "[sqlite][lanes]") {
    temp_dir dir;
    std::vector<std::string> logged;
    std::mutex log_mutex;
    sqlite::database db({.path = dir.file("db.sqlite"),
                         .workers = 2,
                         .migrations = schema,
                         .log =
                             [&](const sqlite::error& e) {
                                 std::lock_guard lock(log_mutex);
                                 logged.push_back(e.what());
                             },
                         .read_queue = 3});
    // Both reader threads taken by long reads that wait for the test; then three queued.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::latch started{2};
    auto held = [&](sqlite::connection& c) {
        started.count_down();
        released.wait();
        return read_hits(c);
    };
    auto first = db.async_run(held, sqlite::lane::long_read, asio::use_future);
    auto second = db.async_run(held, sqlite::lane::long_read, asio::use_future);
    started.wait();
    std::vector<std::future<std::optional<int>>> queued;
    for (int i = 0; i < 3; ++i)
        queued.push_back(db.async_run(read_hits, sqlite::lane::long_read, asio::use_future));
    // A flood beyond them: each refused at once, never queued.
    for (int i = 0; i < 20; ++i) {
        const auto start = std::chrono::steady_clock::now();
        try {
            rampart::test::run(db.run(read_hits, sqlite::lane::long_read));
            FAIL("queued beyond the bound");
        } catch (const rampart::service_unavailable& e) {
            REQUIRE(e.headers().size() == 1);
            CHECK(e.headers()[0] == std::pair<std::string, std::string>{"Retry-After", "1"});
        }
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds{100});
    }
    // Writes have their own lane: a full read queue does not stop them.
    auto increment = [](sqlite::connection& c) { c.exec("UPDATE counters SET value = value + 1"); };
    rampart::test::run(db.write(increment));
    release.set_value();
    first.get();
    second.get();
    for (auto& q : queued)
        CHECK(q.get().has_value());
    CHECK(rampart::test::run(db.run(read_hits, sqlite::lane::long_read)) == 1);
    std::lock_guard lock(log_mutex);
    REQUIRE(logged.size() == 1);
    CHECK(logged[0].find("read queue is full") != std::string::npos);
}

TEST_CASE("the database file deleted while running: writes 503, nothing committed, logged once",
          "[sqlite][moved]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    std::vector<int> logged;
    std::mutex log_mutex;
    sqlite::database db({.path = path, .migrations = schema, .log = [&](const sqlite::error& e) {
                             std::lock_guard lock(log_mutex);
                             logged.push_back(e.extended_code());
                         }});
    auto increment = [](sqlite::connection& c) { c.exec("UPDATE counters SET value = value + 1"); };
    rampart::test::run(db.transaction(increment));
    CHECK(rampart::test::run(db.read(read_hits)) == 1);

    SECTION("between two writes") {
        std::filesystem::remove(path);
        bool ran = false;
        CHECK_THROWS_AS(rampart::test::run(db.write([&](sqlite::connection& c) {
                            ran = true;
                            increment(c);
                        })),
                        rampart::service_unavailable);
        CHECK_FALSE(ran); // refused before it ran
    }
    SECTION("inside a transaction, before it commits") {
        CHECK_THROWS_AS(rampart::test::run(db.transaction([&](sqlite::connection& c) {
                            increment(c);
                            std::filesystem::remove(path);
                        })),
                        rampart::service_unavailable);
    }
    SECTION("replaced by another file") {
        std::filesystem::copy_file(path, path + ".copy");
        std::filesystem::rename(path + ".copy", path);
        CHECK_THROWS_AS(rampart::test::run(db.transaction(increment)),
                        rampart::service_unavailable);
    }
    for (int i = 0; i < 3; ++i) // still refused, not logged again
        CHECK_THROWS_AS(rampart::test::run(db.transaction(increment)),
                        rampart::service_unavailable);
    // The readers still see the open file: nothing was committed to it.
    CHECK(rampart::test::run(db.read(read_hits)) == 1);
    std::lock_guard lock(log_mutex);
    CHECK(logged == std::vector<int>{SQLITE_READONLY_DBMOVED});
}

namespace {

/// Runs `f` in a child process as user and group `id` (root can always write, so the test
/// needs another user to see permissions matter); returns what `f` returned, or the message of
/// what it threw.
template <class F>
std::string as_user(uid_t id, F f) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string out;
        if (::setgroups(0, nullptr) != 0 || ::setgid(id) != 0 || ::setuid(id) != 0)
            out = "cannot switch user";
        else
            try {
                out = f();
            } catch (const std::exception& e) {
                out = e.what();
            }
        ssize_t written = ::write(fds[1], out.data(), out.size());
        ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::string out;
    char buffer[512];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
        out.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return out;
}

} // namespace

TEST_CASE("a start without write access names the file and leaves no -shm behind",
          "[sqlite][readonly]") {
    if (::geteuid() != 0) {
        WARN("needs root to start as other users: skipped");
        return;
    }
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    { sqlite::database setup({.path = path, .migrations = schema}); }
    std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
    const uid_t owner = 65534, other = 65533;
    REQUIRE(::chown(path.c_str(), owner, owner) == 0);
    auto start = [&] {
        sqlite::database db({.path = path, .migrations = schema});
        return std::string("started");
    };

    // Another user starts the service on the owner's file: it cannot write it.
    std::string refused = as_user(other, start);
    CHECK(refused.find(path + " opened without write access") != std::string::npos);
    CHECK(refused.find("is not writable by this process") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(path + "-shm"));
    CHECK(as_user(owner, start) == "started"); // so the owner's next start works

    // A read-only reader as another user does leave a -shm the owner cannot write: the
    // owner's start then names it and the fix.
    CHECK(as_user(other, [&] {
              sqlite::connection c(path, {.read_only = true});
              return std::to_string(read_hits(c));
          }) == "0");
    REQUIRE(std::filesystem::exists(path + "-shm"));
    std::string named = as_user(owner, start);
    CHECK(named.find(path + "-shm exists but is not writable by this process") !=
          std::string::npos);
    CHECK(named.find("remove it while no process has the database open") != std::string::npos);
    std::filesystem::remove(path + "-shm");
    std::filesystem::remove(path + "-wal");
    CHECK(as_user(owner, start) == "started");

    // A directory the owner cannot write: SQLite cannot create the -wal and -shm there.
    namespace fs = std::filesystem;
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
    std::string no_dir = as_user(owner, start);
    CHECK(no_dir.find("the directory " + dir.path().string()) != std::string::npos);
    CHECK(no_dir.find("SQLite creates the -wal and -shm files there") != std::string::npos);
}

TEST_CASE("a clean stop leaves no -wal or -shm behind", "[sqlite][readonly]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    for (int i = 0; i < 20; ++i) {
        {
            sqlite::database db({.path = path, .workers = 3, .migrations = schema});
            rampart::test::run(db.write(
                [](sqlite::connection& c) { c.exec("UPDATE counters SET value = value + 1"); }));
            CHECK(rampart::test::run(db.read(read_hits)) == i + 1);
        }
        REQUIRE_FALSE(std::filesystem::exists(path + "-wal"));
        REQUIRE_FALSE(std::filesystem::exists(path + "-shm"));
    }
}
