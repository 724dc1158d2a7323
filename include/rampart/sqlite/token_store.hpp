#ifndef RAMPART_SQLITE_TOKEN_STORE_HPP
#define RAMPART_SQLITE_TOKEN_STORE_HPP

#include <rampart/core/clock.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/database.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::sqlite {

/// Where a sqlite::token_store keeps its rows and how it prunes them.
struct token_store_options {
    /// The store's own table, created when missing (`CREATE TABLE IF NOT EXISTS`). It is kept
    /// out of the application's numbered migrations, so the store can share any database file.
    std::string table = "rampart_jwt_tokens";
    /// Every `prune_every` writes, one write also deletes expired rows...
    std::size_t prune_every = 64;
    /// ...at most this many, so no write ever pays for an unbounded delete.
    std::size_t prune_batch = 256;
};

/** The JWT token store (blacklist, rotation, revocation) in an SQLite table; a
    jwt::token_store that survives restarts, where memory_token_store forgets every logout and
    every rotated-away refresh token.

    Rows are `(key TEXT PRIMARY KEY, value INTEGER, expires_ms INTEGER)`, expiry in
    milliseconds since the epoch (rounded up, never early). `insert` is one
    `INSERT ... ON CONFLICT(key) DO UPDATE ... WHERE expires_ms <= now` statement: SQLite runs
    it under the database's single write lock, so of any number of concurrent inserts of one
    key, from any worker or process sharing the file, exactly one returns true (the atomic
    rotation the token service relies on). `get` ignores expired rows; `put` overwrites.

    Expired rows are deleted on writes: every `prune_every` writes one also deletes up to
    `prune_batch` expired rows (an index on `expires_ms` keeps that cheap), and `prune()`
    deletes them all now. The table therefore stays bounded by the live tokens.

    Writes run on the database's writer (`database::run`), never on the caller's I/O thread;
    `get` is a read (`database::read`: on the calling thread's own connection when no lock is
    in the way, else on the reader threads) once the table exists. A database that cannot
    answer (locked beyond its timeout, disk full, I/O error) makes the call throw
    `rampart::service_unavailable` (503): the store fails closed, so a refresh token is never
    accepted twice because the blacklist could not be read.

    Time comes from `Clock`. The database must outlive the store, the store every call.
*/
template <clock_source Clock = system_clock>
class token_store {
public:
    using time_point = std::chrono::system_clock::time_point;

    /// Throws `std::invalid_argument` when `options.table` is not a plain SQL identifier.
    explicit token_store(database& db, token_store_options options = {}, Clock clock = {})
        : db_(db), clock_(std::move(clock)), prune_every_(options.prune_every),
          prune_batch_(options.prune_batch == 0 ? 1 : options.prune_batch) {
        const std::string& t = options.table;
        bool plain = !t.empty() && !(t[0] >= '0' && t[0] <= '9');
        for (char c : t)
            plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_');
        if (!plain)
            throw std::invalid_argument("sqlite::token_store: the table name must be letters, "
                                        "digits and underscores");
        create_sql_ = "CREATE TABLE IF NOT EXISTS " + t +
                      " (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL, "
                      "expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
                      "CREATE INDEX IF NOT EXISTS " +
                      t + "_expires ON " + t + " (expires_ms)";
        insert_sql_ = "INSERT INTO " + t +
                      " (key, value, expires_ms) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE "
                      "SET value = excluded.value, expires_ms = excluded.expires_ms "
                      "WHERE " +
                      t + ".expires_ms <= ?4";
        put_sql_ = "INSERT INTO " + t +
                   " (key, value, expires_ms) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE "
                   "SET value = excluded.value, expires_ms = excluded.expires_ms";
        delete_sql_ = "DELETE FROM " + t + " WHERE key = ?1";
        get_sql_ = "SELECT value FROM " + t + " WHERE key = ?1 AND expires_ms > ?2";
        prune_sql_ = "DELETE FROM " + t + " WHERE key IN (SELECT key FROM " + t +
                     " WHERE expires_ms <= ?1 LIMIT ?2)";
        prune_all_sql_ = "DELETE FROM " + t + " WHERE expires_ms <= ?1";
        count_sql_ = "SELECT count(*) FROM " + t;
    }

    token_store(const token_store&) = delete;
    token_store& operator=(const token_store&) = delete;

    /// Sets `key` when absent or expired; true when this call set it.
    /// Throws `rampart::service_unavailable` (503) when the database cannot answer now.
    asio::awaitable<bool> insert(std::string_view key, std::int64_t value, time_point expires) {
        const std::int64_t now = now_ms();
        const std::int64_t until = epoch_ms(expires);
        if (until <= now)
            co_return false; // an entry expired on arrival could never be observed
        const bool prune = prune_due();
        auto op =
            db_.run([this, k = std::string(key), value, until, now, prune](connection& c) -> bool {
                ready(c);
                // Pruning first: if it fails, the caller's 503 means nothing was written (a
                // refresh whose insert committed must never be answered with an error).
                if (prune)
                    prune_some(c, now);
                auto& s = c.cached(insert_sql_);
                s.bind_all(std::string_view{k}, value, until, now);
                s.exec();
                return c.changes() == 1;
            });
        co_return co_await std::move(op);
    }

