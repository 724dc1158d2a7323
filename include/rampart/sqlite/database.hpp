#ifndef RAMPART_SQLITE_DATABASE_HPP
#define RAMPART_SQLITE_DATABASE_HPP

#include <rampart/core/log.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/error.hpp>
#include <rampart/sqlite/migrations.hpp>
#include <rampart/sqlite/transaction.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
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

/// Which of a `database`'s two lanes runs a call.
enum class lane {
    /// Read-only work, on the reader threads and their query-only connections. A write there
    /// fails (SQLITE_READONLY, a 503).
    read,
    /// Anything that writes, on the one writer thread and its connection.
    write,
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
};

/** SQLite for an asynchronous service: two lanes of worker threads that own connections.

    `co_await db.read(f)` queues `f(connection&)` on the read lane, `co_await db.write(f)` (or
    `run(f)`, or `transaction(f)`) on the write lane; the coroutine resumes on its own executor
    with `f`'s result, so a database call never blocks an I/O thread. Reads never queue behind
    writes: a write waiting for a lock another process holds occupies only the writer thread,
    and in WAL mode a lock held elsewhere (even `BEGIN EXCLUSIVE`) does not stop readers. Each
    thread owns one connection for its whole life; a connection is never shared.

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

    The destructor finishes every queued call, then joins the threads, the writer last (so the
    files `-wal` and `-shm` are removed at a clean stop). Destroy the database
    while the executors that await it are still alive (declare it after the io_context).
*/
class database {
public:
    /// Opens the writer's connection, applies the migrations, opens `options.workers` reader
    /// connections, starts the threads.
    /// Throws `sqlite::error` when the file cannot be opened or a migration fails (the message
    /// names a `-shm` or `-wal` file beside the database that this process cannot write), and
    /// `std::invalid_argument` for migrations not numbered 1, 2, 3, ...: deployment and
    /// programming errors, never the client's.
    explicit database(database_options options) : state_(std::make_shared<state>()) {
        state_->log = std::move(options.log);
        state_->wait = options.open.busy_timeout;
        state_->writes.limit = options.write_queue == 0 ? 1 : options.write_queue;
        state_->reads.limit = options.read_queue == 0 ? 1 : options.read_queue;
        retry_ = options.retry;
        std::size_t readers = options.workers == 0 ? 1 : options.workers;
        std::vector<connection> connections;
        connections.reserve(readers + 1);
        try {
            connections.emplace_back(options.path, options.open);
            // Refused before anything reads the file, so no `-shm` is left behind.
            if (!options.open.read_only && !options.migrations.empty() &&
                connections.front().read_only())
                throw error(SQLITE_READONLY, "sqlite: open: " + options.path +
                                                 " opened without write access, so its "
                                                 "migrations cannot be applied");
            applied_ = migrate(connections.front(), options.migrations);
            while (connections.size() < readers + 1) {
                connections.emplace_back(options.path, options.open);
                if (!options.open.read_only)
                    connections.back().exec("PRAGMA query_only = ON");
            }
        } catch (const error& e) {
            std::string side = detail::unwritable_side_files(options.path);
            if (side.empty())
                throw;
            throw error(e.extended_code(), std::string(e.what()) + side);
        }
        threads_.reserve(readers + 1);
        for (auto& c : connections) {
            bool writer = threads_.empty();
            threads_.emplace_back([s = state_, c = std::move(c), writer]() mutable {
                s->work(c, writer ? s->writes : s->reads, writer);
            });
        }
    }

    /// The constructor without `sqlite::error`: the started database, or the code of what the
    /// constructor would throw (its message is lost: log `try_open`'s failures with the path).
    /// Throws `std::invalid_argument` for misnumbered migrations (a programming error).
    static boost::system::result<std::unique_ptr<database>> try_open(database_options options) {
        return detail::to_result([&] { return std::make_unique<database>(std::move(options)); });
    }

    database(const database&) = delete;
    database& operator=(const database&) = delete;

    ~database() {
        // The readers close first and the writer last: the last connection to close checkpoints
        // the WAL and removes the -wal and -shm files, which connections closing together (each
        // seeing the other still open) would both leave behind.
        stop(state_->reads);
        for (std::size_t i = 1; i < threads_.size(); ++i)
            threads_[i].join();
        stop(state_->writes);
        threads_.front().join();
    }

