#ifndef RAMPART_JWT_REMOTE_JWKS_HPP
#define RAMPART_JWT_REMOTE_JWKS_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/types.hpp>
#include <rampart/jwt/jwks.hpp>
#include <rampart/jwt/verifier.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::jwt {

/// How a remote_jwks fetches and caches.
struct remote_jwks_options {
    /// A kid the cache does not know triggers a refetch at most this often: a flood of tokens
    /// with made-up kids costs the issuer one request per interval, not one per token.
    std::chrono::seconds min_refetch_interval{60};
    /// The cached set is refetched on first use after it is this old (new keys appear
    /// without waiting for an unknown kid; removed keys stop verifying).
    std::chrono::seconds max_age{3600};
    /// Bound on one whole fetch: resolve, connect, handshake, request, response.
    std::chrono::seconds timeout{10};
    /// Larger documents are refused.
    std::size_t max_document_size = 256 * 1024;
    /// How the JWKs become keys (oct secrets stay refused by default).
    jwk_options keys;
};

/** Another issuer's keys, fetched from its JWKS URL over HTTPS and cached by kid.

    Everything is asynchronous on the given executor (Beast over asio::ssl), so an I/O thread
    is never blocked. The TLS context decides trust: make it with `verify_peer` and the CAs you
    trust (`set_default_verify_paths()` for the system's); the fetch adds SNI and checks the
    certificate names the URL's host. The context must outlive this object.

    A token whose kid is not cached triggers a refetch, at most once per
    min_refetch_interval; while the interval runs, such tokens are refused with
    `unknown_kid`. When a fetch fails the previous keys stay in use. Copies share one cache;
    safe to use from many threads.

    @code
    jwt::remote_jwks remote{io.get_executor(), tls, "https://issuer.example/.well-known/jwks.json"};
    jwt::verifier_options options;
    options.audiences = {"api"};
    jwt::verifier v{jwt::key_set{}, options};
    jwt::verified_token t = co_await remote.verify(v, token);
    @endcode
*/
template <clock_source Clock = system_clock>
class remote_jwks {
public:
    /// Throws: jwks_error (a configuration error) unless `url` is `https://host[:port][/path]`.
    remote_jwks(asio::any_io_executor ex, asio::ssl::context& tls, std::string_view url,
                remote_jwks_options options = {}, Clock clock = {})
        : s_(std::make_shared<state>(ex, tls, std::move(options), std::move(clock))) {
        parse_url(url);
    }

    /** The key set to verify a token with key id `kid` (may be empty): the cached one, after
        a refetch when it is missing, too old, or lacks `kid` and the refetch interval allows.
        Throws: jwks_error only when no set was ever fetched and this fetch failed (the
        issuer's or the network's fault, never the client's: it fails the request with 500).
    */
    asio::awaitable<std::shared_ptr<const key_set>> keys_for(std::string_view kid) {
        auto now = s_->clock.now();
        std::shared_ptr<const key_set> current;
        bool fetch = false;
        {
            std::lock_guard lock(s_->mutex);
            current = s_->keys;
            bool needed = !current || now - s_->fetched_at >= s_->options.max_age ||
                          (!kid.empty() && !current->find(kid));
            // Every refetch, for an unknown kid or an old set, obeys the interval: a failing
            // issuer is asked once per interval, never once per token.
            bool allowed =
                !s_->fetching &&
                (!s_->attempted || now - s_->attempted_at >= s_->options.min_refetch_interval);
            if (needed && allowed) {
                fetch = true;
                s_->fetching = true;
                s_->attempted = true;
                s_->attempted_at = now;
            }
        }
        if (!fetch)
            co_return current ? current : std::make_shared<const key_set>();
        std::exception_ptr failure;
        try {
            co_await refresh_locked();
        } catch (...) {
            failure = std::current_exception();
        }
        std::lock_guard lock(s_->mutex);
        s_->fetching = false;
        if (failure && !s_->keys)
            std::rethrow_exception(failure);
        co_return s_->keys;
    }

    /// Fetches the document now, whatever the interval, and replaces the cache.
    /// Throws: jwks_error on failure (the cache is then unchanged; the issuer's or network's).
    asio::awaitable<void> refresh() {
        {
            std::lock_guard lock(s_->mutex);
            s_->attempted = true;
            s_->attempted_at = s_->clock.now();
        }
        co_await refresh_locked();
    }

    /// The cached set (null before the first successful fetch).
    std::shared_ptr<const key_set> cached() const {
        std::lock_guard lock(s_->mutex);
        return s_->keys;
    }

    /// How many fetches succeeded (for monitoring).
    std::size_t fetch_count() const {
        std::lock_guard lock(s_->mutex);
        return s_->fetches;
    }

    /// Verifies `token` with `v`'s options against this issuer's keys (not `v`'s own).
    template <class C>
    asio::awaitable<verify_result> try_verify(const verifier<C>& v, std::string_view token) {
        std::string kid = peek_kid(token, v.options().max_token_size);
        auto keys = co_await keys_for(kid);
        co_return v.try_verify(token, *keys);
    }

