// The shop over HTTPS (SHOP_TLS_CERT, SHOP_TLS_KEY): served to curl with a certificate made at
// test time, reloaded on SIGHUP while a connection stays open, and refused at start-up when
// only one of the two is set or a file cannot be used.

#include "support/tls.hpp"
#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <thread>

using namespace shop_test;

namespace {

void write_identity(const std::string& cert, const std::string& key, const std::string& name) {
    auto made = rampart::test::make_self_signed(name, "127.0.0.1");
    std::ofstream{cert, std::ios::trunc} << made.cert_pem;
    std::ofstream{key, std::ios::trunc} << made.key_pem;
}

/// Runs `command` through /bin/sh; returns its exit status and stdout.
std::pair<int, std::string> shell(const std::string& command) {
    process p{"/bin/sh", {"-c", command}};
    auto status = p.wait(std::chrono::seconds{20});
    return {status.value_or(-1), p.output()};
}

/// The subject of the certificate a new TLS connection to `port` is served.
std::string served_subject(unsigned short port, const std::string& cafile) {
    return shell("openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
                 cafile + " -verify_return_error </dev/null 2>/dev/null | grep '^subject='")
        .second;
}

} // namespace

TEST_CASE("shop: SHOP_TLS_CERT and SHOP_TLS_KEY serve HTTPS, SIGHUP reloads them", "[shop][tls]") {
    temp_dir dir;
    auto cert = dir.file("shop.crt"), key = dir.file("shop.key");
    write_identity(cert, key, "first.shop");
    auto env = default_environment(dir.file("shop.db"));
    env["SHOP_TLS_CERT"] = cert;
    env["SHOP_TLS_KEY"] = key;
    process p{shop_binary(), {}, env};
    auto line = p.wait_for_line("shop: listening on https://", std::chrono::seconds{30});
    INFO(p.errors());
    REQUIRE(line);
    auto port = static_cast<unsigned short>(
        std::stoi(line->substr(line->find(':', line->find("127.0.0.1")) + 1)));
    std::string base = "https://127.0.0.1:" + std::to_string(port);

    auto [status, out] =
        shell("curl -sS --cacert " + cert + " -w ' %{http_code}' " + base + "/api/v1/products/8/");
    CHECK(status == 0);
    CHECK(out == R"({"id":8,"name":"Product 8","price":"10.00","stock":0} 200)");
    // Plain HTTP on the HTTPS port is not served.
    CHECK(shell("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(port) + "/").first != 0);

    CHECK(served_subject(port, cert) == "subject=CN = first.shop\n");
    write_identity(cert, key, "second.shop");
    p.signal(SIGHUP);
    std::string subject;
    for (int i = 0; i < 100 && subject != "subject=CN = second.shop\n"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        subject = served_subject(port, cert);
    }
    CHECK(subject == "subject=CN = second.shop\n");

    // A broken key on the next SIGHUP: logged, the shop goes on with the second certificate.
    std::ofstream{key, std::ios::trunc} << "not a key";
    p.signal(SIGHUP);
    CHECK(p.wait_for_errors(
        [](const std::string& err) {
            return err.find("cannot use the TLS private key") != err.npos;
        },
        std::chrono::seconds{10}));
    CHECK(served_subject(port, cert) == "subject=CN = second.shop\n");

    p.signal(SIGTERM);
    CHECK(p.wait(std::chrono::seconds{20}) == 0);
}

TEST_CASE("shop: one of SHOP_TLS_CERT and SHOP_TLS_KEY without the other stops start-up",
          "[shop][tls][startup]") {
    temp_dir dir;
    auto cert = dir.file("shop.crt"), key = dir.file("shop.key");
    write_identity(cert, key, "first.shop");
    for (auto [set, missing] :
         {std::pair{"SHOP_TLS_CERT", "SHOP_TLS_KEY"}, std::pair{"SHOP_TLS_KEY", "SHOP_TLS_CERT"}}) {
        auto env = default_environment(dir.file("shop.db"));
        env[set] = std::string(set) == "SHOP_TLS_CERT" ? cert : key;
        process p{shop_binary(), {}, env};
        CHECK(p.wait(std::chrono::seconds{30}) == 2);
        INFO(p.errors());
        CHECK(p.errors() ==
              "shop: " + std::string(set) + " is set without " + missing + ": HTTPS needs both\n");
    }
    // The flags: the same rule.
    process flags{shop_binary(), {"--tls-cert", cert}, default_environment(dir.file("shop.db"))};
    CHECK(flags.wait(std::chrono::seconds{30}) == 2);
    CHECK(flags.errors().find("SHOP_TLS_CERT is set without SHOP_TLS_KEY") != std::string::npos);

    // A key that does not belong to the certificate: exit 2 before anything is bound or made.
    write_identity(dir.file("other.crt"), dir.file("other.key"), "other.shop");
    auto env = default_environment(dir.file("shop.db"));
    env["SHOP_TLS_CERT"] = cert;
    env["SHOP_TLS_KEY"] = dir.file("other.key");
    process p{shop_binary(), {}, env};
    CHECK(p.wait(std::chrono::seconds{30}) == 2);
    INFO(p.errors());
    CHECK(p.errors().find("shop: SHOP_TLS_CERT, SHOP_TLS_KEY: rampart: cannot use the TLS private "
                          "key (" +
                          cert + ", " + dir.file("other.key") + "): key values mismatch") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("shop.db")));
}
