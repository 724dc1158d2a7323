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
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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

namespace {

/// The shop on Redis with the client's timings as a deployment would have them: a 500 ms
/// command timeout, and the breaker opening after 3 failures, probing every `probe`.
struct breaker_shop {
    static constexpr auto probe = std::chrono::milliseconds{1000};
    static constexpr auto command_timeout = std::chrono::milliseconds{500};

    static redis::options timings(redis::options o) {
        o.command_timeout = command_timeout;
        o.connect_timeout = command_timeout;
        o.backoff_initial = std::chrono::milliseconds{100};
        o.backoff_max = std::chrono::milliseconds{2000};
        o.breaker = {.failure_threshold = 3, .probe_interval = probe};
        return o;
    }
};

/// One request's answer and how long it took, by when it was sent.
struct timed_answer {
    std::chrono::steady_clock::time_point sent;
    std::chrono::microseconds took;
    unsigned status;
    bool envelope_with_retry_after;
};

/** A steady stream of requests: `clients` threads, each sending one every `interval` on its own
    schedule (a late answer does not delay the next send beyond it), so that requests keep
    arriving at a steady rate whatever the latency, as from many independent users.
*/
class paced_load {
public:
    paced_load(unsigned short port, int clients, std::chrono::milliseconds interval,
               std::string token = {}) {
        for (int i = 0; i < clients; ++i)
            threads_.emplace_back([this, port, interval, token, i] {
                shop_client c{port};
                c.token = token;
                auto next = std::chrono::steady_clock::now();
                for (unsigned n = 0; !stop_.load(); ++n) {
                    std::this_thread::sleep_until(next);
                    next += interval;
                    // A fresh address each time: the anonymous limit is never what answers.
                    c.client_ip = "10.9." + std::to_string(i) + "." + std::to_string(n % 250);
                    const auto sent = std::chrono::steady_clock::now();
                    try {
                        response res =
                            c.get(c.token.empty() ? "/api/v1/products/1/" : "/api/v1/orders/");
                        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - sent);
                        const bool retry = res.find(http::field::retry_after) != res.end() &&
                                           is_envelope(res, res.result());
                        std::lock_guard lock{mutex_};
                        answers_.push_back({sent, took, res.result_int(), retry});
                    } catch (const std::exception&) {
                        std::lock_guard lock{mutex_};
                        ++unanswered_;
                    }
                }
            });
    }

    paced_load(const paced_load&) = delete;
    paced_load& operator=(const paced_load&) = delete;
    ~paced_load() { stop(); }

    void stop() {
        stop_.store(true);
        for (auto& t : threads_)
            if (t.joinable())
                t.join();
    }

    /// The answers to requests sent in [from, to).
    std::vector<timed_answer> sent_between(std::chrono::steady_clock::time_point from,
                                           std::chrono::steady_clock::time_point to) const {
        std::lock_guard lock{mutex_};
        std::vector<timed_answer> out;
        for (const auto& a : answers_)
            if (a.sent >= from && a.sent < to)
                out.push_back(a);
        return out;
    }

    std::size_t unanswered() const {
        std::lock_guard lock{mutex_};
        return unanswered_;
    }

private:
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<timed_answer> answers_;
    std::size_t unanswered_ = 0;
    std::vector<std::thread> threads_;
};

/// The `q` quantile (0..1) of the latencies, nearest rank.
std::chrono::microseconds quantile(const std::vector<timed_answer>& answers, double q) {
    std::vector<std::chrono::microseconds> took;
    for (const auto& a : answers)
        took.push_back(a.took);
    if (took.empty())
        return std::chrono::microseconds::max();
    std::sort(took.begin(), took.end());
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(took.size())));
    return took[std::clamp<std::size_t>(rank, 1, took.size()) - 1];
}

double ms(std::chrono::microseconds d) {
    return static_cast<double>(d.count()) / 1000.0;
}

/// Waits (bounded) for `state`; returns when it was seen.
std::chrono::steady_clock::time_point wait_for_circuit(redis::client& c, redis::circuit_state state,
                                                       std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (c.circuit() != state && std::chrono::steady_clock::now() - start < limit)
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    return std::chrono::steady_clock::now();
}

} // namespace

