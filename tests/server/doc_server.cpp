// The examples of docs/server.md, compiled and run.

#include <rampart/server.hpp>

#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/tls.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace http = boost::beast::http;

namespace doc {

inline boost::asio::awaitable<rampart::response> handler(rampart::context&) {
    co_return rampart::text_response(http::status::ok, "hi");
}

boost::asio::awaitable<rampart::response> whoami(rampart::context& ctx) {
    // The same id the client gets in X-Request-ID and the access log records.
    co_return rampart::text_response(http::status::ok, std::string(ctx.request_id()));
}

// A readiness check of one's own: any const callable giving asio::awaitable<bool>.
struct queue_check {
    const std::atomic<bool>* connected;
    boost::asio::awaitable<bool> operator()() const { co_return connected->load(); }
};

// Never called by the tests (it blocks until a signal): compiled to keep the example honest.
[[maybe_unused]] int serve_main() {
    rampart::server_config config;
    config.endpoint = {boost::asio::ip::make_address("0.0.0.0"), 8080};
    config.threads = 4;
    config.body_limit = 256 * 1024;
    config.read_timeout = std::chrono::seconds{10};
    config.server_name = "shop";

    auto app = rampart::stack(rampart::error_envelope<>{}, rampart::access_log{}).wrap(handler);
    rampart::server server{std::move(app), config};
    server.run_until_signal(); // SIGINT / SIGTERM: graceful shutdown, then returns
    return 0;
}

// Never called either: HTTPS on 8443 and HTTP on 8080, reloaded on SIGHUP.
[[maybe_unused]] int serve_tls_main() {
    rampart::server_config config;
    config.endpoint = {boost::asio::ip::make_address("0.0.0.0"), 8443};
    config.tls = rampart::tls_context{
        {.cert_chain_file = "/etc/shop/fullchain.pem", .key_file = "/etc/shop/privkey.pem"}};
    rampart::server server{doc::handler, config};
    server.listen({boost::asio::ip::make_address("0.0.0.0"), 8080}); // plain HTTP beside it
    server.run_until_signal(); // SIGHUP reloads the certificate and key
    return 0;
}

struct memory_sink {
    std::vector<std::string>* lines;
    std::mutex* mutex;
    void operator()(std::string_view line) {
        std::lock_guard lock{*mutex};
        lines->emplace_back(line);
    }
};

} // namespace doc

TEST_CASE("docs/server.md: a server in the background on a free port", "[concurrency]") {
    rampart::server_config config;
    config.endpoint.port(0); // any free port
    rampart::server server{doc::handler, config};
    server.start(); // background threads
    auto port = server.port();
    // ... talk to 127.0.0.1:port ...
    server.stop(); // graceful: returns at once
    server.join(); // waits until everything finished

    CHECK(port != 0);
}

TEST_CASE("docs/server.md: the access log with a custom sink", "[concurrency]") {
    std::vector<std::string> lines;
    std::mutex mutex;
    rampart::server_config config;
    config.endpoint.port(0);

    auto app = rampart::stack(rampart::error_envelope<>{},
                              rampart::access_log{doc::memory_sink{&lines, &mutex}})
                   .wrap(doc::handler);
    // The server's own answers (400, 413, 431, 501, 503...) go to the same sink.
    config.access_log_sink = doc::memory_sink{&lines, &mutex};
    rampart::server server{std::move(app), config};
    server.start();
    rampart::test::http_client client{server.port()};
    CHECK(client.roundtrip(rampart::test::make_get("/hello")).body() == "hi");
    rampart::test::http_client refused{server.port()};
    refused.send("GET /no-host HTTP/1.1\r\n\r\n");
    CHECK(refused.receive().result_int() == 400);
    server.stop();
    server.join();

    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find(" GET /hello 200 ") != std::string::npos);
    CHECK(lines[1].find(" GET /no-host 400 ") != std::string::npos);
}

TEST_CASE("docs/server.md: other components on the server's io_context", "[concurrency]") {
    rampart::server_config config;
    config.endpoint.port(0);
    rampart::server server{doc::handler, config};
    bool fired = false;

    boost::asio::steady_timer timer{server.get_executor()};
    timer.expires_after(std::chrono::milliseconds{0});
    timer.async_wait([&](boost::system::error_code) { fired = true; });

    server.start();
    rampart::test::http_client client{server.port()};
    client.roundtrip(rampart::test::make_get("/"));
    server.stop();
    server.join();
    CHECK(fired);
}

