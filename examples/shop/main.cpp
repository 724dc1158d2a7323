// shop: the rampart example service. See ../../docs/shop-api.md for its contract and
// docs/shop.md for a walk through this code.

#include "app.hpp"
#include "config.hpp"
#include "db.hpp"

#include <rampart/jwt/secret.hpp>
#include <rampart/metrics.hpp>
#include <rampart/redis.hpp>
#include <rampart/server/listen.hpp>
#include <rampart/server/tls.hpp>

#include <boost/asio/use_future.hpp>

#include <iostream>

namespace {

/// SHOP_JWT_SECRET, or the secret kept beside the database (made once, readable by its owner
/// only; a copy readable by others is used, with a warning).
std::string load_or_create_secret(const shop::config& cfg) {
    if (cfg.jwt_secret)
        return *cfg.jwt_secret;
    std::string path = cfg.db_path + ".secret";
    rampart::jwt::secret_file kept;
    try {
        kept = rampart::jwt::load_or_create_secret_file(path, 32);
    } catch (const rampart::jwt::secret_file_error& e) {
        throw shop::config_error(std::string(e.what()) +
                                 "; fix or delete the file to make a new one, or set "
                                 "SHOP_JWT_SECRET");
    }
    if (kept.readable_by_others)
        std::cerr << "shop: warning: the JWT secret file " << path
                  << " is readable by other users; run: chmod 600 " << path << '\n';
    return kept.secret;
}

/// A key for cursors, derived from the JWT secret so one secret configures the instance.
std::string cursor_key(const std::string& secret) {
    return rampart::jwt::derive_key(secret, "shop pagination cursors");
}

template <class BucketStore, class TokenStore, class... More>
void serve(const shop::config& cfg, rampart::listening_socket& listener,
           const std::optional<rampart::tls_context>& tls, shop::catalog& catalog,
           BucketStore& buckets, TokenStore& tokens, const std::string& secret,
           const rampart::jwt::password_hasher& hasher, const std::string& state_description,
           rampart::metrics::registry& metrics, rampart::named_check<More>... readiness) {
    // Two hashing threads and 4 waiting places each: a flood of logins gets 503 + Retry-After
    // instead of delaying every login behind it.
    rampart::jwt::hashing_pool hashing{{.threads = 2}};
    shop::api<BucketStore, TokenStore> api{
        cfg, catalog, buckets, tokens, secret, cursor_key(secret), hasher, hashing, &metrics};
    // Access lines (the handler's and the server's own refusals) go to stderr in batches from
    // a thread of their own; declared before the server, so its last lines are written when
    // serve() returns.
    rampart::log_writer access_lines;
    rampart::server_config sc;
    sc.threads = cfg.threads;
    sc.body_limit = 64 * 1024;
    sc.server_name = "rampart-shop";
    sc.handle_signals = true; // before "listening" is printed: a SIGTERM then stops gracefully
    sc.tls = tls;             // HTTPS on SHOP_LISTEN; SIGHUP reloads the files
    sc.access_log_sink = access_lines.sink();
    sc.access_log_format = cfg.log_format;
    rampart::server server{
        api.handler(access_lines.sink(), cfg.log_format, std::move(readiness)...),
        std::move(listener), sc};
    metrics.add_callback_gauge("rampart_open_connections", "Client connections open now.",
                               [&server] { return static_cast<double>(server.connections()); });
    std::cout << "shop: listening on " << (tls ? "https://" : "http://")
              << (cfg.listen_host.find(':') != std::string::npos ? "[" + cfg.listen_host + "]"
                                                                 : cfg.listen_host)
              << ':' << server.port() << " with " << cfg.threads << " I/O threads\n"
              << "shop: state (throttles, token blacklist): " << state_description << '\n'
              << "shop: rates: anon " << shop::rate_text(cfg.throttle_anon) << ", user "
              << shop::rate_text(cfg.throttle_user) << ", login "
              << shop::rate_text(cfg.throttle_login) << std::endl;
    server.run_until_signal();
    hashing.join();
    std::cout << "shop: stopped" << std::endl;
}

} // namespace

