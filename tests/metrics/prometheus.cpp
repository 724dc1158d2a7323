// The real Prometheus tools against the real shop: `promtool check metrics` on what /metrics
// serves, and a Prometheus server that scrapes the shop and answers queries about it.

#include "shop/shop_process.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

using namespace shop_test;
using namespace std::chrono_literals;

namespace {

/// What `promtool check metrics` says of `text`: its exit status and its output.
std::pair<int, std::string> promtool_check(const std::string& text) {
    temp_dir dir;
    std::string file = dir.file("metrics.txt");
    std::ofstream(file, std::ios::binary) << text;
    process tool{"/bin/sh", {"-c", "exec /usr/bin/promtool check metrics < " + file}};
    std::optional<int> status = tool.wait(30s);
    REQUIRE(status);
    return {*status, tool.output() + tool.errors()};
}

/// A port nothing listens on now (the kernel's choice).
unsigned short free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string percent_encode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

/// Some of everything the shop counts: routes with ids, a login, a refresh, errors.
void exercise(shop& s) {
    for (int id = 1; id <= 20; ++id)
        REQUIRE(s.get("/api/v1/products/" + std::to_string(id) + "/").status() < 500);
    REQUIRE(s.get("/api/v2/products/").status() == 200);
    REQUIRE(s.get("/api/v1/no/such/path/").status() == 404);
    auto [access, refresh] = s.login();
    REQUIRE(s.get("/api/v1/orders/", access).status() == 200);
    REQUIRE(s.post("/api/token/refresh/", json::value{{"refresh", refresh}}).status() == 200);
    REQUIRE(
        s.post("/api/token/", json::value{{"username", "alice"}, {"password", "wrong"}}).status() ==
        401);
}

} // namespace

