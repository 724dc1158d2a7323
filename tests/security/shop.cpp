// Security checks over real parts: the shop example's whole stack served by rampart::server on
// a real socket with a real SQLite file, and small custom stacks where a check needs a handler
// the shop does not have (one that throws with a secret, one that echoes a route parameter into
// Location).

#include "shop/app.hpp"

#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

#include <rampart/errors/envelope.hpp>
#include <rampart/jwt/authenticate.hpp>
#include <rampart/router/router.hpp>
#include <rampart/server.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/evp.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace json = boost::json;
using rampart::context;
using rampart::request;
using rampart::response;
namespace http = rampart::http;
using rampart::test::http_client;

// Counts the PBKDF2 work the process does: every call and its iterations. The test binary's own
// definition takes precedence over libcrypto's for the hasher's calls (compiled into this
// binary), and forwards to the real one.
namespace {
std::atomic<long> pbkdf2_calls{0};
std::atomic<long> pbkdf2_iterations{0};
} // namespace

extern "C" int PKCS5_PBKDF2_HMAC(const char* pass, int passlen, const unsigned char* salt,
                                 int saltlen, int iter, const EVP_MD* digest, int keylen,
                                 unsigned char* out) {
    using real_fn = int (*)(const char*, int, const unsigned char*, int, int, const EVP_MD*, int,
                            unsigned char*);
    static const auto real = reinterpret_cast<real_fn>(dlsym(RTLD_NEXT, "PKCS5_PBKDF2_HMAC"));
    pbkdf2_calls.fetch_add(1);
    pbkdf2_iterations.fetch_add(iter);
    return real(pass, passlen, salt, saltlen, iter, digest, keylen, out);
}

