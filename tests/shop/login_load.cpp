// The shop under a flood of logins: password hashing has a bounded queue, so a burst of
// logins from many addresses (each within its own login rate) gets 503 + Retry-After at once
// for what does not fit, instead of delaying every login behind it for seconds.

#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace shop_test;

namespace {

struct outcome {
    int status = -1; // -1: no answer within the client's timeout
    bool envelope = false;
    std::string retry_after;
    std::chrono::steady_clock::duration took{};
};

/// A login from client `ip` behind the trusted proxy.
rampart::request login_from(const std::string& ip, const std::string& user,
                            const std::string& password) {
    auto req =
        json_request(http::verb::post, "/api/token/",
                     json::serialize(json::value{{"username", user}, {"password", password}}));
    req.set("X-Forwarded-For", ip);
    return req;
}

} // namespace

TEST_CASE("shop: a login flood gets 503 + Retry-After at once, and a login after it succeeds",
          "[shop][concurrency]") {
    // 600,000 iterations: about a third of a second per check, so the two hashing threads and
    // their eight waiting places (the shop's pool) fill long before the first check ends.
    shop s{{{"SHOP_PASSWORD_ITERATIONS", "600000"},
            {"SHOP_TRUSTED_PROXIES", "1"},
            {"SHOP_THROTTLE_LOGIN", "3/minute"}}};
    const unsigned short port = s.port();
    constexpr int flood = 40;
    std::vector<outcome> outcomes(flood);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < flood; ++i)
        threads.emplace_back([&, i] {
            outcome& o = outcomes[static_cast<std::size_t>(i)];
            // Each client its own address, one attempt each: well within its login rate.
            std::string ip = "198.51.100." + std::to_string(i + 1);
            auto req = i % 2 ? login_from(ip, "alice", "wrong-" + std::to_string(i))
                             : login_from(ip, "nobody-" + std::to_string(i), "whatever");
            try {
                rampart::test::http_client client{port, std::chrono::seconds{12}};
                ready.fetch_add(1);
                while (ready.load() < flood) // connected: now all send together
                    std::this_thread::yield();
                auto start = std::chrono::steady_clock::now();
                rampart::response res = client.roundtrip(std::move(req));
                o.took = std::chrono::steady_clock::now() - start;
                reply r{std::move(res), nullptr};
                boost::system::error_code ec;
                r.body = json::parse(r.raw.body(), ec);
                o.status = r.status();
                o.envelope = is_envelope(r, o.status);
                o.retry_after = r.header("Retry-After");
            } catch (const std::exception&) {
                ready.fetch_add(1);
            }
        });
    for (auto& t : threads)
        t.join();

    int refused = 0, checked = 0;
    for (const outcome& o : outcomes) {
        CAPTURE(o.status, std::chrono::duration_cast<std::chrono::milliseconds>(o.took).count());
        CHECK((o.status == 401 || o.status == 503)); // every client answered, none 5xx else
        CHECK(o.envelope);
        if (o.status == 503) {
            ++refused;
            CHECK(o.retry_after == "1");
            // At once: a refusal waits for no hashing (loose bound: one check is ~0.3 s).
            CHECK(o.took < std::chrono::seconds{3});
        } else {
            ++checked;
        }
    }
    // At a refusal ten checks were admitted, and each of those got its 401.
    CHECK(refused >= 1);
    CHECK(checked >= 10);

    // The flood is over: a real login goes through at once, from a refused client's address too.
    std::string refused_ip;
    for (int i = 0; i < flood; ++i)
        if (outcomes[static_cast<std::size_t>(i)].status == 503)
            refused_ip = "198.51.100." + std::to_string(i + 1);
    REQUIRE_FALSE(refused_ip.empty());
    auto start = std::chrono::steady_clock::now();
    reply ok = s.send(login_from(refused_ip, "alice", "alice-pass-1234"));
    CHECK(ok.status() == 200);
    CHECK(ok.body.is_object());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{5});
}
