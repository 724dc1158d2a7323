#ifndef RAMPART_SQLITE_READINESS_HPP
#define RAMPART_SQLITE_READINESS_HPP

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/database.hpp>

#include <boost/asio/awaitable.hpp>

namespace rampart::sqlite {

/** A readiness check of a `database` (rampart::readiness_check, for rampart::health): ready
    when a cheap read answers (the schema cookie from the file's header, which takes a read
    lock like any query) and the file open is still the one at the database's path.

    It runs as any `database::read` does: on the calling thread's read connection when it can
    answer at once, else on a reader thread within `open.busy_timeout`; a lock held beyond that,
    an I/O error or a full read queue make it not ready. A file deleted, renamed or replaced
    under the service makes it not ready too: reads would still answer from the old file, but
    every write would be refused. The database must outlive every check.
*/
struct readiness {
    database* db;

    asio::awaitable<bool> operator()() const {
        bool ok = co_await db->read([](connection& c) {
            if (c.file_moved())
                return false;
            auto& cookie = c.cached("PRAGMA schema_version");
            return cookie.step();
        });
        co_return ok;
    }
};

} // namespace rampart::sqlite

#endif