TEST_CASE("prometheus: promtool check metrics accepts the shop's /metrics") {
    shop s;
    exercise(s);
    reply r = s.get("/metrics");
    REQUIRE(r.status() == 200);
    CHECK(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = r.raw.body();
    // What the contract lists, each there.
    CHECK(text.find("http_requests_total{route=\"/products/{id:int}/\",method=\"GET\","
                    "code=\"200\"} 20\n") != std::string::npos);
    CHECK(text.find("/products/7/") == std::string::npos); // never the raw path
    CHECK(
        text.find("http_request_duration_seconds_bucket{route=\"/api/token/\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
    CHECK(text.find("rampart_token_events_total{event=\"obtained\"} 1\n") != std::string::npos);
    CHECK(text.find("rampart_token_events_total{event=\"refreshed\"} 1\n") != std::string::npos);
    CHECK(text.find("rampart_throttle_decisions_total{scope=\"login\",decision=\"allowed\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("rampart_store_operations_total{store=\"sqlite\",outcome=\"ok\"} ") !=
          std::string::npos);
    // At least the scraping connection; the exercise's connections may not have closed yet.
    auto gauge = text.find("\nrampart_open_connections ");
    REQUIRE(gauge != std::string::npos);
    gauge += std::string_view("\nrampart_open_connections ").size();
    double open = std::stod(text.substr(gauge, text.find('\n', gauge) - gauge));
    CHECK(open >= 1);
    CHECK(open <= 3);

    auto [status, said] = promtool_check(text);
    INFO(said);
    CHECK(status == 0);
}

TEST_CASE("prometheus: promtool refuses what breaks the format's conventions") {
    // The check above can fail: the same tool refuses a counter without `_total` and a
    // malformed sample.
    auto [lint_status, lint_said] =
        promtool_check("# HELP jobs Jobs.\n# TYPE jobs counter\njobs 1\n");
    CHECK(lint_status != 0);
    CHECK(lint_said.find("_total") != std::string::npos);
    auto [parse_status, parse_said] =
        promtool_check("# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"b} 1\n");
    CHECK(parse_status != 0);
}

TEST_CASE("prometheus: /metrics is unthrottled and needs no token, SHOP_METRICS=off is 404") {
    {
        shop s{{{"SHOP_THROTTLE_ANON", "1/hour"}}};
        CHECK(s.get("/api/v1/products/").status() == 200);
        CHECK(s.get("/api/v1/products/").status() == 429);
        for (int i = 0; i < 3; ++i)
            CHECK(s.get("/metrics").status() == 200); // no token, no rate spent
        CHECK(s.get("/metrics", "not.a.token").status() == 200);
        CHECK(s.get("/metrics", {}, http::verb::delete_).status() == 405);
    }
    shop off{{{"SHOP_METRICS", "off"}}};
    reply r = off.get("/metrics");
    CHECK(r.status() == 404);
    CHECK(is_envelope(r, 404));
    CHECK(off.get("/api/v1/products/").status() == 200); // the rest serves as before
}

TEST_CASE("prometheus: SHOP_METRICS takes on or off, the flag --metrics too") {
    temp_dir dir;
    auto env = default_environment(dir.file("shop.db"));
    env["SHOP_METRICS"] = "maybe";
    process bad{shop_binary(), {}, env};
    std::optional<int> code = bad.wait(30s);
    REQUIRE(code);
    CHECK(*code != 0);
    CHECK(*code < 128);
    CHECK(bad.errors().find("SHOP_METRICS") != std::string::npos);
    CHECK(bad.output().find("listening") == std::string::npos);

    env["SHOP_METRICS"] = "off";
    process on{shop_binary(), {"--metrics", "on"}, env}; // the flag wins
    auto line = on.wait_for_line("shop: listening on http://", 30s);
    REQUIRE(line);
    auto colon = line->find(':', line->find("127.0.0.1"));
    auto port = static_cast<unsigned short>(std::stoi(line->substr(colon + 1)));
    CHECK(exchange(port, rampart::test::make_get("/metrics")).status() == 200);
    on.signal(SIGTERM);
    CHECK(on.wait(30s) == 0);
}

TEST_CASE("prometheus: a real Prometheus server scrapes the shop", "[prometheus]") {
    shop s;
    exercise(s);
    temp_dir dir;
    unsigned short web = free_port();
    std::ofstream(dir.file("prometheus.yml")) << "global:\n"
                                                 "  scrape_interval: 1s\n"
                                                 "  evaluation_interval: 1s\n"
                                                 "scrape_configs:\n"
                                                 "  - job_name: shop\n"
                                                 "    metrics_path: /metrics\n"
                                                 "    static_configs:\n"
                                                 "      - targets: ['127.0.0.1:"
                                              << s.port() << "']\n";
    process prometheus{"/usr/bin/prometheus",
                       {"--config.file=" + dir.file("prometheus.yml"),
                        "--web.listen-address=127.0.0.1:" + std::to_string(web),
                        "--storage.tsdb.path=" + dir.file("data")}};
    REQUIRE(prometheus.wait_for_errors(
        [](const std::string& err) {
            return err.find("Server is ready to receive web requests") != std::string::npos;
        },
        60s));

    // The value of `query`'s first result once Prometheus has one (the first scrape comes
    // within a scrape interval or so).
    auto query = [&](const std::string& promql) -> std::string {
        auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            reply r = exchange(
                web, rampart::test::make_get("/api/v1/query?query=" + percent_encode(promql)));
            REQUIRE(r.status() == 200);
            REQUIRE(r.body.at("status") == "success");
            const auto& result = r.body.at("data").at("result").as_array();
            if (!result.empty())
                return std::string(result[0].at("value").as_array()[1].as_string());
            std::this_thread::sleep_for(200ms);
        }
        return "(no result)";
    };
    CHECK(query("up{job=\"shop\"}") == "1");
    CHECK(query("http_requests_total{job=\"shop\",route=\"/products/{id:int}/\",method=\"GET\","
                "code=\"200\"}") == "20");
    CHECK(query("rampart_token_events_total{job=\"shop\",event=\"obtained\"}") == "1");
    // A histogram as Prometheus reads it: the count of its +Inf bucket.
    CHECK(
        query("http_request_duration_seconds_count{job=\"shop\",route=\"/products/{id:int}/\"}") ==
        "20");

    prometheus.signal(SIGTERM);
    CHECK(prometheus.wait(30s));
}
