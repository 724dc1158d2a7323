#ifndef RAMPART_TESTS_FAULTS_SHOP_HARNESS_HPP
#define RAMPART_TESTS_FAULTS_SHOP_HARNESS_HPP

// The example shop's whole API (examples/shop/app.hpp) served by rampart::server on a free
// port, in this process, over a database and stores the test owns, so that a test can break
// them while clients keep talking to the real server over real sockets.

#include "app.hpp"
#include "config.hpp"
#include "db.hpp"

#include "support/http_client.hpp"

#include <rampart/server.hpp>
#include <rampart/sqlite.hpp>

#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rampart::test::faults {

/// What the shop's demo data seeds: the user the tests log in as.
inline constexpr const char* shop_user = "alice";
inline constexpr const char* shop_password = "alice-pass-1234";

/// PBKDF2 iterations for the tests: weak on purpose, so a login costs microseconds.
inline constexpr std::uint32_t test_iterations = 1000;

/// The shop's configuration for fault tests: generous rates (a test that wants a limit sets
/// its own), one trusted proxy so tests pick client addresses with X-Forwarded-For.
inline shop::config test_config() {
    shop::config c;
    c.throttle_anon = throttle::parse_rate("100000/hour");
    c.throttle_user = throttle::parse_rate("100000/hour");
    c.throttle_login = throttle::parse_rate("100000/hour");
    c.trusted_proxies = 1;
    c.threads = 2;
    c.password_iterations = test_iterations;
    return c;
}

/// The shop's SQLite database on `path`, with the shop's migrations and demo data, a short busy
/// timeout (so a held lock turns into a 503 quickly) and the causes of every 503 collected.
class shop_database {
public:
    explicit shop_database(const std::string& path,
                           std::chrono::milliseconds busy_timeout = std::chrono::milliseconds{200},
                           std::size_t write_queue = 256)
        : db_({.path = path,
               .open = {.busy_timeout = busy_timeout},
               .workers = 2,
               .migrations = shop::migrations,
               .retry = {.attempts = 2, .backoff = std::chrono::milliseconds{10}},
               .log =
                   [this](const sqlite::error& e) {
                       std::lock_guard lock{mutex_};
                       causes_.push_back(e.extended_code());
                   },
               .write_queue = write_queue}) {
        jwt::password_hasher hasher{test_iterations, jwt::allow_weak_iterations};
        db_.async_run([&](sqlite::connection& c) { return shop::seed_demo_data(c, hasher); },
                      asio::use_future)
            .get();
    }

    sqlite::database& get() noexcept { return db_; }

    /// Runs `sql` on the writer's connection (a pragma that is per connection): the only one
    /// that writes; the read lane's connections are query-only.
    void on_writer_connection(const std::string& sql) {
        db_.async_run([&](sqlite::connection& c) { c.exec(sql); }, asio::use_future).get();
    }

    /// The extended result codes of the errors that became 503s so far.
    std::vector<int> causes() const {
        std::lock_guard lock{mutex_};
        return causes_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<int> causes_;
    sqlite::database db_;
};

/// The shop's API over `db` and the two stores, served on 127.0.0.1:<free port> by two threads.
template <class BucketStore, class TokenStore>
class shop_harness {
public:
    shop_harness(sqlite::database& db, BucketStore& buckets, TokenStore& tokens,
                 shop::config cfg = test_config())
        : cfg_(std::move(cfg)), catalog_(db), hasher_(test_iterations, jwt::allow_weak_iterations),
          api_(cfg_, catalog_, buckets, tokens, std::string(48, 's'), std::string(32, 'c'), hasher_,
               hashing_),
          server_(api_.handler(), server_settings()) {
        server_.start();
    }

    shop_harness(const shop_harness&) = delete;
    shop_harness& operator=(const shop_harness&) = delete;

    ~shop_harness() {
        server_.stop();
        server_.join();
        hashing_.join();
    }

    unsigned short port() const noexcept { return server_.port(); }

private:
    static server_config server_settings() {
        server_config sc;
        sc.endpoint = {asio::ip::make_address_v4("127.0.0.1"), 0};
        sc.threads = 2;
        sc.body_limit = 64 * 1024;
        return sc;
    }

    using api_type = shop::api<BucketStore, TokenStore>;
    using handler_type = decltype(std::declval<api_type&>().handler());

    shop::config cfg_;
    shop::catalog catalog_;
    jwt::password_hasher hasher_;
    jwt::hashing_pool hashing_{{.threads = 1}};
    api_type api_;
    server<decltype(make_handler(std::declval<handler_type>()))> server_;
};

/// A keep-alive client of the shop: JSON in, JSON out, an optional bearer token and client
/// address (sent as X-Forwarded-For, which the one trusted proxy of test_config() makes count).
class shop_client {
public:
    explicit shop_client(unsigned short port,
                         std::chrono::milliseconds timeout = std::chrono::seconds{10})
        : port_(port), timeout_(timeout) {}

