#ifndef RAMPART_TESTS_SUPPORT_TLS_HPP
#define RAMPART_TESTS_SUPPORT_TLS_HPP

// TLS for tests: a self-signed certificate made at test time with OpenSSL, and a small HTTPS
// server on 127.0.0.1 that answers every request with a configurable response.

#include <rampart/core/types.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

namespace rampart::test {

/// A private key and a self-signed certificate for it, both PEM.
struct self_signed {
    std::string cert_pem;
    std::string key_pem;
};

/** A fresh P-256 key and a self-signed certificate for `dns_name`, whose subjectAltName lists
    `DNS:<dns_name>` and, when `ip` is not empty, `IP:<ip>`. Valid from now for one day.
*/
inline self_signed make_self_signed(const std::string& dns_name, const std::string& ip = {}) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* cert = X509_new();
    if (!key || !cert)
        throw std::runtime_error("make_self_signed: allocation failed");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    std::string san = "DNS:" + dns_name + (ip.empty() ? "" : ",IP:" + ip);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                              std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
        if (!ext)
            throw std::runtime_error("make_self_signed: bad extension");
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert, key, EVP_sha256()) <= 0)
        throw std::runtime_error("make_self_signed: signing failed");
    auto pem = [](auto write) {
        BIO* bio = BIO_new(BIO_s_mem());
        write(bio);
        char* data = nullptr;
        long len = BIO_get_mem_data(bio, &data);
        std::string out(data, static_cast<std::size_t>(len));
        BIO_free(bio);
        return out;
    };
    self_signed out;
    out.cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, cert); });
    out.key_pem = pem(
        [&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(cert);
    EVP_PKEY_free(key);
    return out;
}

/** An HTTPS server on 127.0.0.1 (an ephemeral port) answering every request with `status`
    and `body`, one connection at a time. Counts the requests it answered. Start it with
    start() on the io_context the test runs.
*/
class https_server {
public:
    https_server(asio::io_context& io, const self_signed& identity)
        : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}),
          tls_(asio::ssl::context::tls_server) {
        tls_.use_certificate_chain(asio::buffer(identity.cert_pem));
        tls_.use_private_key(asio::buffer(identity.key_pem), asio::ssl::context::pem);
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    std::string url(const std::string& host, const std::string& path = "/jwks.json") const {
        return "https://" + host + ":" + std::to_string(port()) + path;
    }

    void start() { asio::co_spawn(acceptor_.get_executor(), serve(), asio::detached); }
    void stop() {
        boost::system::error_code ec;
        acceptor_.close(ec);
    }

    http::status status = http::status::ok;
    std::string body;
    std::string content_type = "application/json";
    std::atomic<int> requests{0};

private:
    asio::awaitable<void> serve() {
        for (;;) {
            boost::system::error_code ec;
            auto socket =
                co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return;
            asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), tls_);
            co_await stream.async_handshake(asio::ssl::stream_base::server,
                                            asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                continue; // the client refused our certificate: exactly what some tests want
            beast::flat_buffer buffer;
            http::request<http::string_body> req;
            co_await http::async_read(stream, buffer, req,
                                      asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                continue;
            http::response<http::string_body> res{status, 11};
            res.set(http::field::content_type, content_type);
            res.body() = body;
            res.keep_alive(false);
            res.prepare_payload();
            ++requests;
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    asio::ip::tcp::acceptor acceptor_;
    asio::ssl::context tls_;
};

} // namespace rampart::test

#endif