    /// How many migrations the constructor applied (0 when the schema was current).
    int applied_migrations() const noexcept { return applied_; }

    /// Runs `f(connection&)` on `where`'s lane; completes with `f`'s result on the caller's
    /// executor. Without a lane, a write: the safe default for code that does not say.
    /// Throws (when awaited) `rampart::service_unavailable` (503) when the store cannot serve
    /// now or the lane's queue is full, `sqlite::constraint_error` for a violated constraint
    /// (catch it to answer the client's 400/409), `sqlite::error` for other SQLite errors (a
    /// programming error: a 500), and anything `f` throws, unchanged.
    template <class F>
    auto run(F f, lane where = lane::write)
        -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
        using R = std::invoke_result_t<F&, connection&>;
        // The operation is named, not a temporary of the co_await expression: g++ 12 destroys
        // such temporaries twice, which frees what `f` captured (a string) twice.
        auto operation = async_run(std::move(f), where, asio::use_awaitable);
        if constexpr (std::is_void_v<R>) {
            co_await std::move(operation);
        } else {
            std::optional<R> result = co_await std::move(operation);
            co_return std::move(*result);
        }
    }

    /// Runs read-only `f(connection&)` on the read lane, which never waits for the writer.
    /// Throws what `run` throws.
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

    /// The completion-token form of `run` on `where`'s lane.
    template <class F, class CompletionToken>
    auto async_run(F f, lane where, CompletionToken&& token) {
        using R = std::invoke_result_t<F&, connection&>;
        queue* q = where == lane::read ? &state_->reads : &state_->writes;
        if constexpr (std::is_void_v<R>) {
            return asio::async_initiate<CompletionToken, void(std::exception_ptr)>(
                [s = state_.get(), q](auto handler, F fn) {
                    enqueue(*s, *q, std::move(fn), std::move(handler));
                },
                token, std::move(f));
        } else {
            return asio::async_initiate<CompletionToken,
                                        void(std::exception_ptr, std::optional<R>)>(
                [s = state_.get(), q](auto handler, F fn) {
                    enqueue(*s, *q, std::move(fn), std::move(handler));
                },
                token, std::move(f));
        }
    }