namespace {

constexpr unsigned iterations = 1000;
constexpr long initial_stock = 58 * 50 + 3 + 0; // the seed: products 7 and 8 are exceptions

/// Redirects this process's stderr (where the shop's access log and the envelope's default log
/// hook write) into a file while it lives; text() reads what was written.
class stderr_capture {
public:
    explicit stderr_capture(std::string path) : path_(std::move(path)) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~stderr_capture() { restore(); }
    std::string text() {
        restore();
        std::ifstream in{path_};
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    void restore() {
        if (saved_ < 0)
            return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    std::string path_;
    int saved_ = -1;
};

/// The shop, as its main() assembles it with in-process state, on a free port.
struct shop_server {
    rampart::test::temp_dir dir;
    shop::config cfg = make_config(dir);
    rampart::jwt::password_hasher hasher{iterations, rampart::jwt::allow_weak_iterations};
    rampart::sqlite::database db{{.path = cfg.db_path, .migrations = shop::migrations}};
    bool seeded =
        db.async_run(
              [this](rampart::sqlite::connection& c) { return shop::seed_demo_data(c, hasher); },
              boost::asio::use_future)
            .get()
            .value();
    shop::catalog catalog{db};
    rampart::throttle::memory_store<> buckets;
    rampart::jwt::memory_token_store<> tokens;
    rampart::jwt::hashing_pool hashing{{.threads = 2}};
    shop::api<rampart::throttle::memory_store<>, rampart::jwt::memory_token_store<>> api{
        cfg,    catalog, buckets, tokens, *cfg.jwt_secret, "cursor key for the tests",
        hasher, hashing};
    rampart::server<decltype(rampart::make_handler(api.handler()))> server{api.handler(),
                                                                           server_config()};

    shop_server() { server.start(); }
    ~shop_server() {
        server.stop();
        server.join();
        hashing.join();
    }

    static shop::config make_config(const rampart::test::temp_dir& d) {
        shop::config c;
        c.db_path = d.file("shop.db");
        c.jwt_secret = "security-test-secret-0123456789abcdef";
        c.throttle_anon = c.throttle_user = c.throttle_login =
            rampart::throttle::parse_rate("100000/second");
        return c;
    }
    static rampart::server_config server_config() {
        rampart::server_config sc;
        sc.endpoint = {boost::asio::ip::make_address_v4("127.0.0.1"), 0};
        sc.threads = 2;
        sc.body_limit = 64 * 1024;
        return sc;
    }

    response call(request req) {
        http_client client{server.port()};
        return client.roundtrip(std::move(req));
    }
    response get(const std::string& target, const std::string& token = {}) {
        auto req = rampart::test::make_get(target);
        if (!token.empty())
            req.set(http::field::authorization, "Bearer " + token);
        return call(std::move(req));
    }
    response post(const std::string& target, const std::string& body,
                  const std::string& token = {}) {
        auto req = rampart::test::make_get(target, http::verb::post);
        req.set(http::field::content_type, "application/json");
        if (!token.empty())
            req.set(http::field::authorization, "Bearer " + token);
        req.body() = body;
        return call(std::move(req));
    }
    std::string login(const std::string& user, const std::string& password) {
        auto res = post("/api/token/",
                        json::serialize(json::object{{"username", user}, {"password", password}}));
        REQUIRE(res.result_int() == 200);
        return std::string(json::parse(res.body()).at("access").as_string());
    }

    /// A number the database holds now, read through a connection of our own.
    long long scalar(const std::string& sql) {
        rampart::sqlite::connection c{cfg.db_path};
        auto& s = c.cached(sql);
        REQUIRE(s.step());
        return s.column<std::int64_t>(0);
    }
};

json::object envelope(const response& res) {
    auto v = json::parse(res.body());
    REQUIRE(v.is_object());
    return v.as_object();
}

bool has_no_line_break(std::string_view s) {
    return s.find('\r') == std::string_view::npos && s.find('\n') == std::string_view::npos;
}

} // namespace

TEST_CASE("header and token size limits: 431 in the envelope", "[security]") {
    shop_server shop;
    auto big_field = rampart::test::make_get("/api/v1/products/");
    big_field.set("X-Padding", std::string(9000, 'a'));
    auto res = shop.call(std::move(big_field));
    CHECK(res.result_int() == 431);
    CHECK(envelope(res).at("code").as_int64() == 431);

    auto res2 = shop.get("/api/v1/orders/", std::string(9000, 'A'));
    CHECK(res2.result_int() == 431);
}

TEST_CASE("login does the same PBKDF2 work for an unknown user and a wrong password",
          "[security]") {
    shop_server shop;
    auto attempt = [&](const std::string& user, const std::string& password) {
        pbkdf2_calls = 0;
        pbkdf2_iterations = 0;
        auto res =
            shop.post("/api/token/",
                      json::serialize(json::object{{"username", user}, {"password", password}}));
        return std::tuple{res.result_int(), res.body(), pbkdf2_calls.load(),
                          pbkdf2_iterations.load()};
    };
    auto [unknown_status, unknown_body, unknown_calls, unknown_iterations] =
        attempt("mallory", "alice-pass-1234");
    auto [wrong_status, wrong_body, wrong_calls, wrong_iterations] = attempt("alice", "guess");
    auto [right_status, right_body, right_calls, right_iterations] =
        attempt("alice", "alice-pass-1234");

    CHECK(unknown_status == 401);
    CHECK(wrong_status == 401);
    CHECK(unknown_body == wrong_body); // the same answer
    CHECK(unknown_calls == 1);
    CHECK(wrong_calls == 1);
    CHECK(unknown_iterations == iterations);
    CHECK(wrong_iterations == iterations);
    CHECK(right_status == 200);
    CHECK(right_iterations == iterations);
}

TEST_CASE("SQL injection through every parameter leaves the data intact", "[security]") {
    shop_server shop;
    std::string token = shop.login("alice", "alice-pass-1234");
    const std::string drop = "'); DROP TABLE orders; --";

    // Path ids, cursor, page size: refused before any query.
    for (std::string target :
         {"/api/v1/products/1%20OR%201=1/", "/api/v1/products/1;DROP%20TABLE%20products/",
          "/api/v2/products/0x1/", "/api/v1/products/-1%27--/"})
        CHECK(shop.get(target).result_int() == 404);
    CHECK(shop.get("/api/v1/orders/1%20OR%201=1/", token).result_int() == 404);
    for (std::string query :
         {"cursor=%27%20OR%201=1--", "cursor=1;DROP%20TABLE%20products", "page_size=1%20OR%201=1",
          "page_size=1;DROP%20TABLE%20products", "page_size=%27", "page_size=-1"}) {
        CHECK(shop.get("/api/v1/products/?" + query).result_int() == 400);
        CHECK(shop.get("/api/v1/orders/?" + query, token).result_int() == 400);
    }

    // Body fields of the wrong type: 400; the username through login: 401.
    for (std::string body :
         {R"({"product_id":"1 OR 1=1","quantity":1,"shipping_address":"x"})",
          R"({"product_id":1,"quantity":"1); DROP TABLE orders;--","shipping_address":"x"})",
          R"({"product_id":"1; UPDATE products SET stock=0","quantity":1,"shipping_address":"x"})"})
        CHECK(shop.post("/api/v1/orders/", body, token).result_int() == 400);
    for (std::string user :
         {"alice' --", "' OR '1'='1", "alice\" OR 1=1 --", "alice'; DROP TABLE users; --"})
        CHECK(shop.post("/api/token/", json::serialize(json::object{{"username", user},
                                                                    {"password", "' OR '1'='1"}}))
                  .result_int() == 401);

