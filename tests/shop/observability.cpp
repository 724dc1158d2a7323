// The real shop's request ids, JSON access log and health endpoints, over sockets: X-Request-ID
// echoed or replaced on every answer (404, 400, 401, 413, 429 included), JSON lines that parse
// one object each whatever a client sends, and /healthz and /readyz through a Redis that dies,
// a Redis that stalls (SIGSTOP), and a database file moved away under the running shop.

#include "shop_process.hpp"

#include "support/redis_server.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

using namespace shop_test;

namespace {

bool is_uuid4(const std::string& text) {
    static const std::regex uuid{
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"};
    return std::regex_match(text, uuid);
}

/// Sends raw bytes on a new connection and reads the answer.
reply raw(unsigned short port, const std::string& bytes) {
    http_client client{port};
    client.send(bytes);
    reply r{client.receive(), nullptr};
    boost::system::error_code ec;
    auto parsed = json::parse(r.raw.body(), ec);
    if (!ec)
        r.body = std::move(parsed);
    return r;
}

reply get_with_id(const shop& s, std::string target, const std::string& id,
                  const std::string& token = {}) {
    rampart::request req = rampart::test::make_get(std::move(target));
    req.set("X-Request-ID", id);
    if (!token.empty())
        req.set(http::field::authorization, "Bearer " + token);
    return s.send(std::move(req));
}

/// The JSON access lines on the shop's stderr so far: every line that starts with `{`, parsed
/// (a line that does not parse fails the test).
std::vector<json::object> json_lines(const std::string& errors) {
    std::vector<json::object> out;
    std::istringstream in{errors};
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() != '{')
            continue;
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        INFO(line);
        REQUIRE(!ec);
        REQUIRE(v.is_object());
        out.push_back(v.as_object());
    }
    return out;
}

/// Polls /readyz until it answers `status` (bounded); the last answer.
reply wait_ready_status(const shop& s, int status, std::chrono::seconds bound) {
    auto until = std::chrono::steady_clock::now() + bound;
    for (;;) {
        reply r = s.get("/readyz");
        if (r.status() == status || std::chrono::steady_clock::now() > until)
            return r;
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
}

} // namespace