TEST_CASE("faults: Redis stalled by SIGSTOP under a steady stream, the breaker bounds latency",
          "[faults][redis][slow]") {
    struct shop_with_breaker {
        redis_server redis;
        test::temp_dir dir;
        shop_database db{dir.file("shop.db")};
        asio::io_context redis_io;
        asio::executor_work_guard<asio::io_context::executor_type> work{redis_io.get_executor()};
        std::thread redis_thread{[this] { redis_io.run(); }};
        redis::client client{redis_io.get_executor(),
                             breaker_shop::timings(redis::parse_url(redis.url()))};
        log_lines bucket_log, token_log;
        redis::bucket_store<> buckets{client, {.log = bucket_log.sink()}};
        redis::token_store<> tokens{client, {.log = token_log.sink()}};
        shop_harness<redis::bucket_store<>, redis::token_store<>> shop{db.get(), buckets, tokens,
                                                                       redis_shop::config()};
        ~shop_with_breaker() {
            redis.resume();
            client.close();
            work.reset();
            redis_io.stop();
            redis_thread.join();
        }
    } s;
    using clock = std::chrono::steady_clock;
    auto [access, refresh] = login(s.shop.port());
    shop_client user{s.shop.port()};
    user.token = access;
    REQUIRE(user.get("/api/v1/orders/").result() == http::status::ok);

    // 6 anonymous clients, a request every 20 ms each (300 a second), and one signed-in user
    // every 50 ms: the throttle (fail-open) and the blacklist (fail-closed) on every request.
    paced_load anonymous{s.shop.port(), 6, std::chrono::milliseconds{20}};
    paced_load signed_in{s.shop.port(), 1, std::chrono::milliseconds{50}, access};
    std::this_thread::sleep_for(std::chrono::milliseconds{500});

    const auto stalled_at = clock::now();
    s.redis.pause();
    const auto opened_at =
        wait_for_circuit(s.client, redis::circuit_state::open, std::chrono::seconds{10});
    REQUIRE(s.client.circuit() == redis::circuit_state::open);
    // Three failures open it: the first timeout, then connection attempts that get no TIME.
    CHECK(opened_at - stalled_at < 5 * breaker_shop::command_timeout);
    std::this_thread::sleep_for(std::chrono::seconds{4}); // open for four probe periods
    const auto resumed_at = clock::now();
    s.redis.resume();
    const auto closed_at =
        wait_for_circuit(s.client, redis::circuit_state::closed, std::chrono::seconds{10});
    REQUIRE(s.client.circuit() == redis::circuit_state::closed);
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    anonymous.stop();
    signed_in.stop();

    const auto whole_stall = anonymous.sent_between(stalled_at, resumed_at);
    const auto while_open = anonymous.sent_between(opened_at, resumed_at);
    const auto user_open = signed_in.sent_between(opened_at, resumed_at);
    const auto p99_open = quantile(while_open, 0.99);
    const auto p99_stall = quantile(whole_stall, 0.99);
    const auto max_stall = quantile(whole_stall, 1.0);
    std::printf("breaker fault test: breaker opened %.0f ms after SIGSTOP, closed %.0f ms after "
                "SIGCONT; %zu requests during the stall: p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                "%zu while open: p99 %.2f ms\n",
                ms(std::chrono::duration_cast<std::chrono::microseconds>(opened_at - stalled_at)),
                ms(std::chrono::duration_cast<std::chrono::microseconds>(closed_at - resumed_at)),
                whole_stall.size(), ms(quantile(whole_stall, 0.5)), ms(p99_stall), ms(max_stall),
                while_open.size(), ms(p99_open));

    // Open: nobody waits for Redis. Without the breaker the client's backoff would keep
    // sending, and a share of requests would wait out a 500 ms timeout at every attempt.
    REQUIRE(while_open.size() > 300);
    CHECK(p99_open < std::chrono::milliseconds{100});
    // Over the whole stall, before it opened included: bounded by one breaker period; no
    // request waits more than one command timeout (and scheduling slack).
    CHECK(p99_stall <= breaker_shop::probe);
    CHECK(max_stall < breaker_shop::command_timeout + std::chrono::milliseconds{400});
    // Answers follow the fail policies: the throttle falls back (200), the blacklist refuses
    // (503 in the envelope, with Retry-After).
    for (const auto& a : while_open)
        CHECK(a.status == 200);
    REQUIRE(!user_open.empty());
    for (const auto& a : user_open) {
        CHECK(a.status == 503);
        CHECK(a.envelope_with_retry_after);
    }
    CHECK(anonymous.unanswered() == 0);
    CHECK(signed_in.unanswered() == 0);

    // SIGCONT: a probe closes the breaker within one period and its own connection time.
    CHECK(closed_at - resumed_at <
          breaker_shop::probe + breaker_shop::command_timeout + std::chrono::milliseconds{300});
    // Redis-backed behaviour is back: the shared throttle and the blacklist.
    CHECK(s.bucket_log.count(recovery_line) == 1);
    CHECK(s.token_log.count(recovery_line) == 1);
    CHECK(user.get("/api/v1/orders/").result() == http::status::ok);
    // The anonymous rate of 10 a minute per address, counted in Redis again.
    shop_client limited{s.shop.port()};
    limited.client_ip = "198.51.100.77";
    std::size_t ok = 0;
    for (int i = 0; i < 15; ++i)
        if (limited.get("/api/v1/products/1/").result() == http::status::ok)
            ++ok;
    CHECK(ok == 10);
    CHECK(s.redis.command({"KEYS", "rampart:throttle:*198.51.100.77*"})->elements == 1);
    shop_client anyone{s.shop.port()};
    response rotated = anyone.post("/api/token/refresh/", {{"refresh", refresh}});
    CHECK(rotated.result() == http::status::ok);
}