    // A shipping address is free text: stored and returned verbatim, nothing executed.
    auto created = shop.post("/api/v1/orders/",
                             json::serialize(json::object{
                                 {"product_id", 1}, {"quantity", 1}, {"shipping_address", drop}}),
                             token);
    REQUIRE(created.result_int() == 201);
    auto id = envelope(created).at("id").as_int64();
    auto fetched = shop.get("/api/v1/orders/" + std::to_string(id) + "/", token);
    REQUIRE(fetched.result_int() == 200);
    CHECK(envelope(fetched).at("shipping_address").as_string() == drop);

    CHECK(shop.scalar("SELECT COUNT(*) FROM users") == 2);
    CHECK(shop.scalar("SELECT COUNT(*) FROM products") == 60);
    CHECK(shop.scalar("SELECT COUNT(*) FROM orders") == 1);
    CHECK(shop.scalar("SELECT SUM(stock) FROM products") == initial_stock - 1);
}

TEST_CASE("a cursor changed in any character, or cut short, is refused", "[security]") {
    shop_server shop;
    auto first = shop.get("/api/v1/products/?page_size=2");
    REQUIRE(first.result_int() == 200);
    std::string next{envelope(first).at("next").as_string()};
    auto at = next.find("cursor=");
    REQUIRE(at != std::string::npos);
    auto end = next.find('&', at);
    std::string cursor = next.substr(at + 7, end == std::string::npos ? end : end - at - 7);
    REQUIRE(cursor.size() > 10);
    REQUIRE(shop.get("/api/v1/products/?page_size=2&cursor=" + cursor).result_int() == 200);

    std::size_t accepted = 0;
    for (std::size_t i = 0; i < cursor.size(); ++i) {
        std::string tampered = cursor;
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        auto res = shop.get("/api/v1/products/?page_size=2&cursor=" + tampered);
        if (res.result_int() != 400 || !envelope(res).at("errors").as_object().contains("cursor")) {
            ++accepted;
            UNSCOPED_INFO("position " << i << ": " << res.result_int());
        }
    }
    CHECK(accepted == 0);
    for (std::size_t cut : {std::size_t{1}, cursor.size() / 2, cursor.size() - 1})
        CHECK(shop.get("/api/v1/products/?page_size=2&cursor=" + cursor.substr(0, cut))
                  .result_int() == 400);
}

TEST_CASE("no password, token or query text in the shop's logs or error bodies", "[security]") {
    shop_server shop;
    std::string token = shop.login("alice", "alice-pass-1234");
    stderr_capture capture{shop.dir.file("stderr.log")};
    const std::string password = "Sup3r-S3cret-Passw0rd";
    auto refused =
        shop.post("/api/token/",
                  json::serialize(json::object{{"username", "alice"}, {"password", password}}));
    CHECK(refused.result_int() == 401);
    CHECK(refused.body().find(password) == std::string::npos);
    auto listed = shop.get("/api/v1/orders/?private=topsecretquery", token);
    CHECK(listed.result_int() == 200);
    auto bad = shop.get("/api/v1/orders/", token + "x");
    CHECK(bad.result_int() == 401);
    CHECK(bad.body().find(token) == std::string::npos);
    std::string log = capture.text();

    CHECK(log.find("/api/token/ 401") != std::string::npos); // the lines were captured
    CHECK(log.find(password) == std::string::npos);
    CHECK(log.find(token) == std::string::npos);
    CHECK(log.find("topsecretquery") == std::string::npos);
}

namespace {

/// A small stack of rampart's parts whose log outputs are all captured.
struct captured_service {
    std::mutex mutex;
    std::vector<std::string> access_lines;
    std::vector<std::string> hook_lines;
    rampart::jwt::key key = rampart::jwt::key::hs256("captured-service-secret-0123456789");
    rampart::jwt::verifier<> verifier{rampart::jwt::key_set{key}};
    rampart::jwt::memory_token_store<> store;
    rampart::router router;