TEST_CASE("shop: X-Request-ID echoed when sane, replaced when not, on every answer", "[shop]") {
    shop s{{{"SHOP_THROTTLE_ANON", "10/hour"}}};
    const auto port = s.port();

    reply ok = get_with_id(s, "/api/v1/products/3/", "client-1.a:b_c");
    CHECK(ok.status() == 200);
    CHECK(ok.header("X-Request-ID") == "client-1.a:b_c");

    reply missing = get_with_id(s, "/api/v1/nowhere/", "client-404");
    CHECK(is_envelope(missing, 404));
    CHECK(missing.header("X-Request-ID") == "client-404");

    reply unauthenticated = get_with_id(s, "/api/v1/orders/", "client-401");
    CHECK(is_envelope(unauthenticated, 401));
    CHECK(unauthenticated.header("X-Request-ID") == "client-401");

    // Refused by allowed_hosts, and by the server itself (413 before the body is read).
    reply bad_host = raw(port, "GET /api/v1/products/ HTTP/1.1\r\nHost: evil.example\r\n"
                               "X-Request-ID: client-400\r\n\r\n");
    CHECK(is_envelope(bad_host, 400));
    CHECK(bad_host.header("X-Request-ID") == "client-400");
    reply too_big = raw(port, "POST /api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "X-Request-ID: client-413\r\nContent-Type: application/json\r\n"
                              "Content-Length: 1000000\r\n\r\n");
    CHECK(is_envelope(too_big, 413));
    CHECK(too_big.header("X-Request-ID") == "client-413");
    reply malformed = raw(port, "GET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(is_envelope(malformed, 400));
    CHECK(is_uuid4(malformed.header("X-Request-ID")));

    // Replaced: too long, spaces, a tab, empty, quotes, two headers.
    for (const std::string& header :
         {"X-Request-ID: " + std::string(129, 'a') + "\r\n", std::string("X-Request-ID: a b\r\n"),
          std::string("X-Request-ID: a\tb\r\n"), std::string("X-Request-ID: \r\n"),
          std::string("X-Request-ID: \"x\",\"user\":\"admin\"\r\n"),
          std::string("X-Request-ID: one\r\nX-Request-ID: two\r\n"), std::string()}) {
        INFO(header);
        reply r =
            raw(port, "GET /api/v1/products/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + "\r\n");
        CHECK(r.status() == 200);
        CHECK(is_uuid4(r.header("X-Request-ID")));
    }

    // The anonymous rate (10 an hour) is spent by now (allowed_hosts and the server refused
    // three before the throttle): a 429, with the client's id.
    reply throttled = get_with_id(s, "/api/v1/products/", "client-429");
    CHECK(is_envelope(throttled, 429));
    CHECK(throttled.header("X-Request-ID") == "client-429");

    // The access log (text) records them.
    CHECK(s.proc().wait_for_errors(
        [](const std::string& log) {
            return log.find("GET /api/v1/nowhere/ 404 ") != std::string::npos &&
                   log.find("id=client-404") != std::string::npos &&
                   log.find("id=client-413") != std::string::npos &&
                   log.find("id=client-400") != std::string::npos &&
                   log.find("id=client-429") != std::string::npos;
        },
        std::chrono::seconds{10}));
}

TEST_CASE("shop: SHOP_LOG_FORMAT=json writes one JSON object a line, hostile input included",
          "[shop]") {
    shop s{{{"SHOP_LOG_FORMAT", "json"}}};
    auto [access, refresh] = s.login();
    REQUIRE(get_with_id(s, "/api/v2/products/5/", "json-product").status() == 200);
    REQUIRE(get_with_id(s, "/api/v1/orders/", "json-orders", access).status() == 200);
    // A user agent with everything that could end or forge a line or an object, and an id that
    // tries to add a field (refused: not sane).
    reply hostile =
        raw(s.port(), "GET /api/v1/products/?q=%0d%0a HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "User-Agent: x\"}{\"forged\":\"\\\xe2\x80\xa8\xe2\x80\xa9\xff\xc3(\r\n"
                      "X-Request-ID: a\",\"user\":\"admin\r\n\r\n");
    REQUIRE(hostile.status() == 200);
    const std::string hostile_id = hostile.header("X-Request-ID");
    REQUIRE(is_uuid4(hostile_id));
    reply agent = raw(s.port(), "GET /api/v1/products/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "User-Agent: evil\"}{\\ \xe2\x80\xa8\xe2\x80\xa9 \xff\xc3( end\r\n"
                                "X-Request-ID: json-agent\r\n\r\n");
    REQUIRE(agent.status() == 200);
    reply refused = raw(s.port(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: json-400\r\n"
                                  "Content-Length: 5, 5\r\n\r\nhello");
    REQUIRE(refused.status() == 400);

    REQUIRE(s.proc().wait_for_errors(
        [](const std::string& log) {
            return log.find("\"json-400\"") != std::string::npos &&
                   log.find("\"json-agent\"") != std::string::npos;
        },
        std::chrono::seconds{10}));
    auto lines = json_lines(s.proc().errors());
    auto find = [&](std::string_view id) -> const json::object* {
        for (const auto& o : lines)
            if (o.at("request_id").is_string() && o.at("request_id").as_string() == id)
                return &o;
        return nullptr;
    };
    const json::object* product = find("json-product");
    REQUIRE(product);
    CHECK(product->at("method") == "GET");
    CHECK(product->at("path") == "/api/v2/products/5/");
    CHECK(product->at("route") == "/products/{id:int}/");
    CHECK(product->at("status") == 200);
    CHECK(product->at("user").is_null());
    CHECK(std::string(product->at("peer").as_string()).starts_with("127.0.0.1:"));
    CHECK(product->at("duration_us").is_int64());
    const json::object* orders = find("json-orders");
    REQUIRE(orders);
    CHECK(orders->at("user") == "1");
    const json::object* evil = find("json-agent");
    REQUIRE(evil);
    CHECK(std::string(evil->at("user_agent").as_string()) ==
          "evil\"}{\\ \u2028\u2029 \ufffd\ufffd( end");
    const json::object* forged_id = find(hostile_id);
    REQUIRE(forged_id);
    CHECK(forged_id->at("user").is_null());
    CHECK(forged_id->at("path") == "/api/v1/products/");
    const json::object* server_refusal = find("json-400");
    REQUIRE(server_refusal);
    CHECK(server_refusal->at("status") == 400);
    for (const auto& o : lines)
        CHECK_FALSE(o.contains("forged"));
    // No line of the log is a fragment of an access record: those all start with `{` (and
    // parsed above); the few other lines are the shop's own plain text.
    std::istringstream in{s.proc().errors()};
    std::string line;
    while (std::getline(in, line)) {
        INFO(line);
        if (!line.empty() && line.front() != '{') {
            CHECK(line.find("request_id") == std::string::npos);
            CHECK(line.find("forged") == std::string::npos);
        }
    }
}

TEST_CASE("shop: SHOP_LOG_FORMAT and --log-format", "[shop]") {
    temp_dir dir;
    auto env = default_environment(dir.file("shop.db"));
    env["SHOP_LOG_FORMAT"] = "yaml";
    process bad{shop_binary(), {}, env};
    auto code = bad.wait(std::chrono::seconds{30});
    REQUIRE(code);
    CHECK(*code == 2);
    CHECK(bad.errors().find("SHOP_LOG_FORMAT: expected text or json, got \"yaml\"") !=
          std::string::npos);
    CHECK(bad.output().find("listening") == std::string::npos);

    shop flag{{{"SHOP_LOG_FORMAT", "text"}}}; // the variable, then the flag wins: see below
    REQUIRE(flag.get("/api/v1/products/1/").status() == 200);
    CHECK(flag.proc().wait_for_errors(
        [](const std::string& log) {
            return log.find(" GET /api/v1/products/1/ 200 ") != log.npos;
        },
        std::chrono::seconds{10}));

    env["SHOP_LOG_FORMAT"] = "text";
    process json_by_flag{shop_binary(), {"--log-format", "json"}, env};
    auto line = json_by_flag.wait_for_line("shop: listening on http://", std::chrono::seconds{30});
    REQUIRE(line);
    auto colon = line->find(':', line->find("127.0.0.1"));
    auto port = static_cast<unsigned short>(std::stoi(line->substr(colon + 1)));
    REQUIRE(exchange(port, rampart::test::make_get("/api/v1/products/2/")).status() == 200);
    CHECK(json_by_flag.wait_for_errors(
        [](const std::string& log) {
            return log.find(R"("path":"/api/v1/products/2/")") != std::string::npos;
        },
        std::chrono::seconds{10}));
    json_by_flag.signal(SIGTERM);
    CHECK(json_by_flag.wait(std::chrono::seconds{20}) == 0);
}

TEST_CASE("shop: /healthz and /readyz need no token, are never throttled, answer any Host",
          "[shop]") {
    shop s{{{"SHOP_THROTTLE_ANON", "2/hour"}}};
    for (int i = 0; i < 5; ++i) {
        reply live = s.get("/healthz", "not-a-token");
        CHECK(live.status() == 200);
        CHECK(live.body == json::parse(R"({"status":"ok"})"));
        CHECK(!live.header("X-Request-ID").empty());
        reply ready = s.get("/readyz");
        CHECK(ready.status() == 200);
        CHECK(ready.body == json::parse(R"({"status":"ok","checks":{"database":"ok"}})"));
    }
    reply by_ip = raw(s.port(), "GET /readyz HTTP/1.1\r\nHost: 10.1.2.3:8080\r\n\r\n");
    CHECK(by_ip.status() == 200);
    // The API's own rate was untouched by the probes.
    CHECK(s.get("/api/v1/products/1/").status() == 200);
    CHECK(s.get("/api/v1/products/1/").status() == 200);
    CHECK(is_envelope(s.get("/api/v1/products/1/"), 429));
    CHECK(s.get("/healthz").status() == 200); // and probes go on past the limit
    CHECK(is_envelope(s.post("/healthz", std::string("{}")), 405));
}

TEST_CASE("shop: /readyz answers 503 naming Redis while it is down or stalled, then 200",
          "[shop][redis]") {
    rampart::test::redis_server redis;
    shop s{{{"SHOP_REDIS", redis.url()}}};
    reply ready = s.get("/readyz");
    CHECK(ready.status() == 200);
    CHECK(ready.body == json::parse(R"({"status":"ok","checks":{"database":"ok","redis":"ok"}})"));

    redis.kill9();
    reply down = wait_ready_status(s, 503, std::chrono::seconds{10});
    CHECK(is_envelope(down, 503));
    CHECK(down.detail() == "Not ready: redis.");
    CHECK(!down.header("X-Request-ID").empty());
    CHECK(s.get("/healthz").status() == 200);

    redis.restart();
    CHECK(wait_ready_status(s, 200, std::chrono::seconds{15}).status() == 200);

    // Stalled, not dead: the socket accepts, nothing answers. /readyz still answers within its
    // bound (1 s; Redis's own command timeout is 500 ms).
    redis.pause();
    for (int i = 0; i < 3; ++i) {
        auto start = std::chrono::steady_clock::now();
        reply stalled = s.get("/readyz");
        auto took = std::chrono::steady_clock::now() - start;
        CHECK(is_envelope(stalled, 503));
        CHECK(stalled.detail() == "Not ready: redis.");
        CHECK(took < std::chrono::milliseconds{1500});
        CHECK(s.get("/healthz").status() == 200);
    }
    redis.resume();
    CHECK(wait_ready_status(s, 200, std::chrono::seconds{15}).status() == 200);
}

TEST_CASE("shop: /readyz answers 503 naming the database while its file is moved away", "[shop]") {
    shop s;
    REQUIRE(s.get("/readyz").status() == 200);
    const std::string path = s.dir()->file("shop.db");
    std::filesystem::rename(path, path + ".moved");
    reply down = s.get("/readyz");
    CHECK(is_envelope(down, 503));
    CHECK(down.detail() == "Not ready: database.");
    CHECK(down.raw.body().find("shop.db") == std::string::npos);
    CHECK(s.get("/healthz").status() == 200);
    std::filesystem::rename(path + ".moved", path);
    CHECK(s.get("/readyz").status() == 200);
}
