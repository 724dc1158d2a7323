#ifndef RAMPART_JWT_HASHING_POOL_HPP
#define RAMPART_JWT_HASHING_POOL_HPP

#include <rampart/core/types.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/jwt/password.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/crypto.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace rampart::jwt {

/// Sizes of a hashing_pool.
struct hashing_pool_options {
    /// Threads hashing at once: at most this many checks run.
    std::size_t threads = 2;
    /// Checks admitted to wait for a thread; nullopt: 4 per thread. With a million iterations
    /// (about half a second each) that keeps an admitted login's wait near two seconds.
    std::optional<std::size_t> max_waiting = std::nullopt;
    /// The `Retry-After` of the 503 a refused check throws (whole seconds, at least 1).
    std::chrono::seconds retry_after{1};
};

/** A thread pool for password hashing with a bounded queue.

    PBKDF2 is slow on purpose, so an unbounded queue turns a burst of logins (each within its
    client's rate, from many addresses) into minutes of waiting for every login behind them.
    This pool admits at most `threads + max_waiting` checks at once; the next one is refused at
    once with a 503 `service_unavailable` carrying `Retry-After`, before it costs anything: no
    hashing, and (when the caller admits before looking the user up) no database query. A
    refusal never depends on the account, so it tells a client nothing about who exists.

    Admission is a `ticket`, held until the hashing finishes on the pool (even when the
    waiting request has gone away, since the work still occupies a thread). Counters are
    atomic: admit from any thread.
*/
class hashing_pool {
public:
    /// A place among the admitted checks; frees it when destroyed. Move-only.
    class ticket {
    public:
        ticket() = default;
        ticket(ticket&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
        ticket& operator=(ticket&& other) noexcept {
            if (this != &other) {
                release();
                count_ = std::exchange(other.count_, nullptr);
            }
            return *this;
        }
        ticket(const ticket&) = delete;
        ticket& operator=(const ticket&) = delete;
        ~ticket() { release(); }

        /// Whether this ticket holds a place.
        explicit operator bool() const noexcept { return count_ != nullptr; }

        /// Gives the place back now.
        void release() noexcept {
            if (count_)
                std::exchange(count_, nullptr)->fetch_sub(1, std::memory_order_acq_rel);
        }

    private:
        friend class hashing_pool;
        explicit ticket(std::atomic<std::size_t>* count) noexcept : count_(count) {}
        std::atomic<std::size_t>* count_ = nullptr;
    };

    /// Throws: std::invalid_argument (a configuration error) for zero threads or a
    /// Retry-After below one second.
    explicit hashing_pool(hashing_pool_options options = {})
        : threads_(options.threads),
          capacity_(options.threads + options.max_waiting.value_or(4 * options.threads)),
          retry_after_(options.retry_after), pool_(checked_threads(options)) {
        if (retry_after_ < std::chrono::seconds{1})
            throw std::invalid_argument("rampart: a hashing_pool's Retry-After must be at least "
                                        "one second");
    }

    hashing_pool(const hashing_pool&) = delete;
    hashing_pool& operator=(const hashing_pool&) = delete;

    /// A place for one check, or nullopt when `capacity()` checks are already admitted.
    std::optional<ticket> try_admit() noexcept {
        std::size_t n = count_.load(std::memory_order_relaxed);
        do {
            if (n >= capacity_)
                return std::nullopt;
        } while (!count_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel,
                                               std::memory_order_relaxed));
        return ticket{&count_};
    }

    /// A place for one check.
    /// Throws: rampart::service_unavailable (503, `Retry-After`) when the pool is full.
    ticket admit() { return admit_or_throw(try_admit()); }

    /** Runs `hasher.check` on the pool under an admitted ticket, resumes on the caller's
        executor, and frees the place when the hashing ends. The password copy is wiped.
        Throws: std::invalid_argument when `place` holds no place.
    */
    asio::awaitable<password_check> check(ticket place, const password_hasher& hasher,
                                          std::string password,
                                          std::optional<std::string> encoded) {
        if (!place) {
            OPENSSL_cleanse(password.data(), password.size());
            throw std::invalid_argument("rampart: hashing_pool::check needs an admitted ticket");
        }
        auto work = [](ticket held, password_hasher self, std::string pw,
                       std::optional<std::string> enc) -> asio::awaitable<password_check> {
            password_check result = self.check(pw, enc);
            OPENSSL_cleanse(pw.data(), pw.size());
            held.release();
            co_return result;
        };
        auto task = work(std::move(place), hasher, std::move(password), std::move(encoded));
        auto ex = pool_.get_executor();
        co_return co_await asio::co_spawn(ex, std::move(task), asio::use_awaitable);
    }

    /// Admits, then checks as above.
    /// Throws: rampart::service_unavailable (503, `Retry-After`) when the pool is full.
    asio::awaitable<password_check> check(const password_hasher& hasher, std::string password,
                                          std::optional<std::string> encoded) {
        std::optional<ticket> place = try_admit();
        if (!place)
            OPENSSL_cleanse(password.data(), password.size());
        ticket held = admit_or_throw(std::move(place));
        auto task = check(std::move(held), hasher, std::move(password), std::move(encoded));
        co_return co_await std::move(task);
    }

    /// Admits, then runs `hasher.hash` on the pool (a password change, a new user).
    /// Throws: rampart::service_unavailable (503, `Retry-After`) when the pool is full.
    asio::awaitable<std::string> hash(const password_hasher& hasher, std::string password) {
        std::optional<ticket> place = try_admit();
        if (!place)
            OPENSSL_cleanse(password.data(), password.size());
        ticket held = admit_or_throw(std::move(place));
        auto work = [](ticket t, password_hasher self,
                       std::string pw) -> asio::awaitable<std::string> {
            std::string result = self.hash(pw);
            OPENSSL_cleanse(pw.data(), pw.size());
            t.release();
            co_return result;
        };
        auto task = work(std::move(held), hasher, std::move(password));
        auto ex = pool_.get_executor();
        co_return co_await asio::co_spawn(ex, std::move(task), asio::use_awaitable);
    }

    /// Checks admitted and not finished (running or waiting).
    std::size_t in_flight() const noexcept { return count_.load(std::memory_order_acquire); }
    /// Most checks admitted at once: threads plus waiting places.
    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t threads() const noexcept { return threads_; }
    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

    /// The pool's executor. Work posted here directly is not counted: use it only for what
    /// admission does not cover.
    asio::thread_pool::executor_type get_executor() noexcept { return pool_.get_executor(); }

    /// Waits until the pool has no more work (as asio::thread_pool::join).
    void join() { pool_.join(); }

private:
    static std::size_t checked_threads(const hashing_pool_options& o) {
        if (o.threads == 0)
            throw std::invalid_argument("rampart: a hashing_pool needs at least one thread");
        return o.threads;
    }

    ticket admit_or_throw(std::optional<ticket> place) {
        if (!place)
            throw service_unavailable("Too many sign-ins are being checked; try again shortly.",
                                      retry_after_);
        return std::move(*place);
    }

    std::size_t threads_;
    std::size_t capacity_;
    std::chrono::seconds retry_after_;
    std::atomic<std::size_t> count_{0};
    asio::thread_pool pool_;
};

} // namespace rampart::jwt

#endif
