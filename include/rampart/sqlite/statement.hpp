#ifndef RAMPART_SQLITE_STATEMENT_HPP
#define RAMPART_SQLITE_STATEMENT_HPP

#include <rampart/sqlite/error.hpp>

#include <boost/system/result.hpp>

#include <sqlite3.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::sqlite {

/// Bytes bound or read as a BLOB (as opposed to TEXT).
struct blob {
    std::span<const std::byte> bytes;
};

/** A prepared statement: bind, step, read columns, reset. Owns its `sqlite3_stmt`.

    Parameters are bound by 1-based index or by name (`:name`, `@name`, `$name` as written in
    the SQL); values are always bound, never spliced into SQL text. Text read with
    `column<std::string_view>` stays valid only until the next `step`, `reset` or destruction.
*/
class statement {
public:
    /// Prepares `sql`, exactly one statement, on `db`.
    /// Throws `sqlite::error` when the SQL does not compile (a syntax error, an unknown table
    /// or column), holds no statement or more than one (SQLITE_MISUSE): programming errors.
    statement(sqlite3* db, std::string_view sql) : db_(db) {
        const char* why = nullptr;
        int rc = prepare(db, sql, stmt_, why);
        if (why)
            throw error(rc, std::string("sqlite: prepare: ") + why);
        detail::check(rc, db, "prepare");
    }

    /// `statement(db, sql)` without exceptions: the error code of what it would throw.
    static boost::system::result<statement> try_prepare(sqlite3* db, std::string_view sql) {
        sqlite3_stmt* raw = nullptr;
        const char* why = nullptr;
        int rc = prepare(db, sql, raw, why);
        if (rc != SQLITE_OK)
            return make_error_code(static_cast<errc>(rc & 0xff));
        return statement(db, raw);
    }

    statement(statement&& other) noexcept
        : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
    statement& operator=(statement&& other) noexcept {
        if (this != &other) {
            sqlite3_finalize(stmt_);
            db_ = other.db_;
            stmt_ = std::exchange(other.stmt_, nullptr);
        }
        return *this;
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { sqlite3_finalize(stmt_); }

    /// Binds `value` to the parameter at 1-based `index`.
    /// Throws `sqlite::error` (SQLITE_RANGE) for an index the SQL does not have, or
    /// SQLITE_TOOBIG for an oversize value: programming errors, or input not size-checked.
    template <class T>
    statement& bind(int index, const T& value) {
        using V = std::remove_cvref_t<T>;
        int rc;
        if constexpr (std::is_same_v<V, std::nullptr_t> || std::is_same_v<V, std::nullopt_t>) {
            rc = sqlite3_bind_null(stmt_, index);
        } else if constexpr (std::is_same_v<V, bool>) {
            rc = sqlite3_bind_int(stmt_, index, value ? 1 : 0);
        } else if constexpr (std::is_integral_v<V>) {
            static_assert(sizeof(V) < 8 || std::is_signed_v<V>,
                          "SQLite stores signed 64-bit integers; convert explicitly");
            rc = sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
        } else if constexpr (std::is_floating_point_v<V>) {
            rc = sqlite3_bind_double(stmt_, index, static_cast<double>(value));
        } else if constexpr (std::is_same_v<V, blob>) {
            rc = sqlite3_bind_blob64(stmt_, index, value.bytes.data(), value.bytes.size(),
                                     SQLITE_TRANSIENT);
        } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
            std::string_view text = value;
            rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
        } else if constexpr (requires {
                                 value.has_value();
                                 *value;
                             }) {
            if (value.has_value())
                return bind(index, *value);
            rc = sqlite3_bind_null(stmt_, index);
        } else {
            static_assert(sizeof(V) == 0, "cannot bind this type to an SQLite parameter");
        }
        detail::check(rc, db_, "bind");
        return *this;
    }

