#ifndef RAMPART_SQLITE_ERROR_HPP
#define RAMPART_SQLITE_ERROR_HPP

#include <rampart/detail/error_category.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace rampart::sqlite {

/** SQLite's primary result codes, as error codes in the `rampart.sqlite` category.

    The values are SQLite's own (`errc::busy == SQLITE_BUSY`), so any primary code converts,
    listed here or not. The non-throwing `try_` forms return these in a `boost::system::result`;
    the exception `sqlite::error` carries the same code plus the extended code and SQLite's
    message. Which ones mean "the store cannot serve now" (a 503 in a `database`): see
    `unavailable(errc)`.
*/
enum class errc {
    error = SQLITE_ERROR,           ///< Generic: an SQL error, a missing table, a newer schema.
    internal = SQLITE_INTERNAL,     ///< An internal logic error in SQLite.
    perm = SQLITE_PERM,             ///< Access permission denied.
    abort = SQLITE_ABORT,           ///< A callback asked for an abort.
    busy = SQLITE_BUSY,             ///< Another connection holds the lock beyond the wait.
    locked = SQLITE_LOCKED,         ///< A table in this connection's own database is locked.
    nomem = SQLITE_NOMEM,           ///< Out of memory.
    readonly = SQLITE_READONLY,     ///< A write to a read-only database, or a moved file.
    interrupt = SQLITE_INTERRUPT,   ///< Interrupted by `sqlite3_interrupt`.
    ioerr = SQLITE_IOERR,           ///< An I/O error in the operating system.
    corrupt = SQLITE_CORRUPT,       ///< The database file is malformed.
    full = SQLITE_FULL,             ///< The disk is full.
    cantopen = SQLITE_CANTOPEN,     ///< The file cannot be opened.
    protocol = SQLITE_PROTOCOL,     ///< A locking protocol error.
    schema = SQLITE_SCHEMA,         ///< The schema changed under a statement.
    toobig = SQLITE_TOOBIG,         ///< A string or BLOB over the size limit.
    constraint = SQLITE_CONSTRAINT, ///< UNIQUE, FOREIGN KEY, CHECK or NOT NULL violated.
    mismatch = SQLITE_MISMATCH,     ///< A data type mismatch.
    misuse = SQLITE_MISUSE,         ///< The library was used wrongly (a programming error).
    range = SQLITE_RANGE,           ///< A parameter index or name that does not exist.
    notadb = SQLITE_NOTADB,         ///< The file is not a database.
};

namespace detail {

/// The words of rampart::sqlite::errc codes: SQLite's own (`sqlite3_errstr`).
struct error_text {
    static constexpr const char* name = "rampart.sqlite";
    static std::string message(int ev) { return std::string("sqlite: ") + sqlite3_errstr(ev); }
};

} // namespace detail

/// The category of rampart::sqlite::errc codes.
inline const boost::system::error_category& error_category() noexcept {
    return rampart::detail::error_category<detail::error_text>::instance();
}

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// Whether `code` (a primary or extended result code) means the database could not serve the
/// call for reasons outside the caller's control: busy or locked, read-only, disk full, I/O
/// failure, cannot open, corrupt, out of memory.
constexpr bool unavailable(int code) noexcept {
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
        return true;
    default:
        return false;
    }
}

/// `unavailable` for a code of the `rampart.sqlite` category (false for any other category).
inline bool unavailable(const boost::system::error_code& code) noexcept {
    return code.category() == error_category() && unavailable(code.value());
}

/** An SQLite call failed: thrown by the throwing forms of this component.

    Carries the error code (`error_code()`, in the `rampart.sqlite` category), the extended
    result code and SQLite's message. The message is for logs only: it can name tables,
    columns and values, so rampart never shows it to a client. A `database` turns the errors
    that mean "the store cannot serve now" (see `unavailable()`) into a 503 before they reach
    a handler; everything else reaches the caller as this type or `constraint_error`.
*/
class error : public std::runtime_error {
public:
    error(int extended_code, const std::string& message)
        : std::runtime_error(message), extended_code_(extended_code) {}

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    int code() const noexcept { return extended_code_ & 0xff; }

    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_IOERR_WRITE`, ...).
    int extended_code() const noexcept { return extended_code_; }

    /// The primary code as an error code (`e.error_code() == sqlite::errc::busy`): what the
    /// `try_` forms return for the same failure.
    boost::system::error_code error_code() const noexcept {
        return make_error_code(static_cast<errc>(code()));
    }

    /// Whether the database could not serve the call for reasons outside the caller's control:
    /// busy or locked, read-only, disk full, I/O failure, cannot open, corrupt.
    bool unavailable() const noexcept { return sqlite::unavailable(extended_code_); }

private:
    int extended_code_;
};

/// A constraint was violated (UNIQUE, FOREIGN KEY, CHECK, NOT NULL). Catch it to turn a
/// duplicate or a dangling reference into a field error.
class constraint_error : public error {
public:
    using error::error;

    bool unique() const noexcept {
        return extended_code() == SQLITE_CONSTRAINT_UNIQUE ||
               extended_code() == SQLITE_CONSTRAINT_PRIMARYKEY;
    }
    bool foreign_key() const noexcept { return extended_code() == SQLITE_CONSTRAINT_FOREIGNKEY; }
};

namespace detail {

[[noreturn]] inline void throw_error(int rc, sqlite3* db, const char* what) {
    int extended = db ? sqlite3_extended_errcode(db) : rc;
    if ((extended & 0xff) != (rc & 0xff))
        extended = rc;
    std::string message = "sqlite: ";
    message += what;
    message += ": ";
    message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        throw constraint_error(extended, message);
    throw error(extended, message);
}

inline void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK)
        throw_error(rc, db, what);
}

/// Runs `f` (a throwing form) and returns its value, or the code of the `sqlite::error` it
/// threw: how the `try_` forms of the cold paths (open, migrate) are made from the throwing
/// ones without a second implementation. Other exceptions (programming errors) propagate.
template <class F>
auto to_result(F&& f) -> boost::system::result<std::invoke_result_t<F&>> {
    try {
        if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
            f();
            return {};
        } else {
            return f();
        }
    } catch (const error& e) {
        return e.error_code();
    }
}

} // namespace detail

} // namespace rampart::sqlite

template <>
struct boost::system::is_error_code_enum<rampart::sqlite::errc> : std::true_type {};

#endif
