#ifndef RAMPART_SQLITE_TRANSACTION_HPP
#define RAMPART_SQLITE_TRANSACTION_HPP

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/error.hpp>

#include <chrono>
#include <thread>
#include <type_traits>
#include <utility>

namespace rampart::sqlite {

/// How `transaction` retries when another connection holds the write lock.
struct retry_policy {
    /// Attempts in all (1 = no retry). Each attempt already waits up to the busy timeout.
    int attempts = 3;
    /// Pause between attempts, doubled each time.
    std::chrono::milliseconds backoff{10};
};

namespace detail {

/// COMMIT, unless the file was deleted or replaced since it was opened: the commit would go
/// to a file that is gone at the next start, so it throws (SQLITE_READONLY_DBMOVED) instead.
inline void commit(connection& c) {
    if (c.file_moved())
        throw moved_error(c);
    c.exec("COMMIT");
}

} // namespace detail

/** Runs `f(c)` inside `BEGIN IMMEDIATE ... COMMIT` and returns what it returns.

    `BEGIN IMMEDIATE` takes the write lock up front, so two read-then-write transactions cannot
    deadlock each other the way deferred ones do. If `f` throws, the transaction is rolled back
    and the exception propagates. If the lock cannot be had (SQLITE_BUSY or SQLITE_LOCKED, at
    BEGIN, inside `f`, or at COMMIT) the whole transaction is rolled back and run again, up to
    `retry.attempts` times, after which the last error propagates. Before COMMIT it checks
    that the file is still the one at its path (`connection::file_moved`); if not, it rolls back
    and throws `sqlite::error` with SQLITE_READONLY_DBMOVED. So `f` may run more than
    once: it must not have effects outside the database that cannot be repeated.
    The pause between attempts blocks the calling thread: call this on a database worker
    (inside `database::run`), never on an I/O thread.

    Throws `sqlite::error` (SQLITE_MISUSE) when a transaction is already open on `c` (a
    programming error), the last `sqlite::error` when the lock stayed contended, and anything
    `f` throws (after the rollback).
*/
template <class F>
auto transaction(connection& c, F&& f, const retry_policy& retry = {})
    -> std::invoke_result_t<F&, connection&> {
    if (c.in_transaction())
        throw error(SQLITE_MISUSE, "sqlite: transaction: a transaction is already open");
    auto backoff = retry.backoff;
    for (int attempt = 1;; ++attempt) {
        try {
            c.exec("BEGIN IMMEDIATE");
            try {
                if constexpr (std::is_void_v<std::invoke_result_t<F&, connection&>>) {
                    f(c);
                    detail::commit(c);
                    return;
                } else {
                    auto result = f(c);
                    detail::commit(c);
                    return result;
                }
            } catch (...) {
                if (c.in_transaction())
                    sqlite3_exec(c.native_handle(), "ROLLBACK", nullptr, nullptr, nullptr);
                throw;
            }
        } catch (const error& e) {
            bool contended = e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED;
            if (!contended || attempt >= retry.attempts)
                throw;
        }
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
    }
}

} // namespace rampart::sqlite

#endif
