#ifndef RAMPART_RAMPART_HPP
#define RAMPART_RAMPART_HPP

// Everything the consumer links. The core (rampart::rampart) always; the optional parts only
// when their CMake target is linked, which defines the macro tested below:
//   rampart::redis  -> RAMPART_HAS_REDIS=1  -> <rampart/redis.hpp>            (needs hiredis)
//   rampart::sqlite -> RAMPART_HAS_SQLITE=1 -> <rampart/sqlite.hpp> and
//                                              <rampart/pagination/sqlite.hpp> (needs SQLite 3)
// Why not "whatever headers are installed": a header whose library is not linked compiles and
// then fails at link time (undefined hiredis symbols in a Debug build). Without CMake, define
// the macro yourself next to -lhiredis / -lsqlite3, or include the part's header directly.

#include <rampart/core.hpp>
#include <rampart/errors.hpp>
#include <rampart/jwt.hpp>
#include <rampart/metrics.hpp>
#include <rampart/openapi.hpp>
#include <rampart/pagination.hpp>
#include <rampart/router.hpp>
#include <rampart/server.hpp>
#include <rampart/throttle.hpp>
#include <rampart/validation.hpp>

#if defined(RAMPART_HAS_REDIS) && RAMPART_HAS_REDIS
#include <rampart/redis.hpp>
#endif

#if defined(RAMPART_HAS_SQLITE) && RAMPART_HAS_SQLITE
#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite.hpp>
#endif

#endif
