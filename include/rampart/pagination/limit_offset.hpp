#ifndef RAMPART_PAGINATION_LIMIT_OFFSET_HPP
#define RAMPART_PAGINATION_LIMIT_OFFSET_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/pagination/cursor_paginator.hpp>
#include <rampart/pagination/detail/query.hpp>
#include <rampart/pagination/links.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::pagination {

/// One page of a limit/offset list.
template <class Row>
struct offset_page {
    /// Rows in the whole list.
    std::size_t count = 0;
    std::vector<Row> results;
    std::optional<std::string> next;
    std::optional<std::string> previous;
    std::size_t limit = 0;
    std::size_t offset = 0;
    std::string_view results_key = "results";

    /// `{"count": n, "next": url|null, "previous": url|null, "<results_key>": [...]}`.
    template <class F>
    boost::json::object to_json(F&& item) const {
        boost::json::object body;
        body["count"] = static_cast<std::uint64_t>(count);
        detail::write_page(body, next, previous, results_key, results, item);
        return body;
    }
};

struct limit_offset_options {
    std::size_t default_limit = 25;
    std::size_t max_limit = 100;
    /// The deepest offset served. OFFSET costs grow with depth; past this, 400 (use cursors).
    std::size_t max_offset = 10'000;
    std::string limit_param = "limit";
    std::string offset_param = "offset";
    std::string results_key = "results";
    link_options links = {};
};

/** Limit/offset pagination, for clients that must jump to a page (`?limit=20&offset=40`).

    `count()` gives the size of the list and `rows(offset, limit)` a slice; each may return its
    value directly or as an awaitable. A missing limit means `default_limit`; a limit that is not
    a whole number in 1..max_limit, an offset that is not one in 0..max_offset, or either given
    twice is a 400 field error, so no request ever reads the whole table. Prefer the cursor
    paginator for large or changing lists: offsets skip or repeat rows when rows are inserted
    or deleted between requests, and deep offsets are slow.
*/
class limit_offset_paginator {
public:
    /// Throws `std::invalid_argument` unless 1 <= default_limit <= max_limit, or for bad link
    /// options: configuration errors.
    explicit limit_offset_paginator(limit_offset_options options = {})
        : options_(std::move(options)) {
        if (options_.default_limit == 0 || options_.default_limit > options_.max_limit)
            throw std::invalid_argument("pagination: need 1 <= default_limit <= max_limit");
        detail::check_link_options(options_.links);
    }

    const limit_offset_options& options() const noexcept { return options_; }

    /// The page this request asks for. Throws (when awaited) `rampart::validation_error` (400,
    /// the client's) for a bad limit or offset, and whatever `count` and `rows` throw.
    template <class Count, class Rows>
    auto paginate(const context& ctx, Count count, Rows rows) const
        -> boost::asio::awaitable<offset_page<typename detail::awaitable_result<
            std::invoke_result_t<Rows&, std::size_t, std::size_t>>::type::value_type>> {
        using rows_result = std::invoke_result_t<Rows&, std::size_t, std::size_t>;
        using count_result = std::invoke_result_t<Count&>;
        using Row = typename detail::awaitable_result<rows_result>::type::value_type;
        offset_page<Row> out;
        auto params = detail::parse_query(ctx.query());
        parse(params, out);
        std::string base = detail::base_url(options_.links, ctx); // before any source runs
        if constexpr (detail::awaitable_result<count_result>::value)
            out.count = static_cast<std::size_t>(co_await count());
        else
            out.count = static_cast<std::size_t>(count());
        if (out.offset < out.count) {
            if constexpr (detail::awaitable_result<rows_result>::value)
                out.results = co_await rows(out.offset, out.limit);
            else
                out.results = rows(out.offset, out.limit);
            if (out.results.size() > out.limit)
                out.results.resize(out.limit);
        }
        links(base, params, out);
        co_return out;
    }

private:
    template <class Row>
    void parse(const std::vector<detail::query_param>& params, offset_page<Row>& out) const {
        out.results_key = options_.results_key;
        out.limit = options_.default_limit;
        auto limit = detail::single_value(params, options_.limit_param, options_.limit_param,
                                          "Give the limit only once.", detail::not_an_integer);
        if (limit)
            out.limit = detail::parse_bounded(options_.limit_param, *limit, 1, options_.max_limit);
        auto offset = detail::single_value(params, options_.offset_param, options_.offset_param,
                                           "Give the offset only once.", detail::not_an_integer);
        if (offset)
            out.offset =
                detail::parse_bounded(options_.offset_param, *offset, 0, options_.max_offset);
    }

    template <class Row>
    void links(const std::string& base, const std::vector<detail::query_param>& params,
               offset_page<Row>& out) const {
        bool has_next =
            out.offset + out.limit < out.count && out.offset + out.limit <= options_.max_offset;
        bool has_previous = out.offset > 0;
        if (!has_next && !has_previous)
            return;
        // The limit the page was served with is written into the links, so they stay
        // consistent even when the client left it to the default.
        auto with_limit = [&](std::string url) {
            auto query = url.find('?');
            auto rest = detail::parse_query(query == std::string::npos
                                                ? std::string_view{}
                                                : std::string_view(url).substr(query + 1));
            std::string limit = std::to_string(out.limit);
            return detail::link_with(url.substr(0, query), rest, options_.limit_param,
                                     std::string_view(limit));
        };
        if (has_next) {
            std::string offset = std::to_string(out.offset + out.limit);
            out.next = with_limit(
                detail::link_with(base, params, options_.offset_param, std::string_view(offset)));
        }
        if (has_previous) {
            std::size_t back = out.offset > out.limit ? out.offset - out.limit : 0;
            std::string offset = std::to_string(back);
            out.previous = with_limit(detail::link_with(
                base, params, options_.offset_param,
                back == 0 ? std::nullopt : std::optional<std::string_view>(offset)));
        }
    }

    limit_offset_options options_;
};

} // namespace rampart::pagination

#endif
