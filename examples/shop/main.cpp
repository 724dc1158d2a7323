// shop: the rampart example service. See ../../../shared/spec/shop-api.md for its contract and
// docs/shop.md for a walk through this code.

#include "app.hpp"
#include "config.hpp"
#include "db.hpp"

#include <rampart/redis.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace {

/// SHOP_JWT_SECRET, or the secret kept beside the database (made once, readable by its owner).
std::string load_or_create_secret(const shop::config& cfg) {
    if (cfg.jwt_secret)
        return *cfg.jwt_secret;
    std::string path = cfg.db_path + ".secret";
    if (std::ifstream in{path}; in) {
        std::string secret;
        std::getline(in, secret);
        if (secret.size() < 32)
            throw shop::config_error(path + ": the kept JWT secret is too short; delete the file "
                                            "to make a new one, or set SHOP_JWT_SECRET");
        return secret;
    }
    unsigned char bytes[48];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("the random generator failed");
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string secret;
    for (unsigned char b : bytes)
        secret += alphabet[b % 64];
    {
        std::ofstream out{path, std::ios::trunc};
        if (!out)
            throw shop::config_error(path + ": cannot write the JWT secret beside the database");
        out << secret << '\n';
    }
    ::chmod(path.c_str(), S_IRUSR | S_IWUSR);
    return secret;
}

/// A key for cursors, derived from the JWT secret so one secret configures the instance.
std::string cursor_key(const std::string& secret) {
    static constexpr std::string_view label = "shop pagination cursors";
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(label.data()), label.size(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

template <class BucketStore, class TokenStore>
void serve(const shop::config& cfg, shop::catalog& catalog, BucketStore& buckets,
           TokenStore& tokens, const std::string& secret,
           const rampart::jwt::password_hasher& hasher, const std::string& state_description) {
    // Two hashing threads and 4 waiting places each: a flood of logins gets 503 + Retry-After
    // instead of delaying every login behind it.
    rampart::jwt::hashing_pool hashing{{.threads = 2}};
    shop::api<BucketStore, TokenStore> api{
        cfg, catalog, buckets, tokens, secret, cursor_key(secret), hasher, hashing};
    rampart::server_config sc;
    sc.endpoint = {rampart::asio::ip::make_address(cfg.listen_host), cfg.listen_port};
    sc.threads = cfg.threads;
    sc.body_limit = 64 * 1024;
    sc.server_name = "rampart-shop";
    rampart::server server{api.handler(), sc};
    std::cout << "shop: listening on http://"
              << (cfg.listen_host.find(':') != std::string::npos ? "[" + cfg.listen_host + "]"
                                                                 : cfg.listen_host)
              << ':' << server.port() << " with " << cfg.threads << " I/O threads\n"
              << "shop: state (throttles, token blacklist): " << state_description << '\n'
              << "shop: rates: anon " << cfg.throttle_anon_spec << ", user "
              << cfg.throttle_user_spec << ", login " << cfg.throttle_login_spec << std::endl;
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
        std::string secret = load_or_create_secret(cfg);

        rampart::sqlite::database db({.path = cfg.db_path, .migrations = shop::migrations});
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
            serve(cfg, catalog, buckets, tokens, secret, *hasher,
                  "throttles in process, tokens in " + cfg.db_path);
            return 0;
        }
        // Redis: the client runs on its own I/O thread; stores fall back as documented.
        rampart::redis::options where = rampart::redis::parse_url(*cfg.redis_url);
        boost::asio::io_context redis_io;
        auto work = boost::asio::make_work_guard(redis_io);
        std::jthread redis_thread{[&] { redis_io.run(); }};
        // On every way out, serve() throwing included (a port in use), the loop stops before
        // the thread is joined.
        struct stop_on_exit {
            boost::asio::io_context& io;
            ~stop_on_exit() { io.stop(); }
        } stopper{redis_io};
        std::string described = "Redis at " + where.host + ':' + std::to_string(where.port) + '/' +
                                std::to_string(where.db);
        rampart::redis::client client{redis_io.get_executor(), std::move(where)};
        rampart::redis::bucket_store<> buckets{client}; // fail-open: per-instance limits
        rampart::redis::token_store<> tokens{client};   // fail-closed: 503, never a reuse
        serve(cfg, catalog, buckets, tokens, secret, *hasher, described);
        client.close();
        return 0;
    } catch (const shop::config_error& e) {
        std::cerr << "shop: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "shop: cannot start: " << e.what() << '\n';
        return 1;
    }
}