int main(int argc, char** argv) {
    shop::config cfg;
    try {
        bool help = false;
        cfg = shop::load_config(argc, argv, help);
        if (help) {
            std::cout << shop::usage();
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "shop: " << e.what() << '\n';
        return 2;
    }
    try {
        std::unique_ptr<rampart::jwt::password_hasher> hasher;
        if (cfg.password_iterations < 600'000) {
            std::cerr << "shop: SHOP_PASSWORD_ITERATIONS=" << cfg.password_iterations
                      << " is below 600,000: for tests only\n";
            hasher = std::make_unique<rampart::jwt::password_hasher>(
                cfg.password_iterations, rampart::jwt::allow_weak_iterations);
        } else {
            hasher = std::make_unique<rampart::jwt::password_hasher>(cfg.password_iterations);
        }
        // The certificate and key before the port: unusable files stop start-up at once.
        std::optional<rampart::tls_context> tls;
        if (!cfg.tls_cert.empty()) {
            try {
                tls.emplace(rampart::tls_options{cfg.tls_cert, cfg.tls_key});
            } catch (const rampart::tls_error& e) {
                throw shop::config_error(std::string("SHOP_TLS_CERT, SHOP_TLS_KEY: ") + e.what());
            }
        }
        // The port first: a port in use stops start-up before any file is made or changed.
        rampart::listening_socket listener = rampart::listening_socket::bind(
            {rampart::asio::ip::make_address(cfg.listen_host), cfg.listen_port});
        std::string secret = load_or_create_secret(cfg);

        // The metrics outlive every store and layer that records into them.
        rampart::metrics::registry metrics;
        rampart::metrics::store_metrics stores{metrics};
        // One read connection per I/O thread: reads answer there, without a thread hand-off.
        rampart::sqlite::database db(
            {.path = cfg.db_path,
             .migrations = shop::migrations,
             .inline_readers = cfg.threads,
             .on_call = stores.listener<rampart::sqlite::call_event>("sqlite")});
        bool seeded =
            db.async_run(
                  [&](rampart::sqlite::connection& c) { return shop::seed_demo_data(c, *hasher); },
                  boost::asio::use_future)
                .get()
                .value();
        std::cout << "shop: database " << cfg.db_path << " (schema version "
                  << shop::migrations.size() << (seeded ? ", new: demo data seeded" : "") << ")\n";
        shop::catalog catalog{db};

        if (!cfg.redis_url) {
            rampart::throttle::memory_store<> buckets;
            // The blacklist and rotations live in the shop's own database file (table
            // rampart_jwt_tokens), so logouts and theft detection survive a restart.
            rampart::sqlite::token_store<> tokens{db};
            serve(cfg, listener, tls, catalog, buckets, tokens, secret, *hasher,
                  "throttles in process, tokens in " + cfg.db_path, metrics);
            return 0;
        }
        // Redis: the client has an I/O thread of its own; stores fall back as documented.
        rampart::redis::options where = rampart::redis::parse_url(*cfg.redis_url);
        where.on_command = stores.listener<rampart::redis::command_event>("redis");
        where.breaker = {.failure_threshold = cfg.redis_breaker_failures,
                         .probe_interval = cfg.redis_breaker_probe};
        std::string described =
            "Redis at " + where.host + ':' + std::to_string(where.port) + '/' +
            std::to_string(where.db) +
            (cfg.redis_breaker_failures == 0
                 ? std::string(" (circuit breaker off)")
                 : " (circuit breaker after " + std::to_string(cfg.redis_breaker_failures) +
                       " failures, probe every " + std::to_string(cfg.redis_breaker_probe.count()) +
                       " ms)");
        rampart::redis::io_thread redis_io; // before the client: stops and joins after it
        rampart::redis::client client{redis_io.get_executor(), std::move(where)};
        rampart::redis::bucket_store<> buckets{client}; // fail-open: per-instance limits
        rampart::redis::token_store<> tokens{client};   // fail-closed: 503, never a reuse
        serve(cfg, listener, tls, catalog, buckets, tokens, secret, *hasher, described, metrics,
              rampart::ready_check("redis", rampart::redis::readiness{&client}));
        client.close();
        return 0;
    } catch (const shop::config_error& e) {
        std::cerr << "shop: " << e.what() << '\n';
        return 2;
    } catch (const rampart::listen_error& e) {
        std::cerr << "shop: cannot listen on " << rampart::endpoint_string(e.endpoint())
                  << " (SHOP_LISTEN): " << e.code().message() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "shop: cannot start: " << e.what() << '\n';
        return 1;
    }
}
