#ifndef RAMPART_SQLITE_DETAIL_INLINE_READS_HPP
#define RAMPART_SQLITE_DETAIL_INLINE_READS_HPP

// The read connections of sqlite::database that I/O threads use themselves: one per thread,
// claimed by the thread's first read and used by no other thread after. Private to database.

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/detail/lanes.hpp>

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace rampart::sqlite::detail {

/** One I/O thread's read connection, and what happened to the reads tried on it.

    SQLite calls `on_busy` instead of waiting for a lock, so a read that would wait fails at
    once (and is marked), and `on_progress` every `progress_period` VM steps, so a read over its
    budget is interrupted (and marked). Everything but the counters and `owner` is touched only
    by the owning thread.
*/
struct alignas(64) inline_reader {
    static constexpr int progress_period = 1000;

    /// `budget_steps` 0: no budget.
    inline_reader(connection conn, std::uint64_t budget_steps)
        : c(std::move(conn)), budget((budget_steps + progress_period - 1) / progress_period) {
        sqlite3_busy_handler(c.native_handle(), &on_busy, this);
        if (budget != 0)
            sqlite3_progress_handler(c.native_handle(), progress_period, &on_progress, this);
    }
    inline_reader(const inline_reader&) = delete;
    inline_reader& operator=(const inline_reader&) = delete;

    static int on_busy(void* self, int) noexcept {
        static_cast<inline_reader*>(self)->would_block = true;
        return 0; // never wait on an I/O thread
    }

    static int on_progress(void* self) noexcept {
        auto& r = *static_cast<inline_reader*>(self);
        if (++r.ticks <= r.budget)
            return 0;
        r.too_long = true;
        return 1; // interrupt: the read moves to the reader threads
    }

    connection c;
    const std::uint64_t budget; // in progress_period steps
    std::uint64_t ticks = 0;
    bool running = false;
    bool would_block = false;
    bool too_long = false;
    // Written by the owner only; read by database::read_stats from any thread.
    std::atomic<std::uint64_t> answered{0};
    std::atomic<std::uint64_t> blocked{0};
    std::atomic<std::uint64_t> long_reads{0};
};

/// What a read tried on the calling thread came to.
template <class R>
struct inline_outcome {
    using value_type = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
    /// False when the read would have waited for a lock or ran over its budget: nothing of it
    /// counts, and it must run again on the reader threads.
    bool answered = false;
    std::exception_ptr failure;
    std::optional<value_type> value;
};

/// Runs `f` on `r`'s connection, on this thread. Never waits for a lock.
template <class R, class F>
inline_outcome<R> read_inline(inline_reader& r, F& f, lane_state& s) {
    inline_outcome<R> out;
    r.running = true;
    r.would_block = false;
    r.too_long = false;
    r.ticks = 0;
    std::exception_ptr failure;
    try {
        if constexpr (std::is_void_v<R>) {
            f(r.c);
            out.value.emplace();
        } else {
            out.value.emplace(f(r.c));
        }
    } catch (...) {
        failure = std::current_exception();
    }
    // Nothing may keep a read snapshot open on this connection between calls: it would hold
    // back every checkpoint for as long as the thread lives.
    r.c.reset_statements();
    if (r.c.in_transaction())
        sqlite3_exec(r.c.native_handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    r.running = false;
    // The flags, not the exception, decide: `f` may have caught the error itself.
    if (r.would_block || r.too_long) {
        (r.would_block ? r.blocked : r.long_reads).fetch_add(1, std::memory_order_relaxed);
        out.value.reset();
        return out;
    }
    r.answered.fetch_add(1, std::memory_order_relaxed);
    out.answered = true;
    if (failure) {
        out.value.reset();
        out.failure = s.translate(failure);
    }
    return out;
}

/// The inline readers of one database, and which thread owns each.
class inline_readers {
public:
    inline_readers() = default;
    explicit inline_readers(std::vector<std::unique_ptr<inline_reader>> readers)
        : owners_(std::make_unique<std::atomic<std::thread::id>[]>(readers.size())),
          readers_(std::move(readers)) {}

    /// This thread's reader, claimed on its first call; null when every reader belongs to
    /// another thread, or this thread's is already running a read.
    inline_reader* claim() noexcept {
        const std::thread::id me = std::this_thread::get_id();
        for (std::size_t i = 0; i < readers_.size(); ++i)
            if (owners_[i].load(std::memory_order_acquire) == me)
                return readers_[i]->running ? nullptr : readers_[i].get();
        for (std::size_t i = 0; i < readers_.size(); ++i) {
            std::thread::id none{};
            if (owners_[i].load(std::memory_order_relaxed) == none &&
                owners_[i].compare_exchange_strong(none, me, std::memory_order_acq_rel))
                return readers_[i].get();
        }
        return nullptr;
    }

    /// Sum of `member` over the readers.
    std::uint64_t total(std::atomic<std::uint64_t> inline_reader::*member) const noexcept {
        std::uint64_t sum = 0;
        for (const auto& r : readers_)
            sum += ((*r).*member).load(std::memory_order_relaxed);
        return sum;
    }

    /// Closes every connection (no thread may be reading).
    void close() noexcept { readers_.clear(); }

private:
    // Apart from the readers: every claim reads them, and the owners write only the readers.
    std::unique_ptr<std::atomic<std::thread::id>[]> owners_;
    std::vector<std::unique_ptr<inline_reader>> readers_;
};

} // namespace rampart::sqlite::detail

#endif