    /// As try_verify. Throws: token_error (401, the client's) when refused; jwks_error as
    /// keys_for.
    template <class C>
    asio::awaitable<verified_token> verify(const verifier<C>& v, std::string_view token) {
        verify_result result = co_await try_verify(v, token);
        co_return std::move(result).value();
    }

private:
    struct state {
        state(asio::any_io_executor e, asio::ssl::context& t, remote_jwks_options o, Clock c)
            : ex(std::move(e)), tls(&t), options(std::move(o)), clock(std::move(c)) {}
        asio::any_io_executor ex;
        asio::ssl::context* tls;
        remote_jwks_options options;
        Clock clock;
        std::string host, port, target;
        mutable std::mutex mutex;
        std::shared_ptr<const key_set> keys;
        std::chrono::system_clock::time_point fetched_at{}, attempted_at{};
        bool attempted = false;
        bool fetching = false;
        std::size_t fetches = 0;
    };

    void parse_url(std::string_view url) {
        constexpr std::string_view scheme = "https://";
        if (url.substr(0, scheme.size()) != scheme)
            throw jwks_error("rampart::jwt: a JWKS URL must be https://");
        url.remove_prefix(scheme.size());
        auto slash = url.find('/');
        std::string_view authority = url.substr(0, slash);
        s_->target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
        if (authority.empty() || authority.find('@') != std::string_view::npos)
            throw jwks_error("rampart::jwt: a JWKS URL needs a host (and no user info)");
        std::string_view host = authority, port = "443";
        if (authority.front() == '[') { // an IPv6 literal
            auto close = authority.find(']');
            if (close == std::string_view::npos)
                throw jwks_error("rampart::jwt: bad IPv6 host in the JWKS URL");
            host = authority.substr(1, close - 1);
            if (close + 1 < authority.size()) {
                if (authority[close + 1] != ':')
                    throw jwks_error("rampart::jwt: bad JWKS URL");
                port = authority.substr(close + 2);
            }
        } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
        }
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (host.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
            value > 65535)
            throw jwks_error("rampart::jwt: bad host or port in the JWKS URL");
        for (char c : s_->target)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
                throw jwks_error("rampart::jwt: bad path in the JWKS URL");
        s_->host = std::string(host);
        s_->port = std::string(port);
    }

    asio::awaitable<void> refresh_locked() {
        std::string body = co_await fetch();
        key_set keys = parse_jwks(body, s_->options.keys);
        std::lock_guard lock(s_->mutex);
        s_->keys = std::make_shared<const key_set>(std::move(keys));
        s_->fetched_at = s_->clock.now();
        ++s_->fetches;
    }

    asio::awaitable<std::string> fetch() {
        auto fail = [this](std::string_view what, const boost::system::error_code& ec) {
            return jwks_error("rampart::jwt: fetching https://" + s_->host + ":" + s_->port +
                              s_->target + ": " + std::string(what) + ": " + ec.message());
        };
        auto token = asio::as_tuple(asio::use_awaitable);
        asio::ip::tcp::resolver resolver(s_->ex);
        beast::ssl_stream<beast::tcp_stream> stream(s_->ex, *s_->tls);
        beast::get_lowest_layer(stream).expires_after(s_->options.timeout);

        auto [rec, endpoints] = co_await resolver.async_resolve(s_->host, s_->port, token);
        if (rec)
            throw fail("resolve", rec);
        boost::system::error_code addr_ec;
        asio::ip::make_address(s_->host, addr_ec);
        // SNI carries host names only (RFC 6066), never address literals.
        if (addr_ec && !SSL_set_tlsext_host_name(stream.native_handle(), s_->host.c_str()))
            throw jwks_error("rampart::jwt: cannot set SNI");
        stream.set_verify_mode(asio::ssl::verify_peer);
        stream.set_verify_callback(asio::ssl::host_name_verification(s_->host));

        auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, token);
        if (cec)
            throw fail("connect", cec);
        auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, token);
        if (hec)
            throw fail("TLS handshake", hec);

        http::request<http::empty_body> req{http::verb::get, s_->target, 11};
        req.set(http::field::host, s_->host);
        req.set(http::field::user_agent, "rampart-jwks");
        req.set(http::field::accept, "application/jwk-set+json, application/json");
        auto [wec, wn] = co_await http::async_write(stream, req, token);
        if (wec)
            throw fail("write", wec);

        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(s_->options.max_document_size);
        auto [rec2, rn] = co_await http::async_read(stream, buffer, parser, token);
        if (rec2)
            throw fail("read", rec2);
        auto& res = parser.get();
        if (res.result() != http::status::ok)
            throw jwks_error("rampart::jwt: fetching the JWKS: HTTP " +
                             std::to_string(res.result_int()));
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds{2});
        co_await stream.async_shutdown(token); // best effort: the body is already complete
        co_return std::move(res.body());
    }

    std::shared_ptr<state> s_;
};

} // namespace rampart::jwt

#endif
