// Fuzzes the server's request handling with the whole shop behind it: the bytes of one input are
// what a client sent on one connection. They go through the exact code a socket's bytes go
// through (rampart::detail::session: Beast's parser under the limits, keep-alive, pipelining,
// chunked bodies, 100-continue, framing, HEAD) into the shop's stack (envelope, access log,
// JWT authentication, throttles, router, validation, pagination, SQLite), in process, over
// Beast's in-memory test stream instead of a socket.
//
// The first byte of an input chooses how many bytes each read returns (1..255; 0: all at once),
// so the same request is also parsed in pieces, as a slow network delivers it.
//
// The database is a temporary SQLite file seeded with the shop's demo data; the throttles are
// set high enough never to hide the routes behind 429s. Seed tokens in the corpus are signed
// with `fuzz_secret` below for user 1 (a refresh token of user 2 in token_blacklist) and expire
// in 2100; tests/fuzz/corpus/server/ holds one connection per file, its first byte as above.

#include "shop/app.hpp"
#include "shop/db.hpp"

#include <rampart/server/detail/session.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/_experimental/test/stream.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

constexpr const char* fuzz_secret = "rampart-fuzz-secret-0123456789abcdef";

/// Everything the shop needs, built once per fuzzing process.
struct shop_under_test {
    std::filesystem::path dir;
    shop::config cfg;
    rampart::jwt::password_hasher hasher{1, rampart::jwt::allow_weak_iterations};
    rampart::sqlite::database db;
    shop::catalog catalog{db};
    rampart::throttle::memory_store<> buckets;
    rampart::jwt::memory_token_store<> tokens;
    rampart::jwt::hashing_pool hashing{{.threads = 1}};
    shop::api<rampart::throttle::memory_store<>, rampart::jwt::memory_token_store<>> api;
    decltype(rampart::make_handler(api.handler())) handler;
    rampart::server_config server_cfg;
    rampart::envelope_format format;
    rampart::system_clock clock;
    std::atomic<bool> stopping{false};

    shop_under_test()
        : dir(make_dir()), cfg(make_config(dir)), db(open(cfg)),
          api(cfg, catalog, buckets, tokens, fuzz_secret, "fuzz cursor key 0123456789abcdef",
              hasher, hashing),
          handler(rampart::make_handler(api.handler())) {
        server_cfg.body_limit = 64 * 1024; // as the shop's main sets it
        server_cfg.server_name = "rampart-shop";
        db.async_run(
              [this](rampart::sqlite::connection& c) { return shop::seed_demo_data(c, hasher); },
              boost::asio::use_future)
            .get()
            .value();
    }

    static std::filesystem::path make_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "rampart-fuzz-server-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            std::abort();
        return pattern;
    }

    static shop::config make_config(const std::filesystem::path& dir) {
        shop::config c;
        c.db_path = (dir / "shop.db").string();
        c.jwt_secret = fuzz_secret;
        c.throttle_anon = c.throttle_user = c.throttle_login =
            rampart::throttle::parse_rate("1000000000/second");
        c.access_ttl = 366LL * 86400;
        return c;
    }

    static rampart::sqlite::database open(const shop::config& c) {
        return rampart::sqlite::database({.path = c.db_path, .migrations = shop::migrations});
    }

    ~shop_under_test() {
        hashing.join();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

shop_under_test& shop_instance() {
    static shop_under_test instance;
    return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    auto& shop = shop_instance();
    std::size_t read_size = data[0] == 0 ? size : data[0];
    std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};

    boost::asio::io_context io;
    boost::beast::test::stream server_end{io};
    boost::beast::test::stream client_end{io};
    server_end.connect(client_end);
    server_end.read_size(read_size);
    server_end.append(bytes);
    client_end.close(); // the client sent everything: the server reads its bytes, then the end

    rampart::detail::session<decltype(shop.handler), rampart::envelope_format,
                             rampart::system_clock>
        logic{shop.handler, shop.server_cfg, shop.format, shop.clock, shop.stopping};
    boost::asio::ip::tcp::endpoint peer{boost::asio::ip::make_address("203.0.113.7"), 40000};
    // Nothing may escape the session: the server would lose such an exception silently.
    boost::asio::co_spawn(io, logic.run(server_end, peer), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
    return 0;
}
