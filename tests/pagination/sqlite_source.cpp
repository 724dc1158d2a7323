// pagination::sqlite_source: a cursor paginator's source over a real SQLite file.

#include <rampart/pagination/sqlite.hpp>

#include <rampart/errors/format.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/sqlite/database.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"
#include "walk.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pg = rampart::pagination;
namespace sqlite = rampart::sqlite;

namespace {

const std::string cursor_key = "a key for sqlite_source cursors";

constexpr std::array<sqlite::migration, 1> schema{{
    {1, "CREATE TABLE items (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, "
        "label TEXT NOT NULL, created_at INTEGER NOT NULL, score REAL)"},
}};

/// A database file holding `rows`; each row goes to owner 1 or 2 (by id parity), with the
/// label "even" or "odd".
struct items_file {
    rampart::test::temp_dir dir;
    sqlite::database db{{.path = dir.file("items.db"), .migrations = schema}};

    explicit items_file(const std::vector<rampart::test::item>& rows) {
        rampart::test::run(db.write([&rows](sqlite::connection& c) {
            auto& insert = c.cached("INSERT INTO items VALUES (:id, :owner, :label, :at, :score)");
            for (const auto& r : rows) {
                insert.bind(":id", r.id).bind(":owner", r.id % 2 + 1);
                insert.bind(":label", r.id % 2 ? "odd" : "even").bind(":at", r.created_at);
                insert.bind(":score", r.score).exec();
            }
        }));
    }
};

/// The row reader: the columns of `SELECT id, created_at, score`.
rampart::test::item read_item(sqlite::statement& row) {
    rampart::test::item out{};
    out.id = row.column<std::int64_t>(0);
    out.created_at = row.column<std::int64_t>(1);
    out.score = row.column<std::optional<double>>(2);
    return out;
}

/// A fetch(target) for the walkers: `paginator` over `source`, as a list handler would.
template <class Source>
auto fetch_with(const pg::cursor_paginator<>& paginator, const Source& source,
                std::string filters = {}) {
    return [&paginator, source, filters](const std::string& target) {
        rampart::context ctx{rampart::test::list_request(target)};
        rampart::test::accept_host(ctx);
        const auto& o = paginator.ordering();
        return rampart::test::run(paginator.paginate(
            ctx, source, [&](const rampart::test::item& r) { return rampart::test::key_for(o, r); },
            filters));
    };
}

pg::cursor_paginator<> paginator_for(const pg::ordering& o) {
    return pg::cursor_paginator<>(
        {.endpoint = "items", .ordering = o, .cursors = {.keys = {cursor_key}}});
}

std::vector<std::int64_t> sorted(std::vector<std::int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace

TEST_CASE("sqlite_source: every ordering walks forward and back over a real file, as in memory",
          "[pagination][sqlite_source]") {
    auto rows = rampart::test::make_items(47);
    items_file file{rows};
    auto& db = file.db;

    std::vector<std::int64_t> all;
    for (const auto& r : rows)
        all.push_back(r.id);

    const std::vector<pg::ordering> orderings{
        {{"id"}},
        {{"created_at", pg::order::descending}, {"id", pg::order::descending}},
        {{"score", pg::order::ascending, pg::nulls::first}, {"id"}},
        {{"score", pg::order::descending, pg::nulls::last},
         {"created_at"},
         {"id", pg::order::descending}},
    };
    for (const auto& o : orderings) {
        INFO(o.signature());
        auto paginator = paginator_for(o);
        pg::sqlite_keyset query("SELECT id, created_at, score FROM items", paginator.ordering());
        pg::sqlite_source source{db, query, read_item};
        auto on_sqlite = fetch_with(paginator, source);
        auto in_memory = [&](const std::string& target) {
            rampart::context ctx{rampart::test::list_request(target)};
            rampart::test::accept_host(ctx);
            auto key_of = [&](const rampart::test::item& r) {
                return rampart::test::key_for(o, r);
            };
            return paginator.paginate_now(
                ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); },
                key_of);
        };
        for (int size : {1, 6, 50}) {
            INFO("page size " << size);
            std::string first = "/api/v1/items/?page_size=" + std::to_string(size);
            std::optional<std::string> last;
            auto forward = rampart::test::walk_forward(on_sqlite, first, &last);
            CHECK(forward == rampart::test::walk_forward(in_memory, first));
            CHECK(sorted(rampart::test::flatten(forward)) == all);
            auto backward = rampart::test::walk_backward(on_sqlite, *last);
            CHECK(backward == forward);
        }
    }
}

