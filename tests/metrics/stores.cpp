// store_metrics fed by the real stores: a redis-server and a SQLite file.

#include <rampart/metrics/store_metrics.hpp>
#include <rampart/redis/client.hpp>
#include <rampart/sqlite/database.hpp>

#include "redis/common.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/as_tuple.hpp>

#include <string>

using namespace rampart;

namespace {

bool has(const std::string& text, std::string_view line) {
    return text.find(line) != std::string::npos;
}

} // namespace

TEST_CASE("store_metrics: a real Redis's commands, and the ones that got no reply") {
    metrics::registry reg;
    metrics::store_metrics stores{reg};
    test::redis_server server;
    asio::io_context io;
    redis::options o = test::test_options(server);
    o.on_command = stores.listener<redis::command_event>("redis");
    {
        redis::client client{io.get_executor(), o};
        for (int i = 0; i < 3; ++i) {
            redis::reply r = test::run_until_done(io, client.execute("PING"));
            CHECK(r.str() == "PONG");
        }
        // An error reply is a reply: the store answered.
        redis::reply wrong = test::run_until_done(io, client.execute("NO-SUCH-COMMAND"));
        CHECK(wrong.is_error());
        server.kill9();
        auto [ec, r] = test::run_until_done(
            io, client.async_execute(redis::command{"PING"}, asio::as_tuple(asio::use_awaitable)));
        CHECK(ec.failed());
        client.close();
        io.restart();
        io.run();
    }
    std::string text = reg.scrape();
    CHECK(has(text, "rampart_store_operations_total{store=\"redis\",outcome=\"ok\"} 4\n"));
    CHECK(has(text, "rampart_store_operations_total{store=\"redis\",outcome=\"error\"} 1\n"));
    CHECK(has(text, "rampart_store_operation_duration_seconds_count{store=\"redis\"} 5\n"));
    CHECK(has(text, "rampart_store_operations_total{store=\"sqlite\",outcome=\"ok\"} 0\n"));
}

TEST_CASE("store_metrics: a real SQLite file's calls, failed ones counted as errors") {
    metrics::registry reg;
    metrics::store_metrics stores{reg, {"sqlite"}};
    test::temp_dir dir;
    sqlite::database db(
        {.path = dir.file("db.sqlite"), .on_call = stores.listener<sqlite::call_event>("sqlite")});
    test::run(db.write([](sqlite::connection& c) { c.exec("CREATE TABLE t (x INTEGER)"); }));
    test::run(db.write([](sqlite::connection& c) { c.exec("INSERT INTO t VALUES (1)"); }));
    int n = test::run(db.read([](sqlite::connection& c) {
        return static_cast<int>(c.prepare("SELECT count(*) FROM t").step() ? 1 : 0);
    }));
    CHECK(n == 1);
    CHECK_THROWS(test::run(db.read([](sqlite::connection& c) { c.exec("SELEC"); })));
    std::string text = reg.scrape();
    CHECK(has(text, "rampart_store_operations_total{store=\"sqlite\",outcome=\"ok\"} 3\n"));
    CHECK(has(text, "rampart_store_operations_total{store=\"sqlite\",outcome=\"error\"} 1\n"));
    CHECK(has(text, "rampart_store_operation_duration_seconds_count{store=\"sqlite\"} 4\n"));
    CHECK_THROWS_AS(stores.listener<sqlite::call_event>("redis"), std::invalid_argument);
}
