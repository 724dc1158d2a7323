#ifndef RAMPART_SQLITE_MIGRATIONS_HPP
#define RAMPART_SQLITE_MIGRATIONS_HPP

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/transaction.hpp>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::sqlite {

/// One numbered schema change. Versions start at 1 and go up by one.
struct migration {
    int version;
    std::string_view sql;
};

/** Brings the schema up to the last migration; returns how many were applied.

    Every pending migration runs in one `BEGIN IMMEDIATE` transaction, in order, together with its
    row in `schema_migrations (version, applied_at)` and `PRAGMA user_version`: either all apply
    or none does, and two processes starting at once apply each migration exactly once (the second
    waits for the lock, then finds nothing left to do). An empty list leaves the database
    untouched.

    Throws `std::invalid_argument` when the list is not numbered 1, 2, 3, ... (a programming
    error), and `sqlite::error` when the database is newer than the code (a downgrade,
    SQLITE_ERROR) or a migration fails: deployment errors, never the client's.
*/
inline int migrate(connection& c, std::span<const migration> migrations) {
    for (std::size_t i = 0; i < migrations.size(); ++i)
        if (migrations[i].version != static_cast<int>(i) + 1)
            throw std::invalid_argument(
                "sqlite: migrations must be numbered 1, 2, 3, ... in order");
    if (migrations.empty())
        return 0;
    return transaction(c, [&](connection& tx) {
        tx.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        auto current_stmt = tx.prepare("PRAGMA user_version");
        current_stmt.step();
        int current = current_stmt.column<int>(0);
        auto recorded = tx.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
        recorded.step();
        if (recorded.column<int>(0) > current)
            current = recorded.column<int>(0);
        if (current > static_cast<int>(migrations.size()))
            throw error(SQLITE_ERROR, "sqlite: migrate: the database is at schema version " +
                                          std::to_string(current) + ", newer than this program's " +
                                          std::to_string(migrations.size()));
        int applied = 0;
        for (const auto& m : migrations.subspan(static_cast<std::size_t>(current))) {
            tx.exec(std::string(m.sql));
            tx.prepare("INSERT INTO schema_migrations (version, applied_at) "
                       "VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
                .bind(1, m.version)
                .exec();
            tx.exec("PRAGMA user_version = " + std::to_string(m.version));
            ++applied;
        }
        return applied;
    });
}

/// `migrate` without `sqlite::error`: how many migrations were applied, or the code of the
/// failure. Throws `std::invalid_argument` for a list not numbered 1, 2, 3, ... (a
/// programming error, not a state of the database).
inline boost::system::result<int> try_migrate(connection& c,
                                              std::span<const migration> migrations) {
    return detail::to_result([&] { return migrate(c, migrations); });
}

} // namespace rampart::sqlite

#endif
