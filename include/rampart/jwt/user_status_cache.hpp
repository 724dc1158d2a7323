#ifndef RAMPART_JWT_USER_STATUS_CACHE_HPP
#define RAMPART_JWT_USER_STATUS_CACHE_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/types.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rampart::jwt {

/// How many users a user_status_cache remembers, and for how long.
struct user_status_cache_options {
    /// Users remembered at most; past it, stale entries go first, then arbitrary ones.
    std::size_t max_entries = 10'000;
    /// An answer is reused for less than this long after its lookup began: the bound on how
    /// long a deactivated user's access tokens keep working.
    std::chrono::milliseconds max_age{5000};
};

/** Whether a user may still use their tokens, without a database query on every request.

    `is_active(user_id)` answers from memory while the last answer for that user is younger
    than `max_age` (measured on `Clock` from the moment its lookup began, so a lookup that
    takes a while never stretches the bound); otherwise it calls `lookup(user_id)` (any
    callable returning `awaitable<bool>`, e.g. a query on a database worker). Unknown users
    are remembered as inactive too, so a flood of tokens for a deleted user costs one query
    per user and `max_age`. Concurrent misses for one user wait for a single lookup.

    Use it as `authenticate_options::user_active` (see authenticate). Thread-safe. When the
    application deactivates a user itself, `forget(user_id)` makes that take effect at once
    in this process; other processes see it within `max_age`.

    Throws: whatever `lookup` throws (the request then fails, e.g. with 503; nothing is
    remembered).
*/
template <class Lookup, clock_source Clock = system_clock>
requires std::same_as<std::invoke_result_t<Lookup&, std::string_view>, asio::awaitable<bool>>
class user_status_cache {
public:
    using time_point = std::chrono::system_clock::time_point;

    explicit user_status_cache(Lookup lookup, user_status_cache_options options = {},
                               Clock clock = {})
        : lookup_(std::move(lookup)), options_(options), clock_(std::move(clock)) {
        if (options_.max_entries == 0)
            options_.max_entries = 1;
    }

    user_status_cache(const user_status_cache&) = delete;
    user_status_cache& operator=(const user_status_cache&) = delete;

    /// Whether `user_id` exists and is active, at most `max_age` old.
    asio::awaitable<bool> is_active(std::string_view user_id) {
        const time_point started = clock_.now();
        std::string id{user_id};
        std::shared_ptr<flight> f;
        bool leader = false;
        {
            std::lock_guard lock{mutex_};
            if (auto it = entries_.find(id); it != entries_.end()) {
                if (started - it->second.fetched < options_.max_age)
                    co_return it->second.active;
            }
            if (auto p = pending_.find(id); p != pending_.end()) {
                f = p->second;
            } else {
                f = std::make_shared<flight>();
                pending_.emplace(id, f);
                leader = true;
            }
        }
        if (!leader) {
            auto wait = join(f);
            co_return co_await std::move(wait);
        }
        std::exception_ptr failure;
        bool active = false;
        try {
            auto op = lookup_(std::string_view{id});
            active = co_await std::move(op);
        } catch (...) {
            failure = std::current_exception();
        }
        {
            std::lock_guard lock{mutex_};
            pending_.erase(id);
            if (!failure)
                remember(id, active, started);
        }
        finish(*f, failure, active);
        if (failure)
            std::rethrow_exception(failure);
        co_return active;
    }

    /// Drops what is remembered about `user_id`: the next request looks it up.
    void forget(std::string_view user_id) {
        std::lock_guard lock{mutex_};
        entries_.erase(std::string(user_id));
    }

    /// Users remembered now (stale ones not yet evicted included). For monitoring and tests.
    std::size_t size() const {
        std::lock_guard lock{mutex_};
        return entries_.size();
    }

    const user_status_cache_options& options() const noexcept { return options_; }

private:
    struct entry {
        bool active;
        time_point fetched;
    };

    struct waiter {
        virtual ~waiter() = default;
        virtual void complete(std::exception_ptr failure, bool active) = 0;
    };

    // A coroutine waiting for another's lookup; resumed on its own executor, which is kept
    // from running out of work meanwhile.
    template <class Handler>
    struct waiter_for final : waiter {
        using work_executor = std::decay_t<decltype(asio::prefer(
            asio::get_associated_executor(std::declval<Handler&>()),
            asio::execution::outstanding_work.tracked))>;

        explicit waiter_for(Handler h)
            : handler(std::move(h)), work(asio::prefer(asio::get_associated_executor(handler),
                                                       asio::execution::outstanding_work.tracked)) {
        }

        void complete(std::exception_ptr failure, bool active) override {
            asio::post(work, [h = std::move(handler), failure, active]() mutable {
                std::move(h)(failure, active);
            });
        }

        Handler handler;
        work_executor work;
    };

    struct flight {
        std::mutex mutex;
        bool done = false;
        bool active = false;
        std::exception_ptr failure;
        std::vector<std::unique_ptr<waiter>> waiters;
    };

    static asio::awaitable<bool> join(std::shared_ptr<flight> f) {
        return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, bool)>(
            [](auto handler, std::shared_ptr<flight> fl) {
                using H = decltype(handler);
                auto w = std::make_unique<waiter_for<H>>(std::move(handler));
                std::unique_lock lock{fl->mutex};
                if (fl->done) {
                    auto failure = fl->failure;
                    bool active = fl->active;
                    lock.unlock();
                    w->complete(failure, active);
                    return;
                }
                fl->waiters.push_back(std::move(w));
            },
            asio::use_awaitable, std::move(f));
    }

    static void finish(flight& f, std::exception_ptr failure, bool active) {
        std::vector<std::unique_ptr<waiter>> waiters;
        {
            std::lock_guard lock{f.mutex};
            f.done = true;
            f.failure = failure;
            f.active = active;
            waiters.swap(f.waiters);
        }
        for (auto& w : waiters)
            w->complete(failure, active);
    }

    // Called with mutex_ held.
    void remember(const std::string& id, bool active, time_point fetched) {
        auto it = entries_.find(id);
        if (it != entries_.end()) {
            if (fetched >= it->second.fetched)
                it->second = {active, fetched};
            return;
        }
        if (entries_.size() >= options_.max_entries) {
            const time_point now = clock_.now();
            std::erase_if(entries_, [&](const auto& kv) {
                return now - kv.second.fetched >= options_.max_age;
            });
            // Still full of fresh answers: drop an eighth (at least one), arbitrary ones, so
            // the next inserts do not each pay for a full sweep.
            if (entries_.size() >= options_.max_entries) {
                std::size_t drop = std::max<std::size_t>(1, entries_.size() / 8);
                while (drop-- > 0 && !entries_.empty())
                    entries_.erase(entries_.begin());
            }
        }
        entries_.emplace(id, entry{active, fetched});
    }

    Lookup lookup_;
    user_status_cache_options options_;
    [[no_unique_address]] Clock clock_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::unordered_map<std::string, std::shared_ptr<flight>> pending_;
};

} // namespace rampart::jwt

#endif
