// Redis faults under the shop, with the stores the shop runs on Redis: the throttle's
// bucket_store (fail-open: per-instance limits while Redis is down) and the JWT token_store
// (fail-closed: token operations answer 503). A real redis-server is killed, restarted and put
// to sleep (DEBUG SLEEP) while clients keep hammering the shop.

#include "shop_harness.hpp"

#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#include <rampart/redis.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

namespace {

using namespace rampart;
using namespace rampart::test::faults;
using rampart::test::redis_server;

/// Lines a store logged, collected for the test.
struct log_lines {
    std::mutex mutex;
    std::vector<std::string> lines;

    redis::log_sink sink() {
        return [this](std::string_view line) {
            std::lock_guard lock{mutex};
            lines.emplace_back(line);
        };
    }
    std::size_t count(std::string_view fragment) {
        std::lock_guard lock{mutex};
        return static_cast<std::size_t>(
            std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
                return l.find(fragment) != std::string::npos;
            }));
    }
};

constexpr std::string_view outage_line = "Redis unavailable";
constexpr std::string_view recovery_line = "Redis is back";

/// The shop on Redis stores, the Redis client on its own I/O thread (as examples/shop does).
struct redis_shop {
    redis_server redis;
    test::temp_dir dir;
    shop_database db{dir.file("shop.db")};
    asio::io_context redis_io;
    asio::executor_work_guard<asio::io_context::executor_type> work{redis_io.get_executor()};
    std::thread redis_thread{[this] { redis_io.run(); }};
    redis::client client{redis_io.get_executor(), options()};
    log_lines bucket_log, token_log;
    redis::bucket_store<> buckets{client, {.log = bucket_log.sink()}};
    redis::token_store<> tokens{client, {.log = token_log.sink()}};
    shop_harness<redis::bucket_store<>, redis::token_store<>> shop{db.get(), buckets, tokens,
                                                                   config()};

    ~redis_shop() {
        client.close();
        work.reset();
        redis_io.stop();
        redis_thread.join();
    }

    redis::options options() const {
        redis::options o = redis::parse_url(redis.url());
        o.command_timeout = std::chrono::milliseconds{200};
        o.backoff_initial = std::chrono::milliseconds{20};
        o.backoff_max = std::chrono::milliseconds{200};
        return o;
    }

    static shop::config config() {
        shop::config c = test_config();
        c.throttle_anon = throttle::parse_rate("10/minute"); // per client address
        return c;
    }

    /// Sends 15 anonymous requests from `address`; returns how many were admitted. The other
    /// answers must all be 429s.
    std::size_t admitted_of_15(const std::string& address) {
        shop_client c{shop.port()};
        c.client_ip = address;
        std::size_t ok = 0;
        for (int i = 0; i < 15; ++i) {
            response res = c.get("/api/v1/products/1/");
            if (res.result() == http::status::ok)
                ++ok;
            else
                CHECK(is_envelope(res, http::status::too_many_requests));
        }
        return ok;
    }

    /// Whether Redis holds the bucket of `address` (the limit is shared, not per instance).
    bool bucket_in_redis(const std::string& address) {
        auto reply = redis.command({"KEYS", "rampart:throttle:*" + address + "*"});
        return reply->type == REDIS_REPLY_ARRAY && reply->elements == 1;
    }

