#ifndef RAMPART_PAGINATION_SQLITE_HPP
#define RAMPART_PAGINATION_SQLITE_HPP

// Needs the rampart::sqlite target (SQLite 3.30 or later, for NULLS FIRST/LAST).

#include <rampart/pagination/ordering.hpp>
#include <rampart/pagination/page_query.hpp>
#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/database.hpp>
#include <rampart/sqlite/statement.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace rampart::pagination {

/** Keyset queries on SQLite: the SQL for a `page_query`, with every value bound.

    Give it the start of a query (`SELECT ... FROM ...`, no WHERE, ORDER BY or LIMIT), the
    ordering, and optionally a filter condition with `?` parameters (`user_id = ?`). For each
    page it produces

    @code
    SELECT ... FROM ... WHERE (filter) AND ("k1", "k2") > (?2, ?3) ORDER BY "k1", "k2" LIMIT ?4
    @endcode

    using a row-value comparison when every key goes the same way and none is nullable (which
    SQLite serves from an index on the keys), and otherwise the expanded form
    `k1 after p1 OR (k1 = p1 AND k2 after p2) ...` with the NULL placement spelled out and
    `NULLS FIRST/LAST` in ORDER BY. Column names come from the ordering, which accepts only
    identifiers, and are double-quoted; values are never written into the SQL text. For speed,
    index the sort keys in the ordering's order (`CREATE INDEX ... ON orders (user_id,
    created_at DESC, id DESC)`).
*/
class sqlite_keyset {
public:
    /// The SQL text and the values for its parameters, numbered from `first_parameter`.
    struct query {
        std::string sql;
        std::vector<key_value> parameters;
    };

    sqlite_keyset(std::string select, pagination::ordering order, std::string filter = {})
        : select_(std::move(select)), ordering_(std::move(order)), filter_(std::move(filter)) {}

    const pagination::ordering& ordering() const noexcept { return ordering_; }

    /** The query for `q`. Keyset parameters are numbered from `first_parameter` (one more than
        the filter's parameters) and the LIMIT is the last.
        Throws `std::invalid_argument` when `q`'s position does not fit the ordering (a
        programming error: the paginator checks client cursors before any source runs). */
    query build(const page_query& q, int first_parameter = 1) const {
        const auto& keys = ordering_.keys();
        if (q.position && q.position->size() != keys.size())
            throw std::invalid_argument("pagination: position does not fit the ordering");
        query out;
        out.sql = select_;
        int next = first_parameter;
        auto param = [&](const key_value& v) {
            out.parameters.push_back(v);
            std::string placeholder(1, '?');
            placeholder += std::to_string(next++);
            return placeholder;
        };
        std::string condition = q.position ? keyset_condition(q, param) : std::string{};
        if (!filter_.empty() || !condition.empty()) {
            out.sql += " WHERE ";
            if (!filter_.empty())
                out.sql += "(" + filter_ + ")";
            if (!filter_.empty() && !condition.empty())
                out.sql += " AND ";
            if (!condition.empty())
                out.sql += "(" + condition + ")";
        }
        out.sql += " ORDER BY ";
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (i)
                out.sql += ", ";
            out.sql += quoted(keys[i].name);
            out.sql += walk_ascending(keys[i], q) ? " ASC" : " DESC";
            if (keys[i].null_placement != nulls::never)
                out.sql += walk_nulls_first(keys[i], q) ? " NULLS FIRST" : " NULLS LAST";
        }
        out.sql += " LIMIT ";
        out.sql += param(static_cast<std::int64_t>(q.limit));
        return out;
    }

    /** Runs the query for `q` on `c` and reads each row with `read(statement&)`.

        `filter_values` are bound to the filter's `?` parameters, in order. Statements are
        prepared once per connection and shape (`connection::cached`).
        Throws what `build` throws, and `sqlite::error` from the database (a filter value count
        that does not match the filter's `?`s, SQL that does not compile: programming errors).
    */
    template <class Read, class... FilterValues>
    auto fetch(sqlite::connection& c, const page_query& q, Read&& read,
               const FilterValues&... filter_values) const {
        using Row = std::remove_cvref_t<std::invoke_result_t<Read&, sqlite::statement&>>;
        query built = build(q, static_cast<int>(sizeof...(FilterValues)) + 1);
        sqlite::statement& stmt = c.cached(built.sql);
        stmt.bind_all(filter_values...);
        int index = static_cast<int>(sizeof...(FilterValues)) + 1;
        for (const auto& v : built.parameters)
            std::visit([&](const auto& x) { stmt.bind(index++, x); }, v);
        std::vector<Row> rows;
        rows.reserve(q.limit);
        while (stmt.step())
            rows.push_back(read(stmt));
        stmt.reset();
        return rows;
    }

    /// `"name"`, or `"table"."name"` for a qualified name.
    static std::string quoted(std::string_view name) {
        auto dot = name.find('.');
        if (dot != std::string_view::npos)
            return quoted(name.substr(0, dot)) + "." + quoted(name.substr(dot + 1));
        std::string out(1, '"');
        out += name;
        out += '"';
        return out;
    }

