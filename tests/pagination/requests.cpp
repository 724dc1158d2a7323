#include <rampart/pagination/limit_offset.hpp>

#include <rampart/pagination/cursor_paginator.hpp>
#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite/connection.hpp>

#include "support/run.hpp"
#include "walk.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace pg = rampart::pagination;
using rampart::context;
using rampart::test::item;

namespace {

const std::string secret = "0123456789abcdef0123456789abcdef";
const std::vector<item> rows = rampart::test::make_items(30);

pg::cursor_paginator<> by_id(pg::link_options links = {}) {
    return pg::cursor_paginator<>({.endpoint = "items",
                                   .ordering = {{"id"}},
                                   .cursors = {.keys = {secret}},
                                   .default_page_size = 4,
                                   .max_page_size = 10,
                                   .links = std::move(links)});
}

pg::page<item> list(const pg::cursor_paginator<>& p, rampart::request req) {
    context ctx{std::move(req)};
    rampart::test::accept_host(ctx);
    auto key_of = [](const item& r) { return pg::key{r.id}; };
    return p.paginate_now(
        ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); }, key_of);
}

pg::page<item> list(const pg::cursor_paginator<>& p, const std::string& target) {
    return list(p, rampart::test::list_request(target));
}

/// The field errors of the 400 `f` throws, as JSON text.
template <class F>
std::string field_errors_of(F&& f) {
    try {
        f();
    } catch (const rampart::validation_error& e) {
        return boost::json::serialize(e.fields().to_json());
    }
    return "no validation_error";
}

} // namespace

TEST_CASE("page size: default, client choice within 1..max, 400 otherwise", "[pagination]") {
    auto p = by_id();
    CHECK(list(p, "/items/").results.size() == 4);
    CHECK(list(p, "/items/?page_size=1").results.size() == 1);
    CHECK(list(p, "/items/?page_size=10").results.size() == 10);
    CHECK(list(p, "/items/?page_size=007").results.size() == 7);
    const std::string not_integer = R"({"page_size":["A valid integer is required."]})";
    const std::string out_of_range = R"({"page_size":["Ensure this value is between 1 and 10."]})";
    for (std::string bad :
         {"abc", "", "-1", "+5", "1e1", "5.0", " 5", "0x5", "99999999999999999999"})
        CHECK(field_errors_of([&] { list(p, "/items/?page_size=" + bad); }) == not_integer);
    for (std::string bad : {"0", "11", "1000000"})
        CHECK(field_errors_of([&] { list(p, "/items/?page_size=" + bad); }) == out_of_range);
    CHECK(field_errors_of([&] { list(p, "/items/?page_size=2&page_size=2"); }) ==
          R"({"page_size":["Give the page size only once."]})");

    pg::cursor_paginator<> fixed({.endpoint = "items",
                                  .ordering = {{"id"}},
                                  .cursors = {.keys = {secret}},
                                  .default_page_size = 3,
                                  .page_size_param = ""});
    CHECK(list(fixed, "/items/?page_size=10").results.size() == 3);
    CHECK_THROWS_AS(pg::cursor_paginator<>({.endpoint = "x",
                                            .ordering = {{"id"}},
                                            .cursors = {.keys = {secret}},
                                            .default_page_size = 101}),
                    std::invalid_argument);
}

