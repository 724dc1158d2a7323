// TLS listeners, tested with real clients: curl and openssl s_client as processes, an
// in-process OpenSSL client for a connection that stays open across a reload, and raw sockets
// for what no TLS client sends (nothing, garbage, plain HTTP, a hello a byte at a time). The
// certificates are made at test time (support/tls.hpp) and written to a temporary directory.

#include <rampart/server/server.hpp>
#include <rampart/server/tls.hpp>

#include "common.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/x509.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

using namespace rampart;
using namespace std::chrono_literals;

namespace {

/// A certificate and key for 127.0.0.1 with common name `name`, written as `name`.crt/.key.
struct identity_files {
    std::string cert, key;
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << text;
}

identity_files write_identity(const test::temp_dir& dir, const std::string& name,
                              const std::string& cert_file = {}, const std::string& key_file = {}) {
    auto made = test::make_self_signed(name, "127.0.0.1");
    identity_files files{cert_file.empty() ? dir.file(name + ".crt") : cert_file,
                         key_file.empty() ? dir.file(name + ".key") : key_file};
    write_file(files.cert, made.cert_pem);
    write_file(files.key, made.key_pem);
    return files;
}

/// What a process run through /bin/sh printed and how it ended.
struct run_result {
    int status = -1;
    std::string out, err;
};

run_result shell(const std::string& command, std::chrono::milliseconds bound = 20s) {
    test::process p{"/bin/sh", {"-c", command}};
    auto status = p.wait(bound);
    return {status.value_or(-1), p.output(), p.errors()};
}

std::string endpoint_text(unsigned short port) {
    return "127.0.0.1:" + std::to_string(port);
}

/// `openssl s_client` with `options`, stdin empty: it completes the handshake (or fails) and
/// quits.
run_result s_client(unsigned short port, const std::string& cafile, const std::string& options) {
    return shell("openssl s_client -connect " + endpoint_text(port) + " -CAfile " + cafile +
                 " -verify_return_error " + options + " </dev/null");
}

/// A blocking OpenSSL client over one connection, bounded by socket timeouts.
class tls_client {
public:
    tls_client(unsigned short port, const std::string& cafile)
        : ctx_(asio::ssl::context::tls_client), stream_(io_, ctx_) {
        ctx_.load_verify_file(cafile);
        stream_.set_verify_mode(asio::ssl::verify_peer);
        stream_.lowest_layer().connect({asio::ip::make_address_v4("127.0.0.1"), port});
        timeval bound{10, 0};
        auto fd = stream_.lowest_layer().native_handle();
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
        stream_.handshake(asio::ssl::stream_base::client);
    }

    response roundtrip(const std::string& target) {
        http::write(stream_, test::make_get(target));
        response res;
        http::read(stream_, buffer_, res);
        return res;
    }

    /// The common name of the certificate the server presented on this connection.
    std::string peer_common_name() {
        X509* cert = ::SSL_get1_peer_certificate(stream_.native_handle());
        REQUIRE(cert != nullptr);
        char name[256] = {};
        ::X509_NAME_get_text_by_NID(::X509_get_subject_name(cert), NID_commonName, name,
                                    sizeof name);
        ::X509_free(cert);
        return name;
    }

private:
    asio::io_context io_;
    asio::ssl::context ctx_;
    asio::ssl::stream<asio::ip::tcp::socket> stream_;
    beast::flat_buffer buffer_;
};

/// A server for `test_handler` on a free port, HTTPS with `files`, running in the background.
struct tls_server {
    explicit tls_server(const identity_files& files, server_config config = test::local_config())
        : tls(tls_options{files.cert, files.key}), srv(test::test_handler{}, with(config, tls)) {
        srv.start();
    }
    static server_config with(server_config config, const tls_context& tls) {
        config.tls = tls;
        config.error_log_sink = {};
        return config;
    }
    tls_context tls;
    server<decltype(make_handler(test::test_handler{}))> srv;
};

template <class F>
bool eventually(F done, std::chrono::milliseconds bound = 10s) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

} // namespace

