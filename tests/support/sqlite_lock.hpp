#ifndef RAMPART_TEST_SUPPORT_SQLITE_LOCK_HPP
#define RAMPART_TEST_SUPPORT_SQLITE_LOCK_HPP

// Another process holding a SQLite database locked: the sqlite3 command-line shell, so the lock
// is as real as an operator's.

#include "support/process.hpp"

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/error.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rampart::test {

/// Whether another connection or process holds the write lock on `path` right now.
inline bool write_lock_held(const std::string& path) {
    sqlite::connection probe(path, {.busy_timeout = std::chrono::milliseconds{0}});
    try {
        probe.exec("BEGIN IMMEDIATE");
        probe.exec("ROLLBACK");
        return false;
    } catch (const sqlite::error& e) {
        return e.code() == SQLITE_BUSY;
    }
}

/// The sqlite3 shell as another process holding `BEGIN EXCLUSIVE` on `path` for `seconds`
/// (running `statements` inside the transaction first); returns once the lock is held. Null when
/// there is no sqlite3 shell.
inline std::unique_ptr<process> hold_exclusive(const std::string& path, int seconds,
                                               const std::vector<std::string>& statements = {}) {
    const char* shell = "/usr/bin/sqlite3";
    if (::access(shell, X_OK) != 0)
        return nullptr;
    std::vector<std::string> args{path, "BEGIN EXCLUSIVE;"};
    args.insert(args.end(), statements.begin(), statements.end());
    args.push_back(".shell sleep " + std::to_string(seconds));
    args.push_back("COMMIT;");
    auto holder = std::make_unique<process>(shell, std::move(args));
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (!write_lock_held(path) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    return holder;
}

} // namespace rampart::test

#endif