TEST_CASE("links keep the path, the page size and every other parameter", "[pagination]") {
    auto p = by_id();
    auto first = list(p, "/api/v2/items/?q=blue%20shoes&page_size=3&tag=a&tag=b");
    REQUIRE(first.next);
    CHECK_FALSE(first.previous);
    const std::string prefix =
        "http://api.example.com:8080/api/v2/items/?q=blue%20shoes&page_size=3&tag=a&tag=b&cursor=";
    CHECK(first.next->rfind(prefix, 0) == 0);
    auto second = list(p, rampart::test::target_of(*first.next));
    CHECK(second.results.front().id == 4);
    REQUIRE(second.previous);
    CHECK(second.previous->rfind(prefix, 0) == 0);
    // The cursor is replaced, never repeated.
    auto third = list(p, rampart::test::target_of(*second.next));
    CHECK(third.next->find("cursor=") == third.next->rfind("cursor="));

    auto body = boost::json::serialize(
        list(p, "/items/?page_size=2").to_json([](const item& r) { return r.id; }));
    CHECK(body.rfind(R"({"next":"http://api.example.com:8080/items/?page_size=2&cursor=)", 0) == 0);
    CHECK(body.find(R"("previous":null,"results":[1,2]})") != std::string::npos);
}

TEST_CASE("a results key of one's own", "[pagination]") {
    pg::cursor_paginator<> p({.endpoint = "items",
                              .ordering = {{"id"}},
                              .cursors = {.keys = {secret}},
                              .results_key = "items"});
    auto body = list(p, "/items/?page_size=30").to_json([](const item& r) { return r.id; });
    CHECK(body.at("items").as_array().size() == 30);
    CHECK(body.at("next").is_null());
    CHECK_FALSE(body.contains("results"));
}

TEST_CASE("link bases: a callable, a fixed URL, the public URL, the accepted Host, or the path",
          "[pagination]") {
    auto raw = [](const std::string& host) {
        auto req = rampart::test::list_request("/items/");
        req.set(rampart::http::field::host, host);
        return req;
    };
    auto key_of = [](const item& r) { return pg::key{r.id}; };
    auto unchecked = [&](const pg::cursor_paginator<>& p, rampart::request req) {
        context ctx{std::move(req)}; // no allowed_hosts ran
        return p.paginate_now(
            ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); }, key_of);
    };
    SECTION("callable (the router's reverse URL, say)") {
        auto p = by_id({.base_url = [](const context& ctx) {
            return "https://shop.example/api/" + std::string(ctx.version()) + "/items/";
        }});
        context ctx{rampart::test::list_request("/internal/route?page_size=2")};
        ctx.set_version("v1");
        auto page = p.paginate_now(
            ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); }, key_of);
        CHECK(page.next->rfind("https://shop.example/api/v1/items/?page_size=2&cursor=", 0) == 0);
    }
    SECTION("a fixed string") {
        auto p = by_id({.base_url = pg::fixed_base_url("https://cdn.example/items/")});
        CHECK(list(p, "/x/?page_size=2")
                  .next->rfind("https://cdn.example/items/?page_size=2&cursor=", 0) == 0);
    }
    SECTION("the public URL, whatever Host was sent") {
        auto p = by_id({.public_url = "HTTPS://Shop.Example.com/"});
        for (std::string host : {"api.example.com:8080", "evil.example", "a b", ""}) {
            INFO(host);
            CHECK(
                unchecked(p, raw(host)).next->rfind("https://shop.example.com/items/?cursor=", 0) ==
                0);
        }
        CHECK(list(p, "/items/").next->rfind("https://shop.example.com/items/?cursor=", 0) == 0);
    }
    SECTION("the Host allowed_hosts accepted, with the configured scheme") {
        auto p = by_id({.scheme = "https"});
        CHECK(list(p, "/items/").next->rfind("https://api.example.com:8080/items/?cursor=", 0) ==
              0);
        context ctx{raw("[::1]:8080")};
        rampart::allowed_hosts{"[::1]"}.check(ctx);
        auto page = p.paginate_now(
            ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); }, key_of);
        CHECK(page.next->rfind("https://[::1]:8080/items/?cursor=", 0) == 0);
    }
    SECTION("a Host nothing accepted is never reflected: the link is the path alone") {
        auto p = by_id();
        for (std::string host : {"evil.example", "api.example.com:8080", "a b", "", "[::1]",
                                 "ex\r\nample", "\"quote\""}) {
            INFO(host);
            auto next = *unchecked(p, raw(host)).next;
            CHECK(next.rfind("/items/?cursor=", 0) == 0);
        }
        // HTTP/1.0 without Host passes allowed_hosts with nothing to build from.
        rampart::request old{rampart::http::verb::get, "/items/", 10};
        context ctx{std::move(old)};
        rampart::allowed_hosts{"api.example.com"}.check(ctx);
        auto page = p.paginate_now(
            ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); }, key_of);
        CHECK(page.next->rfind("/items/?cursor=", 0) == 0);
    }
    SECTION("a Host outside the list never reaches the paginator") {
        context ctx{raw("evil.example")};
        CHECK_THROWS_AS(rampart::allowed_hosts{"api.example.com"}.check(ctx), rampart::bad_request);
        CHECK(ctx.find<rampart::accepted_host>() == nullptr);
    }
    CHECK_THROWS_AS(by_id({.scheme = "javascript"}), std::invalid_argument);
    for (const char* bad :
         {"shop.example.com", "ftp://shop.example.com", "https://shop.example.com/api",
          "https://u@shop.example.com", "https://shop.example.com?q", "https://shop.example.com#f",
          "https://a b", "https://", "http://x:99999"}) {
        INFO(bad);
        CHECK_THROWS_AS(by_id({.public_url = bad}), std::invalid_argument);
    }
}

