// The shop under concurrent clients: orders never oversell, and a refresh token is used once.

#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace shop_test;

namespace {

/// Runs `n` calls of `f(i)` on `n` threads released together; returns their statuses (-1 for a
/// call that got no answer).
template <class F>
std::vector<int> all_at_once(int n, F f) {
    std::vector<int> statuses(static_cast<std::size_t>(n), 0);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            ready.fetch_add(1);
            while (ready.load() < n)
                std::this_thread::yield();
            try {
                statuses[static_cast<std::size_t>(i)] = f(i);
            } catch (const std::exception&) {
                statuses[static_cast<std::size_t>(i)] = -1; // no answer: counted as a failure
            }
        });
    for (auto& t : threads)
        t.join();
    return statuses;
}

} // namespace

TEST_CASE("shop: 40 concurrent orders for 3 items sell exactly 3", "[shop][concurrency]") {
    shop s{{{"SHOP_THREADS", "4"}}};
    const std::string alice = s.login().first; // plain variables: the threads capture them
    const std::string bob = s.login("bob", "bob-pass-1234").first;
    REQUIRE(s.stock(7) == 3);
    std::vector<std::string> bodies;
    auto statuses = all_at_once(40, [&](int i) {
        reply r = s.post("/api/v1/orders/", order_body(7, 1), i % 2 ? alice : bob);
        if (r.status() == 400) {
            // Every refusal is the stock message on quantity, nothing else.
            CHECK(r.body.at("errors") ==
                  json::parse(R"({"quantity":["Insufficient stock for this product."]})"));
        }
        return r.status();
    });
    CHECK(std::count(statuses.begin(), statuses.end(), 201) == 3);
    CHECK(std::count(statuses.begin(), statuses.end(), 400) == 37);
    CHECK(s.stock(7) == 0);
    CHECK(s.get("/api/v2/products/7/").body.at("in_stock") == false);
    std::size_t orders = s.get("/api/v1/orders/", alice).body.at("results").as_array().size() +
                         s.get("/api/v1/orders/", bob).body.at("results").as_array().size();
    CHECK(orders == 3);
}

TEST_CASE("shop: concurrent orders of mixed sizes never oversell", "[shop][concurrency]") {
    shop s{{{"SHOP_THREADS", "4"}}};
    const std::string alice = s.login().first;
    std::atomic<std::int64_t> sold{0};
    // Product 5 has 50: 30 orders of 1..3 ask for 60.
    auto statuses = all_at_once(30, [&](int i) {
        int quantity = 1 + i % 3;
        reply r = s.post("/api/v2/orders/", order_body(5, quantity), alice);
        if (r.status() == 201)
            sold += quantity;
        return r.status();
    });
    for (int status : statuses)
        CHECK((status == 201 || status == 400));
    CHECK(s.stock(5) == 50 - sold.load());
    CHECK(s.stock(5) >= 0);
    CHECK(sold.load() <= 50);
    CHECK(sold.load() >= 48); // refused only when what remained could not cover the order
}

TEST_CASE("shop: 20 concurrent refreshes of one token: exactly one succeeds",
          "[shop][concurrency]") {
    shop s{{{"SHOP_THREADS", "4"}}};
    const std::string refresh = s.login().second;
    std::vector<std::string> winners(20);
    auto statuses = all_at_once(20, [&](int i) {
        reply r = s.post("/api/token/refresh/", json::value{{"refresh", refresh}});
        if (r.status() == 200)
            winners[static_cast<std::size_t>(i)] = r.text("refresh");
        else
            CHECK(is_envelope(r, 401));
        return r.status();
    });
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), 401) == 19);
    // The losers were reuses: the family is revoked, the winner's new token included.
    for (const auto& w : winners)
        if (!w.empty())
            CHECK(is_envelope(s.post("/api/token/refresh/", json::value{{"refresh", w}}), 401));
}
