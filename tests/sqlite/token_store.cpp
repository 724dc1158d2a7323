// sqlite::token_store over a real SQLite file: the token store that survives restarts.

#include <rampart/sqlite/token_store.hpp>

#include <rampart/jwt/authenticate.hpp>
#include <rampart/jwt/token_service.hpp>

#include "jwt/service_support.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using namespace std::chrono_literals;
using rampart::test::temp_dir;
using test::body_of;
using test::post;

namespace {

using clock_t_ = test::test_clock;
using store_t = sqlite::token_store<clock_t_>;

std::string refresh_body(std::string_view token) {
    return boost::json::serialize(boost::json::object{{"refresh", token}});
}

std::string detail_of(const response& res) {
    return std::string(body_of(res).at("errors").at("detail").as_string());
}

template <class Handler>
auto endpoint(Handler h) {
    return stack(error_envelope<>{}).wrap(std::move(h));
}

/// A token service and the authentication layer over one SQLite-backed store, as a service
/// builds them at start (a restart is destroying this and building it again on the same file).
struct service_on_file {
    using service_t = jwt::token_service<store_t, test::user_table_ref, jwt::issuer<clock_t_>,
                                         jwt::verifier<clock_t_>>;
    sqlite::database db;
    store_t store;
    service_t service;

    service_on_file(const std::string& path, test::token_layer& t, test::user_table& users)
        : db({.path = path}), store(db, {}, clock_t_{t.clock}),
          service(t.issuer, t.verifier, store, test::user_table_ref{&users}) {}

    http::status refresh(const std::string& token) {
        auto h = endpoint(service.refresh_handler());
        return test::call(h, post("/r/", refresh_body(token))).result();
    }
    response refresh_response(const std::string& token) {
        auto h = endpoint(service.refresh_handler());
        return test::call(h, post("/r/", refresh_body(token)));
    }
    http::status blacklist(const std::string& token) {
        auto h = endpoint(service.blacklist_handler());
        return test::call(h, post("/b/", refresh_body(token))).result();
    }
};

} // namespace

TEST_CASE("sqlite::token_store inserts only when absent, reads, overwrites, expires exactly",
          "[sqlite]") {
    temp_dir dir;
    manual_clock clock;
    sqlite::database db({.path = dir.file("tokens.sqlite")});
    store_t store{db, {}, clock_t_{clock}};
    auto later = clock.now() + 60s;
    std::vector<std::optional<std::int64_t>> seen;
    std::vector<bool> inserted;
    test::run([&]() -> asio::awaitable<void> {
        seen.push_back(co_await store.get("jti:a"));
        inserted.push_back(co_await store.insert("jti:a", 7, later));
        inserted.push_back(co_await store.insert("jti:a", 8, later));
        seen.push_back(co_await store.get("jti:a"));
        co_await store.put("jti:a", 9, later);
        seen.push_back(co_await store.get("jti:a"));
        co_await store.put("jti:b", -3, later);
        seen.push_back(co_await store.get("jti:b"));
        // Expired on arrival: never written.
        inserted.push_back(co_await store.insert("jti:c", 1, clock.now()));
        seen.push_back(co_await store.get("jti:c"));
    }());
    CHECK(inserted == std::vector<bool>{true, false, false});
    CHECK(seen == std::vector<std::optional<std::int64_t>>{std::nullopt, 7, 9, -3, std::nullopt});

    // At its expiry an entry is gone, and the key can be inserted again.
    clock.advance(60s - 1ms);
    CHECK(test::run(store.get("jti:a")) == std::optional<std::int64_t>{9});
    clock.advance(1ms);
    CHECK(test::run(store.get("jti:a")) == std::nullopt);
    CHECK(test::run(store.insert("jti:a", 10, clock.now() + 1s)));
    CHECK(test::run(store.get("jti:a")) == std::optional<std::int64_t>{10});
    // put with a past expiry deletes.
    test::run(store.put("jti:a", 11, clock.now()));
    CHECK(test::run(store.get("jti:a")) == std::nullopt);
}

