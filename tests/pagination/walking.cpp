#include <rampart/pagination/cursor_paginator.hpp>

#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite/database.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"
#include "walk.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace pg = rampart::pagination;
namespace sqlite = rampart::sqlite;
using rampart::context;
using rampart::test::item;

namespace {

const std::string secret = "0123456789abcdef0123456789abcdef";

using rank = std::array<double, 4>;

struct ordering_case {
    std::string name;
    pg::ordering ordering;
    std::function<rank(const item&)> expected_rank; // written independently of pg::ordering
};

std::vector<ordering_case> ordering_cases() {
    auto d = [](auto v) { return static_cast<double>(v); };
    return {
        {"id asc", pg::ordering{{"id"}}, [=](const item& r) { return rank{d(r.id)}; }},
        {"created_at desc, id desc",
         pg::ordering{{"created_at", pg::order::descending}, {"id", pg::order::descending}},
         [=](const item& r) {
             return rank{-d(r.created_at), -d(r.id)};
         }},
        {"created_at asc, id asc", pg::ordering{{"created_at"}, {"id"}},
         [=](const item& r) {
             return rank{d(r.created_at), d(r.id)};
         }},
        {"score asc nulls first, id asc",
         pg::ordering{{"score", pg::order::ascending, pg::nulls::first}, {"id"}},
         [=](const item& r) {
             return rank{r.score ? 1.0 : 0.0, r.score.value_or(0), d(r.id)};
         }},
        {"score desc nulls last, created_at asc, id desc",
         pg::ordering{{"score", pg::order::descending, pg::nulls::last},
                      {"created_at"},
                      {"id", pg::order::descending}},
         [=](const item& r) {
             return rank{r.score ? 0.0 : 1.0, -r.score.value_or(0), d(r.created_at), -d(r.id)};
         }},
    };
}

std::vector<std::int64_t> expected_order(std::vector<item> rows, const ordering_case& c) {
    std::sort(rows.begin(), rows.end(), [&](const item& a, const item& b) {
        return c.expected_rank(a) < c.expected_rank(b);
    });
    std::vector<std::int64_t> ids;
    for (const auto& r : rows)
        ids.push_back(r.id);
    return ids;
}

pg::cursor_paginator_options options_for(const pg::ordering& o) {
    return {.endpoint = "items", .ordering = o, .cursors = {.keys = {secret}}};
}

constexpr std::array<sqlite::migration, 1> schema{{
    {1, "CREATE TABLE items (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, score REAL)"},
}};

item read_item(sqlite::statement& s) {
    return {s.column<std::int64_t>(0), s.column<std::int64_t>(1),
            s.column<std::optional<double>>(2)};
}

void insert_items(sqlite::database& db, const std::vector<item>& rows) {
    rampart::test::run(db.transaction([&](sqlite::connection& c) {
        for (const auto& r : rows)
            c.prepare("INSERT INTO items (id, created_at, score) VALUES (?, ?, ?)")
                .bind_all(r.id, r.created_at, r.score)
                .exec();
    }));
}

/// A fetch(target) for the walkers, over rows in memory.
auto memory_fetch(const pg::cursor_paginator<>& paginator, const std::vector<item>& rows) {
    return [&](const std::string& target) {
        context ctx{rampart::test::list_request(target)};
        rampart::test::accept_host(ctx);
        const auto& o = paginator.ordering();
        return rampart::test::run(paginator.paginate(
            ctx,
            [&](const pg::page_query& q) {
                return pg::select_page(
                    rows, [&](const item& r) { return rampart::test::key_for(o, r); }, q);
            },
            [&](const item& r) { return rampart::test::key_for(o, r); }));
    };
}

/// A fetch(target) for the walkers, over a real SQLite file through the worker pool.
auto sqlite_fetch(const pg::cursor_paginator<>& paginator, sqlite::database& db,
                  const pg::sqlite_keyset& query) {
    return [&](const std::string& target) {
        context ctx{rampart::test::list_request(target)};
        rampart::test::accept_host(ctx);
        const auto& o = paginator.ordering();
        return rampart::test::run(paginator.paginate(
            ctx,
            [&](const pg::page_query& q) {
                return db.run(
                    [&query, q](sqlite::connection& c) { return query.fetch(c, q, read_item); });
            },
            [&](const item& r) { return rampart::test::key_for(o, r); }));
    };
}

} // namespace

