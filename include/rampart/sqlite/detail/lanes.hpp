#ifndef RAMPART_SQLITE_DETAIL_LANES_HPP
#define RAMPART_SQLITE_DETAIL_LANES_HPP

// The worker lanes of sqlite::database: bounded queues of calls, each served by threads that
// own one connection each. Private to database; users reach it through database's members.

#include <rampart/core/log.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/error.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace rampart::sqlite {

namespace detail {

namespace asio = boost::asio;
using lane_clock = std::chrono::steady_clock;
struct lane_state;

/// One queued call.
struct task {
    explicit task(lane_clock::time_point q) noexcept : queued(q) {}
    virtual ~task() = default;
    /// Runs the call on `c`, or fails it with `refusal` when set, and completes it.
    virtual void run(connection& c, lane_state& s, const std::optional<error>& refusal) = 0;
    /// Completes the call with `failure` without running it.
    virtual void refuse(std::exception_ptr failure) = 0;
    /// Where the call's lock wait is counted from.
    lane_clock::time_point queued;
};

/// A bounded queue of calls and the condition its threads wait on.
struct lane_queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::unique_ptr<task>> tasks;
    std::size_t limit = 1;
    bool stopping = false;
    bool refusing = false; // the last call was refused as over the limit (logged once)
};

/// What the threads of both lanes share with the database.
struct lane_state {
    lane_queue writes;
    lane_queue reads;
    log_sink log; // database_options::log
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

    /// What the caller receives for `failure`: an error meaning "cannot serve now" is logged
    /// and becomes a 503 (`Retry-After: 1` when busy); anything else is unchanged.
    std::exception_ptr translate(std::exception_ptr failure) noexcept {
        try {
            std::rethrow_exception(failure);
        } catch (const error& e) {
            if (!e.unavailable())
                return failure;
            report(e);
            bool contended = e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED;
            return std::make_exception_ptr(service_unavailable(
                "The service is temporarily unavailable. Please try again later.",
                std::chrono::seconds{contended ? 1 : 0}));
        } catch (...) {
            return failure;
        }
    }

    template <class G>
    std::exception_ptr call(G&& g) noexcept {
        try {
            g();
            return nullptr;
        } catch (...) {
            return translate(std::current_exception());
        }
    }

    void work(connection& c, lane_queue& q, bool writer) {
        // Waits for another connection's lock end at the running call's deadline.
        lane_clock::time_point deadline{};
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
                refusal.emplace(moved_error(c));
            next->run(c, *this, refusal);
            c.reset_statements();
        }
        sqlite3_busy_handler(c.native_handle(), nullptr, nullptr);
    }

    /// SQLite's busy handler: short, growing sleeps until the deadline, then give up.
    static int wait_for_lock(void* arg, int count) noexcept {
        const auto& deadline = *static_cast<const lane_clock::time_point*>(arg);
        static constexpr int pauses[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
        constexpr int last = static_cast<int>(std::size(pauses)) - 1;
        auto now = lane_clock::now();
        if (now >= deadline)
            return 0;
        auto pause = std::chrono::milliseconds{pauses[count < last ? count : last]};
        std::this_thread::sleep_for(std::min<lane_clock::duration>(pause, deadline - now));
        return 1;
    }
};

/// A call of `f` whose completion `handler` runs on the handler's executor, kept busy
/// (`outstanding_work.tracked`) until then.
template <class F, class Handler>
struct task_for final : task {
    using R = std::invoke_result_t<F&, connection&>;
    using work_executor =
        std::decay_t<decltype(asio::prefer(asio::get_associated_executor(std::declval<Handler&>()),
                                           asio::execution::outstanding_work.tracked))>;

    task_for(F fn, Handler h, lane_clock::time_point queued)
        : task(queued), f(std::move(fn)), handler(std::move(h)),
          work(asio::prefer(asio::get_associated_executor(handler),
                            asio::execution::outstanding_work.tracked)) {}

    void run(connection& c, lane_state& s, const std::optional<error>& refusal) override {
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
            asio::post(work, [h = std::move(handler), failure, r = std::move(result)]() mutable {
                h(failure, std::move(r));
            });
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

inline void stop(lane_queue& q) {
    {
        std::lock_guard lock(q.mutex);
        q.stopping = true;
    }
    q.ready.notify_all();
}

/// Queues `f` on `q`, or refuses it at once (503, `Retry-After: 1`) when `q` is full.
template <class F, class Handler>
void enqueue(lane_state& s, lane_queue& q, F f, Handler handler, lane_clock::time_point queued) {
    auto t = std::make_unique<task_for<F, Handler>>(std::move(f), std::move(handler), queued);
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
                                        (&q == &s.writes ? "write" : "read") + " queue is full (" +
                                        std::to_string(q.limit) +
                                        " calls waiting): refusing calls until it drains"));
    t->refuse(std::make_exception_ptr(
        service_unavailable("The service is temporarily unavailable. Please try again later.",
                            std::chrono::seconds{1})));
}

} // namespace detail

} // namespace rampart::sqlite

#endif
