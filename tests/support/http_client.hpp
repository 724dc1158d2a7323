#ifndef RAMPART_TESTS_SUPPORT_HTTP_CLIENT_HPP
#define RAMPART_TESTS_SUPPORT_HTTP_CLIENT_HPP

// A small blocking HTTP/1.1 client over a real socket, for integration tests. It sends raw bytes
// (so tests can send anything, malformed or pipelined) or Beast requests, and parses responses
// with Beast. Every wait is bounded by the client's timeout, so a broken server fails a test
// instead of hanging it.

#include <rampart/core/types.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::test {

class http_client {
public:
    /// Connects to 127.0.0.1:`port`; throws when the connection is refused.
    explicit http_client(unsigned short port,
                         std::chrono::milliseconds timeout = std::chrono::seconds{10})
        : stream_(io_), timeout_(timeout) {
        boost::system::error_code ec;
        stream_.expires_after(timeout_);
        stream_.async_connect({asio::ip::make_address_v4("127.0.0.1"), port},
                              [&](boost::system::error_code e) { ec = e; });
        drive();
        if (ec)
            throw boost::system::system_error(ec, "http_client: connect");
    }

    /// Whether a new connection to `port` is accepted by the kernel (false when refused).
    static bool can_connect(unsigned short port) {
        try {
            http_client probe{port};
            return true;
        } catch (const boost::system::system_error&) {
            return false;
        }
    }

    /// Sends `bytes` exactly as given.
    void send(std::string_view bytes) {
        boost::system::error_code ec;
        stream_.expires_after(timeout_);
        asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                          [&](boost::system::error_code e, std::size_t) { ec = e; });
        drive();
        if (ec)
            throw boost::system::system_error(ec, "http_client: send");
    }

    /// Sends a Beast request (its Host is set, and its framing prepared, when missing).
    void send(request req) {
        if (req.find(http::field::host) == req.end())
            req.set(http::field::host, "127.0.0.1");
        req.prepare_payload();
        boost::system::error_code ec;
        stream_.expires_after(timeout_);
        http::async_write(stream_, req, [&](boost::system::error_code e, std::size_t) { ec = e; });
        drive();
        if (ec)
            throw boost::system::system_error(ec, "http_client: send");
    }

    /// Reads one response; `head` for the answer to a HEAD request (headers only). Throws when
    /// the connection ends or the timeout passes first.
    response receive(bool head = false) {
        auto res = try_receive(head);
        if (!res)
            throw std::runtime_error("http_client: no response: " + last_error_.message());
        return std::move(*res);
    }

    /// Reads one response, or nullopt when the connection ended (or the timeout passed).
    std::optional<response> try_receive(bool head = false) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(head);
        boost::system::error_code ec;
        stream_.expires_after(timeout_);
        http::async_read(stream_, buffer_, parser,
                         [&](boost::system::error_code e, std::size_t) { ec = e; });
        drive();
        last_error_ = ec;
        if (ec)
            return std::nullopt;
        return parser.release();
    }

    /// Sends `req` and reads its response.
    response roundtrip(request req) {
        bool head = req.method() == http::verb::head;
        send(std::move(req));
        return receive(head);
    }

    /// Waits until the server ends the connection (end of stream or reset); false when it is
    /// still open after `bound`. Bytes received meanwhile are kept in `unread()`.
    bool wait_closed(std::chrono::milliseconds bound) {
        stream_.expires_after(bound);
        boost::system::error_code ec;
        for (;;) {
            auto space = buffer_.prepare(4096);
            std::size_t n = 0;
            stream_.async_read_some(space, [&](boost::system::error_code e, std::size_t k) {
                ec = e;
                n = k;
            });
            drive();
            buffer_.commit(n);
            if (ec)
                return ec != beast::error::timeout;
        }
    }

    /// Bytes received but not part of a parsed response.
    std::string unread() const {
        auto data = buffer_.data();
        return {static_cast<const char*>(data.data()), data.size()};
    }

    /// Why the last try_receive() returned nullopt.
    boost::system::error_code last_error() const noexcept { return last_error_; }

    void close() {
        boost::system::error_code ignored;
        stream_.socket().close(ignored);
    }

private:
    void drive() {
        io_.restart();
        io_.run();
    }

    asio::io_context io_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::chrono::milliseconds timeout_;
    boost::system::error_code last_error_;
};

/// A GET (or any method) request for `target` with Host set.
inline request make_get(std::string target, http::verb method = http::verb::get) {
    request req{method, std::move(target), 11};
    req.set(http::field::host, "127.0.0.1");
    return req;
}

} // namespace rampart::test

#endif