TEST_CASE("TLS: curl keeps one HTTPS connection alive for two HTTP/1.1 requests", "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    tls_server s{files};
    auto base = "https://" + endpoint_text(s.srv.port());
    auto r = shell("curl -sS --cacert " + files.cert + " -w ' [%{http_code} %{http_version} " +
                   "%{num_connects}]\\n' " + base + "/one " + base + "/two");
    INFO(r.err);
    REQUIRE(r.status == 0);
    // A second request reused the first connection: curl made no new connection for it.
    CHECK(r.out == "GET /one  [200 1.1 1]\nGET /two  [200 1.1 0]\n");
    // Plain HTTP on the TLS port gets no answer, and no crash: curl sees the connection end.
    auto plain = shell("curl -sS --max-time 5 http://" + endpoint_text(s.srv.port()) + "/");
    CHECK(plain.status != 0);
    CHECK(plain.out.empty());
}

TEST_CASE("TLS: 1.0 and 1.1 are refused, 1.2 and 1.3 accepted, weak suites refused") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    tls_server s{files};
    auto port = s.srv.port();

    auto v13 = s_client(port, files.cert, "-tls1_3");
    INFO(v13.err);
    CHECK(v13.status == 0);
    CHECK(v13.out.find("New, TLSv1.3, Cipher is TLS_") != std::string::npos);

    auto v12 = s_client(port, files.cert, "-tls1_2");
    CHECK(v12.status == 0);
    // The server's choice among the client's suites: an AEAD suite with forward secrecy.
    CHECK(v12.out.find("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256") !=
          std::string::npos);

    // The client really offers the old versions (security level 0 lets it), the server refuses.
    for (const char* old : {"-tls1", "-tls1_1"}) {
        auto r = s_client(port, files.cert, std::string(old) + " -cipher DEFAULT:@SECLEVEL=0");
        INFO(old << ": " << r.err);
        CHECK(r.status != 0);
        CHECK(r.err.find("alert protocol version") != std::string::npos);
    }

    // Suites without forward secrecy or without AEAD are not served over TLS 1.2.
    for (const char* weak : {"AES128-SHA", "ECDHE-ECDSA-AES128-SHA", "AES256-GCM-SHA384",
                             "ECDHE-ECDSA-AES128-SHA256"}) {
        auto r =
            s_client(port, files.cert, std::string("-tls1_2 -cipher ") + weak + ":@SECLEVEL=0");
        INFO(weak << ": " << r.err);
        CHECK(r.status != 0);
        CHECK(r.err.find("alert handshake failure") != std::string::npos);
    }

    // ALPN: http/1.1 is chosen from a list; a client wanting only h2 is refused.
    auto alpn = s_client(port, files.cert, "-alpn h2,http/1.1");
    CHECK(alpn.status == 0);
    CHECK(alpn.out.find("ALPN protocol: http/1.1") != std::string::npos);
    auto h2 = s_client(port, files.cert, "-alpn h2");
    CHECK(h2.status != 0);
    CHECK(h2.err.find("no application protocol") != std::string::npos);
}

TEST_CASE("TLS: tls_options.min_version 1.3 refuses TLS 1.2") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    auto config = test::local_config();
    config.tls = tls_context{{files.cert, files.key, tls_version::v1_3}};
    server srv{test::test_handler{}, config};
    srv.start();
    CHECK(s_client(srv.port(), files.cert, "-tls1_3").status == 0);
    auto v12 = s_client(srv.port(), files.cert, "-tls1_2");
    CHECK(v12.status != 0);
    CHECK(v12.err.find("alert protocol version") != std::string::npos);
}

