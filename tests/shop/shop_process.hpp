#ifndef RAMPART_TESTS_SHOP_SHOP_PROCESS_HPP
#define RAMPART_TESTS_SHOP_SHOP_PROCESS_HPP

// The real `shop` binary as a child process, on a free port, with its own database in a
// temporary directory, plus a tiny JSON-over-HTTP client for it. Every test of tests/shop talks
// to the shop over real sockets exactly as a client of the service would.

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace shop_test {

using rampart::test::http_client;
using rampart::test::process;
using rampart::test::temp_dir;
namespace http = rampart::http;
namespace json = boost::json;

/// The shop binary the build made (`$RAMPART_BINARY_DIR/examples/shop/shop`).
inline std::string shop_binary() {
    const char* dir = std::getenv("RAMPART_BINARY_DIR");
    if (!dir)
        throw std::runtime_error("RAMPART_BINARY_DIR is not set");
    return std::string(dir) + "/examples/shop/shop";
}

/// One response: status, headers, and the body parsed as JSON (null when it is not JSON).
struct reply {
    rampart::response raw;
    json::value body;

    int status() const { return static_cast<int>(raw.result_int()); }
    std::string header(std::string_view name) const {
        auto it = raw.find(name);
        return it == raw.end() ? std::string{} : std::string(it->value());
    }
    bool has_header(std::string_view name) const { return raw.find(name) != raw.end(); }
    /// The envelope's `errors` object (throws when the body is not an error envelope).
    const json::object& errors() const { return body.at("errors").as_object(); }
    /// The messages for `field` in the envelope, as strings.
    std::vector<std::string> messages(std::string_view field) const {
        std::vector<std::string> out;
        for (const auto& m : errors().at(field).as_array())
            out.emplace_back(m.as_string());
        return out;
    }
    std::string detail() const { return std::string(errors().at("detail").as_string()); }
    std::string text(std::string_view key) const { return std::string(body.at(key).as_string()); }
};

/// Whether `r` is the contract's envelope for status `code`.
inline bool is_envelope(const reply& r, int code) {
    return r.header("Content-Type").rfind("application/json", 0) == 0 && r.body.is_object() &&
           r.body.as_object().size() == 3 && r.body.at("status") == "error" &&
           r.body.at("code") == code && r.body.at("errors").is_object() && r.status() == code;
}

/// Sends `req` to 127.0.0.1:`port` on a new connection and reads the answer.
inline reply exchange(unsigned short port, rampart::request req) {
    http_client client{port};
    reply r{client.roundtrip(std::move(req)), nullptr};
    boost::system::error_code ec;
    json::value parsed = json::parse(r.raw.body(), ec);
    if (!ec)
        r.body = std::move(parsed);
    return r;
}

/// A request with a JSON body (Content-Type set unless `content_type` is empty).
inline rampart::request json_request(http::verb method, std::string target, std::string body,
                                     const std::string& token = {},
                                     std::string content_type = "application/json") {
    rampart::request req{method, std::move(target), 11};
    req.set(http::field::host, "127.0.0.1");
    if (!content_type.empty())
        req.set(http::field::content_type, content_type);
    if (!token.empty())
        req.set(http::field::authorization, "Bearer " + token);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

/// Settings every test shop starts with unless the test says otherwise: a free port, cheap
/// password hashing, two threads, and throttles too high to matter.
inline process::environment default_environment(const std::string& db) {
    return {{"SHOP_LISTEN", "127.0.0.1:0"},
            {"SHOP_DB", db},
            {"SHOP_PASSWORD_ITERATIONS", "1000"},
            {"SHOP_THREADS", "2"},
            {"SHOP_THROTTLE_ANON", "1000000/second"},
            {"SHOP_THROTTLE_USER", "1000000/second"},
            {"SHOP_THROTTLE_LOGIN", "1000000/second"},
            {"SHOP_JWT_SECRET", std::nullopt},
            {"SHOP_REDIS", std::nullopt},
            {"SHOP_ACCESS_TTL", std::nullopt},
            {"SHOP_REFRESH_TTL", std::nullopt},
            {"SHOP_TRUSTED_PROXIES", std::nullopt},
            {"SHOP_ALLOWED_HOSTS", std::nullopt},
            {"SHOP_PUBLIC_URL", std::nullopt},
            {"SHOP_SWAGGER_UI", std::nullopt},
            {"SHOP_TLS_CERT", std::nullopt},
            {"SHOP_TLS_KEY", std::nullopt},
            {"SHOP_METRICS", std::nullopt},
            {"SHOP_LOG_FORMAT", std::nullopt},
            {"SHOP_REDIS_BREAKER_FAILURES", std::nullopt},
            {"SHOP_REDIS_BREAKER_PROBE_MS", std::nullopt}};
}

/// The caller's environment without the SHOP_* settings above, for a shop started without
/// default_environment (`--help`): a setting the caller exported changes nothing.
inline process::environment without_shop_settings() {
    process::environment env = default_environment({});
    for (auto& [name, value] : env)
        value = std::nullopt;
    return env;
}

/// A running shop. Its database lives in `dir` (a fresh one unless given), so a test can
/// restart a shop on the same data.
class shop {
public:
    explicit shop(process::environment changes = {}, std::shared_ptr<temp_dir> dir = nullptr)
        : dir_(dir ? std::move(dir) : std::make_shared<temp_dir>()) {
        process::environment env = default_environment(dir_->file("shop.db"));
        for (auto& [name, value] : changes)
            env[name] = value;
        proc_ = std::make_unique<process>(shop_binary(), std::vector<std::string>{}, env);
        auto line = proc_->wait_for_line("shop: listening on http://", std::chrono::seconds{30});
        if (!line)
            throw std::runtime_error("shop did not start: " + proc_->errors());
        auto colon = line->find(':', line->find("127.0.0.1"));
        port_ = static_cast<unsigned short>(std::stoi(line->substr(colon + 1)));
    }

    unsigned short port() const noexcept { return port_; }
    process& proc() noexcept { return *proc_; }
    const std::shared_ptr<temp_dir>& dir() const noexcept { return dir_; }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

    reply send(rampart::request req) const { return exchange(port_, std::move(req)); }

    reply get(std::string target, const std::string& token = {},
              http::verb method = http::verb::get) const {
        rampart::request req = rampart::test::make_get(std::move(target), method);
        if (!token.empty())
            req.set(http::field::authorization, "Bearer " + token);
        return send(std::move(req));
    }

    reply post(std::string target, std::string body, const std::string& token = {}) const {
        return send(json_request(http::verb::post, std::move(target), std::move(body), token));
    }

    reply post(std::string target, const json::value& body, const std::string& token = {}) const {
        return post(std::move(target), json::serialize(body), token);
    }

    /// Logs in; returns {access, refresh} (throws unless the shop answers 200).
    std::pair<std::string, std::string> login(const std::string& user = "alice",
                                              const std::string& password = "alice-pass-1234") {
        reply r = post("/api/token/", json::value{{"username", user}, {"password", password}});
        if (r.status() != 200)
            throw std::runtime_error("login failed: " + r.raw.body());
        return {r.text("access"), r.text("refresh")};
    }

    /// The stock of product `id`, read through the API.
    std::int64_t stock(int id) const {
        reply r = get("/api/v1/products/" + std::to_string(id) + "/");
        return r.body.at("stock").as_int64();
    }

    /// Sends SIGTERM and returns the exit code (nullopt when it did not exit within `bound`).
    std::optional<int> terminate(std::chrono::milliseconds bound = std::chrono::seconds{20}) {
        proc_->signal(SIGTERM);
        return proc_->wait(bound);
    }

private:
    std::shared_ptr<temp_dir> dir_;
    std::unique_ptr<process> proc_;
    unsigned short port_ = 0;
};

/// An order body as a JSON object.
inline json::value order_body(std::int64_t product, std::int64_t quantity,
                              std::string address = "1 Main St, Springfield") {
    return {{"product_id", product}, {"quantity", quantity}, {"shipping_address", address}};
}

} // namespace shop_test

#endif