TEST_CASE("asynchronous sources are awaited", "[pagination]") {
    auto p = by_id();
    context ctx{rampart::test::list_request("/items/?page_size=5")};
    auto key_of = [](const item& r) { return pg::key{r.id}; };
    auto page = rampart::test::run(p.paginate(
        ctx,
        [&](const pg::page_query& q) -> boost::asio::awaitable<std::vector<item>> {
            co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                       boost::asio::use_awaitable);
            co_return pg::select_page(rows, key_of, q);
        },
        key_of));
    CHECK(page.results.size() == 5);
    CHECK(page.next);
}

namespace {

pg::offset_page<int> offsets(const pg::limit_offset_paginator& p, const std::string& target,
                             int total = 95) {
    context ctx{rampart::test::list_request(target)};
    rampart::test::accept_host(ctx);
    return rampart::test::run(p.paginate(
        ctx, [&] { return total; },
        [&](std::size_t offset, std::size_t limit) {
            std::vector<int> out;
            for (std::size_t i = offset; i < offset + limit && i < static_cast<std::size_t>(total);
                 ++i)
                out.push_back(static_cast<int>(i));
            return out;
        }));
}

} // namespace

TEST_CASE("limit/offset: count, links, default and maximum limit, bounded offset", "[pagination]") {
    pg::limit_offset_paginator p({.default_limit = 10, .max_limit = 50, .max_offset = 80});
    auto first = offsets(p, "/items/");
    CHECK(first.count == 95);
    CHECK(first.results.size() == 10);
    CHECK(first.results.front() == 0);
    CHECK(*first.next == "http://api.example.com:8080/items/?offset=10&limit=10");
    CHECK_FALSE(first.previous);

    auto middle = offsets(p, "/items/?limit=20&offset=30&q=x");
    CHECK(middle.results.front() == 30);
    CHECK(middle.results.size() == 20);
    CHECK(*middle.next == "http://api.example.com:8080/items/?q=x&offset=50&limit=20");
    CHECK(*middle.previous == "http://api.example.com:8080/items/?q=x&offset=10&limit=20");
    auto near_start = offsets(p, "/items/?limit=20&offset=5");
    CHECK(*near_start.previous == "http://api.example.com:8080/items/?limit=20");

    auto last = offsets(p, "/items/?limit=20&offset=80");
    CHECK(last.results.size() == 15);
    CHECK_FALSE(last.next);
    auto beyond = offsets(p, "/items/?offset=70", 20);
    CHECK(beyond.results.empty());
    CHECK(beyond.previous);

    // The deepest page links no further than max_offset.
    auto deep = offsets(p, "/items/?limit=10&offset=75", 1000);
    CHECK_FALSE(deep.next);

    auto json = offsets(p, "/items/?limit=2").to_json([](int v) { return v; });
    CHECK(
        boost::json::serialize(json) ==
        R"({"count":95,"next":"http://api.example.com:8080/items/?offset=2&limit=2","previous":null,"results":[0,1]})");

    CHECK(field_errors_of([&] { offsets(p, "/items/?limit=0"); }) ==
          R"({"limit":["Ensure this value is between 1 and 50."]})");
    CHECK(field_errors_of([&] { offsets(p, "/items/?limit=51"); }) ==
          R"({"limit":["Ensure this value is between 1 and 50."]})");
    CHECK(field_errors_of([&] { offsets(p, "/items/?limit=all"); }) ==
          R"({"limit":["A valid integer is required."]})");
    CHECK(field_errors_of([&] { offsets(p, "/items/?limit=-1"); }) ==
          R"({"limit":["A valid integer is required."]})");
    CHECK(field_errors_of([&] { offsets(p, "/items/?limit=5&limit=6"); }) ==
          R"({"limit":["Give the limit only once."]})");
    CHECK(field_errors_of([&] { offsets(p, "/items/?offset=81"); }) ==
          R"({"offset":["Ensure this value is between 0 and 80."]})");
    CHECK(field_errors_of([&] { offsets(p, "/items/?offset=x"); }) ==
          R"({"offset":["A valid integer is required."]})");
    CHECK_THROWS_AS(pg::limit_offset_paginator({.default_limit = 0}), std::invalid_argument);
}

TEST_CASE("orderings accept only identifiers as key names", "[pagination]") {
    CHECK_NOTHROW(pg::ordering{{"o.created_at"}, {"_id2"}});
    for (std::string bad : std::vector<std::string>{"", "id; DROP TABLE items", "1id", "a.b.c",
                                                    "id\"", "a-b", "a b", std::string(65, 'x')})
        CHECK_THROWS_AS(pg::ordering{{bad}}, std::invalid_argument);
    CHECK_THROWS_AS(pg::ordering(std::vector<pg::sort_key>{}), std::invalid_argument);
}

TEST_CASE("the SQLite adapter binds every value and spells NULL placement out", "[pagination]") {
    pg::key at{std::int64_t{5}, std::int64_t{9}};
    pg::ordering newest{{"created_at", pg::order::descending}, {"o.id", pg::order::descending}};
    pg::sqlite_keyset q("SELECT * FROM orders o", newest, "o.user_id = ?");
    pg::page_query first{&newest, nullptr, false, false, 26};
    auto a = q.build(first, 2);
    CHECK(
        a.sql ==
        R"(SELECT * FROM orders o WHERE (o.user_id = ?) ORDER BY "created_at" DESC, "o"."id" DESC LIMIT ?2)");
    auto b = q.build({&newest, &at, false, false, 26}, 2);
    CHECK(
        b.sql ==
        R"(SELECT * FROM orders o WHERE (o.user_id = ?) AND (("created_at", "o"."id") < (?2, ?3)) ORDER BY "created_at" DESC, "o"."id" DESC LIMIT ?4)");
    REQUIRE(b.parameters.size() == 3);
    CHECK(b.parameters[2] == pg::key_value(std::int64_t{26}));
    auto c = q.build({&newest, &at, true, true, 3}, 1);
    CHECK(
        c.sql ==
        R"(SELECT * FROM orders o WHERE (o.user_id = ?) AND (("created_at", "o"."id") >= (?1, ?2)) ORDER BY "created_at" ASC, "o"."id" ASC LIMIT ?3)");

    pg::ordering mixed{{"score", pg::order::ascending, pg::nulls::last},
                       {"id", pg::order::descending}};
    pg::sqlite_keyset m("SELECT id FROM t", mixed);
    pg::key score_at{1.5, std::int64_t{4}};
    CHECK(
        m.build({&mixed, &score_at, false, false, 8}).sql ==
        R"(SELECT id FROM t WHERE ((("score" > ?1 OR "score" IS NULL)) OR ("score" = ?2 AND "id" < ?3)) ORDER BY "score" ASC NULLS LAST, "id" DESC LIMIT ?4)");
    pg::key null_at{nullptr, std::int64_t{4}};
    CHECK(
        m.build({&mixed, &null_at, false, false, 8}).sql ==
        R"(SELECT id FROM t WHERE (("score" IS NULL AND "id" < ?1)) ORDER BY "score" ASC NULLS LAST, "id" DESC LIMIT ?2)");
    CHECK(
        m.build({&mixed, &null_at, true, true, 8}).sql ==
        R"(SELECT id FROM t WHERE (("score" IS NOT NULL) OR ("score" IS NULL AND "id" > ?1) OR ("score" IS NULL AND "id" = ?2)) ORDER BY "score" DESC NULLS FIRST, "id" ASC LIMIT ?3)");

    // Values that look like SQL stay values.
    rampart::sqlite::connection db(":memory:");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    db.exec("INSERT INTO t VALUES (1, 'a'), (2, ''' OR 1=1 --'), (3, 'z')");
    pg::ordering by_name{{"name"}, {"id"}};
    pg::sqlite_keyset n("SELECT id, name FROM t", by_name);
    pg::key evil{std::string("' OR 1=1 --"), std::int64_t{0}};
    auto found = n.fetch(db, {&by_name, &evil, false, false, 10},
                         [](rampart::sqlite::statement& s) { return s.column<int>(0); });
    CHECK(found == std::vector<int>{2, 1, 3});
}
