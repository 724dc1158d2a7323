#ifndef RAMPART_SQLITE_DATABASE_HPP
#define RAMPART_SQLITE_DATABASE_HPP

#include <rampart/core/event_observer.hpp>
#include <rampart/core/log.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/detail/inline_reads.hpp>
#include <rampart/sqlite/detail/lanes.hpp>
#include <rampart/sqlite/error.hpp>
#include <rampart/sqlite/migrations.hpp>
#include <rampart/sqlite/transaction.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::sqlite {

namespace asio = boost::asio;

/** Receives the real cause of every error `database` turns into a 503 (a deleted or replaced
    file only once, a full queue once per overload: they would otherwise flood the log).

    A rampart::log_sink: each record has level error, source `"sqlite"`, the line
    `rampart: sqlite unavailable: <cause>` and the `sqlite::error` as its exception. The older
    shape, a callable taking `const sqlite::error&`, is still accepted.
*/
struct unavailable_log : log_sink {
    using log_sink::log_sink;

    template <class F>
    requires(std::invocable<F&, const error&> && !record_sink<F> && !line_sink<F>)
        unavailable_log(F f)
        : log_sink([f = std::move(f)](const log_record& record) mutable {
              try {
                  if (record.error)
                      std::rethrow_exception(record.error);
              } catch (const error& e) {
                  f(e);
              } catch (...) {
              }
          }) {}
};

/// Which of a `database`'s lanes runs a call.
enum class lane {
    /// Read-only work, answered on the calling thread's own query-only connection when it can
    /// be at once (see `database::read`), else on the reader threads. A write there fails
    /// (SQLITE_READONLY, a 503).
    read,
    /// Anything that writes, on the one writer thread and its connection.
    write,
    /// Read-only work known to be long (a report, an export): always on the reader threads,
    /// never on the caller's thread.
    long_read,
};

/// An awaited call (`run`, `read`, `write`, `transaction`) finished, `latency` after it was
/// made; `threw` when it ended with an exception (a 503, a constraint, what `f` threw). See
/// database_options::on_call.
struct call_event {
    lane where;
    bool threw = false;
    std::chrono::steady_clock::duration latency{};

    bool failed() const noexcept { return threw; }
};

/// How a `database` opens its file and runs its lanes.
struct database_options {
    /// The database file (or a `file:` URI).
    std::string path;
    /// `open.busy_timeout` bounds how long one call may wait for a lock held by another
    /// connection or process, counted from when the call was queued, retries included.
    open_options open = {};
    /// Reader threads (the read lane), each with its own connection. Writes always have one
    /// thread and connection of their own (SQLite lets one writer in at a time), so the
    /// database holds `workers + 1` connections. WAL lets the readers run beside the writer.
    std::size_t workers = 2;
    /// Applied at start, on the writer's connection, before any call (see `migrate`).
    std::span<const migration> migrations = {};
    /// Retries of `database::transaction` when the write lock is contended.
    retry_policy retry = {};
    /// Where the cause of each 503 goes; the client only ever sees a generic message.
    unavailable_log log = stderr_sink{};
    /// Writes waiting for the writer beyond this many are refused at once with a 503 and
    /// `Retry-After: 1`, rather than queued behind a write that cannot get the lock.
    std::size_t write_queue = 256;
    /// The same bound for reads waiting for a reader.
    std::size_t read_queue = 1024;
    /// Read connections opened at start for the calling threads (I/O threads) of `read`: the
    /// first this many threads to read each keep one, and answer reads themselves, with no
    /// hand-off to another thread. Reads from any further thread go to the reader threads.
    /// 0: every read goes to the reader threads. Set it to the number of I/O threads.
    std::size_t inline_readers = std::max(1u, std::thread::hardware_concurrency());
    /// A read on the calling thread is interrupted after about this many SQLite VM steps and
    /// run again on the reader threads, so a long query never holds an I/O thread longer.
    /// 0: no budget (only for services whose reads are all known to be short).
    std::uint64_t inline_read_steps = 100'000;
    /// Told of every awaited call as it completes (rampart::metrics::store_metrics makes one),
    /// on the awaiting thread. None by default, and then calls cost nothing more.
    event_observer<call_event> on_call{};
};

/// How `database::read` calls were served, since the start (for monitoring and tests).
struct read_stats {
    /// Answered on the calling thread's own connection.
    std::uint64_t answered_inline = 0;
    /// Moved to the reader threads because a lock would have made the calling thread wait.
    std::uint64_t moved_busy = 0;
    /// Moved to the reader threads after `inline_read_steps`.
    std::uint64_t moved_long = 0;
};

