// The Redis stores' outage messages are rampart::log_records (no Redis server needed here).
#include <rampart/redis/fail_policy.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace redis = rampart::redis;

TEST_CASE("an outage is logged once as a record, its end once, source redis") {
    struct seen {
        rampart::log_level level;
        std::string source, message;
    };
    std::vector<seen> records;
    redis::detail::outage_monitor monitor{
        "redis::bucket_store", [&](const rampart::log_record& r) {
            records.push_back({r.level, std::string(r.source), std::string(r.message)});
        }};
    monitor.failed("connection refused", "limiting in memory");
    monitor.failed("connection refused", "limiting in memory");
    CHECK(monitor.down());
    monitor.succeeded();
    monitor.succeeded();
    monitor.failed("timeout", "refusing with 503", rampart::log_level::error);
    REQUIRE(records.size() == 3);
    CHECK(records[0].level == rampart::log_level::warning);
    CHECK(records[0].source == "redis");
    CHECK(records[0].message ==
          "rampart: redis::bucket_store: Redis unavailable (connection refused); limiting in "
          "memory");
    CHECK(records[1].level == rampart::log_level::info);
    CHECK(records[1].message ==
          "rampart: redis::bucket_store: Redis is back; shared state is used again");
    CHECK(records[2].level == rampart::log_level::error);
}

TEST_CASE("redis::log_sink is rampart::log_sink and still takes a line callable") {
    std::vector<std::string> lines;
    redis::log_sink sink = [&](std::string_view line) { lines.emplace_back(line); };
    redis::detail::outage_monitor monitor{"redis::token_store", sink};
    monitor.failed("EOF", "using memory");
    CHECK(lines == std::vector<std::string>{
                       "rampart: redis::token_store: Redis unavailable (EOF); using memory"});
    static_assert(std::is_same_v<redis::log_sink, rampart::log_sink>);
}