    /// Waits (bounded) until an authenticated read is served again; true when it was.
    bool wait_for_tokens_back(shop_client& c) {
        for (int i = 0; i < 200; ++i) {
            if (c.get("/api/v1/orders/").result() == http::status::ok)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        return false;
    }
};

/// What must hold while Redis cannot answer: anonymous reads served with exact per-instance
/// limits, every token operation a 503 in the envelope.
void check_degraded(redis_shop& s, shop_client& user, const std::string& refresh,
                    const std::string& address) {
    // Authenticated requests must check the blacklist: without it, 503, never a guess.
    CHECK(is_envelope(user.get("/api/v1/orders/"), http::status::service_unavailable));
    shop_client anonymous{s.shop.port()};
    CHECK(is_envelope(anonymous.post("/api/token/refresh/", {{"refresh", refresh}}),
                      http::status::service_unavailable));
    CHECK(is_envelope(anonymous.post("/api/token/blacklist/", {{"refresh", refresh}}),
                      http::status::service_unavailable));
    // Limits hold per instance, exactly, from the in-process fallback.
    CHECK(s.admitted_of_15(address) == 10);
}

/// What must hold once Redis answers again: shared limits, token operations working.
void check_recovered(redis_shop& s, shop_client& user, std::string& refresh,
                     const std::string& address) {
    REQUIRE(s.wait_for_tokens_back(user));
    CHECK(s.admitted_of_15(address) == 10);
    CHECK(s.bucket_in_redis(address));
    shop_client anonymous{s.shop.port()};
    response rotated = anonymous.post("/api/token/refresh/", {{"refresh", refresh}});
    REQUIRE(rotated.result() == http::status::ok);
    auto body = boost::json::parse(rotated.body()).as_object();
    if (body.contains("refresh"))
        refresh = std::string(body.at("refresh").as_string());
}

} // namespace

TEST_CASE("faults: Redis killed, restarted and made slow under load", "[faults][redis][slow]") {
    redis_shop s;
    auto [access, refresh] = login(s.shop.port());
    shop_client user{s.shop.port()};
    user.token = access;
    background_load load{s.shop.port(), "/api/v2/products/?limit=3", 2, true};

    // Healthy: limits are shared through Redis.
    REQUIRE(user.get("/api/v1/orders/").result() == http::status::ok);
    CHECK(s.admitted_of_15("198.51.100.1") == 10);
    CHECK(s.bucket_in_redis("198.51.100.1"));
    CHECK(s.bucket_log.count(outage_line) == 0);

    SECTION("killed (SIGKILL), then restarted empty") {
        s.redis.kill9();
        check_degraded(s, user, refresh, "198.51.100.2");
        check_degraded(s, user, refresh, "198.51.100.3");
        // Many failed requests, one line per store.
        CHECK(s.bucket_log.count(outage_line) == 1);
        CHECK(s.token_log.count(outage_line) == 1);
        CHECK(s.bucket_log.count(recovery_line) == 0);

        s.redis.restart();
        check_recovered(s, user, refresh, "198.51.100.4");
        CHECK(s.bucket_log.count(recovery_line) == 1);
        CHECK(s.token_log.count(recovery_line) == 1);

        SECTION("and killed again: a second outage is logged again, once") {
            s.redis.kill9();
            check_degraded(s, user, refresh, "198.51.100.5");
            CHECK(s.bucket_log.count(outage_line) == 2);
            CHECK(s.token_log.count(outage_line) == 2);
            s.redis.restart();
            check_recovered(s, user, refresh, "198.51.100.6");
            CHECK(s.bucket_log.count(recovery_line) == 2);
        }
    }
    SECTION("stalled by DEBUG SLEEP beyond the command timeout") {
        s.redis.stall(6.0);
        // Each call waits at most the client's command timeout, then the stores fall back.
        check_degraded(s, user, refresh, "198.51.100.7");
        CHECK(s.bucket_log.count(outage_line) == 1);
        CHECK(s.token_log.count(outage_line) == 1);
        check_recovered(s, user, refresh, "198.51.100.8");
        CHECK(s.bucket_log.count(recovery_line) == 1);
        CHECK(s.token_log.count(recovery_line) == 1);
    }

    load.stop();
    // The others were served throughout: every request answered, none with a 5xx.
    CHECK(load.unanswered() == 0);
    CHECK(load.count_between(500, 599) == 0);
    CHECK(load.count(200) == load.total());
    CHECK(load.total() > 0);
}