namespace {

/// The Redis token store, stopping redis-server (SIGSTOP) just before the insert that uses up a
/// refresh token is sent, once armed: the stall meets exactly that command in flight.
class stall_before_use {
public:
    using time_point = std::chrono::system_clock::time_point;

    stall_before_use(redis::token_store<>& inner, redis_server& server)
        : inner_(inner), server_(server) {}

    std::atomic<bool> armed{false};

    asio::awaitable<bool> insert(std::string_view key, std::int64_t value, time_point expires) {
        if (key.find("jti:") != std::string_view::npos && armed.exchange(false))
            server_.pause();
        co_return co_await inner_.insert(key, value, expires);
    }
    asio::awaitable<std::optional<std::int64_t>> get(std::string_view key) {
        return inner_.get(key);
    }
    asio::awaitable<void> put(std::string_view key, std::int64_t value, time_point expires) {
        return inner_.put(key, value, expires);
    }

private:
    redis::token_store<>& inner_;
    redis_server& server_;
};

static_assert(jwt::token_store<stall_before_use>);

} // namespace

TEST_CASE("faults: a refresh answered 503 because Redis stalled has not used up its token",
          "[faults][redis]") {
    redis_server redis;
    test::temp_dir dir;
    shop_database db{dir.file("shop.db")};
    asio::io_context redis_io;
    auto work = asio::make_work_guard(redis_io);
    std::thread redis_thread{[&] { redis_io.run(); }};
    redis::options o = redis::parse_url(redis.url());
    o.command_timeout = std::chrono::milliseconds{300};
    o.backoff_initial = std::chrono::milliseconds{0};
    o.breaker.failure_threshold = 0; // each call tries again as soon as Redis is back
    redis::client client{redis_io.get_executor(), o};
    redis::bucket_store<> buckets{client};
    redis::token_store<> tokens{client};
    stall_before_use stalling{tokens, redis};
    {
        shop_harness<redis::bucket_store<>, stall_before_use> shop{db.get(), buckets, stalling};
        shop_client c{shop.port()};
        // One rotation first, so that Redis has the insert script cached: a stalled EVALSHA of
        // an unknown script would find nothing to run when Redis wakes, and prove nothing.
        auto warm = login(shop.port()).second;
        REQUIRE(c.post("/api/token/refresh/", {{"refresh", warm}}).result() == http::status::ok);
        auto [access, refresh] = login(shop.port());
        // The refresh's reads pass, then Redis stops with the insert in flight: 503.
        stalling.armed = true;
        response refused = c.post("/api/token/refresh/", {{"refresh", refresh}});
        CHECK(redis.paused());
        CHECK(is_envelope(refused, http::status::service_unavailable));
        CHECK(refused.find(http::field::retry_after) != refused.end());
        redis.resume();
        // Redis runs the buffered insert when it wakes: it must find its deadline passed.
        REQUIRE(redis.command({"PING"})->type == REDIS_REPLY_STATUS);
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
        CHECK(redis.command({"KEYS", "rampart:jwt:jti:*"})->elements == 1); // the warm-up's

        // The same token works, once: the retry is its first use, no reuse is detected.
        response retried = c.post("/api/token/refresh/", {{"refresh", refresh}});
        REQUIRE(retried.result() == http::status::ok);
        CHECK(redis.command({"KEYS", "rampart:jwt:family-revoked:*"})->elements == 0);
        auto pair = boost::json::parse(retried.body()).as_object();
        shop_client user{shop.port()};
        user.token = std::string(pair.at("access").as_string());
        CHECK(user.get("/api/v1/orders/").result() == http::status::ok);
        response next = c.post("/api/token/refresh/",
                               {{"refresh", std::string(pair.at("refresh").as_string())}});
        CHECK(next.result() == http::status::ok);
        // And it was used: presenting it again is the reuse it now is.
        CHECK(is_envelope(c.post("/api/token/refresh/", {{"refresh", refresh}}),
                          http::status::unauthorized));
    }
    client.close();
    work.reset();
    redis_io.stop();
    redis_thread.join();
}
