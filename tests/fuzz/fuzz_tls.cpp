// Fuzzes what a client sends to a TLS listener: the bytes of one input reach the exact code a
// TLS connection's bytes go through (rampart::detail::serve_tls: OpenSSL's handshake under the
// server's context, then the HTTP session over the TLS stream, then the TLS close), over
// Beast's in-memory test stream instead of a socket. Nothing may crash, leak or throw out of the
// connection, and every input must end: the client's end is closed after its bytes.
//
// The first byte of an input chooses the mode and the read size:
//   even: the rest is raw bytes on the wire (ClientHellos, records, garbage, plain HTTP);
//   odd:  an in-process OpenSSL client completes a real handshake first, then sends the rest
//         as application data (HTTP requests over TLS), then closes the TCP stream;
// and `first >> 1` is how many bytes each server read returns (1..127; 0: all at once).
// tests/fuzz/corpus/tls/ holds seeds of both kinds (ClientHellos for TLS 1.0 to 1.3 made by
// Python's ssl module, plain HTTP, requests over TLS).

#include "support/tls.hpp"

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/handler.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/format.hpp>
#include <rampart/server/config.hpp>
#include <rampart/server/detail/session.hpp>
#include <rampart/server/tls.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using test_stream = beast::test::stream;

asio::awaitable<rampart::response> answer(rampart::context& ctx) {
    co_return rampart::text_response(boost::beast::http::status::ok, std::string(ctx.path()));
}

/// The server's context (the library's settings, a certificate made once) and a client's.
struct fixture {
    rampart::test::self_signed identity = rampart::test::make_self_signed("fuzz.test");
    std::shared_ptr<asio::ssl::context> server_tls = rampart::detail::make_tls_context(
        identity.cert_pem, identity.key_pem, rampart::tls_version::v1_2, "(fuzz)");
    asio::ssl::context client_tls{asio::ssl::context::tls_client};
    decltype(rampart::make_handler(&answer)) handler = rampart::make_handler(&answer);
    rampart::server_config config;
    rampart::envelope_format format;
    rampart::system_clock clock;
    std::atomic<bool> stopping{false};

    fixture() {
        config.access_log_sink = {};
        config.body_limit = 16 * 1024;
    }
};

fixture& instance() {
    static fixture f;
    return f;
}

asio::awaitable<void> client(beast::ssl_stream<test_stream>& stream, std::string_view bytes) {
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                asio::as_tuple(asio::use_awaitable));
    if (!ec && !bytes.empty())
        co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                                   asio::as_tuple(asio::use_awaitable));
    stream.next_layer().close(); // the end of the client's bytes, without close_notify
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    auto& f = instance();
    bool handshake_first = (data[0] & 1) != 0;
    std::size_t read_size = data[0] >> 1;
    std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};

    asio::io_context io;
    test_stream server_end{io};
    test_stream client_end{io};
    server_end.connect(client_end);
    if (read_size != 0)
        server_end.read_size(read_size);
    if (!handshake_first) {
        server_end.append(bytes);
        client_end.close(); // the client sent everything: the server reads it, then the end
    }

    beast::ssl_stream<test_stream> server{std::move(server_end), *f.server_tls};
    beast::ssl_stream<test_stream> tls_client{std::move(client_end), f.client_tls};
    if (handshake_first)
        asio::co_spawn(io, client(tls_client, bytes), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });

    rampart::detail::session<decltype(f.handler), rampart::envelope_format, rampart::system_clock>
        logic{f.handler, f.config, f.format, f.clock, f.stopping};
    asio::ip::tcp::endpoint peer{asio::ip::make_address("203.0.113.7"), 40000};
    // Nothing may escape: the server would lose such an exception silently.
    asio::co_spawn(io, rampart::detail::serve_tls(logic, server, f.config, peer),
                   [](std::exception_ptr e) {
                       if (e)
                           std::rethrow_exception(e);
                   });
    io.run();
    return 0;
}
