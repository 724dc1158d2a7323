// Fuzzes the server's request framing: the bytes of one input are what a client sent on one
// connection, served by rampart::detail::session (the code a socket's bytes go through) over
// Beast's in-memory test stream, with a handler that only records what it was given. Where
// fuzz_server reaches the shop's whole stack, this one checks the framing itself:
//
// - no request is handled after the server refused one on the connection (the bytes after a
//   refusal, a smuggled request among them, are never parsed);
// - at most one refusal per connection, and it is the connection's last response;
// - every request handed to the handler obeys the rules the server enforces: no
//   Transfer-Encoding in HTTP/1.0, never with Content-Length, always ending in chunked alone;
//   one plain Content-Length at most; exactly one valid Host in HTTP/1.1, at most one in 1.0;
//   a body within the limit;
// - what the server wrote parses as responses, one final response per handled or refused
//   request, with nothing left over.
//
// The first byte of an input chooses how many bytes each read returns (1..255; 0: all at once).
// Seeds are in tests/fuzz/corpus/framing/ (one connection per file, first byte as above), the
// dictionary in tests/fuzz/framing.dict (cmake/dev.sh fuzz passes it with -dict=).

#include <rampart/core/clock.hpp>
#include <rampart/errors/format.hpp>
#include <rampart/server/detail/session.hpp>
#include <rampart/server/host.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

namespace http = boost::beast::http;

struct connection_state {
    std::size_t handled = 0;
    std::size_t refused = 0;
};

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_framing: invariant violated: %s\n", what);
    std::abort();
}

constexpr std::uint64_t body_limit = 4096;

/// Checks what reached it, then answers an empty 200.
struct checking_handler {
    connection_state* state;

    rampart::asio::awaitable<rampart::response> operator()(rampart::context& ctx) {
        if (state->refused != 0)
            violated("a request was handled after a refusal");
        ++state->handled;
        const auto& req = ctx.req();
        auto te = req.count(http::field::transfer_encoding);
        auto cl = req.count(http::field::content_length);
        auto hosts = req.count(http::field::host);
        if (te != 0 && req.version() < 11)
            violated("Transfer-Encoding in an HTTP/1.0 request");
        if (te != 0 && cl != 0)
            violated("Transfer-Encoding with Content-Length");
        if (te != 0) {
            // All the fields' list elements, empty ones aside, must be exactly one `chunked`.
            std::size_t elements = 0;
            bool chunked = false;
            for (const auto& f : req) {
                if (f.name() != http::field::transfer_encoding)
                    continue;
                std::string_view list = f.value();
                for (;;) {
                    auto comma = list.find(',');
                    auto element = list.substr(0, comma);
                    while (!element.empty() && (element.front() == ' ' || element.front() == '\t'))
                        element.remove_prefix(1);
                    while (!element.empty() && (element.back() == ' ' || element.back() == '\t'))
                        element.remove_suffix(1);
                    if (!element.empty()) {
                        ++elements;
                        chunked = rampart::detail::iequals(element, "chunked");
                    }
                    if (comma == std::string_view::npos)
                        break;
                    list.remove_prefix(comma + 1);
                }
            }
            if (elements != 1 || !chunked)
                violated("a transfer coding other than chunked alone");
        }
        if (cl > 1)
            violated("several Content-Length fields");
        if (cl == 1) {
            auto value = req[http::field::content_length];
            if (value.empty() || !std::all_of(value.begin(), value.end(),
                                              [](char c) { return c >= '0' && c <= '9'; }))
                violated("a Content-Length that is not one decimal value");
        }
        if (hosts > 1 || (hosts == 0 && req.version() >= 11))
            violated("not exactly one Host");
        if (hosts == 1 && !rampart::is_valid_host_field(req[http::field::host]))
            violated("an invalid Host");
        if (req.body().size() > body_limit)
            violated("a body over the limit");
        co_return rampart::response{http::status::ok, req.version()};
    }
};

/// Counts the final responses in what the server wrote; aborts on bytes that are no response.
std::size_t count_responses(std::string_view out) {
    std::size_t finals = 0;
    while (!out.empty()) {
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        parser.body_limit(1 << 20);
        boost::system::error_code ec;
        auto used = parser.put(boost::asio::buffer(out.data(), out.size()), ec);
        if (ec || !parser.is_done())
            violated("the server wrote something that is not a complete response");
        out.remove_prefix(used);
        if (parser.get().result_int() >= 200)
            ++finals;
    }
    return finals;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    std::size_t read_size = data[0] == 0 ? size : data[0];
    std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};

    connection_state state;
    checking_handler handler{&state};
    rampart::server_config config;
    config.header_limit = 2048;
    config.body_limit = body_limit;
    config.access_log_sink = [&state](std::string_view) {
        if (++state.refused > 1)
            violated("two refusals on one connection");
    };
    rampart::envelope_format format;
    rampart::system_clock clock;
    std::atomic<bool> stopping{false};

    boost::asio::io_context io;
    boost::beast::test::stream server_end{io};
    boost::beast::test::stream client_end{io};
    server_end.connect(client_end);
    server_end.read_size(read_size);
    server_end.append(bytes);
    server_end.close_remote(); // the client sent everything: the server reads it, then the end

    rampart::detail::session<checking_handler, rampart::envelope_format, rampart::system_clock>
        logic{handler, config, format, clock, stopping};
    boost::asio::ip::tcp::endpoint peer{boost::asio::ip::make_address("203.0.113.7"), 40000};
    // Nothing may escape the session: the server would lose such an exception silently.
    boost::asio::co_spawn(io, logic.run(server_end, peer), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    io.run();

    if (count_responses(client_end.str()) != state.handled + state.refused)
        violated("responses do not match the requests handled and refused");
    return 0;
}