TEST_CASE("docs/server.md: access lines written in batches", "[concurrency]") {
    rampart::log_writer access_lines{
        {.fd = STDERR_FILENO, .interval = std::chrono::milliseconds{50}}};
    rampart::server_config config;
    config.endpoint.port(0); // any free port
    config.access_log_sink = access_lines.sink();
    auto app = rampart::stack(rampart::error_envelope<>{}, rampart::access_log{access_lines.sink()})
                   .wrap(doc::handler);
    rampart::server server{std::move(app), config};

    server.start();
    rampart::test::http_client client{server.port()};
    CHECK(client.roundtrip(rampart::test::make_get("/batched")).body() == "hi");
    rampart::test::http_client refused{server.port()};
    refused.send("GET /batched-no-host HTTP/1.1\r\n\r\n");
    CHECK(refused.receive().result_int() == 400);
    CHECK(refused.wait_closed(std::chrono::seconds{10}));
    server.stop();
    server.join();
    access_lines.flush();
    CHECK(access_lines.written() == 2);
    CHECK(access_lines.dropped() == 0);
}

TEST_CASE("docs/server.md: an HTTPS listener beside the plain one, reloaded", "[concurrency]") {
    rampart::test::temp_dir dir;
    auto cert_file = dir.file("cert.pem"), key_file = dir.file("key.pem");
    auto write = [&](const std::string& name) {
        auto made = rampart::test::make_self_signed(name, "127.0.0.1");
        std::ofstream{cert_file, std::ios::trunc} << made.cert_pem;
        std::ofstream{key_file, std::ios::trunc} << made.key_pem;
    };
    write("first.test");
    auto renew_certificate = [&](const std::string&, const std::string&) { write("second.test"); };

    rampart::tls_context tls{{.cert_chain_file = cert_file, .key_file = key_file}};
    rampart::server_config config;
    config.endpoint.port(0);
    rampart::server server{doc::handler, config}; // plain HTTP on config.endpoint
    auto https = server.listen_tls({boost::asio::ip::make_address("127.0.0.1"), 0}, tls);
    server.start();
    renew_certificate(cert_file, key_file); // e.g. certbot wrote new files
    tls.reload(); // throws rampart::tls_error, and keeps the old ones, when they are unusable

    CHECK(https.port() != server.port());
    CHECK(tls.generation() == 1);
    rampart::test::http_client plain{server.port()};
    CHECK(plain.roundtrip(rampart::test::make_get("/")).body() == "hi");
    std::ofstream{key_file, std::ios::trunc} << "renewed badly";
    CHECK_THROWS_AS(tls.reload(), rampart::tls_error);
    CHECK(tls.generation() == 1);
    server.stop();
    server.join();
}

TEST_CASE("docs/server.md: JSON access lines and request ids", "[concurrency]") {
    std::vector<std::string> lines;
    std::mutex mutex;
    rampart::server_config config;
    config.endpoint.port(0);

    auto app = rampart::stack(rampart::error_envelope<>{},
                              rampart::access_log{doc::memory_sink{&lines, &mutex},
                                                  rampart::access_log_format::json})
                   .wrap(doc::whoami);
    config.access_log_sink = doc::memory_sink{&lines, &mutex};
    config.access_log_format = rampart::access_log_format::json;
    rampart::server server{std::move(app), config};
    server.start();
    rampart::test::http_client client{server.port()};
    auto req = rampart::test::make_get("/hello");
    req.set("X-Request-ID", "doc-1");
    auto res = client.roundtrip(req);
    CHECK(res.body() == "doc-1");
    CHECK(res["X-Request-ID"] == "doc-1");
    server.stop();
    server.join();
    REQUIRE(lines.size() == 1);
    auto line = boost::json::parse(lines[0]).as_object();
    CHECK(line.at("request_id") == "doc-1");
    CHECK(line.at("path") == "/hello");
}

TEST_CASE("docs/server.md: health endpoints", "[concurrency]") {
    std::atomic<bool> connected{true};
    rampart::server_config config;
    config.endpoint.port(0);

    auto app =
        rampart::stack(
            rampart::error_envelope<>{},
            rampart::health{rampart::health_options{.timeout = std::chrono::milliseconds{500}},
                            rampart::ready_check("queue", doc::queue_check{&connected})})
            .wrap(doc::handler);
    rampart::server server{std::move(app), config};
    server.start();
    rampart::test::http_client client{server.port()};
    CHECK(client.roundtrip(rampart::test::make_get("/healthz")).result_int() == 200);
    CHECK(client.roundtrip(rampart::test::make_get("/readyz")).result_int() == 200);
    connected = false;
    auto down = client.roundtrip(rampart::test::make_get("/readyz"));
    CHECK(down.result_int() == 503);
    CHECK(down.body().find("Not ready: queue.") != std::string::npos);
    CHECK(client.roundtrip(rampart::test::make_get("/other")).body() == "hi");
    server.stop();
    server.join();
}
