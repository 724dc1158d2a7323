#ifndef RAMPART_SERVER_CONFIG_HPP
#define RAMPART_SERVER_CONFIG_HPP

#include <rampart/core/types.hpp>
#include <rampart/server/log_sink.hpp>
#include <rampart/server/tls.hpp>

#include <boost/asio/ip/address_v4.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rampart {

/** How a rampart::server listens, what it accepts and how long it waits.

    The defaults are safe for a service facing the internet: small header limit, a 1 MiB body
    limit, bounded reads, idle keep-alive connections dropped after a minute, and a connection
    cap. Every bound exists so that a slow or hostile client cannot hold resources forever.
*/
struct server_config {
    /// Where to listen. Port 0 asks the system for a free port; server::port() tells which.
    asio::ip::tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), 8080};

    /// Threads serving connections, each with its own io_context and its share of the
    /// connections (docs/server.md, "Threads"); 0 means one per hardware thread.
    unsigned threads = 0;

    /// Largest request header section (request line and fields) in bytes; beyond it the client
    /// gets a 431 in the envelope and the connection is closed.
    std::size_t header_limit = 8 * 1024;

    /// Largest request body in bytes (after chunked decoding); beyond it the client gets a 413
    /// and the connection is closed. A declared Content-Length above it is refused before a byte
    /// of the body is read.
    std::uint64_t body_limit = 1024 * 1024;

    /// Bound on reading one whole request, header and body, once its first byte arrived. A
    /// client that stalls mid-header or mid-body (slow loris) is cut when it expires.
    std::chrono::milliseconds read_timeout{std::chrono::seconds{30}};

    /// How long a keep-alive connection may wait for the first byte of its next request.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds{60}};

    /// Bound on writing one response (a client that does not read is cut).
    std::chrono::milliseconds write_timeout{std::chrono::seconds{30}};

    /// After an error response (400, 413, 431, 503) the server stops sending and discards what
    /// the client still sends for at most this long, so the client reads the response instead
    /// of a connection reset.
    std::chrono::milliseconds linger_timeout{std::chrono::seconds{1}};

    /// On a TLS listener, bound on the whole TLS handshake from the connection's accept: a
    /// client that sends nothing, or its hello a byte at a time, is cut when it expires. The
    /// request timeouts above apply after it.
    std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds{5}};

    /// On a TLS listener, how long closing may wait for the client's close_notify after the
    /// server sent its own.
    std::chrono::milliseconds tls_shutdown_timeout{std::chrono::seconds{1}};

    /// Open connections at most; a connection beyond the cap is answered 503 and closed.
    std::size_t max_connections = 10'000;

    /// On stop, how long requests already being served may take to finish before their
    /// connections are closed anyway.
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds{10}};

    /** Serve HTTPS on `endpoint` (or on the listening socket handed to the server) instead of
        plain HTTP. More listeners, plain or TLS, are added with `server::listen()` and
        `server::listen_tls()`.
    */
    std::optional<tls_context> tls;

    /// The `Server` header of every response (unless the handler set one). Empty: no header.
    std::string server_name = "rampart";

    /// Stop gracefully on SIGINT and SIGTERM, and reload every TLS listener's certificate and
    /// key on SIGHUP (the same as calling run_until_signal()).
    bool handle_signals = false;

    /** Receives one access-log line (access_log's format, `peer=` as the client) for each
        response the server sends without the handler: 400 (malformed or ambiguous framing, bad
        Host), 413, 417, 431, 501 and 503. Those never pass an access_log middleware, so without
        this an attack made of malformed requests would leave no trace. The default is the
        access_log's default sink (stderr); give it the sink you gave access_log to keep one log,
        or `{}` to drop these lines. Records: level info, source `"access"`, no request (the
        handler never saw one). Called from the connection's thread.
    */
    log_sink access_log_sink = stderr_sink{};

    /// The format of those lines: text or JSON, as `access_log`'s (give both the same).
    rampart::access_log_format access_log_format = rampart::access_log_format::text;

    /** Every response carries `X-Request-ID`, and the handler sees it as `ctx.request_id()`:
        the client's own when it sent exactly one sane value (rampart::request_id: 1 to 128
        bytes of letters, digits and `-._:`), else a new random UUID. The server's own answers
        (400, 413, 431, 503, ...) carry one too. `false`: no header, an empty id.
    */
    bool request_ids = true;

    /// Take a sane `X-Request-ID` from the client (a proxy in front that sets one, a client
    /// correlating its calls). `false`: always make a new one, for services that must not let
    /// clients choose what their log lines are keyed by.
    bool accept_request_id = true;

    /// Receives the server's own operational messages, one record each, source `"server"`
    /// (today: accepting stopped for want of file descriptors or memory, level error, logged
    /// once per episode; and resumed, level info; a TLS reload done, info, or refused, error).
    /// Default: stderr; `{}` drops them.
    log_sink error_log_sink = stderr_sink{};
};

} // namespace rampart

#endif
