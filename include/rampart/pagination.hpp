#ifndef RAMPART_PAGINATION_HPP
#define RAMPART_PAGINATION_HPP

// The SQLite keyset adapter is not included here: include <rampart/pagination/sqlite.hpp> and
// link rampart::sqlite to use it.

#include <rampart/pagination/cursor.hpp>
#include <rampart/pagination/cursor_paginator.hpp>
#include <rampart/pagination/limit_offset.hpp>
#include <rampart/pagination/links.hpp>
#include <rampart/pagination/ordering.hpp>
#include <rampart/pagination/page_query.hpp>

#endif