private:
    static bool walk_ascending(const sort_key& k, const page_query& q) {
        return (k.direction == order::ascending) != q.backward;
    }
    static bool walk_nulls_first(const sort_key& k, const page_query& q) {
        return (k.null_placement == nulls::first) != q.backward;
    }

    template <class Param>
    std::string keyset_condition(const page_query& q, Param& param) const {
        const auto& keys = ordering_.keys();
        const key& at = *q.position;
        bool simple = true;
        for (const auto& k : keys)
            simple = simple && k.null_placement == nulls::never &&
                     walk_ascending(k, q) == walk_ascending(keys.front(), q);
        if (simple) {
            std::string op = walk_ascending(keys.front(), q) ? ">" : "<";
            if (q.inclusive)
                op += "=";
            if (keys.size() == 1)
                return quoted(keys[0].name) + " " + op + " " + param(at[0]);
            std::string lhs = "(", rhs = "(";
            for (std::size_t i = 0; i < keys.size(); ++i) {
                if (i) {
                    lhs += ", ";
                    rhs += ", ";
                }
                lhs += quoted(keys[i].name);
                rhs += param(at[i]);
            }
            return lhs + ") " + op + " " + rhs + ")";
        }
        // Expanded: k1 after p1 OR (k1 = p1 AND k2 after p2) OR ... [OR all equal, if inclusive]
        std::vector<std::string> equal_prefix;
        std::vector<std::string> terms;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            std::string after = after_term(keys[i], at[i], q, param);
            if (after != "0") {
                std::string term;
                for (const auto& e : equal_prefix)
                    term += e + " AND ";
                terms.push_back("(" + term + after + ")");
            }
            if (i + 1 < keys.size() || q.inclusive)
                equal_prefix.push_back(equal_term(keys[i], at[i], param));
        }
        if (q.inclusive) {
            std::string term;
            for (std::size_t i = 0; i < equal_prefix.size(); ++i)
                term += (i ? " AND " : "") + equal_prefix[i];
            terms.push_back("(" + term + ")");
        }
        if (terms.empty())
            return "0";
        std::string out;
        for (std::size_t i = 0; i < terms.size(); ++i)
            out += (i ? " OR " : "") + terms[i];
        // A range on the leading key lets SQLite seek an index instead of scanning.
        if (keys.front().null_placement == nulls::never)
            out = quoted(keys.front().name) + (walk_ascending(keys.front(), q) ? " >= " : " <= ") +
                  param(at[0]) + " AND (" + out + ")";
        return out;
    }

    template <class Param>
    static std::string after_term(const sort_key& k, const key_value& v, const page_query& q,
                                  Param& param) {
        std::string column = quoted(k.name);
        bool is_null = std::holds_alternative<std::nullptr_t>(v);
        bool nullable = k.null_placement != nulls::never;
        bool nulls_first = walk_nulls_first(k, q);
        if (is_null) // only other NULLs equal it; after it come the non-NULLs, if NULLs go first
            return nullable && nulls_first ? column + " IS NOT NULL" : "0";
        std::string base = column + (walk_ascending(k, q) ? " > " : " < ") + param(v);
        if (nullable && !nulls_first)
            return "(" + base + " OR " + column + " IS NULL)";
        return base;
    }

    template <class Param>
    static std::string equal_term(const sort_key& k, const key_value& v, Param& param) {
        if (std::holds_alternative<std::nullptr_t>(v))
            return quoted(k.name) + " IS NULL";
        return quoted(k.name) + " = " + param(v);
    }

    std::string select_;
    pagination::ordering ordering_;
    std::string filter_;
};

/** A cursor_paginator source that pages a `sqlite_keyset` query on a database's read lane.

    Called with a `page_query`, it returns `asio::awaitable<std::vector<Row>>`: the rows
    `query.fetch(c, q, read, filter_values...)` reads on `db`'s read lane, so the I/O thread
    never waits for SQLite. `read(sqlite::statement&)` makes one `Row` from the current row;
    `filter_values` are bound to the `?`s of the query's filter, in order. A list handler is
    then two statements:

    @code
    pg::sqlite_source source{db, orders_query, read_order, user};
    auto page = co_await orders.paginate(ctx, source, order_key, filters);
    @endcode

    It refers to `db` and `query` (build both once, at start-up: they must outlive every page)
    and holds copies of `read` and the filter values, which each page copies again to the
    worker thread: pass owning values (`std::string`, not a view into the request). Name it
    before the `co_await`, as above: g++ 12 destroys a temporary in a `co_await`'s arguments
    twice.

    Throws `std::logic_error` when the paginator's ordering is not the query's (a programming
    error); the awaitable throws what `database::read` does: `rampart::service_unavailable`
    (503) when the store cannot serve now, `sqlite::error` for a mistake in the query.
*/
template <class Read, class... FilterValues>
class sqlite_source {
public:
    /// The rows a page holds.
    using row_type = std::remove_cvref_t<std::invoke_result_t<Read&, sqlite::statement&>>;

    sqlite_source(sqlite::database& db, const sqlite_keyset& query, Read read,
                  FilterValues... filter_values)
        : db_(&db), query_(&query), read_(std::move(read)),
          filter_values_(std::move(filter_values)...) {}

    /// The page `q` asks for, read on the database's read lane.
    boost::asio::awaitable<std::vector<row_type>> operator()(const page_query& q) const {
        if (q.ordering && q.ordering->signature() != query_->ordering().signature())
            throw std::logic_error("pagination: the paginator's ordering is not the "
                                   "sqlite_keyset's; build the query from paginator.ordering()");
        return db_->read([query = query_, read = read_, values = filter_values_,
                          q](sqlite::connection& c) mutable {
            return std::apply(
                [&](const FilterValues&... v) { return query->fetch(c, q, read, v...); }, values);
        });
    }

private:
    sqlite::database* db_;
    const sqlite_keyset* query_;
    Read read_;
    std::tuple<FilterValues...> filter_values_;
};

template <class Read, class... FilterValues>
sqlite_source(sqlite::database&, const sqlite_keyset&, Read, FilterValues...)
    -> sqlite_source<Read, FilterValues...>;

} // namespace rampart::pagination

#endif
