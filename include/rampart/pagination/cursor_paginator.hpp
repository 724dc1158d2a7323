#ifndef RAMPART_PAGINATION_CURSOR_PAGINATOR_HPP
#define RAMPART_PAGINATION_CURSOR_PAGINATOR_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/pagination/cursor.hpp>
#include <rampart/pagination/detail/query.hpp>
#include <rampart/pagination/links.hpp>
#include <rampart/pagination/ordering.hpp>
#include <rampart/pagination/page_query.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::pagination {

namespace detail {

/// Adds `"next"`, `"previous"` (a URL or null) and `"<key>": [item(row), ...]` to `body`: the
/// part of a page's body every paginator writes alike.
template <class Row, class F>
void write_page(boost::json::object& body, const std::optional<std::string>& next,
                const std::optional<std::string>& previous, std::string_view key,
                const std::vector<Row>& results, F& item) {
    body["next"] = next ? boost::json::value(*next) : boost::json::value(nullptr);
    body["previous"] = previous ? boost::json::value(*previous) : boost::json::value(nullptr);
    boost::json::array list;
    list.reserve(results.size());
    for (const auto& r : results)
        list.emplace_back(item(r));
    body[key] = std::move(list);
}

} // namespace detail

/// One page of a list, with absolute links to its neighbours.
template <class Row>
struct page {
    std::vector<Row> results;
    /// The next page's URL; nullopt on the last page.
    std::optional<std::string> next;
    /// The previous page's URL; nullopt on the first page.
    std::optional<std::string> previous;
    /// The page size this request used.
    std::size_t page_size = 0;
    /// The name of the results member in `to_json` (the paginator's `results_key`).
    std::string_view results_key = "results";

    /// `{"next": url|null, "previous": url|null, "<results_key>": [item(row), ...]}`.
    template <class F>
    boost::json::object to_json(F&& item) const {
        boost::json::object body;
        detail::write_page(body, next, previous, results_key, results, item);
        return body;
    }
};

/// How a cursor paginator reads requests and writes links. `endpoint`, `ordering` and
/// `cursors.keys` are required.
struct cursor_paginator_options {
    /// A name for the list (`"products"`): cursors are bound to it.
    std::string endpoint;
    /// The list's order; its last key must be unique (see `ordering`).
    pagination::ordering ordering;
    /// Signing keys, expiry and size limit of cursors.
    cursor_options cursors;
    std::size_t default_page_size = 25;
    std::size_t max_page_size = 100;
    /// The query parameter a client may set the page size with; empty: the size is fixed.
    std::string page_size_param = "page_size";
    std::string cursor_param = "cursor";
    std::string results_key = "results";
    link_options links = {};
};

namespace detail {

template <class T>
struct awaitable_result {
    static constexpr bool value = false;
    using type = T;
};
template <class T>
struct awaitable_result<boost::asio::awaitable<T>> {
    static constexpr bool value = true;
    using type = T;
};

} // namespace detail

/** Cursor pagination over any keyset source.

    A source is called with a `page_query` (position, direction, page size + 1) and returns the
    rows, synchronously (`std::vector<Row>`) or as `asio::awaitable<std::vector<Row>>` (a
    database call); `key_of(row)` gives a row's sort-key values. The paginator reads `cursor` and
    `page_size` from the request, asks the source for one row more than the page, and builds the
    links. Pages never skip or repeat a row that stays in the list while a client walks it,
    whatever is inserted or deleted meanwhile, because a cursor holds a position, not an offset.

    Bad input is a 400 in the envelope: a cursor that is oversize, malformed, altered, made up,
    expired, signed with an unknown key or made for another list, ordering or filter set gives
    `{"cursor": ["Invalid cursor."]}`; a page size that is not a whole number in 1..max, or is
    given twice, gives a field error on the page size parameter.

    Thread-safe: `paginate` is const and keeps no state between calls.
*/
template <clock_source Clock = system_clock>
class cursor_paginator {
public:
    /// Throws `std::invalid_argument` for page sizes out of order, an empty `cursor_param`,
    /// bad cursor keys or link options: configuration errors.
    explicit cursor_paginator(cursor_paginator_options options, Clock clock = {})
        : options_(std::move(options)), codec_(options_.cursors, std::move(clock)) {
        if (options_.default_page_size == 0 || options_.max_page_size == 0 ||
            options_.default_page_size > options_.max_page_size)
            throw std::invalid_argument("pagination: need 1 <= default_page_size <= max_page_size");
        if (options_.cursor_param.empty())
            throw std::invalid_argument("pagination: cursor_param must not be empty");
        detail::check_link_options(options_.links);
    }

    const cursor_paginator_options& options() const noexcept { return options_; }
    const pagination::ordering& ordering() const noexcept { return options_.ordering; }
    const cursor_codec<Clock>& codec() const noexcept { return codec_; }

    /** The page this request asks for.

        `filters` is a canonical text of whatever narrows the list besides the ordering (the
        owner's id, a search term): a cursor made under other filters is refused, so a client
        cannot carry a position from one result set into another.

        Throws (when awaited) `rampart::validation_error` (400, the client's) for a bad cursor or
        page size; `std::logic_error` when `key_of` returns a key that does not fit the
        ordering, `std::invalid_argument` when a boundary key cannot be encoded (programming
        errors); and whatever `source` and `key_of` throw, unchanged.
    */
    template <class Source, class KeyOf>
    auto paginate(const context& ctx, Source source, KeyOf key_of, std::string filters = {}) const
        -> boost::asio::awaitable<page<typename detail::awaitable_result<
            std::invoke_result_t<Source&, const page_query&>>::type::value_type>> {
        using result = std::invoke_result_t<Source&, const page_query&>;
        using rows_type = typename detail::awaitable_result<result>::type;
        plan p = make_plan(ctx, std::move(filters));
        rows_type rows;
        if constexpr (detail::awaitable_result<result>::value)
            rows = co_await source(query_of(p));
        else
            rows = source(query_of(p));
        co_return finish(p, std::move(rows), key_of);
    }

