#ifndef RAMPART_PAGINATION_SQLITE_HPP
#define RAMPART_PAGINATION_SQLITE_HPP

// Needs the rampart::sqlite target (SQLite 3.30 or later, for NULLS FIRST/LAST).

#include <rampart/pagination/ordering.hpp>
#include <rampart/pagination/page_query.hpp>
#include <rampart/sqlite/connection.hpp>
#include <rampart/sqlite/statement.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
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
        the filter's parameters) and the LIMIT is the last. */
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

} // namespace rampart::pagination

#endif