    std::string token;     // sent as `Authorization: Bearer <token>` when not empty
    std::string client_ip; // sent as X-Forwarded-For when not empty

    /// Sends one request and reads its response; reconnects once when the kept-alive
    /// connection was closed in between. Throws when there is no answer.
    response call(http::verb method, const std::string& target, const std::string& body = {}) {
        request req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (!token.empty())
            req.set(http::field::authorization, "Bearer " + token);
        if (!client_ip.empty())
            req.set("X-Forwarded-For", client_ip);
        if (!body.empty() || method == http::verb::post) {
            req.set(http::field::content_type, "application/json");
            req.body() = body;
        }
        for (int attempt = 0;; ++attempt) {
            try {
                if (!connection_)
                    connection_ = std::make_unique<http_client>(port_, timeout_);
                response res = connection_->roundtrip(req);
                if (!res.keep_alive())
                    connection_.reset();
                return res;
            } catch (const std::exception&) {
                connection_.reset();
                if (attempt > 0)
                    throw;
            }
        }
    }

    response get(const std::string& target) { return call(http::verb::get, target); }
    response post(const std::string& target, const boost::json::value& body) {
        return call(http::verb::post, target, boost::json::serialize(body));
    }

private:
    unsigned short port_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<http_client> connection_;
};

/// Logs in as the demo user; returns {access, refresh}.
inline std::pair<std::string, std::string> login(unsigned short port) {
    shop_client c{port};
    response res = c.post("/api/token/", {{"username", shop_user}, {"password", shop_password}});
    if (res.result() != http::status::ok)
        throw std::runtime_error("login failed: " + res.body());
    auto body = boost::json::parse(res.body()).as_object();
    return {std::string(body.at("access").as_string()),
            std::string(body.at("refresh").as_string())};
}

/// The order body the tests place: one unit of `product`.
inline boost::json::object order_body(std::int64_t product) {
    return {{"product_id", product}, {"quantity", 1}, {"shipping_address", "1 Fault Lane"}};
}

/// Whether `res` is the error envelope with `status`: {"status":"error","code":N,...}.
inline bool is_envelope(const response& res, http::status status) {
    if (res.result() != status)
        return false;
    boost::system::error_code ec;
    auto v = boost::json::parse(res.body(), ec);
    if (ec || !v.is_object())
        return false;
    const auto& o = v.as_object();
    return o.contains("status") && o.at("status") == "error" && o.contains("code") &&
           o.at("code") == static_cast<int>(status) && o.contains("errors");
}

/** Clients reading from the shop without pause on their own keep-alive connections until
    stopped: the "others" a fault must not disturb. Counts answers by status, and requests that
    got no answer at all.
*/
class background_load {
public:
    /// `clients` threads GET `target`; with `rotate_addresses` each request comes from a new
    /// client address (so no per-address limit is reached), else each thread has its own.
    background_load(unsigned short port, std::string target, int clients = 2,
                    bool rotate_addresses = false) {
        for (int i = 0; i < clients; ++i)
            threads_.emplace_back([this, port, target, rotate_addresses, i] {
                shop_client c{port};
                c.client_ip = "192.0.2." + std::to_string(10 + i);
                for (unsigned n = 0; !stop_.load(); ++n) {
                    if (rotate_addresses)
                        c.client_ip = "10." + std::to_string(i) + "." +
                                      std::to_string((n >> 8) & 0xff) + "." +
                                      std::to_string(n & 0xff);
                    try {
                        response res = c.get(target);
                        std::lock_guard lock{mutex_};
                        ++by_status_[res.result_int()];
                    } catch (const std::exception&) {
                        std::lock_guard lock{mutex_};
                        ++unanswered_;
                    }
                }
            });
    }

    background_load(const background_load&) = delete;
    background_load& operator=(const background_load&) = delete;
    ~background_load() { stop(); }

    void stop() {
        stop_.store(true);
        for (auto& t : threads_)
            if (t.joinable())
                t.join();
    }

    /// Answers with `status` so far.
    std::size_t count(unsigned status) const {
        std::lock_guard lock{mutex_};
        auto it = by_status_.find(status);
        return it == by_status_.end() ? 0 : it->second;
    }
    std::size_t total() const {
        std::lock_guard lock{mutex_};
        std::size_t n = 0;
        for (auto& [status, k] : by_status_)
            n += k;
        return n;
    }
    /// Answers with a status in [low, high].
    std::size_t count_between(unsigned low, unsigned high) const {
        std::lock_guard lock{mutex_};
        std::size_t n = 0;
        for (auto& [status, k] : by_status_)
            if (status >= low && status <= high)
                n += k;
        return n;
    }
    std::size_t unanswered() const {
        std::lock_guard lock{mutex_};
        return unanswered_;
    }

private:
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::map<unsigned, std::size_t> by_status_;
    std::size_t unanswered_ = 0;
    std::vector<std::thread> threads_;
};

} // namespace rampart::test::faults

#endif