private:
    using clock = std::chrono::steady_clock;
    struct state;

    struct task {
        virtual ~task() = default;
        /// Runs the call on `c`, or fails it with `refusal` when set, and completes it.
        virtual void run(connection& c, state& s, const std::optional<error>& refusal) = 0;
        /// Completes the call with `failure` without running it.
        virtual void refuse(std::exception_ptr failure) = 0;
        clock::time_point queued = clock::now();
    };

    template <class F, class Handler>
    struct task_for final : task {
        using R = std::invoke_result_t<F&, connection&>;
        using work_executor = std::decay_t<decltype(asio::prefer(
            asio::get_associated_executor(std::declval<Handler&>()),
            asio::execution::outstanding_work.tracked))>;

        task_for(F fn, Handler h)
            : f(std::move(fn)), handler(std::move(h)),
              work(asio::prefer(asio::get_associated_executor(handler),
                                asio::execution::outstanding_work.tracked)) {}

        void run(connection& c, state& s, const std::optional<error>& refusal) override {
            std::exception_ptr failure;
            if constexpr (std::is_void_v<R>) {
                failure = s.call([&] {
                    if (refusal)
                        throw *refusal;
                    f(c);
                });
                refuse(failure);
            } else {
                std::optional<R> result;
                failure = s.call([&] {
                    if (refusal)
                        throw *refusal;
                    result.emplace(f(c));
                });
                asio::post(work, [h = std::move(handler), failure,
                                  r = std::move(result)]() mutable { h(failure, std::move(r)); });
            }
        }

        void refuse(std::exception_ptr failure) override {
            if constexpr (std::is_void_v<R>)
                asio::post(work, [h = std::move(handler), failure]() mutable { h(failure); });
            else
                asio::post(work, [h = std::move(handler), failure]() mutable {
                    h(failure, std::optional<R>{});
                });
        }

        F f;
        Handler handler;
        work_executor work;
    };

    struct queue {
        std::mutex mutex;
        std::condition_variable ready;
        std::deque<std::unique_ptr<task>> tasks;
        std::size_t limit = 1;
        bool stopping = false;
        bool refusing = false; // the last call was refused as over the limit (logged once)
    };

    struct state {
        queue writes;
        queue reads;
        unavailable_log log;
        std::chrono::milliseconds wait{0};
        std::atomic<bool> moved_logged{false};

        void report(const error& e) noexcept {
            if (e.extended_code() == SQLITE_READONLY_DBMOVED && moved_logged.exchange(true))
                return; // the file stays gone until a restart: one line says it
            if (log) {
                try {
                    std::string line = "rampart: sqlite unavailable: ";
                    line += e.what();
                    log(log_record{log_level::error, "sqlite", line, nullptr,
                                   std::make_exception_ptr(e)});
                } catch (...) {
                }
            }
        }

        template <class G>
        std::exception_ptr call(G&& g) noexcept {
            try {
                g();
                return nullptr;
            } catch (const error& e) {
                if (!e.unavailable())
                    return std::current_exception();
                report(e);
                bool contended = e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED;
                return std::make_exception_ptr(service_unavailable(
                    "The service is temporarily unavailable. Please try again later.",
                    std::chrono::seconds{contended ? 1 : 0}));
            } catch (...) {
                return std::current_exception();
            }
        }

        void work(connection& c, queue& q, bool writer) {
            // Waits for another connection's lock end at the running call's deadline.
            clock::time_point deadline{};
            sqlite3_busy_handler(c.native_handle(), &wait_for_lock, &deadline);
            for (;;) {
                std::unique_ptr<task> next;
                {
                    std::unique_lock lock(q.mutex);
                    q.ready.wait(lock, [&] { return q.stopping || !q.tasks.empty(); });
                    if (q.tasks.empty())
                        break;
                    next = std::move(q.tasks.front());
                    q.tasks.pop_front();
                }
                deadline = next->queued + wait;
                std::optional<error> refusal;
                if (writer && c.file_moved())
                    refusal.emplace(detail::moved_error(c));
                next->run(c, *this, refusal);
                c.reset_statements();
            }
            sqlite3_busy_handler(c.native_handle(), nullptr, nullptr);
        }

        /// SQLite's busy handler: short, growing sleeps until the deadline, then give up.
        static int wait_for_lock(void* arg, int count) noexcept {
            const auto& deadline = *static_cast<const clock::time_point*>(arg);
            static constexpr int pauses[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
            constexpr int last = static_cast<int>(std::size(pauses)) - 1;
            auto now = clock::now();
            if (now >= deadline)
                return 0;
            auto pause = std::chrono::milliseconds{pauses[count < last ? count : last]};
            std::this_thread::sleep_for(std::min<clock::duration>(pause, deadline - now));
            return 1;
        }
    };

    static void stop(queue& q) {
        {
            std::lock_guard lock(q.mutex);
            q.stopping = true;
        }
        q.ready.notify_all();
    }

    template <class F, class Handler>
    static void enqueue(state& s, queue& q, F f, Handler handler) {
        auto t = std::make_unique<task_for<F, Handler>>(std::move(f), std::move(handler));
        bool log_refusal = false;
        {
            std::lock_guard lock(q.mutex);
            if (q.tasks.size() < q.limit) {
                q.refusing = false;
                q.tasks.push_back(std::move(t));
            } else {
                log_refusal = !std::exchange(q.refusing, true);
            }
        }
        if (!t) {
            q.ready.notify_one();
            return;
        }
        if (log_refusal)
            s.report(error(SQLITE_BUSY, std::string("sqlite: the ") +
                                            (&q == &s.writes ? "write" : "read") +
                                            " queue is full (" + std::to_string(q.limit) +
                                            " calls waiting): refusing calls until it drains"));
        t->refuse(std::make_exception_ptr(
            service_unavailable("The service is temporarily unavailable. Please try again later.",
                                std::chrono::seconds{1})));
    }

    std::shared_ptr<state> state_;
    std::vector<std::thread> threads_;
    retry_policy retry_;
    int applied_ = 0;
};

} // namespace rampart::sqlite

#endif
