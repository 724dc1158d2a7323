#ifndef RAMPART_SQLITE_CONNECTION_HPP
#define RAMPART_SQLITE_CONNECTION_HPP

#include <rampart/sqlite/error.hpp>
#include <rampart/sqlite/statement.hpp>

#include <boost/system/result.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <unistd.h>

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
    /// Throws `sqlite::error` when the file cannot be opened or is not a database
    /// (SQLITE_CANTOPEN, SQLITE_NOTADB, ...): a deployment error, never the client's.
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
        // A file this process cannot write opens read-only without an error. Its journal mode
        // cannot change, so it is not asked for: asking reads the file, and reading a WAL file
        // creates a `-shm` owned by this process that a later writer may be unable to open.
        if (options.wal && !options.read_only && !read_only()) {
            statement mode(raw, "PRAGMA journal_mode = WAL");
            mode.step();
            exec("PRAGMA synchronous = NORMAL");
        }
    }

    /// The constructor without exceptions: the connection, or the code of what it would
    /// throw. Throws only `std::bad_alloc`.
    static boost::system::result<connection> try_open(const std::string& path,
                                                      const open_options& options = {}) {
        return detail::to_result([&] { return connection(path, options); });
    }

    connection(connection&&) noexcept = default;
    connection& operator=(connection&&) noexcept = default;

    /// Runs one or more statements that take no parameters (schema, pragmas).
    /// Throws `sqlite::error` (`sqlite::constraint_error` for a violated constraint).
    void exec(const std::string& sql) {
        char* message = nullptr;
        int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
        sqlite3_free(message);
        detail::check(rc, db_.get(), "exec");
    }

    /// Prepares one statement.
    /// Throws `sqlite::error` for SQL that does not compile or is not exactly one statement:
    /// a programming error (the SQL is the program's, never the client's).
    statement prepare(std::string_view sql) { return statement(db_.get(), sql); }

    /// `prepare` without exceptions: the statement, or the code of what `prepare` would throw.
    boost::system::result<statement> try_prepare(std::string_view sql) {
        return statement::try_prepare(db_.get(), sql);
    }

    /// A statement prepared once per connection and reused: reset, with its bindings cleared.
    /// The reference stays valid until the cache is full and emptied (`statement_cache` entries)
    /// or the connection closes, so use it right away rather than keeping it.
    /// Throws what `prepare` throws.
    statement& cached(std::string_view sql) {
        auto it = cache_.find(sql); // no string made to look it up
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

    /// Whether the connection cannot write: opened read-only, or a file (or directory) this
    /// process may not write, which SQLite opens read-only without an error.
    bool read_only() const noexcept { return sqlite3_db_readonly(db_.get(), "main") == 1; }

    /** Whether the file this connection has open is no longer the one at its path: deleted,
        renamed, or replaced by another file. Writes to it would still succeed, into a file
        that is gone at the next start. False for an in-memory database. */
    bool file_moved() const noexcept {
        int moved = 0;
        if (sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
            return false;
        return moved != 0;
    }

    /// The file name of the main database ("" for an in-memory one).
    std::string filename() const {
        const char* name = sqlite3_db_filename(db_.get(), "main");
        return name ? name : "";
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
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept {
            return std::hash<std::string_view>{}(text);
        }
    };
    std::unordered_map<std::string, statement, text_hash, std::equal_to<>> cache_;
};

namespace detail {

/// The error for a write refused because the database file was deleted, moved or replaced.
inline error moved_error(const connection& c) {
    return error(SQLITE_READONLY_DBMOVED,
                 "sqlite: the database file " + c.filename() +
                     " was deleted, renamed or replaced while open: writes are refused (they "
                     "would be lost at the next start); restore the file and restart");
}

/** Names what beside the database at `path` this process cannot write, with the fix: the
    file itself, its directory (SQLite creates `-wal` and `-shm` there), or a `-wal`/`-shm`
    left by a process that had other rights. Empty when all is writable or `path` is a URI. */
inline std::string unwritable_side_files(const std::string& path) {
    if (path.empty() || path == ":memory:" || path.starts_with("file:"))
        return {};
    std::string found;
    auto slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    if (::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), W_OK) != 0)
        found += "; " + path +
                 " is not writable by this process: give it write access, or "
                 "open it with open_options::read_only";
    if (::access(dir.c_str(), W_OK) != 0)
        found += "; the directory " + dir +
                 " is not writable by this process: SQLite creates the -wal and -shm files "
                 "there";
    for (const char* suffix : {"-shm", "-wal"}) {
        std::string side = path + suffix;
        if (::access(side.c_str(), F_OK) == 0 && ::access(side.c_str(), W_OK) != 0)
            found += "; " + side +
                     " exists but is not writable by this process (left by a process with "
                     "other rights, e.g. a read-only start as another user): remove it while no "
                     "process has the database open, or give it the database file's owner";
    }
    return found;
}

} // namespace detail

} // namespace rampart::sqlite

#endif
