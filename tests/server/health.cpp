// rampart::health over real sockets: /healthz, /readyz with checks that pass, fail, throw and
// hang (the answer still comes within the bound), methods, and everything else passing through.

#include "common.hpp"
#include "support/http_client.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/access_log.hpp>
#include <rampart/server/health.hpp>
#include <rampart/server/server.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

using namespace rampart;

namespace {

/// Ready or not as the test says; counts its calls.
struct switch_check {
    std::atomic<bool>* up;
    std::atomic<int>* calls;
    asio::awaitable<bool> operator()() const {
        calls->fetch_add(1);
        co_return up->load();
    }
};

/// Answers after `delay` on a timer: longer than the bound, it is a dependency that hangs.
struct slow_check {
    std::chrono::milliseconds delay;
    asio::awaitable<bool> operator()() const {
        asio::steady_timer timer{co_await asio::this_coro::executor};
        timer.expires_after(delay);
        co_await timer.async_wait(asio::use_awaitable);
        co_return true;
    }
};

struct throwing_check {
    asio::awaitable<bool> operator()() const {
        throw std::runtime_error("secret check detail");
        co_return true;
    }
};

static_assert(readiness_check<switch_check>);
static_assert(readiness_check<slow_check>);
static_assert(!readiness_check<int>);

struct collect {
    std::vector<std::string>* lines;
    std::mutex* mutex;
    void operator()(std::string_view line) const {
        std::lock_guard lock{*mutex};
        lines->emplace_back(line);
    }
};

/// Answers 202 to anything that reaches it, so a test sees what went past health.
struct teapot {
    asio::awaitable<response> operator()(context&) {
        co_return text_response(http::status::accepted, "past health");
    }
};

response get(unsigned short port, std::string target, http::verb method = http::verb::get) {
    test::http_client client{port};
    return client.roundtrip(test::make_get(std::move(target), method));
}

} // namespace

TEST_CASE("health: /healthz is 200, /readyz 200 while every check is ready, 503 naming the rest",
          "[concurrency]") {
    std::atomic<bool> db_up{true}, cache_up{true};
    std::atomic<int> db_calls{0}, cache_calls{0};
    std::vector<std::string> lines;
    std::mutex mutex;
    auto app =
        stack(error_envelope<>{}, access_log{collect{&lines, &mutex}, access_log_format::json},
              health{ready_check("database", switch_check{&db_up, &db_calls}),
                     ready_check("redis", switch_check{&cache_up, &cache_calls})})
            .wrap(teapot{});
    server srv{std::move(app), test::local_config()};
    srv.start();
    const auto port = srv.port();

    response live = get(port, "/healthz");
    CHECK(live.result() == http::status::ok);
    CHECK(boost::json::parse(live.body()) == boost::json::parse(R"({"status":"ok"})"));
    CHECK(live[http::field::cache_control] == "no-store");
    CHECK(db_calls == 0); // liveness asks nothing

    response ready = get(port, "/readyz");
    CHECK(ready.result() == http::status::ok);
    CHECK(boost::json::parse(ready.body()) ==
          boost::json::parse(R"({"status":"ok","checks":{"database":"ok","redis":"ok"}})"));
    CHECK(db_calls == 1);
    CHECK(cache_calls == 1);

    cache_up = false;
    response down = get(port, "/readyz");
    CHECK(down.result() == http::status::service_unavailable);
    auto envelope = test::envelope_of(down);
    CHECK(envelope.at("status") == "error");
    CHECK(envelope.at("code") == 503);
    CHECK(envelope.at("errors").at("detail") == "Not ready: redis.");
    CHECK(down[http::field::cache_control] == "no-store");
    CHECK(get(port, "/healthz").result() == http::status::ok); // alive all the same

    db_up = false;
    down = get(port, "/readyz");
    CHECK(test::envelope_of(down).at("errors").at("detail") == "Not ready: database, redis.");

    db_up = true;
    cache_up = true;
    CHECK(get(port, "/readyz?verbose=1").result() == http::status::ok);

    // Other paths and methods.
    CHECK(get(port, "/healthz/").result() == http::status::accepted);
    CHECK(get(port, "/").result() == http::status::accepted);
    response head = get(port, "/readyz", http::verb::head);
    CHECK(head.result() == http::status::ok);
    CHECK(head.body().empty());
    response post = get(port, "/healthz", http::verb::post);
    CHECK(post.result() == http::status::method_not_allowed);
    CHECK(post[http::field::allow] == "GET, HEAD");
    CHECK(test::envelope_of(post).at("code") == 405);

    srv.stop();
    srv.join();
    std::lock_guard lock{mutex};
    REQUIRE(lines.size() >= 3);
    auto first = boost::json::parse(lines[0]).as_object();
    CHECK(first.at("route") == "/healthz");
    auto second = boost::json::parse(lines[1]).as_object();
    CHECK(second.at("route") == "/readyz");
    CHECK(second.at("path") == "/readyz");
}

TEST_CASE(
    "health: a check that hangs or throws is not ready, and /readyz answers within its bound") {
    using namespace std::chrono_literals;
    auto app = stack(error_envelope<>{},
                     health{health_options{.timeout = 200ms}, ready_check("fast", slow_check{1ms}),
                            ready_check("stalled", slow_check{30s}),
                            ready_check("broken", throwing_check{})})
                   .wrap(teapot{});
    server srv{std::move(app), test::local_config()};
    srv.start();
    for (int i = 0; i < 3; ++i) {
        auto start = std::chrono::steady_clock::now();
        response res = get(srv.port(), "/readyz");
        auto took = std::chrono::steady_clock::now() - start;
        CHECK(res.result() == http::status::service_unavailable);
        auto detail = test::envelope_of(res).at("errors").at("detail");
        CHECK(detail == "Not ready: stalled, broken.");
        CHECK(res.body().find("secret") == std::string::npos);
        CHECK(took >= 190ms);
        CHECK(took < 2s);
    }
    // The stalled checks still running do not hold the server's shutdown.
    auto stopping = std::chrono::steady_clock::now();
    srv.stop();
    srv.join();
    CHECK(std::chrono::steady_clock::now() - stopping < 5s);
}

TEST_CASE("health: without checks /readyz is ready at once") {
    auto app = stack(error_envelope<>{}, health{}).wrap(teapot{});
    server srv{std::move(app), test::local_config()};
    srv.start();
    response res = get(srv.port(), "/readyz");
    CHECK(res.result() == http::status::ok);
    CHECK(boost::json::parse(res.body()) == boost::json::parse(R"({"status":"ok","checks":{}})"));
}

TEST_CASE("health: paths of one's own") {
    auto app = stack(error_envelope<>{},
                     health{health_options{.live_path = "/live", .ready_path = "/ready"}})
                   .wrap(teapot{});
    server srv{std::move(app), test::local_config()};
    srv.start();
    CHECK(get(srv.port(), "/live").result() == http::status::ok);
    CHECK(get(srv.port(), "/ready").result() == http::status::ok);
    CHECK(get(srv.port(), "/healthz").result() == http::status::accepted);
}