    struct sink {
        captured_service* self;
        void operator()(std::string_view line) const {
            std::lock_guard lock{self->mutex};
            self->access_lines.emplace_back(line);
        }
    };

    auto handler() {
        rampart::internal_error_log hook = [this](std::exception_ptr e, const context& ctx) {
            std::string text{ctx.path()};
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                text += ": ";
                text += ex.what();
            }
            std::lock_guard lock{mutex};
            hook_lines.push_back(text);
        };
        return rampart::stack(rampart::error_envelope<>{{}, hook}, rampart::access_log{sink{this}},
                              rampart::jwt::authenticate{verifier, store}, rampart::jwt::enforce{})
            .wrap(router);
    }
};

} // namespace

TEST_CASE("exception text and secrets reach the log hook only, never a body or the access log",
          "[security]") {
    captured_service service;
    const std::string secret = "db-password=hunter2 at /srv/app/secret.cpp:42";
    auto routes = service.router.unversioned();
    routes.get(
        "/boom/",
        [&](context&) -> rampart::asio::awaitable<response> {
            throw std::runtime_error(secret);
            co_return response{};
        },
        "boom");
    routes.get(
        "/internal/",
        [&](context&) -> rampart::asio::awaitable<response> {
            throw rampart::internal_error{};
            co_return response{};
        },
        "internal");
    routes.get(
        "/odd/",
        [&](context&) -> rampart::asio::awaitable<response> {
            throw 42; // not even an exception
            co_return response{};
        },
        "odd");
    rampart::server_config sc = shop_server::server_config();
    rampart::server server{service.handler(), sc};
    server.start();

    std::vector<std::string> bodies;
    for (std::string target : {"/boom/", "/internal/", "/odd/", "/boom/?token=abc"}) {
        http_client client{server.port()};
        auto res = client.roundtrip(rampart::test::make_get(target));
        CHECK(res.result_int() == 500);
        CHECK(res[http::field::content_type] == "application/json");
        CHECK(res.body().find("hunter2") == std::string::npos);
        CHECK(res.body().find("secret.cpp") == std::string::npos);
        CHECK(res.body().find("runtime_error") == std::string::npos);
        bodies.push_back(res.body());
    }
    server.stop();
    server.join();
    // Every 500 body is the same generic text.
    for (auto& body : bodies)
        CHECK(body == bodies.front());
    CHECK(service.access_lines.size() == 4);
    for (auto& line : service.access_lines) {
        CHECK(line.find("hunter2") == std::string::npos);
        CHECK(line.find("token=abc") == std::string::npos);
        CHECK(line.find(" 500 ") != std::string::npos);
    }
    // The operator's hook does get the cause.
    REQUIRE(service.hook_lines.size() >= 2);
    CHECK(service.hook_lines.front().find("hunter2") != std::string::npos);
}

