#ifndef RAMPART_SQLITE_CONNECTION_HPP
#define RAMPART_SQLITE_CONNECTION_HPP

#include <rampart/sqlite/error.hpp>
#include <rampart/sqlite/statement.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace rampart::sqlite {

/// How a connection is opened.
struct open_options {
    /// Open without write access: every write fails with SQLITE_READONLY (a 503 in a `database`).
    bool read_only = false;
    /// Create the file when missing (ignored when read_only).
    bool create = true;
    /// Switch the database to write-ahead logging, so readers never wait for the writer.
    bool wal = true;
    /// How long a call waits for another connection's lock before SQLITE_BUSY.
    std::chrono::milliseconds busy_timeout{5000};
    /// Enforce FOREIGN KEY constraints (SQLite leaves them off unless asked).
    bool foreign_keys = true;
    /// Prepared statements kept by `cached()` before the cache is emptied.
    std::size_t statement_cache = 64;
};

/** One SQLite connection. Owns the `sqlite3*` handle; movable, not copyable.

    A connection must be used by one thread at a time. In a service, let a `database` own the
    connections, one per worker thread, and reach them only through `database::run`.
*/
class connection {
public:
    /// Opens (and by default creates) the database at `path`; `:memory:` and `file:` URIs work.
    explicit connection(const std::string& path, const open_options& options = {})
        : cache_limit_(options.statement_cache) {
        int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
        if (options.read_only)
            flags |= SQLITE_OPEN_READONLY;
        else
            flags |= SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0);
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
        db_.reset(raw);
        detail::check(rc, raw, "open");
        sqlite3_extended_result_codes(raw, 1);
        sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
        if (options.foreign_keys)
            exec("PRAGMA foreign_keys = ON");
        if (options.wal && !options.read_only) {
            statement mode(raw, "PRAGMA journal_mode = WAL");
            mode.step();
            // A read-only file keeps its journal mode: writes then fail with SQLITE_READONLY.
            exec("PRAGMA synchronous = NORMAL");
        }
    }

    connection(connection&&) noexcept = default;
    connection& operator=(connection&&) noexcept = default;

    /// Runs one or more statements that take no parameters (schema, pragmas).
    void exec(const std::string& sql) {
        char* message = nullptr;
        int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
        sqlite3_free(message);
        detail::check(rc, db_.get(), "exec");
    }

    /// Prepares one statement.
    statement prepare(std::string_view sql) { return statement(db_.get(), sql); }

    /// A statement prepared once per connection and reused: reset, with its bindings cleared.
    /// The reference stays valid until the cache is full and emptied (`statement_cache` entries)
    /// or the connection closes, so use it right away rather than keeping it.
    statement& cached(std::string_view sql) {
        auto it = cache_.find(std::string(sql));
        if (it != cache_.end()) {
            it->second.reset().clear_bindings();
            return it->second;
        }
        if (cache_.size() >= cache_limit_)
            cache_.clear();
        return cache_.emplace(std::string(sql), prepare(sql)).first->second;
    }

    /** Resets every statement of this connection left part-way through its rows.

        A statement that has returned a row and was not stepped to the end keeps a read
        transaction, and so an old snapshot, open. A later write on this connection then fails
        at once with SQLITE_BUSY (the snapshot is stale; no busy timeout helps). `database`
        calls this after every `run`, so nothing stays open between calls.
    */
    void reset_statements() noexcept {
        for (sqlite3_stmt* s = sqlite3_next_stmt(db_.get(), nullptr); s;
             s = sqlite3_next_stmt(db_.get(), s))
            if (sqlite3_stmt_busy(s))
                sqlite3_reset(s);
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    std::int64_t changes() const noexcept { return sqlite3_changes64(db_.get()); }
    std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_.get()); }
    /// Whether a transaction is open on this connection.
    bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_.get()) == 0; }

    sqlite3* native_handle() const noexcept { return db_.get(); }

private:
    struct closer {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    // Declared before the cache so statements are finalized before the handle closes.
    std::unique_ptr<sqlite3, closer> db_;
    std::size_t cache_limit_;
    std::unordered_map<std::string, statement> cache_;
};

} // namespace rampart::sqlite

#endif
