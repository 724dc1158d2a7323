#ifndef RAMPART_SQLITE_DATABASE_HPP
#define RAMPART_SQLITE_DATABASE_HPP

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

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
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

/// Receives the real cause of every error `database` turns into a 503.
using unavailable_log = std::function<void(const error&)>;

/// Writes `rampart: sqlite unavailable: <cause>` to stderr.
inline void log_unavailable_to_stderr(const error& e) {
    std::cerr << "rampart: sqlite unavailable: " << e.what() << '\n';
}

/// How a `database` opens its file and runs its workers.
struct database_options {
    /// The database file (or a `file:` URI).
    std::string path;
    open_options open = {};
    /// Worker threads, each with its own connection. WAL lets readers run in parallel with the
    /// one writer; more workers than cores rarely helps.
    std::size_t workers = 2;
    /// Applied at start, on the first connection, before any `run` (see `migrate`).
    std::span<const migration> migrations = {};
    /// Retries of `database::transaction` when the write lock is contended.
    retry_policy retry = {};
    /// Where the cause of each 503 goes; the client only ever sees a generic message.
    unavailable_log log = &log_unavailable_to_stderr;
};

/** SQLite for an asynchronous service: connections owned by worker threads.

    `co_await db.run(f)` queues `f(connection&)` for the next free worker and resumes the
    coroutine on its own executor with `f`'s result, so a database call never blocks an I/O
    thread. Each worker owns one connection for its whole life; a connection is never shared.

    Errors from `f`: an `sqlite::error` that means the store cannot serve now (busy or locked
    beyond the busy timeout and retries, read-only, disk full, I/O error, corrupt; see
    `error::unavailable`) is logged through `database_options::log` and rethrown as
    `rampart::service_unavailable` (503, generic message). Constraint violations arrive as
    `sqlite::constraint_error`, other SQLite errors as `sqlite::error`, and anything else `f`
    throws unchanged.

    The destructor finishes every queued call, then joins the workers. Destroy the database
    while the executors that await it are still alive (declare it after the io_context).
*/
class database {
public:
    /// Opens `options.workers` connections, applies the migrations, starts the workers.
    /// Throws `sqlite::error` when the file cannot be opened or a migration fails.
    explicit database(database_options options) : state_(std::make_shared<state>()) {
        state_->log = std::move(options.log);
        retry_ = options.retry;
        std::size_t workers = options.workers == 0 ? 1 : options.workers;
        std::vector<connection> connections;
        connections.reserve(workers);
        connections.emplace_back(options.path, options.open);
        applied_ = migrate(connections.front(), options.migrations);
        while (connections.size() < workers)
            connections.emplace_back(options.path, options.open);
        threads_.reserve(workers);
        for (auto& c : connections)
            threads_.emplace_back([s = state_, c = std::move(c)]() mutable { s->work(c); });
    }

    database(const database&) = delete;
    database& operator=(const database&) = delete;

    ~database() {
        {
            std::lock_guard lock(state_->mutex);
            state_->stopping = true;
        }
        state_->ready.notify_all();
        for (auto& t : threads_)
            t.join();
    }

    /// How many migrations the constructor applied (0 when the schema was current).
    int applied_migrations() const noexcept { return applied_; }

    /// Runs `f(connection&)` on a worker; completes with `f`'s result on the caller's executor.
    template <class F>
    auto run(F f) -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
        using R = std::invoke_result_t<F&, connection&>;
        // The operation is named, not a temporary of the co_await expression: g++ 12 destroys
        // such temporaries twice, which frees what `f` captured (a string) twice.
        auto operation = async_run(std::move(f), asio::use_awaitable);
        if constexpr (std::is_void_v<R>) {
            co_await std::move(operation);
        } else {
            std::optional<R> result = co_await std::move(operation);
            co_return std::move(*result);
        }
    }

    /// Runs `f(connection&)` inside `sqlite::transaction` (BEGIN IMMEDIATE, rollback on
    /// exception, bounded retries when the write lock is contended) on a worker.
    template <class F>
    auto transaction(F f) -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
        return run([f = std::move(f), retry = retry_](connection& c) mutable {
            return sqlite::transaction(c, f, retry);
        });
    }

    /** The completion-token form of `run`: the handler receives `(std::exception_ptr)` when `f`
        returns void, else `(std::exception_ptr, std::optional<R>)` (engaged on success). */
    template <class F, class CompletionToken>
    auto async_run(F f, CompletionToken&& token) {
        using R = std::invoke_result_t<F&, connection&>;
        if constexpr (std::is_void_v<R>) {
            return asio::async_initiate<CompletionToken, void(std::exception_ptr)>(
                [s = state_.get()](auto handler, F fn) {
                    enqueue(*s, std::move(fn), std::move(handler));
                },
                token, std::move(f));
        } else {
            return asio::async_initiate<CompletionToken,
                                        void(std::exception_ptr, std::optional<R>)>(
                [s = state_.get()](auto handler, F fn) {
                    enqueue(*s, std::move(fn), std::move(handler));
                },
                token, std::move(f));
        }
    }

private:
    struct task {
        virtual ~task() = default;
        virtual void run(connection& c, const unavailable_log& log) = 0;
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

        void run(connection& c, const unavailable_log& log) override {
            std::exception_ptr failure;
            if constexpr (std::is_void_v<R>) {
                failure = call([&] { f(c); }, log);
                asio::post(work, [h = std::move(handler), failure]() mutable { h(failure); });
            } else {
                std::optional<R> result;
                failure = call([&] { result.emplace(f(c)); }, log);
                asio::post(work, [h = std::move(handler), failure,
                                  r = std::move(result)]() mutable { h(failure, std::move(r)); });
            }
        }

        template <class G>
        static std::exception_ptr call(G&& g, const unavailable_log& log) noexcept {
            try {
                g();
                return nullptr;
            } catch (const error& e) {
                if (!e.unavailable())
                    return std::current_exception();
                if (log) {
                    try {
                        log(e);
                    } catch (...) {
                    }
                }
                bool contended = e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED;
                return std::make_exception_ptr(service_unavailable(
                    "The service is temporarily unavailable. Please try again later.",
                    std::chrono::seconds{contended ? 1 : 0}));
            } catch (...) {
                return std::current_exception();
            }
        }

        F f;
        Handler handler;
        work_executor work;
    };

    struct state {
        std::mutex mutex;
        std::condition_variable ready;
        std::deque<std::unique_ptr<task>> queue;
        bool stopping = false;
        unavailable_log log;

        void work(connection& c) {
            for (;;) {
                std::unique_ptr<task> next;
                {
                    std::unique_lock lock(mutex);
                    ready.wait(lock, [&] { return stopping || !queue.empty(); });
                    if (queue.empty())
                        return;
                    next = std::move(queue.front());
                    queue.pop_front();
                }
                next->run(c, log);
                c.reset_statements();
            }
        }
    };

    template <class F, class Handler>
    static void enqueue(state& s, F f, Handler handler) {
        auto t = std::make_unique<task_for<F, Handler>>(std::move(f), std::move(handler));
        {
            std::lock_guard lock(s.mutex);
            s.queue.push_back(std::move(t));
        }
        s.ready.notify_one();
    }

    std::shared_ptr<state> state_;
    std::vector<std::thread> threads_;
    retry_policy retry_;
    int applied_ = 0;
};

} // namespace rampart::sqlite

#endif
