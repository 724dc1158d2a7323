#ifndef RAMPART_SQLITE_HPP
#define RAMPART_SQLITE_HPP

#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/database.hpp>
#include <rampart/sqlite/error.hpp>
#include <rampart/sqlite/migrations.hpp>
#include <rampart/sqlite/readiness.hpp>
#include <rampart/sqlite/statement.hpp>
#include <rampart/sqlite/token_store.hpp>
#include <rampart/sqlite/transaction.hpp>

#endif
