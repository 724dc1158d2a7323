#ifndef RAMPART_PAGINATION_PAGE_QUERY_HPP
#define RAMPART_PAGINATION_PAGE_QUERY_HPP

#include <rampart/pagination/ordering.hpp>

#include <algorithm>
#include <compare>
#include <cstddef>
#include <vector>

namespace rampart::pagination {

/** What a keyset source is asked for: up to `limit` rows from `position`, walking one way.

    Forward (`backward == false`): the rows after `position` in the ordering (or from the start
    when `position` is null), in ordering order. Backward: the rows before `position`, nearest
    first (reverse ordering order). `inclusive` also admits the row at `position` itself.
    `limit` is the page size plus one: the extra row tells the paginator another page exists.
    The pointers stay valid until the source's result is delivered.
*/
struct page_query {
    const pagination::ordering* ordering = nullptr;
    const key* position = nullptr;
    bool backward = false;
    bool inclusive = false;
    std::size_t limit = 0;

    /// Whether a row at `k` belongs to the walk (is on the right side of `position`).
    bool admits(const key& k) const {
        if (!position)
            return true;
        auto c = ordering->compare(k, *position);
        if (c == 0)
            return inclusive;
        return backward ? c < 0 : c > 0;
    }

    /// Whether `a` comes before `b` in walk order.
    bool walks_before(const key& a, const key& b) const {
        auto c = ordering->compare(a, b);
        return backward ? c > 0 : c < 0;
    }
};

/** A keyset source over rows in memory, in any order: filters, sorts and cuts them as the
    query asks. For tests, small fixed lists, and as the reference the SQL adapter must match.
    `key_of(row)` gives the row's key values in the ordering's order. */
template <class Row, class KeyOf>
std::vector<Row> select_page(const std::vector<Row>& rows, const KeyOf& key_of,
                             const page_query& q) {
    std::vector<std::pair<key, const Row*>> admitted;
    for (const auto& r : rows) {
        key k = key_of(r);
        if (q.admits(k))
            admitted.emplace_back(std::move(k), &r);
    }
    auto n = std::min(q.limit, admitted.size());
    std::partial_sort(
        admitted.begin(), admitted.begin() + static_cast<std::ptrdiff_t>(n), admitted.end(),
        [&](const auto& a, const auto& b) { return q.walks_before(a.first, b.first); });
    std::vector<Row> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(*admitted[i].second);
    return out;
}

} // namespace rampart::pagination

#endif
