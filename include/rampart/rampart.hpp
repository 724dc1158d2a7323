#ifndef RAMPART_RAMPART_HPP
#define RAMPART_RAMPART_HPP

// Everything rampart offers. The optional parts (Redis, SQLite) are included when their
// dependency's headers are installed; link rampart::redis / rampart::sqlite to use them.

#include <rampart/core.hpp>
#include <rampart/errors.hpp>
#include <rampart/jwt.hpp>
#include <rampart/pagination.hpp>
#include <rampart/router.hpp>
#include <rampart/server.hpp>
#include <rampart/throttle.hpp>
#include <rampart/validation.hpp>

#if __has_include(<hiredis/hiredis.h>)
#include <rampart/redis.hpp>
#endif

#if __has_include(<sqlite3.h>)
#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite.hpp>
#endif

#endif