TEST_CASE("walking forward then backward visits every row once, in order", "[pagination]") {
    auto rows = rampart::test::make_items(61);
    rampart::test::temp_dir dir;
    sqlite::database db({.path = dir.file("items.db"), .migrations = schema});
    insert_items(db, rows);

    for (const auto& c : ordering_cases()) {
        auto expected = expected_order(rows, c);
        pg::cursor_paginator<> paginator(options_for(c.ordering));
        pg::sqlite_keyset query("SELECT id, created_at, score FROM items", c.ordering);
        for (int size : {1, 2, 7, 25}) {
            for (bool on_sqlite : {false, true}) {
                INFO(c.name << ", page size " << size << (on_sqlite ? ", SQLite" : ", memory"));
                std::function<pg::page<item>(const std::string&)> fetch;
                if (on_sqlite)
                    fetch = sqlite_fetch(paginator, db, query);
                else
                    fetch = memory_fetch(paginator, rows);
                std::string first = "/api/v1/items/?page_size=" + std::to_string(size);
                std::optional<std::string> last;
                auto forward = rampart::test::walk_forward(fetch, first, &last);
                CHECK(rampart::test::flatten(forward) == expected);
                CHECK(forward.size() == (rows.size() + static_cast<std::size_t>(size) - 1) /
                                            static_cast<std::size_t>(size));
                for (std::size_t i = 0; i + 1 < forward.size(); ++i)
                    CHECK(forward[i].size() == static_cast<std::size_t>(size));
                auto backward = rampart::test::walk_backward(fetch, *last);
                CHECK(backward == forward);
            }
        }
    }
}

namespace {

/// Walks `fetch` forward with page size 7, calling `mutate(page_number, page_ids)` between pages.
/// Returns every id seen, in order.
template <class Fetch, class Mutate>
std::vector<std::int64_t> walk_while_changing(Fetch fetch, Mutate mutate) {
    std::vector<std::int64_t> seen;
    std::optional<std::string> target = "/api/v1/items/?page_size=7";
    int n = 0;
    while (target) {
        auto p = fetch(*target);
        std::vector<std::int64_t> ids;
        for (const auto& r : p.results)
            ids.push_back(r.id);
        seen.insert(seen.end(), ids.begin(), ids.end());
        mutate(n++, ids);
        target =
            p.next ? std::optional<std::string>(rampart::test::target_of(*p.next)) : std::nullopt;
        REQUIRE(n < 1000);
    }
    return seen;
}

/// Inserts and deletions between pages: which to apply is the same for both sources.
struct churn {
    std::int64_t next_id = 1000;
    std::set<std::int64_t> deleted;
    std::vector<item> inserted;

    // Deletes the page's last row (the very row the next cursor points at) and one row not yet
    // seen; inserts a row sorting before the walk's position and one sorting after it, both
    // with created_at values shared by other rows.
    void plan(int page, const std::vector<std::int64_t>& ids,
              const std::vector<std::int64_t>& original_order, std::size_t seen_so_far) {
        inserted.clear();
        if (!ids.empty())
            deleted.insert(ids.back());
        std::size_t ahead = seen_so_far + 3;
        if (ahead < original_order.size())
            deleted.insert(original_order[ahead]);
        inserted.push_back({next_id++, 1004, 1.0});                     // newest: sorts before
        inserted.push_back({next_id++, 1000 + page % 3, std::nullopt}); // sorts among the rest
    }
};

} // namespace