    /// Binds `value` to the named parameter, e.g. `bind(":id", 7)`.
    /// Throws `sqlite::error` (SQLITE_RANGE) for a name the SQL does not have (a programming
    /// error), and what `bind(int, value)` throws.
    template <class T>
    statement& bind(const char* name, const T& value) {
        int index = sqlite3_bind_parameter_index(stmt_, name);
        if (index == 0)
            throw error(SQLITE_RANGE, std::string("sqlite: bind: no parameter named ") + name);
        return bind(index, value);
    }

    /// Binds every argument in order, to parameters 1, 2, ...
    /// Throws what `bind(int, value)` throws.
    template <class... Ts>
    statement& bind_all(const Ts&... values) {
        int index = 1;
        (bind(index++, values), ...);
        return *this;
    }

    /// Runs the statement to its next row: true when a row is ready to read, false when done.
    /// Throws `sqlite::constraint_error` for a violated constraint (often the client's input:
    /// catch it and answer a 400 or 409), `sqlite::error` otherwise (one that is
    /// `unavailable()` becomes a 503 inside a `database`).
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW)
            return true;
        if (rc == SQLITE_DONE)
            return false;
        detail::throw_error(rc, db_, "step");
    }

    /// Steps until done (for statements that return no rows), then resets, so the statement
    /// can be bound and run again at once (its bindings are kept).
    /// Throws what `step` throws.
    void exec() {
        while (step()) {
        }
        sqlite3_reset(stmt_);
    }

    /// Makes the statement ready to run again; bindings are kept.
    statement& reset() noexcept {
        sqlite3_reset(stmt_);
        return *this;
    }
    statement& clear_bindings() noexcept {
        sqlite3_clear_bindings(stmt_);
        return *this;
    }

    int column_count() const noexcept { return sqlite3_column_count(stmt_); }
    std::string_view column_name(int i) const noexcept { return sqlite3_column_name(stmt_, i); }
    bool is_null(int i) const noexcept { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
    int column_type(int i) const noexcept { return sqlite3_column_type(stmt_, i); }

    /// The value of the current row's column `i` (0-based) as `T`: an integer type, bool,
    /// double, std::string, std::string_view, std::vector<std::byte>, or std::optional of one
    /// (nullopt for NULL). A NULL read as a non-optional is 0 or empty, as SQLite converts it.
    template <class T>
    T column(int i) const {
        if constexpr (requires {
                          typename T::value_type;
                          T{}.has_value();
                      }) {
            if (is_null(i))
                return T{};
            return T{column<typename T::value_type>(i)};
        } else if constexpr (std::is_same_v<T, bool>) {
            return sqlite3_column_int64(stmt_, i) != 0;
        } else if constexpr (std::is_integral_v<T>) {
            return static_cast<T>(sqlite3_column_int64(stmt_, i));
        } else if constexpr (std::is_floating_point_v<T>) {
            return static_cast<T>(sqlite3_column_double(stmt_, i));
        } else if constexpr (std::is_same_v<T, std::string> ||
                             std::is_same_v<T, std::string_view>) {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
            auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i));
            return p ? T(p, n) : T{};
        } else if constexpr (std::is_same_v<T, std::vector<std::byte>>) {
            auto p = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, i));
            auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i));
            return p ? T(p, p + n) : T{};
        } else {
            static_assert(sizeof(T) == 0, "cannot read an SQLite column as this type");
        }
    }

    sqlite3_stmt* native_handle() const noexcept { return stmt_; }

private:
    statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}

    /// Prepares `sql` into `out`; on a misuse (no statement, several) sets `why` too.
    static int prepare(sqlite3* db, std::string_view sql, sqlite3_stmt*& out,
                       const char*& why) noexcept {
        const char* tail = nullptr;
        int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &out, &tail);
        if (rc != SQLITE_OK)
            return rc;
        if (!out) {
            why = "the SQL holds no statement";
            return SQLITE_MISUSE;
        }
        std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
        if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
            sqlite3_finalize(out);
            out = nullptr;
            why = "more than one statement; use exec()";
            return SQLITE_MISUSE;
        }
        return SQLITE_OK;
    }

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

} // namespace rampart::sqlite

#endif
