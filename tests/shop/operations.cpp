// Running the shop: configuration, --help, shutdown, the kept secret, the access log, throttles
// with honest Retry-After, and Redis shared by two instances, through an outage and back.

#include "shop_process.hpp"

#include "support/redis_server.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <thread>
#include <utility>

using namespace shop_test;

namespace {

/// Runs the shop with `args` and `env` to its exit (bounded); returns the exit code.
int run_to_exit(process& p) {
    auto code = p.wait(std::chrono::seconds{30});
    REQUIRE(code.has_value());
    return *code;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

/// Sleeps the whole seconds of a Retry-After (the shop's clock is the real one).
void wait_retry_after(const reply& r) {
    int seconds = std::stoi(r.header("Retry-After"));
    REQUIRE(seconds >= 1);
    std::this_thread::sleep_for(std::chrono::seconds{seconds});
}

} // namespace

TEST_CASE("shop: --help prints every variable and exits 0", "[shop]") {
    process p{shop_binary(), {"--help"}, without_shop_settings()};
    CHECK(run_to_exit(p) == 0);
    std::string out = p.output();
    for (const char* variable :
         {"SHOP_LISTEN", "SHOP_DB", "SHOP_JWT_SECRET", "SHOP_REDIS", "SHOP_THROTTLE_ANON",
          "SHOP_THROTTLE_USER", "SHOP_THROTTLE_LOGIN", "SHOP_ACCESS_TTL", "SHOP_REFRESH_TTL",
          "SHOP_TRUSTED_PROXIES", "SHOP_THREADS", "SHOP_PASSWORD_ITERATIONS"}) {
        INFO(variable);
        CHECK(out.find(variable) != std::string::npos);
    }
}

TEST_CASE("shop: a bad configuration stops start-up naming the variable", "[shop]") {
    temp_dir dir;
    struct bad {
        const char* variable;
        const char* value;
    };
    for (const auto& b :
         {bad{"SHOP_LISTEN", "nonsense"}, bad{"SHOP_LISTEN", "127.0.0.1:99999"},
          bad{"SHOP_LISTEN", "example.com:80"}, bad{"SHOP_THROTTLE_ANON", "100/fortnight"},
          bad{"SHOP_THROTTLE_USER", "abc"}, bad{"SHOP_THROTTLE_LOGIN", "10"},
          bad{"SHOP_THROTTLE_ANON", "0/minute"}, bad{"SHOP_ACCESS_TTL", "-1"},
          bad{"SHOP_ACCESS_TTL", "0"}, bad{"SHOP_REFRESH_TTL", "week"},
          bad{"SHOP_TRUSTED_PROXIES", "many"}, bad{"SHOP_THREADS", "0"},
          bad{"SHOP_PASSWORD_ITERATIONS", "lots"}, bad{"SHOP_REDIS", "http://localhost"},
          bad{"SHOP_REDIS", "redis://host:notaport/0"}, bad{"SHOP_JWT_SECRET", "short"},
          bad{"SHOP_DB", ""}}) {
        INFO(b.variable << "=" << b.value);
        auto env = default_environment(dir.file("shop.db"));
        env[b.variable] = b.value;
        process p{shop_binary(), {}, env};
        int code = run_to_exit(p);
        CHECK(code != 0);
        CHECK(code < 128); // an orderly exit, not a crash
        CHECK(p.errors().find(b.variable) != std::string::npos);
        CHECK(p.output().find("listening") == std::string::npos);
    }
    // Flags mirror the variables, and an unknown flag is refused.
    process unknown{
        shop_binary(), {"--no-such-flag", "1"}, default_environment(dir.file("shop.db"))};
    CHECK(run_to_exit(unknown) != 0);
    CHECK(unknown.errors().find("--no-such-flag") != std::string::npos);
    process flag{shop_binary(),
                 {"--throttle-anon", "7/fortnight"},
                 default_environment(dir.file("shop.db"))};
    CHECK(run_to_exit(flag) != 0);
    CHECK(flag.errors().find("THROTTLE_ANON") != std::string::npos);
}

TEST_CASE("shop: the Redis circuit breaker settings are listed and checked", "[shop]") {
    process help{shop_binary(), {"--help"}, without_shop_settings()};
    CHECK(run_to_exit(help) == 0);
    for (const char* variable : {"SHOP_REDIS_BREAKER_FAILURES", "--redis-breaker-failures",
                                 "SHOP_REDIS_BREAKER_PROBE_MS", "--redis-breaker-probe-ms"}) {
        INFO(variable);
        CHECK(help.output().find(variable) != std::string::npos);
    }
    temp_dir dir;
    for (auto [variable, value] : {std::pair{"SHOP_REDIS_BREAKER_FAILURES", "-1"},
                                   std::pair{"SHOP_REDIS_BREAKER_FAILURES", "many"},
                                   std::pair{"SHOP_REDIS_BREAKER_FAILURES", "1001"},
                                   std::pair{"SHOP_REDIS_BREAKER_PROBE_MS", "5"},
                                   std::pair{"SHOP_REDIS_BREAKER_PROBE_MS", "1s"}}) {
        INFO(variable << "=" << value);
        auto env = default_environment(dir.file("shop.db"));
        env[variable] = value;
        process p{shop_binary(), {}, env};
        CHECK(run_to_exit(p) == 2);
        CHECK(p.errors().find(variable) != std::string::npos);
    }
    // In force: the start-up line says so.
    rampart::test::redis_server redis;
    shop s{process::environment{{"SHOP_REDIS", redis.url()},
                                {"SHOP_JWT_SECRET", std::string(40, 's')},
                                {"SHOP_REDIS_BREAKER_FAILURES", "5"},
                                {"SHOP_REDIS_BREAKER_PROBE_MS", "250"}}};
    CHECK(s.proc().output().find("(circuit breaker after 5 failures, probe every 250 ms)") !=
          std::string::npos);
}

TEST_CASE("shop: start-up lines, the access log, and SIGTERM after in-flight work", "[shop]") {
    shop s;
    std::string out = s.proc().output();
    CHECK(out.find("in process") != std::string::npos);
    CHECK(out.find("demo data seeded") != std::string::npos);
    REQUIRE(s.get("/api/v1/products/3/").status() == 200);
    auto [access, refresh] = s.login();
    CHECK(s.get("/api/v1/orders/", access).status() == 200);
    CHECK(s.proc().wait_for_errors(
        [](const std::string& log) {
            return log.find("GET /api/v1/products/3/ 200") != std::string::npos &&
                   log.find("GET /api/v1/orders/ 200") != std::string::npos &&
                   log.find("user=1") != std::string::npos;
        },
        std::chrono::seconds{10}));

    // A request whose body is still arriving when SIGTERM comes is finished and answered.
    http_client client{s.port()};
    client.send(rampart::test::make_get("/api/v1/products/1/"));
    REQUIRE(client.receive().result_int() == 200);
    std::string body =
        json::serialize(json::value{{"username", "alice"}, {"password", "alice-pass-1234"}});
    std::string head = "POST /api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n";
    client.send(head + body.substr(0, 10));
    // Give the server a moment to start reading it (ordering, not an assertion on time).
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    s.proc().signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    // New connections are refused while the started request goes on.
    CHECK_FALSE(http_client::can_connect(s.port()));
    client.send(body.substr(10));
    auto res = client.receive();
    CHECK(res.result_int() == 200);
    CHECK(json::parse(res.body()).as_object().contains("access"));
    auto code = s.proc().wait(std::chrono::seconds{20});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(s.proc().output().find("shop: stopped") != std::string::npos);
}

TEST_CASE("shop: the secret is kept beside the database and reused", "[shop]") {
    auto dir = std::make_shared<temp_dir>();
    std::string access, refresh, order_id;
    {
        shop first{{}, dir};
        std::tie(access, refresh) = first.login();
        auto o = first.post("/api/v1/orders/", order_body(9, 4), access);
        REQUIRE(o.status() == 201);
        order_id = std::to_string(o.body.at("id").as_int64());
        REQUIRE(first.terminate() == 0);
    }
    std::string secret_file = dir->file("shop.db.secret");
    struct stat st {};
    REQUIRE(::stat(secret_file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::string secret;
    std::getline(std::ifstream{secret_file}, secret);
    CHECK(secret.size() >= 32);

    shop second{{}, dir};
    CHECK(second.proc().output().find("demo data seeded") == std::string::npos);
    CHECK(second.post("/api/token/verify/", json::value{{"token", access}}).status() == 200);
    auto kept = second.get("/api/v1/orders/" + order_id + "/", access);
    REQUIRE(kept.status() == 200);
    CHECK(kept.body.at("quantity") == 4);
    CHECK(second.stock(9) == 46);
    CHECK(second.post("/api/token/refresh/", json::value{{"refresh", refresh}}).status() == 200);
    std::string again;
    std::getline(std::ifstream{secret_file}, again);
    CHECK(again == secret);

    // Two instances configured with one SHOP_JWT_SECRET accept each other's tokens.
    std::string shared(40, 'k');
    shop a{{{"SHOP_JWT_SECRET", shared}}};
    shop b{{{"SHOP_JWT_SECRET", shared}}};
    CHECK(b.get("/api/v1/orders/", a.login().first).status() == 200);
    CHECK(is_envelope(b.get("/api/v1/orders/", access), 401));
}

TEST_CASE("shop: throttles answer 429 with an honest Retry-After", "[shop]") {
    SECTION("anonymous, per client IP") {
        shop s{{{"SHOP_THROTTLE_ANON", "3/second"}}};
        for (int i = 0; i < 3; ++i) {
            auto r = s.get("/api/v1/products/");
            REQUIRE(r.status() == 200);
            CHECK(r.header("RateLimit-Policy") == "\"anon\";q=3;w=1");
            CHECK(r.header("RateLimit").rfind("\"anon\";r=" + std::to_string(2 - i) + ";t=", 0) ==
                  0);
        }
        auto refused = s.get("/api/v1/products/1/");
        REQUIRE(is_envelope(refused, 429));
        CHECK(refused.header("Retry-After") == "1");
        CHECK(refused.header("RateLimit-Policy") == "\"anon\";q=3;w=1");
        CHECK(refused.header("RateLimit").rfind("\"anon\";r=0;t=", 0) == 0);
        CHECK(!refused.detail().empty());
        // Errors of the limited routes are counted and carry the headers too.
        wait_retry_after(refused);
        auto again = s.get("/api/v1/products/999/");
        CHECK(is_envelope(again, 404));
        CHECK(again.has_header("RateLimit"));
        CHECK(s.get("/api/v1/products/").status() == 200);
    }
    SECTION("authenticated, per user") {
        shop s{{{"SHOP_THROTTLE_USER", "2/second"}}};
        auto [alice, ar] = s.login();
        auto [bob, br] = s.login("bob", "bob-pass-1234");
        auto first = s.get("/api/v1/orders/", alice);
        CHECK(first.header("RateLimit-Policy") == "\"user\";q=2;w=1");
        CHECK(s.get("/api/v1/products/", alice).status() == 200);
        auto refused = s.post("/api/v1/orders/", order_body(1, 1), alice);
        REQUIRE(is_envelope(refused, 429));
        CHECK(s.stock(1) == 50);
        // Another user and anonymous clients have their own buckets.
        CHECK(s.get("/api/v1/orders/", bob).status() == 200);
        CHECK(s.get("/api/v1/products/").status() == 200);
        wait_retry_after(refused);
        CHECK(s.post("/api/v1/orders/", order_body(1, 1), alice).status() == 201);
    }
    SECTION("login, per client IP, on top of the anonymous rate") {
        shop s{{{"SHOP_THROTTLE_LOGIN", "2/second"}}};
        auto wrong = json::value{{"username", "alice"}, {"password", "wrong"}};
        CHECK(s.post("/api/token/", wrong).status() == 401); // failures count too
        auto second = s.post("/api/token/", wrong);
        CHECK(second.status() == 401);
        CHECK(second.header("RateLimit").rfind("\"login\";r=0;", 0) == 0);
        auto refused = s.post("/api/token/",
                              json::value{{"username", "alice"}, {"password", "alice-pass-1234"}});
        REQUIRE(is_envelope(refused, 429));
        CHECK(refused.header("Retry-After") == "1");
        // Only the login route has that limit.
        CHECK(s.get("/api/v1/products/").status() == 200);
        CHECK(s.post("/api/token/verify/", json::value{{"token", "x"}}).status() == 401);
        wait_retry_after(refused);
        CHECK(s.login().first.size() > 0);
    }
}

TEST_CASE("shop: behind a trusted proxy, clients are told apart by X-Forwarded-For", "[shop]") {
    shop s{{{"SHOP_TRUSTED_PROXIES", "1"}, {"SHOP_THROTTLE_ANON", "2/minute"}}};
    auto from = [&](const char* client) {
        auto req = rampart::test::make_get("/api/v1/products/1/");
        req.set("X-Forwarded-For", client);
        return s.send(req);
    };
    CHECK(from("203.0.113.7").status() == 200);
    CHECK(from("203.0.113.7").status() == 200);
    CHECK(is_envelope(from("203.0.113.7"), 429));
    // Another client behind the same proxy has its own bucket; a spoofed extra entry on the
    // left is not trusted (only the proxy's own entry, the rightmost, is).
    CHECK(from("198.51.100.1").status() == 200);
    CHECK(is_envelope(from("198.51.100.9, 203.0.113.7"), 429));
    CHECK(s.proc().wait_for_errors(
        [](const std::string& log) { return log.find("ip:203.0.113.7") != std::string::npos; },
        std::chrono::seconds{10}));
}

TEST_CASE("shop: two instances share one Redis limit, through an outage and back", "[shop]") {
    rampart::test::redis_server redis;
    process::environment env{{"SHOP_REDIS", redis.url()},
                             {"SHOP_JWT_SECRET", std::string(40, 's')},
                             {"SHOP_THROTTLE_ANON", "4/minute"}};
    shop a{env};
    shop b{env};
    CHECK(a.proc().output().find("Redis at 127.0.0.1:" + std::to_string(redis.port())) !=
          std::string::npos);

    // The token endpoints are anonymous requests, so this empties the shared buckets between
    // the set-up steps below.
    auto reset_limits = [&] {
        auto keys = redis.command({"KEYS", "rampart:throttle:*"});
        REQUIRE(keys->elements >= 1);
        for (std::size_t i = 0; i < keys->elements; ++i)
            redis.command({"DEL", keys->element[i]->str});
    };
    // Tokens work through Redis, and refresh rotation is shared: a token rotated on A is a
    // reuse on B, which revokes the login on both.
    auto [access, refresh] = a.login();
    CHECK(b.post("/api/token/verify/", json::value{{"token", access}}).status() == 200);
    auto rotated = a.post("/api/token/refresh/", json::value{{"refresh", refresh}});
    REQUIRE(rotated.status() == 200);
    CHECK(is_envelope(b.post("/api/token/refresh/", json::value{{"refresh", refresh}}), 401));
    reset_limits();
    CHECK(is_envelope(a.get("/api/v1/orders/", rotated.text("access")), 401));
    auto [access2, refresh2] = b.login();
    reset_limits();

    // One limit for both: three here and one there use it up.
    for (int i = 0; i < 3; ++i)
        REQUIRE(a.get("/api/v1/products/").status() == 200);
    REQUIRE(b.get("/api/v1/products/").status() == 200);
    auto refused = b.get("/api/v1/products/");
    REQUIRE(is_envelope(refused, 429));
    CHECK(std::stoi(refused.header("Retry-After")) >= 1);
    CHECK(is_envelope(a.get("/api/v1/products/"), 429));

    // A port already taken stops start-up with a message (and the Redis thread ends cleanly).
    auto taken = default_environment(a.dir()->file("other.db"));
    taken["SHOP_REDIS"] = redis.url();
    taken["SHOP_LISTEN"] = "127.0.0.1:" + std::to_string(a.port());
    process clash{shop_binary(), {}, taken};
    int clash_code = run_to_exit(clash);
    CHECK(clash_code == 1);
    CHECK(clash.errors().find("(SHOP_LISTEN)") != std::string::npos);

    // Redis goes away. The token store fails closed: authenticated requests and token
    // operations are 503 (a revoked family cannot be checked).
    redis.stop();
    CHECK(is_envelope(a.get("/api/v1/orders/", access2), 503));
    CHECK(is_envelope(a.post("/api/token/refresh/", json::value{{"refresh", refresh2}}), 503));
    // A login writes nothing there and still works.
    CHECK(b.login("bob", "bob-pass-1234").first.size() > 0);
    // Anonymous reads keep working, limited per instance in memory: 4 each, and the token
    // requests above took one on each instance.
    for (shop* s : {&a, &b}) {
        int admitted = 0, throttled = 0;
        for (int i = 0; i < 6; ++i) {
            auto r = s->get("/api/v1/products/");
            if (r.status() == 200)
                ++admitted;
            else if (is_envelope(r, 429))
                ++throttled;
        }
        CHECK(admitted == 3);
        CHECK(throttled == 6 - admitted);
    }
    // The outage is logged once per store, however many requests met it.
    for (int i = 0; i < 5; ++i)
        a.get("/api/v1/products/");
    CHECK(count_of(a.proc().errors(), "redis::bucket_store: Redis unavailable") == 1);
    CHECK(count_of(b.proc().errors(), "redis::bucket_store: Redis unavailable") == 1);
    CHECK(count_of(a.proc().errors(), "redis::token_store: Redis unavailable") == 1);

    // Redis is back (empty): each instance returns to it on its next requests.
    redis.restart();
    for (shop* s : {&a, &b}) {
        bool back = false;
        for (int i = 0; i < 100 && !back; ++i) {
            s->get("/api/v1/products/");
            back =
                s->proc().errors().find("redis::bucket_store: Redis is back") != std::string::npos;
            if (!back)
                std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        REQUIRE(back);
    }
    redis.command({"FLUSHALL"});
    // The token store answers again; the refresh refused with 503 was never recorded.
    auto after = b.post("/api/token/refresh/", json::value{{"refresh", refresh2}});
    REQUIRE(after.status() == 200);
    CHECK(a.get("/api/v1/orders/", after.text("access")).status() == 200);
    // And the limit is shared again.
    redis.command({"FLUSHALL"});
    for (int i = 0; i < 3; ++i)
        CHECK(a.get("/api/v1/products/").status() == 200);
    CHECK(b.get("/api/v1/products/").status() == 200);
    CHECK(is_envelope(b.get("/api/v1/products/"), 429));
    CHECK(is_envelope(a.get("/api/v1/products/"), 429));
}