TEST_CASE("rows inserted or deleted between pages are never skipped nor repeated", "[pagination]") {
    auto rows = rampart::test::make_items(61);
    pg::ordering newest_first{{"created_at", pg::order::descending}, {"id", pg::order::descending}};
    ordering_case c{"", newest_first, {}};
    c.expected_rank = [](const item& r) {
        return rank{-static_cast<double>(r.created_at), -static_cast<double>(r.id)};
    };
    auto original = expected_order(rows, c);
    pg::cursor_paginator<> paginator(options_for(newest_first));

    auto check = [&](const std::vector<std::int64_t>& seen, const churn& ch) {
        std::set<std::int64_t> unique(seen.begin(), seen.end());
        CHECK(unique.size() == seen.size()); // no repeats
        for (auto id : original)
            if (!ch.deleted.count(id))
                CHECK(unique.count(id) == 1); // every row that stayed was seen
        std::vector<std::int64_t> kept;
        for (auto id : seen)
            if (id < 1000)
                kept.push_back(id);
        std::vector<std::int64_t> kept_expected;
        for (auto id : original)
            if (unique.count(id))
                kept_expected.push_back(id);
        CHECK(kept == kept_expected); // and in order
    };

    SECTION("in memory") {
        std::vector<item> live = rows;
        churn ch;
        auto seen =
            walk_while_changing(memory_fetch(paginator, live), [&](int page, const auto& ids) {
                std::size_t so_far = 0;
                (void)so_far;
                ch.plan(page, ids, original, static_cast<std::size_t>((page + 1) * 7));
                std::erase_if(live, [&](const item& r) { return ch.deleted.count(r.id) > 0; });
                live.insert(live.end(), ch.inserted.begin(), ch.inserted.end());
            });
        check(seen, ch);
    }
    SECTION("on SQLite") {
        rampart::test::temp_dir dir;
        sqlite::database db({.path = dir.file("items.db"), .migrations = schema});
        insert_items(db, rows);
        pg::sqlite_keyset query("SELECT id, created_at, score FROM items", newest_first);
        churn ch;
        auto seen =
            walk_while_changing(sqlite_fetch(paginator, db, query), [&](int page, const auto& ids) {
                ch.plan(page, ids, original, static_cast<std::size_t>((page + 1) * 7));
                rampart::test::run(db.transaction([&](sqlite::connection& conn) {
                    for (auto id : ch.deleted)
                        conn.prepare("DELETE FROM items WHERE id = ?").bind(1, id).exec();
                }));
                insert_items(db, ch.inserted);
            });
        check(seen, ch);
    }
}

TEST_CASE("a previous link from a page whose boundary row was deleted still walks back",
          "[pagination]") {
    std::vector<item> live = rampart::test::make_items(10);
    pg::cursor_paginator<> paginator(options_for(pg::ordering{{"id"}}));
    auto fetch = memory_fetch(paginator, live);
    auto first = fetch("/items/?page_size=3");                  // 1 2 3
    auto second = fetch(rampart::test::target_of(*first.next)); // 4 5 6
    // Everything after 3 goes away: the next page is empty, and its previous link still
    // leads back to a page that ends with row 3.
    std::erase_if(live, [](const item& r) { return r.id > 3; });
    auto empty = fetch(rampart::test::target_of(*second.next));
    CHECK(empty.results.empty());
    CHECK_FALSE(empty.next);
    REQUIRE(empty.previous);
    auto back = fetch(rampart::test::target_of(*empty.previous));
    REQUIRE(back.results.size() == 3);
    CHECK(back.results.front().id == 1);
    CHECK(back.results.back().id == 3);
    CHECK_FALSE(back.previous);
    // And everything before 4 going away: the backward page is empty and links to page one.
    std::vector<item> rest = rampart::test::make_items(10);
    std::erase_if(rest, [](const item& r) { return r.id < 4; });
    auto fetch_rest = memory_fetch(paginator, rest);
    auto before = fetch_rest(rampart::test::target_of(*second.previous));
    CHECK(before.results.empty());
    CHECK_FALSE(before.previous);
    REQUIRE(before.next);
    CHECK(*before.next == "http://api.example.com:8080/items/?page_size=3");
}