TEST_CASE("TLS: reload() serves the new certificate to new connections, open ones keep theirs",
          "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    tls_server s{files};
    auto port = s.srv.port();

    tls_client open{port, files.cert};
    CHECK(open.roundtrip("/before").body() == "GET /before ");
    CHECK(open.peer_common_name() == "first.test");

    write_identity(dir, "second.test", files.cert, files.key);
    s.tls.reload();
    CHECK(s.tls.generation() == 1);
    auto second_ca = dir.file("second-ca.crt"); // the files change below; clients trust this
    std::filesystem::copy_file(files.cert, second_ca);

    auto fresh = s_client(port, files.cert, "-tls1_3");
    INFO(fresh.err);
    CHECK(fresh.status == 0);
    CHECK(fresh.out.find("subject=CN = second.test") != std::string::npos);
    tls_client next{port, files.cert};
    CHECK(next.peer_common_name() == "second.test");

    // The connection opened before the reload goes on with its own certificate.
    CHECK(open.roundtrip("/after").body() == "GET /after ");
    CHECK(open.peer_common_name() == "first.test");

    // Broken files: reload() throws and the current certificate stays.
    write_file(files.cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n");
    CHECK_THROWS_AS(s.tls.reload(), tls_error);
    write_identity(dir, "unmatched.test", dir.file("other.crt"), files.key); // key of another
    write_file(files.cert, test::make_self_signed("third.test", "127.0.0.1").cert_pem);
    CHECK_THROWS_WITH(s.tls.reload(), Catch::Contains("key values mismatch"));
    std::filesystem::remove(files.key);
    CHECK_THROWS_WITH(s.tls.reload(), Catch::Contains("cannot read the TLS private key"));
    CHECK(s.tls.generation() == 1);
    tls_client still{port, second_ca};
    CHECK(still.peer_common_name() == "second.test");
    CHECK(still.roundtrip("/still").body() == "GET /still ");
}

TEST_CASE("TLS: SIGHUP reloads the certificate, a broken file is logged and the old one kept",
          "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    std::mutex mutex;
    std::vector<std::string> logged;
    auto config = test::local_config();
    config.tls = tls_context{{files.cert, files.key}};
    config.handle_signals = true; // SIGINT / SIGTERM, and SIGHUP with a TLS listener
    config.error_log_sink = [&](const log_record& r) {
        std::lock_guard lock{mutex};
        logged.push_back(std::string(r.message));
    };
    server srv{test::test_handler{}, config};
    srv.start();
    auto count = [&] {
        std::lock_guard lock{mutex};
        return logged.size();
    };

    tls_client open{srv.port(), files.cert};
    CHECK(open.roundtrip("/a").body() == "GET /a ");
    write_identity(dir, "second.test", files.cert, files.key);
    ::kill(::getpid(), SIGHUP);
    REQUIRE(eventually([&] { return count() == 1; }));
    {
        std::lock_guard lock{mutex};
        CHECK(logged[0].find("TLS certificate and key reloaded") != std::string::npos);
    }
    CHECK(tls_client{srv.port(), files.cert}.peer_common_name() == "second.test");

    write_file(files.key, "garbage");
    ::kill(::getpid(), SIGHUP);
    REQUIRE(eventually([&] { return count() == 2; }));
    {
        std::lock_guard lock{mutex};
        CHECK(logged[1].find("cannot use the TLS private key") != std::string::npos);
        CHECK(logged[1].find("still serving the previous certificate") != std::string::npos);
    }
    CHECK(tls_client{srv.port(), files.cert}.peer_common_name() == "second.test");
    CHECK(open.roundtrip("/b").body() == "GET /b ");
    CHECK(open.peer_common_name() == "first.test");
}

TEST_CASE("TLS: a client that sends nothing is cut at the handshake timeout", "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    auto config = test::local_config();
    config.tls_handshake_timeout = 300ms;
    config.read_timeout = 30s;
    tls_server s{files, config};
    auto start = std::chrono::steady_clock::now();
    test::http_client silent{s.srv.port()};
    CHECK(silent.wait_closed(10s));
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 250ms);
    CHECK(took < 5s);
    CHECK(silent.unread().empty());
    CHECK(eventually([&] { return s.srv.connections() == 0; }));
}

TEST_CASE("TLS: a hello sent a byte at a time is cut at the handshake timeout", "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    auto config = test::local_config();
    config.tls_handshake_timeout = 500ms;
    tls_server s{files, config};
    auto start = std::chrono::steady_clock::now();
    asio::io_context io;
    asio::ip::tcp::socket slow{io};
    slow.connect({asio::ip::make_address_v4("127.0.0.1"), s.srv.port()});
    // A handshake record announcing 512 bytes, then its bytes one every 20 ms: each read
    // brings something, the deadline for the whole handshake cuts it all the same.
    asio::write(slow, asio::buffer(std::string_view{"\x16\x03\x01\x02\x00", 5}));
    slow.non_blocking(true);
    bool closed = false;
    for (int i = 0; i < 250 && !closed; ++i) {
        std::this_thread::sleep_for(20ms);
        boost::system::error_code ec;
        char byte = 1;
        slow.write_some(asio::buffer(&byte, 1), ec);
        if (!ec)
            slow.read_some(asio::buffer(&byte, 1), ec);
        closed = ec && ec != asio::error::would_block;
    }
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(closed);
    CHECK(took >= 450ms);
    CHECK(took < 4s);
    CHECK(eventually([&] { return s.srv.connections() == 0; }));
}