TEST_CASE("CR and LF never split a header or an access-log line", "[security]") {
    captured_service service;
    auto routes = service.router.unversioned();
    rampart::url_builder urls = service.router.urls();
    routes.get(
        "/echo/{name}/",
        [&](context& ctx) -> rampart::asio::awaitable<response> {
            response res{http::status::created, 11};
            std::string name{*ctx.param("name")};
            res.set(http::field::location, urls.absolute(ctx, "echo", {{"name", name}}));
            co_return res;
        },
        "echo");
    routes.get(
        "/who/",
        [&](context& ctx) -> rampart::asio::awaitable<response> {
            response res{http::status::ok, 11};
            res.body() = ctx.principal().user_id;
            co_return res;
        },
        "who");
    rampart::server server{service.handler(), shop_server::server_config()};
    server.start();

    SECTION("Location built from a route parameter that decodes to CR LF") {
        http_client client{server.port()};
        client.send("GET /echo/x%0D%0ASet-Cookie:%20stolen=1%0D%0A/ HTTP/1.1\r\nHost: "
                    "127.0.0.1\r\nConnection: close\r\n\r\n");
        client.wait_closed(std::chrono::seconds{10});
        std::string raw = client.unread();
        INFO(raw);
        CHECK(raw.find("\r\nSet-Cookie") == std::string::npos);
        CHECK(raw.rfind("HTTP/1.1 201", 0) == 0);
        auto location = raw.find("Location: ");
        REQUIRE(location != std::string::npos);
        std::string line = raw.substr(location, raw.find("\r\n", location) - location);
        CHECK(line.find("stolen") != std::string::npos); // percent-encoded, kept on its line
        CHECK(line.find("%0D%0A") != std::string::npos);
    }
    SECTION("a user id with CR LF in a valid token reaches the access log escaped") {
        rampart::jwt::issuer<> issuer{service.key};
        std::string token = issuer.access("7\r\nFORGED GET / 200").token;
        http_client client{server.port()};
        auto req = rampart::test::make_get("/who/");
        req.set(http::field::authorization, "Bearer " + token);
        auto res = client.roundtrip(std::move(req));
        CHECK(res.result_int() == 200);
        for (const auto& field : res)
            CHECK(has_no_line_break(field.value()));
    }
    SECTION("a path with control bytes is refused by the parser or escaped in the log") {
        http_client client{server.port()};
        client.send("GET /echo/%0A%0D%09/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        auto res = client.receive();
        CHECK(res.result_int() == 201);
    }
    server.stop();
    server.join();
    REQUIRE_FALSE(service.access_lines.empty());
    for (auto& line : service.access_lines) {
        INFO(line);
        CHECK(has_no_line_break(line));
        CHECK(line.find("FORGED GET") == std::string::npos);
    }
    bool escaped_user = false;
    for (auto& line : service.access_lines)
        escaped_user = escaped_user || line.find("user=7\\x0d\\x0aFORGED") != std::string::npos;
    // Only the section that sent the token has its line.
    if (service.access_lines.front().find("/who/") != std::string::npos)
        CHECK(escaped_user);
}

TEST_CASE("cookie attributes with CR, LF or separators are refused at construction", "[security]") {
    shop_server shop;
    rampart::jwt::key key = rampart::jwt::key::hs256("captured-service-secret-0123456789");
    rampart::jwt::issuer<> issuer{key};
    rampart::jwt::verifier<> verifier{rampart::jwt::key_set{key}};
    rampart::jwt::memory_token_store<> store;
    for (std::string bad : {"/\r\nSet-Cookie: a=b", "/\n", "/;Domain=evil", "/ x"}) {
        rampart::jwt::token_service_options options;
        options.transport = rampart::jwt::token_transport::cookies;
        options.cookies.path = bad;
        using service =
            rampart::jwt::token_service<rampart::jwt::memory_token_store<>, shop::user_directory,
                                        rampart::jwt::issuer<>, rampart::jwt::verifier<>>;
        CHECK_THROWS_AS(
            (service{issuer, verifier, store,
                     shop::user_directory{&shop.catalog, &shop.hasher, &shop.hashing}, options}),
            std::invalid_argument);
    }
}