    /// The value of `key`, or nullopt when absent or expired.
    /// Throws `rampart::service_unavailable` (503) when the database cannot answer now.
    asio::awaitable<std::optional<std::int64_t>> get(std::string_view key) {
        const std::int64_t now = now_ms();
        // Once the table exists, a read (`database::read`: on the calling thread when it can
        // answer at once): every authenticated request asks, so it must not queue behind the
        // writer. Until then the writer creates the table first.
        auto op = db_.run(
            [this, k = std::string(key), now](connection& c) -> std::optional<std::int64_t> {
                ready(c);
                auto& s = c.cached(get_sql_);
                s.bind_all(std::string_view{k}, now);
                std::optional<std::int64_t> found;
                if (s.step())
                    found = s.column<std::int64_t>(0);
                s.reset();
                return found;
            },
            created_.load(std::memory_order_acquire) ? lane::read : lane::write);
        co_return co_await std::move(op);
    }

    /// Sets or overwrites `key`; an `expires` already past deletes it.
    /// Throws `rampart::service_unavailable` (503) when the database cannot answer now.
    asio::awaitable<void> put(std::string_view key, std::int64_t value, time_point expires) {
        const std::int64_t now = now_ms();
        const std::int64_t until = epoch_ms(expires);
        const bool prune = prune_due();
        auto op = db_.run([this, k = std::string(key), value, until, now, prune](connection& c) {
            ready(c);
            if (prune) // first, as in insert: a failed prune leaves nothing written
                prune_some(c, now);
            if (until <= now) {
                c.cached(delete_sql_).bind_all(std::string_view{k}).exec();
            } else {
                c.cached(put_sql_).bind_all(std::string_view{k}, value, until).exec();
            }
        });
        co_await std::move(op);
    }

    /// Deletes every expired row now; returns how many. Writes prune on their own, in bounded
    /// batches; call this after a burst, or from a periodic timer.
    /// Throws `rampart::service_unavailable` (503) when the database cannot answer now.
    asio::awaitable<std::int64_t> prune() {
        const std::int64_t now = now_ms();
        auto op = db_.run([this, now](connection& c) -> std::int64_t {
            ready(c);
            c.cached(prune_all_sql_).bind_all(now).exec();
            return c.changes();
        });
        co_return co_await std::move(op);
    }

    /// Rows in the table, expired ones not yet pruned included. For monitoring and tests.
    /// Throws `rampart::service_unavailable` (503) when the database cannot answer now.
    asio::awaitable<std::int64_t> size() {
        auto op = db_.run([this](connection& c) -> std::int64_t {
            ready(c);
            auto& s = c.cached(count_sql_);
            s.step();
            std::int64_t n = s.column<std::int64_t>(0);
            s.reset();
            return n;
        });
        co_return co_await std::move(op);
    }

    /// The statements that create the table and its index (idempotent), for operators who
    /// want to create it ahead of time.
    const std::string& schema_sql() const noexcept { return create_sql_; }

private:
    // Creates the table once per store (idempotent; the first call on any worker does it, and
    // concurrent first calls only repeat a harmless IF NOT EXISTS).
    void ready(connection& c) {
        if (created_.load(std::memory_order_acquire))
            return;
        c.exec(create_sql_);
        created_.store(true, std::memory_order_release);
    }

    void prune_some(connection& c, std::int64_t now) {
        c.cached(prune_sql_).bind_all(now, static_cast<std::int64_t>(prune_batch_)).exec();
    }

    bool prune_due() noexcept {
        if (prune_every_ == 0)
            return false;
        return writes_.fetch_add(1, std::memory_order_relaxed) % prune_every_ == prune_every_ - 1;
    }

    std::int64_t now_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   clock_.now().time_since_epoch())
            .count();
    }

    // Milliseconds since the epoch, rounded up so an entry never expires early.
    static std::int64_t epoch_ms(time_point t) {
        return std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count();
    }

    database& db_;
    [[no_unique_address]] Clock clock_;
    std::size_t prune_every_;
    std::size_t prune_batch_;
    std::atomic<std::size_t> writes_{0};
    std::atomic<bool> created_{false};
    std::string create_sql_, insert_sql_, put_sql_, delete_sql_, get_sql_, prune_sql_,
        prune_all_sql_, count_sql_;
};

static_assert(jwt::token_store<token_store<>>);

} // namespace rampart::sqlite

#endif