TEST_CASE("sqlite_source: filter values are bound and cursors stay within their filter",
          "[pagination][sqlite_source]") {
    items_file file{rampart::test::make_items(30)};
    auto& db = file.db;

    auto paginator =
        paginator_for({{"created_at", pg::order::descending}, {"id", pg::order::descending}});
    pg::sqlite_keyset query("SELECT id, created_at, score FROM items", paginator.ordering(),
                            "owner = ? AND label = ?");

    std::optional<std::string> odd = std::string("odd"); // outlived by the source's copy
    pg::sqlite_source owner2{db, query, read_item, std::int64_t{2}, *odd};
    odd.reset();
    auto fetch2 = fetch_with(paginator, owner2, "owner=2");
    auto pages = rampart::test::walk_forward(fetch2, "/api/v1/items/?page_size=4");
    auto ids = rampart::test::flatten(pages);
    REQUIRE(ids.size() == 15);
    for (auto id : ids)
        CHECK(id % 2 == 1);

    // owner 1 has only even rows: the same query with other values finds none of owner 2's.
    pg::sqlite_source owner1{db, query, read_item, std::int64_t{1}, std::string("odd")};
    CHECK(fetch_with(paginator, owner1, "owner=1")("/api/v1/items/").results.empty());

    // A cursor from owner 2's walk, presented under owner 1's filters, is a 400 on cursor.
    auto second = rampart::test::target_of(*fetch2("/api/v1/items/?page_size=4").next);
    CHECK_THROWS_AS(fetch_with(paginator, owner1, "owner=1")(second), rampart::validation_error);
    CHECK(fetch2(second).results.size() == 4);
}

TEST_CASE("sqlite_source: bad cursors are a 400 before the database is asked",
          "[pagination][sqlite_source]") {
    items_file file{rampart::test::make_items(10)};
    auto& db = file.db;
    auto paginator = paginator_for({{"id"}});
    pg::sqlite_keyset query("SELECT id, created_at, score FROM items", paginator.ordering());
    int reads = 0;
    auto counting_read = [&reads](sqlite::statement& s) {
        ++reads;
        return read_item(s);
    };
    pg::sqlite_source source{db, query, counting_read};
    auto fetch = fetch_with(paginator, source);
    auto next = rampart::test::target_of(*fetch("/api/v1/items/?page_size=3").next);
    REQUIRE(reads == 4); // page size + 1
    std::string token = next.substr(next.find("cursor=") + 7);
    std::string altered = token;
    altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
    for (const std::string& bad : {std::string("garbage"), altered, token + token,
                                   std::string(600, 'A'), token + "&cursor=" + token}) {
        INFO(bad);
        try {
            fetch("/api/v1/items/?cursor=" + bad);
            FAIL("a bad cursor was accepted");
        } catch (const rampart::validation_error& e) {
            auto res = rampart::envelope_format{}(e);
            CHECK(res.result_int() == 400);
            CHECK(boost::json::serialize(boost::json::parse(res.body()).at("errors")) ==
                  R"({"cursor":["Invalid cursor."]})");
        }
    }
    CHECK(reads == 4);
    CHECK(fetch(next).results.size() == 3);
}

TEST_CASE("sqlite_source: a query built for another ordering is a programming error",
          "[pagination][sqlite_source]") {
    items_file file{std::vector<rampart::test::item>{}};
    auto& db = file.db;
    auto paginator = paginator_for({{"id"}});
    pg::sqlite_keyset query("SELECT id, created_at, score FROM items",
                            pg::ordering{{"id", pg::order::descending}});
    pg::sqlite_source source{db, query, read_item};
    CHECK_THROWS_AS(fetch_with(paginator, source)("/api/v1/items/"), std::logic_error);
}