TEST_CASE("sqlite::token_store: of concurrent inserts of one key, from two databases on one "
          "file, exactly one wins",
          "[sqlite][concurrency]") {
    temp_dir dir;
    manual_clock clock;
    const std::string path = dir.file("tokens.sqlite");
    // Two databases on one file stand for two processes: each has its own connections.
    sqlite::database db1({.path = path, .workers = 3});
    sqlite::database db2({.path = path, .workers = 3});
    store_t s1{db1, {}, clock_t_{clock}};
    store_t s2{db2, {}, clock_t_{clock}};
    constexpr int keys = 8, per_key = 24;
    std::vector<std::atomic<int>> wins(keys);
    asio::io_context io1, io2;
    for (int k = 0; k < keys; ++k)
        for (int i = 0; i < per_key; ++i) {
            store_t& s = i % 2 ? s1 : s2;
            asio::io_context& io = i % 2 ? io1 : io2;
            asio::co_spawn(
                io,
                [&, k, i]() -> asio::awaitable<void> {
                    const std::string key = "jti:" + std::to_string(k);
                    bool won = co_await s.insert(key, i, clock.now() + 60s);
                    if (won)
                        ++wins[static_cast<std::size_t>(k)];
                },
                asio::detached);
        }
    std::thread t1{[&] { io1.run(); }}, t2{[&] { io2.run(); }}, t3{[&] { io1.run(); }};
    t1.join();
    t2.join();
    t3.join();
    for (int k = 0; k < keys; ++k) {
        CAPTURE(k);
        CHECK(wins[static_cast<std::size_t>(k)] == 1);
    }
    CHECK(test::run(s1.size()) == keys);
}

TEST_CASE("sqlite::token_store: token rotation is atomic and reuse revokes the family",
          "[sqlite][concurrency]") {
    temp_dir dir;
    test::token_layer t;
    asio::thread_pool pool{2};
    test::user_table users{pool};
    users.add("alice", "1", "alice-pass-1234");
    service_on_file s{dir.file("tokens.sqlite"), t, users};
    auto pair = s.service.issue_pair("1");

    // 32 concurrent refreshes of one token on 4 threads: exactly one succeeds.
    auto refresh = endpoint(s.service.refresh_handler());
    asio::io_context io;
    std::vector<response> results(32);
    for (std::size_t i = 0; i < results.size(); ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                context ctx{post("/r/", refresh_body(pair.refresh.token))};
                results[i] = co_await refresh(ctx);
            },
            asio::detached);
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n)
        threads.emplace_back([&] { io.run(); });
    for (auto& th : threads)
        th.join();
    int ok = 0, refused = 0;
    std::string winner;
    for (const auto& res : results) {
        if (res.result() == http::status::ok) {
            ++ok;
            winner = std::string(body_of(res).at("refresh").as_string());
        } else if (res.result() == http::status::unauthorized) {
            ++refused;
        }
    }
    CHECK(ok == 1);
    CHECK(refused == 31);
    // The losers were reuses of a rotated token: the family, winner included, is revoked.
    CHECK(s.refresh(winner) == http::status::unauthorized);

    // A fresh family: rotate once, then the rotated-away token comes back.
    auto fresh = s.service.issue_pair("1");
    auto first = s.refresh_response(fresh.refresh.token);
    REQUIRE(first.result() == http::status::ok);
    std::string next{body_of(first).at("refresh").as_string()};
    auto stolen = s.refresh_response(fresh.refresh.token);
    CHECK(stolen.result() == http::status::unauthorized);
    CHECK(detail_of(stolen) == "Token is blacklisted.");
    CHECK(s.refresh(next) == http::status::unauthorized);
}

TEST_CASE("sqlite::token_store: the blacklist and rotations survive closing and reopening the "
          "database",
          "[sqlite]") {
    temp_dir dir;
    const std::string path = dir.file("shop.sqlite");
    test::token_layer t;
    asio::thread_pool pool{2};
    test::user_table users{pool};
    users.add("alice", "1", "alice-pass-1234");
    std::string logged_out, rotated_away, current, access_of_logged_out;
    {
        service_on_file s{path, t, users};
        auto a = s.service.issue_pair("1");
        auto b = s.service.issue_pair("1");
        logged_out = a.refresh.token;
        access_of_logged_out = a.access.token;
        REQUIRE(s.blacklist(logged_out) == http::status::ok);
        rotated_away = b.refresh.token;
        auto r = s.refresh_response(rotated_away);
        REQUIRE(r.result() == http::status::ok);
        current = std::string(body_of(r).at("refresh").as_string());
    }
    t.clock.advance(5s);
    service_on_file s{path, t, users};
    CHECK(s.refresh(logged_out) == http::status::unauthorized);
    // The access token of the logged-out family stays refused by the authentication layer.
    auto me = stack(error_envelope<>{}, jwt::authenticate{t.verifier, s.store}, jwt::enforce{})
                  .wrap([](context& ctx) {
                      return text_response(http::status::ok, ctx.principal().user_id);
                  });
    auto req = test::make_request(http::verb::get, "/me");
    req.set(http::field::authorization, "Bearer " + access_of_logged_out);
    CHECK(test::call(me, std::move(req)).result() == http::status::unauthorized);
    // The rotated-away token is recognised as reused: refused, and its family revoked.
    auto stolen = s.refresh_response(rotated_away);
    CHECK(stolen.result() == http::status::unauthorized);
    CHECK(detail_of(stolen) == "Token is blacklisted.");
    CHECK(s.refresh(current) == http::status::unauthorized);
}