/** SQLite for an asynchronous service: connections owned by threads, in lanes.

    `co_await db.read(f)` runs `f(connection&)` at once on a query-only connection that the
    calling thread keeps for itself (`inline_readers`): a read answers without leaving the I/O
    thread. A read that would wait for a lock (SQLite is told not to wait there), or runs past
    `inline_read_steps`, is abandoned and runs again on the reader threads, so an I/O thread
    never sleeps on SQLite. `co_await db.write(f)` (or `run(f)`, or `transaction(f)`) queues `f`
    on the write lane; the coroutine resumes on its own executor with `f`'s result. Reads never
    queue behind writes: a write waiting for a lock another process holds occupies only the
    writer thread, and in WAL mode a lock held elsewhere (even `BEGIN EXCLUSIVE`) does not stop
    readers. A connection is only ever used by the one thread that owns it.

    Waits are bounded. Each lane's queue is bounded (`write_queue`, `read_queue`): beyond it a
    call is refused at once with a 503. A call waits for another connection's lock at most
    `open.busy_timeout` from when it was queued, so calls queued behind a blocked write fail
    together when the lock outlasts that time instead of waiting one timeout each.

    Before each write, and before each `transaction` commits, the writer checks that the file
    it has open is still the one at its path (`SQLITE_FCNTL_HAS_MOVED`). A file deleted,
    renamed or replaced while the service runs would take writes that vanish at restart; they
    are refused with a 503 instead, nothing is committed, and the cause is logged once.

    Errors from `f`: an `sqlite::error` that means the store cannot serve now (busy or locked
    beyond the wait, read-only, disk full, I/O error, corrupt, file moved; see
    `error::unavailable`) is logged through `database_options::log` and rethrown as
    `rampart::service_unavailable` (503, generic message). Constraint violations arrive as
    `sqlite::constraint_error`, other SQLite errors as `sqlite::error`, and anything else `f`
    throws unchanged.

    The destructor closes the inline readers, finishes every queued call, then joins the
    threads, the writer last (so the files `-wal` and `-shm` are removed at a clean stop).
    Destroy the database while the executors that await it are still alive (declare it after
    the io_context), and after every thread that reads inline has stopped reading.
*/
class database {
public:
    /// Opens the writer's connection, applies the migrations, opens `options.workers` reader
    /// connections and `options.inline_readers` inline ones, starts the threads.
    /// Throws `sqlite::error` when the file cannot be opened or a migration fails (the message
    /// names a `-shm` or `-wal` file beside the database that this process cannot write), and
    /// `std::invalid_argument` for migrations not numbered 1, 2, 3, ...: deployment and
    /// programming errors, never the client's.
    explicit database(database_options options);

    /// The constructor without `sqlite::error`: the started database, or the code of what the
    /// constructor would throw (its message is lost: log `try_open`'s failures with the path).
    /// Throws `std::invalid_argument` for misnumbered migrations (a programming error).
    static boost::system::result<std::unique_ptr<database>> try_open(database_options options);

    database(const database&) = delete;
    database& operator=(const database&) = delete;

    ~database();

    /// How many migrations the constructor applied (0 when the schema was current).
    int applied_migrations() const noexcept { return applied_; }

    /// How reads were served so far: inline, or moved to the reader threads and why.
    sqlite::read_stats read_stats() const noexcept;

    /// Runs `f(connection&)` on `where`'s lane; completes with `f`'s result on the caller's
    /// executor. Without a lane, a write: the safe default for code that does not say.
    /// On `lane::read`, `f` may be called twice (see `read`).
    /// Throws (when awaited) `rampart::service_unavailable` (503) when the store cannot serve
    /// now or the lane's queue is full, `sqlite::constraint_error` for a violated constraint
    /// (catch it to answer the client's 400/409), `sqlite::error` for other SQLite errors (a
    /// programming error: a 500), and anything `f` throws, unchanged.
    template <class F>
    auto run(F f, lane where = lane::write)
        -> asio::awaitable<std::invoke_result_t<F&, connection&>>;

    /** Runs read-only `f(connection&)`, on the calling thread when it can answer at once.

        `f` runs on this thread's own read connection, if it has one (`inline_readers`) and no
        lock is in the way; else, or when it runs past `inline_read_steps`, what it did is
        discarded and it runs again on the reader threads, within the bounded wait. So `f` may
        be called twice: it must only read the database and build its result (as any read
        does), with nothing outside the connection that cannot be repeated. Mark a query known
        to be long `lane::long_read` (`run(f, sqlite::lane::long_read)`) to send it straight to
        the reader threads. Never waits for the writer.
        Throws what `run` throws. */
    template <class F>
    auto read(F f) -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
        return run(std::move(f), lane::read);
    }

    /// Runs `f(connection&)` on the write lane. Throws what `run` throws.
    template <class F>
    auto write(F f) -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
        return run(std::move(f), lane::write);
    }

    /// Runs `f(connection&)` inside `sqlite::transaction` (BEGIN IMMEDIATE, rollback on
    /// exception, bounded retries when the write lock is contended) on the write lane.
    /// Throws what `run` throws.
    template <class F>
    auto transaction(F f) -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
        return run([f = std::move(f), retry = retry_](
                       connection& c) mutable { return sqlite::transaction(c, f, retry); },
                   lane::write);
    }

    /** The completion-token form of `run` on the write lane: the handler receives
        `(std::exception_ptr)` when `f` returns void, else
        `(std::exception_ptr, std::optional<R>)` (engaged on success). */
    template <class F, class CompletionToken>
    auto async_run(F f, CompletionToken&& token) {
        return async_run(std::move(f), lane::write, std::forward<CompletionToken>(token));
    }

    /// The completion-token form of `run` on `where`'s lane. It always hands `f` to the lane's
    /// threads (`lane::read` included): only the awaitable `read`/`run` answer inline.
    template <class F, class CompletionToken>
    auto async_run(F f, lane where, CompletionToken&& token);

private:
    template <class F>
    auto run_unobserved(F f, lane where) -> asio::awaitable<std::invoke_result_t<F&, connection&>>;
    template <class F>
    auto run_observed(F f, lane where) -> asio::awaitable<std::invoke_result_t<F&, connection&>>;

    template <class F, class CompletionToken>
    auto async_run_from(F f, lane where, detail::lane_clock::time_point queued,
                        CompletionToken&& token);

    std::shared_ptr<detail::lane_state> state_;
    detail::inline_readers inline_;
    std::vector<std::thread> threads_;
    retry_policy retry_;
    event_observer<call_event> on_call_;
    int applied_ = 0;
};

} // namespace rampart::sqlite

#include <rampart/sqlite/impl/database.hpp>

#endif
