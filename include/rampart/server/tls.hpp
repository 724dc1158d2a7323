#ifndef RAMPART_SERVER_TLS_HPP
#define RAMPART_SERVER_TLS_HPP

#include <rampart/core/types.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace rampart {

/// The oldest TLS version a listener accepts; 1.0 and 1.1 are never offered.
enum class tls_version { v1_2, v1_3 };

/// What a TLS listener serves: a certificate chain and its private key, both PEM files.
struct tls_options {
    /// The server's certificate first, then the intermediates (leaf to root, root optional).
    std::string cert_chain_file;
    /// The private key of the first certificate (PEM, unencrypted).
    std::string key_file;
    tls_version min_version = tls_version::v1_2;
};

/// A certificate or key that could not be loaded; `what()` names the file and OpenSSL's reason.
class tls_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

/// Mozilla's "intermediate" TLS 1.2 suites (forward secret, AEAD only); TLS 1.3 keeps
/// OpenSSL's defaults, which are all of that kind.
inline constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

/// OpenSSL's reasons queued by the last failed calls, one line (and the queue emptied).
inline std::string openssl_reasons() {
    std::string out;
    while (unsigned long e = ::ERR_get_error()) {
        char text[256];
        ::ERR_error_string_n(e, text, sizeof text);
        if (!out.empty())
            out += "; ";
        out += text;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

/// ALPN: HTTP/1.1 is all this server speaks; a client offering only others (h2) is refused
/// with the no_application_protocol alert (RFC 7301 §3.2). A client offering none gets none.
inline int select_http11(SSL*, const unsigned char** out, unsigned char* outlen,
                         const unsigned char* in, unsigned int inlen, void*) {
    static constexpr unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* chosen = nullptr;
    if (::SSL_select_next_proto(&chosen, outlen, http11, sizeof http11, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/** A server context with the library's settings, from PEM text: TLS 1.2 or later (or 1.3),
    the suites above in the server's order, no compression, no renegotiation, ALPN http/1.1,
    session resumption on (OpenSSL's session cache and tickets). `source` names where the PEM
    came from, for the error. Throws: tls_error.
*/
inline std::shared_ptr<asio::ssl::context> make_tls_context(std::string_view chain_pem,
                                                            std::string_view key_pem,
                                                            tls_version min_version,
                                                            const std::string& source) {
    ::ERR_clear_error();
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    // OpenSSL 3 refuses client-initiated renegotiation by default; NO_RENEGOTIATION refuses
    // every renegotiation, TLS 1.2's and the server's own.
    ::SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                      SSL_OP_CIPHER_SERVER_PREFERENCE);
    ::SSL_CTX_set_min_proto_version(native, min_version == tls_version::v1_3 ? TLS1_3_VERSION
                                                                             : TLS1_2_VERSION);
    if (::SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1)
        throw tls_error("rampart: TLS cipher list refused: " + openssl_reasons());
    ::SSL_CTX_set_dh_auto(native, 1);
    ::SSL_CTX_set_alpn_select_cb(native, &select_http11, nullptr);
    boost::system::error_code ec;
    ctx->use_certificate_chain(asio::buffer(chain_pem.data(), chain_pem.size()), ec);
    if (ec)
        throw tls_error("rampart: cannot use the TLS certificate chain " + source + ": " +
                        ec.message());
    ctx->use_private_key(asio::buffer(key_pem.data(), key_pem.size()), asio::ssl::context::pem, ec);
    if (ec)
        throw tls_error("rampart: cannot use the TLS private key " + source + ": " + ec.message());
    if (::SSL_CTX_check_private_key(native) != 1)
        throw tls_error("rampart: the TLS private key does not match the certificate " + source +
                        ": " + openssl_reasons());
    return ctx;
}

inline std::string read_whole_file(const std::string& path, const char* what) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream text;
    if (in)
        text << in.rdbuf();
    if (!in || in.bad())
        throw tls_error(std::string("rampart: cannot read the TLS ") + what + " file " + path);
    return std::move(text).str();
}

} // namespace detail

/** The certificate and key a TLS listener serves, reloadable while it serves.

    A handle: copies share one state, so the caller can keep one to call `reload()` on while the
    server holds another. Each new connection takes the current OpenSSL context (a shared
    pointer, which the connection holds until it ends); `reload()` builds a whole new context
    from the files and swaps it in, so connections accepted after it get the new certificate
    and open ones keep theirs, undisturbed. Thread-safe.
*/
class tls_context {
public:
    /// Loads the files now. Throws: tls_error (unreadable file, bad PEM, key not matching).
    explicit tls_context(tls_options options)
        : state_(std::make_shared<state>(std::move(options))) {
        state_->current = load(state_->options);
    }

    /** Re-reads the certificate chain and key into a new context and makes it the current one.
        Throws: tls_error when they cannot be used; the current context then stays as it was,
        so a bad file never stops the listener.
    */
    void reload() {
        auto fresh = load(state_->options);
        std::lock_guard lock{state_->mutex};
        state_->current = std::move(fresh);
        ++state_->generation;
    }

    /// The context new connections use now.
    std::shared_ptr<asio::ssl::context> current() const {
        std::lock_guard lock{state_->mutex};
        return state_->current;
    }

    /// How many reloads succeeded (0 for the files loaded at construction).
    std::size_t generation() const {
        std::lock_guard lock{state_->mutex};
        return state_->generation;
    }

    const tls_options& options() const noexcept { return state_->options; }

    /// Whether two handles share one state (reloading one reloads both).
    friend bool operator==(const tls_context& a, const tls_context& b) noexcept {
        return a.state_ == b.state_;
    }

private:
    struct state {
        explicit state(tls_options o) : options(std::move(o)) {}
        const tls_options options;
        mutable std::mutex mutex;
        std::shared_ptr<asio::ssl::context> current;
        std::size_t generation = 0;
    };

    static std::shared_ptr<asio::ssl::context> load(const tls_options& o) {
        auto chain = detail::read_whole_file(o.cert_chain_file, "certificate chain");
        auto key = detail::read_whole_file(o.key_file, "private key");
        return detail::make_tls_context(chain, key, o.min_version,
                                        "(" + o.cert_chain_file + ", " + o.key_file + ")");
    }

    std::shared_ptr<state> state_;
};

} // namespace rampart

#endif