TEST_CASE("TLS: garbage and plain HTTP on the TLS port are closed at once, others served",
          "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    auto config = test::local_config();
    config.tls_handshake_timeout = 30s; // closing must not wait for it
    tls_server s{files, config};
    auto port = s.srv.port();

    std::mt19937 random{16};
    std::string noise(4096, '\0');
    for (auto& c : noise)
        c = static_cast<char>(random());
    for (std::string bytes : {std::string("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), noise,
                              std::string("\x16\x03\x03\x00\x05hello", 10)}) {
        test::http_client client{port};
        auto start = std::chrono::steady_clock::now();
        client.send(bytes);
        CHECK(client.wait_closed(10s));
        CHECK(std::chrono::steady_clock::now() - start < 5s);
        // Nothing an HTTP client could read as an answer: at most a TLS alert record.
        auto answer = client.unread();
        CHECK((answer.empty() || answer[0] == '\x15'));
    }
    tls_client fine{port, files.cert};
    CHECK(fine.roundtrip("/fine").body() == "GET /fine ");
}

TEST_CASE("TLS: plain and TLS listeners in one server share the cap and the shutdown",
          "[concurrency]") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    auto config = test::local_config();
    config.max_connections = 2;
    config.error_log_sink = {};
    config.access_log_sink = {};
    config.shutdown_grace = 30s;
    server srv{test::test_handler{}, config};
    tls_context tls{{files.cert, files.key}};
    auto secure = srv.listen_tls({asio::ip::make_address_v4("127.0.0.1"), 0}, tls);
    auto plain_port = srv.port();
    REQUIRE(srv.local_endpoints().size() == 2);
    CHECK(srv.local_endpoints()[1] == secure);
    srv.start();
    CHECK_THROWS_AS(srv.listen({asio::ip::make_address_v4("127.0.0.1"), 0}), std::logic_error);

    test::http_client plain{plain_port};
    CHECK(plain.roundtrip(test::make_get("/plain")).body() == "GET /plain ");
    tls_client https{secure.port(), files.cert};
    CHECK(https.roundtrip("/tls").body() == "GET /tls ");
    CHECK(srv.connections() == 2);

    // The cap counts both: a third connection, on either port, is refused with a 503 (over TLS
    // after the handshake, so that the client can read it).
    auto over = shell("curl -s --cacert " + files.cert + " -w ' %{http_code}' https://" +
                      endpoint_text(secure.port()) + "/over");
    CHECK(over.out.find("Too many connections.") != std::string::npos);
    CHECK(over.out.ends_with(" 503"));
    test::http_client refused{plain_port};
    refused.send(test::make_get("/over"));
    CHECK(refused.receive().result_int() == 503);

    // HTTPS to the plain port is answered as HTTP would be: a 400, never a hang.
    plain.close();
    REQUIRE(eventually([&] { return srv.connections() == 1; }));
    auto wrong = shell("curl -sS --max-time 5 --cacert " + files.cert + " https://" +
                       endpoint_text(plain_port) + "/");
    CHECK(wrong.status != 0);

    // One stop ends both listeners; the idle TLS connection is closed with them.
    srv.stop();
    srv.join();
    CHECK(!test::http_client::can_connect(plain_port));
    CHECK(!test::http_client::can_connect(secure.port()));
    CHECK(srv.connections() == 0);
}

TEST_CASE("TLS: unusable files are refused when the context is made") {
    test::temp_dir dir;
    auto files = write_identity(dir, "first.test");
    auto other = write_identity(dir, "other.test");
    CHECK_THROWS_WITH((tls_context{{dir.file("missing.crt"), files.key}}),
                      Catch::Contains("cannot read the TLS certificate chain file") &&
                          Catch::Contains("missing.crt"));
    CHECK_THROWS_WITH((tls_context{{files.cert, other.key}}),
                      Catch::Contains("key values mismatch"));
    write_file(dir.file("empty.crt"), "");
    CHECK_THROWS_WITH((tls_context{{dir.file("empty.crt"), files.key}}),
                      Catch::Contains("cannot use the TLS certificate chain"));
    CHECK_NOTHROW(tls_context{{files.cert, files.key}});
}