TEST_CASE("sqlite::token_store prunes expired rows on writes, in bounded batches", "[sqlite]") {
    temp_dir dir;
    manual_clock clock;
    sqlite::database db({.path = dir.file("tokens.sqlite")});
    store_t store{db, {.prune_every = 4, .prune_batch = 10}, clock_t_{clock}};
    test::run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i) {
            const std::string key = "k" + std::to_string(i);
            co_await store.put(key, i, clock.now() + 10s);
        }
    }());
    // 100 writes, 25 of them pruned, but nothing had expired yet.
    CHECK(test::run(store.size()) == 100);
    clock.advance(10s);
    // Four more writes: one prunes, at most 10 rows.
    test::run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 4; ++i) {
            const std::string key = "n" + std::to_string(i);
            co_await store.put(key, i, clock.now() + 10s);
        }
    }());
    CHECK(test::run(store.size()) == 104 - 10);
    // Forty more: the rest goes, ten at a time.
    test::run([&]() -> asio::awaitable<void> {
        for (int i = 4; i < 44; ++i) {
            const std::string key = "n" + std::to_string(i);
            co_await store.insert(key, i, clock.now() + 10s);
        }
    }());
    CHECK(test::run(store.size()) == 44);
    // prune() takes all expired rows at once.
    clock.advance(10s);
    CHECK(test::run(store.prune()) == 44);
    CHECK(test::run(store.size()) == 0);
}

TEST_CASE("sqlite::token_store keeps to its own table beside the application's schema",
          "[sqlite]") {
    temp_dir dir;
    const std::string path = dir.file("app.sqlite");
    static constexpr std::array<sqlite::migration, 1> app{
        {{1, "CREATE TABLE items (id INTEGER PRIMARY KEY)"}}};
    manual_clock clock;
    {
        sqlite::database db({.path = path, .migrations = app});
        store_t store{db, {}, clock_t_{clock}};
        test::run(store.put("k", 1, clock.now() + 1h));
    }
    // Reopened: the migrations see nothing new; the table is there and found again.
    sqlite::database db({.path = path, .migrations = app});
    CHECK(db.applied_migrations() == 0);
    store_t store{db, {}, clock_t_{clock}};
    CHECK(test::run(store.get("k")) == std::optional<std::int64_t>{1});
    auto tables = test::run(db.run([](sqlite::connection& c) {
        auto q = c.prepare("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                           "WHERE type = 'table' ORDER BY name)");
        q.step();
        return q.column<std::string>(0);
    }));
    CHECK(tables == "items,rampart_jwt_tokens,schema_migrations");
    // Another name, and a name that is not an identifier.
    store_t other{db, {.table = "my_tokens"}, clock_t_{clock}};
    CHECK(test::run(other.get("k")) == std::nullopt);
    CHECK_THROWS_AS((store_t{db, {.table = "x; DROP TABLE items"}, clock_t_{clock}}),
                    std::invalid_argument);
    CHECK_THROWS_AS((store_t{db, {.table = ""}, clock_t_{clock}}), std::invalid_argument);
}

TEST_CASE("sqlite::token_store::get reads on the calling thread once its table exists, and "
          "never waits for the writer",
          "[sqlite][inline]") {
    temp_dir dir;
    manual_clock clock;
    sqlite::database db({.path = dir.file("tokens.sqlite"), .inline_readers = 2});
    store_t store{db, {}, clock_t_{clock}};
    // The first call creates the table, on the writer.
    CHECK(test::run(store.get("jti:a")) == std::nullopt);
    CHECK(db.read_stats().answered_inline == 0);
    test::run(store.put("jti:a", 5, clock.now() + 60s));
    CHECK(test::run(store.get("jti:a")) == std::optional<std::int64_t>{5});
    CHECK(db.read_stats().answered_inline == 1);

    // The writer is taken (a long write): a revocation check from another thread still answers.
    std::promise<void> release, started;
    auto busy = db.async_run(
        [&](sqlite::connection&) {
            started.set_value();
            release.get_future().wait();
        },
        asio::use_future);
    started.get_future().wait();
    auto check = std::async(std::launch::async, [&] { return test::run(store.get("jti:a")); });
    bool answered = check.wait_for(20s) == std::future_status::ready; // not queued behind it
    release.set_value();
    busy.get();
    CHECK(answered);
    CHECK(check.get() == std::optional<std::int64_t>{5});
    CHECK(db.read_stats().answered_inline == 2);
}