    /// `paginate` for a synchronous source, without a coroutine. Throws what `paginate` throws.
    template <class Source, class KeyOf>
    auto paginate_now(const context& ctx, Source&& source, KeyOf&& key_of,
                      std::string filters = {}) const
        -> page<typename std::invoke_result_t<Source&, const page_query&>::value_type> {
        plan p = make_plan(ctx, std::move(filters));
        return finish(p, source(query_of(p)), key_of);
    }

private:
    struct plan {
        std::vector<detail::query_param> params;
        std::string scope;
        std::optional<cursor> from;
        std::size_t page_size;
        std::string base; // the links' URL without query, fixed before the source runs
    };

    std::string scope_for(std::string_view filters) const {
        std::string s;
        auto field = [&](std::string_view v) {
            s += std::to_string(v.size());
            s += ':';
            s += v;
        };
        field(options_.endpoint);
        field(options_.ordering.signature());
        field(filters);
        return s;
    }

    [[noreturn]] void invalid_cursor() const {
        throw validation_error(options_.cursor_param, "Invalid cursor.");
    }

    plan make_plan(const context& ctx, std::string filters) const {
        plan p;
        p.params = detail::parse_query(ctx.query());
        p.scope = scope_for(filters);
        p.page_size = options_.default_page_size;
        if (!options_.page_size_param.empty()) {
            auto text =
                detail::single_value(p.params, options_.page_size_param, options_.page_size_param,
                                     "Give the page size only once.", detail::not_an_integer);
            if (text)
                p.page_size = detail::parse_bounded(options_.page_size_param, *text, 1,
                                                    options_.max_page_size);
        }
        std::optional<std::string> token;
        try {
            token = detail::single_value(p.params, options_.cursor_param, options_.cursor_param,
                                         "Invalid cursor.", "Invalid cursor.");
        } catch (const validation_error&) {
            invalid_cursor();
        }
        if (token) {
            p.from = codec_.decode(*token, p.scope);
            if (!p.from || !fits_ordering(p.from->position))
                invalid_cursor();
        }
        p.base = detail::base_url(options_.links, ctx);
        return p;
    }

    /// The source's query; it points into `p`, so it is made where `p` stays put.
    page_query query_of(const plan& p) const noexcept {
        page_query q;
        q.ordering = &options_.ordering;
        q.limit = p.page_size + 1;
        if (p.from) {
            q.position = &p.from->position;
            q.backward = p.from->backward;
            q.inclusive = p.from->inclusive;
        }
        return q;
    }

    bool fits_ordering(const key& position) const noexcept {
        const auto& keys = options_.ordering.keys();
        if (position.size() != keys.size())
            return false;
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (std::holds_alternative<std::nullptr_t>(position[i]) &&
                keys[i].null_placement == nulls::never)
                return false;
        return true;
    }

    template <class Row, class KeyOf>
    page<Row> finish(const plan& p, std::vector<Row> rows, KeyOf& key_of) const {
        page<Row> out;
        out.page_size = p.page_size;
        out.results_key = options_.results_key;
        bool more = rows.size() > p.page_size;
        if (more)
            rows.resize(p.page_size);
        if (p.from && p.from->backward)
            std::reverse(rows.begin(), rows.end());
        out.results = std::move(rows);

        std::optional<cursor> next, previous;
        bool first_page_next = false;
        auto boundary = [&](const Row& r) {
            key k = key_of(r);
            if (!fits_ordering(k))
                throw std::logic_error("pagination: key_of returned a key that does not fit the "
                                       "ordering (wrong size, or NULL in a never-NULL key)");
            return k;
        };
        if (!p.from || !p.from->backward) {
            if (more)
                next = cursor{boundary(out.results.back()), false, false};
            if (p.from) {
                if (out.results.empty())
                    previous = cursor{p.from->position, true, !p.from->inclusive};
                else
                    previous = cursor{boundary(out.results.front()), true, false};
            }
        } else {
            if (more)
                previous = cursor{boundary(out.results.front()), true, false};
            if (!out.results.empty())
                next = cursor{boundary(out.results.back()), false, false};
            else if (!more)
                first_page_next = true; // nothing before the position: page one starts there
        }
        if (next || previous || first_page_next) {
            const std::string& base = p.base;
            auto link = [&](const std::optional<cursor>& c) -> std::optional<std::string> {
                if (!c)
                    return std::nullopt;
                std::string token = codec_.encode(*c, p.scope);
                return detail::link_with(base, p.params, options_.cursor_param,
                                         std::string_view(token));
            };
            out.next = first_page_next
                           ? detail::link_with(base, p.params, options_.cursor_param, std::nullopt)
                           : link(next);
            out.previous = link(previous);
        }
        return out;
    }

    cursor_paginator_options options_;
    cursor_codec<Clock> codec_;
};

} // namespace rampart::pagination

#endif
