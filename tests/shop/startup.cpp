// Start-up safety of the shop and the library helpers behind it: the port is taken before any
// file is touched (a port in use names SHOP_LISTEN, exits 1, leaves no database), and the
// generated JWT secret file is private from its first byte, shared by instances starting at
// once, and checked when it exists.

#include "shop_process.hpp"

#include <rampart/core.hpp>
#include <rampart/jwt/secret.hpp>
#include <rampart/server/listen.hpp>
#include <rampart/server/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

using namespace shop_test;

namespace {

int run_to_exit(process& p) {
    auto code = p.wait(std::chrono::seconds{30});
    REQUIRE(code.has_value());
    return *code;
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

/// Waits (bounded) until the child's stderr holds `needle`.
bool stderr_shows(process& p, const std::string& needle) {
    for (int i = 0; i < 200; ++i) {
        if (p.errors().find(needle) != std::string::npos)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return false;
}

void write_file(const std::string& path, const std::string& text, unsigned mode) {
    std::ofstream{path} << text;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

} // namespace

TEST_CASE("shop: a port in use stops start-up before the database is touched", "[shop][startup]") {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor held{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    const std::string address = "127.0.0.1:" + std::to_string(held.local_endpoint().port());
    temp_dir dir;
    auto env = default_environment(dir.file("shop.db"));
    env["SHOP_LISTEN"] = address;
    process p{shop_binary(), {}, env};
    CHECK(run_to_exit(p) == 1);
    std::string err = p.errors();
    INFO(err);
    CHECK(err.find("shop: cannot listen on " + address + " (SHOP_LISTEN): ") != std::string::npos);
    CHECK(err.find("in use") != std::string::npos);
    CHECK(err.find(".hpp") == std::string::npos);
    CHECK(err.find("boost/") == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("shop.db")));
    CHECK_FALSE(std::filesystem::exists(dir.file("shop.db.secret")));
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("listening_socket: bind errors name the address, without a source location",
          "[shop][startup]") {
    auto first = rampart::listening_socket::bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    REQUIRE(first.is_open());
    auto port = first.local_endpoint().port();
    REQUIRE(port != 0);
    try {
        rampart::listening_socket::bind({boost::asio::ip::make_address("127.0.0.1"), port});
        FAIL("a second bind to a listening port succeeded");
    } catch (const rampart::listen_error& e) {
        std::string what = e.what();
        CHECK(what ==
              "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + e.code().message());
        CHECK(e.code() == boost::asio::error::address_in_use);
        CHECK(e.endpoint().port() == port);
    }
    // An address that is not this machine's (TEST-NET-1): still a boost::system::system_error
    // for code that catches that.
    CHECK_THROWS_AS(
        rampart::listening_socket::bind({boost::asio::ip::make_address("192.0.2.1"), 0}),
        boost::system::system_error);
    CHECK(rampart::endpoint_string({boost::asio::ip::make_address("::1"), 8080}) == "[::1]:8080");
    ::close(first.release());
    CHECK_FALSE(first.is_open());
}

TEST_CASE("server: takes over a listening_socket, and reports a port in use as listen_error",
          "[shop][startup]") {
    auto hello = [](rampart::context&) -> rampart::asio::awaitable<rampart::response> {
        co_return rampart::json_response(rampart::http::status::ok, {{"hello", "world"}});
    };
    auto listener =
        rampart::listening_socket::bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = listener.local_endpoint().port();
    rampart::server srv{hello, std::move(listener), rampart::server_config{}};
    CHECK_FALSE(listener.is_open()); // NOLINT(bugprone-use-after-move): moved-from state is defined
    CHECK(srv.port() == port);
    srv.start();
    CHECK(exchange(port, rampart::test::make_get("/")).status() == 200);

    rampart::server_config taken;
    taken.endpoint.port(port);
    try {
        rampart::server clash{hello, taken};
        FAIL("a second server bound a port in use");
    } catch (const rampart::listen_error& e) {
        CHECK(std::string(e.what()) ==
              "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + e.code().message());
    }
    srv.stop();
    srv.join();
}

TEST_CASE("shop: a fresh start makes the secret file 0600, a shared one is warned about",
          "[shop][startup]") {
    auto dir = std::make_shared<temp_dir>();
    const std::string secret_file = dir->file("shop.db.secret");
    {
        shop fresh{{}, dir};
        CHECK(mode_of(secret_file) == 0600);
        CHECK(fresh.proc().errors().find("warning") == std::string::npos);
        REQUIRE(fresh.terminate() == 0);
    }
    // Only the database, its WAL companions and the secret: no temporary file left behind.
    for (const auto& entry : std::filesystem::directory_iterator(dir->path()))
        CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);

    REQUIRE(::chmod(secret_file.c_str(), 0644) == 0);
    shop shared{{}, dir};
    CHECK(stderr_shows(shared.proc(), "shop: warning: the JWT secret file " + secret_file +
                                          " is readable by other users; run: chmod 600 " +
                                          secret_file));
    CHECK(shared.login().first.size() > 0); // used all the same
}

TEST_CASE("shop: a kept secret that is too short stops start-up, naming the file",
          "[shop][startup]") {
    temp_dir dir;
    const std::string secret_file = dir.file("shop.db.secret");
    write_file(secret_file, "short\n", 0600);
    process p{shop_binary(), {}, default_environment(dir.file("shop.db"))};
    CHECK(run_to_exit(p) == 2);
    std::string err = p.errors();
    INFO(err);
    CHECK(err.find("shop: " + secret_file + ": the kept secret is too short (5 bytes") !=
          std::string::npos);
    CHECK(err.find("SHOP_JWT_SECRET") != std::string::npos);
}

TEST_CASE("jwt::load_or_create_secret_file: private from the first byte, one winner per race",
          "[shop][startup][secret]") {
    temp_dir dir;
    // Whatever the umask, the file is made 0600.
    mode_t old_mask = ::umask(0);
    auto made = rampart::jwt::load_or_create_secret_file(dir.file("zero-umask"));
    ::umask(old_mask);
    CHECK(made.created);
    CHECK_FALSE(made.readable_by_others);
    CHECK(mode_of(dir.file("zero-umask")) == 0600);
    auto again = rampart::jwt::load_or_create_secret_file(dir.file("zero-umask"));
    CHECK_FALSE(again.created);
    CHECK(again.secret == made.secret);

    // Eight processes' worth of callers start at once, twenty times: all get the file's secret.
    for (int round = 0; round < 20; ++round) {
        const std::string path = dir.file("race-" + std::to_string(round));
        std::vector<rampart::jwt::secret_file> got(8);
        std::vector<std::thread> callers;
        for (auto& slot : got)
            callers.emplace_back(
                [&slot, &path] { slot = rampart::jwt::load_or_create_secret_file(path); });
        for (auto& t : callers)
            t.join();
        std::string kept;
        std::getline(std::ifstream{path}, kept);
        int winners = 0;
        for (const auto& g : got) {
            CHECK(g.secret == kept);
            winners += g.created;
        }
        CHECK(winners == 1);
    }
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        ++files;
    CHECK(files == 21); // no temporary file left behind

    write_file(dir.file("group-readable"), std::string(40, 'g') + "\n", 0640);
    auto shared = rampart::jwt::load_or_create_secret_file(dir.file("group-readable"));
    CHECK(shared.secret == std::string(40, 'g'));
    CHECK(shared.readable_by_others);

    write_file(dir.file("short"), "0123456789\n", 0600);
    CHECK_THROWS_WITH(rampart::jwt::load_or_create_secret_file(dir.file("short")),
                      Catch::Contains(dir.file("short") + ": the kept secret is too short"));
    CHECK_THROWS_AS(rampart::jwt::load_or_create_secret_file(dir.path()),
                    rampart::jwt::secret_file_error);
}

TEST_CASE("jwt::generate_secret and derive_key", "[shop][startup][secret]") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        std::string s = rampart::jwt::generate_secret();
        CHECK(s.size() == 64);
        CHECK(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_") == std::string::npos);
        seen.insert(s);
    }
    CHECK(seen.size() == 100);
    CHECK(rampart::jwt::generate_secret(3).size() == 4);

    // RFC 4231 test case 2.
    std::string key = rampart::jwt::derive_key("Jefe", "what do ya want for nothing?");
    static constexpr unsigned char expected[] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
                                                 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                                 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
                                                 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    CHECK(key == std::string(reinterpret_cast<const char*>(expected), sizeof expected));
    CHECK(rampart::jwt::derive_key("Jefe", "cursors") != rampart::jwt::derive_key("Jefe", "x"));
}
