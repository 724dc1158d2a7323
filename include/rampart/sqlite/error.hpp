#ifndef RAMPART_SQLITE_ERROR_HPP
#define RAMPART_SQLITE_ERROR_HPP

#include <sqlite3.h>

#include <stdexcept>
#include <string>

namespace rampart::sqlite {

/** An SQLite call failed.

    Carries the extended result code and SQLite's message. The message is for logs only: it can
    name tables, columns and values, so rampart never shows it to a client. A `database` turns the
    errors that mean "the store cannot serve now" (see `unavailable()`) into a 503 before they
    reach a handler; everything else reaches the caller as this type or `constraint_error`.
*/
class error : public std::runtime_error {
public:
    error(int extended_code, const std::string& message)
        : std::runtime_error(message), extended_code_(extended_code) {}

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    int code() const noexcept { return extended_code_ & 0xff; }

    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_IOERR_WRITE`, ...).
    int extended_code() const noexcept { return extended_code_; }

    /// Whether the database could not serve the call for reasons outside the caller's control:
    /// busy or locked, read-only, disk full, I/O failure, cannot open, corrupt.
    bool unavailable() const noexcept {
        switch (code()) {
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

} // namespace detail

} // namespace rampart::sqlite

#endif
