#ifndef RAMPART_SERVER_DETAIL_SESSION_HPP
#define RAMPART_SERVER_DETAIL_SESSION_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/server/config.hpp>
#include <rampart/server/detail/connection_registry.hpp>
#include <rampart/server/http_date.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>

namespace rampart::detail {

/// Sets the stream's deadline when it has one (`beast::tcp_stream`); other streams (the test
/// stream of the fuzz target) have no timers.
template <class Stream>
void expire_after(Stream& stream, std::chrono::steady_clock::duration d) {
    if constexpr (requires { stream.expires_after(d); })
        stream.expires_after(d);
}

/// Stops sending: a TCP half-close, or a plain close for streams without one.
template <class Stream>
void shutdown_send(Stream& stream, boost::system::error_code& ec) {
    if constexpr (requires { stream.socket().shutdown(asio::socket_base::shutdown_send, ec); })
        stream.socket().shutdown(asio::socket_base::shutdown_send, ec);
    else
        stream.close();
}

/** One connection's HTTP/1.1 exchange, over any Beast-style async stream.

    The server runs it over a `beast::tcp_stream`; a fuzz target or a test runs it over an
    in-memory stream, so the very code that parses, limits, dispatches and frames requests on a
    socket can be driven without one. It holds references only: the server (or the caller)
    keeps the handler, configuration, format, clock and stop flag alive while it runs.
*/
template <class Handler, class Format, class Clock>
class session {
public:
    session(Handler& handler, const server_config& config, const Format& format, const Clock& clock,
            const std::atomic<bool>& stopping) noexcept
        : handler_(handler), config_(config), format_(format), clock_(clock), stopping_(stopping) {}

    /** Serves requests from `stream` until the client closes, an error closes the connection,
        or the server stops. `slot`, when given, is kept `idle` while waiting for a request and
        `busy` otherwise, for graceful shutdown.
    */
    template <class Stream>
    asio::awaitable<void> run(Stream& stream, asio::ip::tcp::endpoint peer,
                              connection_registry::entry* slot = nullptr) const {
        using asio::as_tuple;
        using asio::use_awaitable;
        boost::system::error_code ec;
        beast::flat_buffer buffer;
        date_cache dates;
        bool first = true;
        for (;;) {
            if (buffer.size() == 0) {
                // Between requests: the idle timeout applies, and shutdown may end us here.
                if (slot)
                    slot->state.store(connection_registry::idle, std::memory_order_seq_cst);
                if (stopping_.load(std::memory_order_seq_cst))
                    break;
                expire_after(stream, first ? config_.read_timeout : config_.idle_timeout);
                auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(first_read_size),
                                                                    as_tuple(use_awaitable));
                if (read_ec)
                    co_return;
                buffer.commit(n);
                if (slot)
                    slot->state.store(connection_registry::busy, std::memory_order_seq_cst);
            }
            first = false;

            http::request_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(
                std::min<std::size_t>(config_.header_limit, UINT32_MAX)));
            parser.body_limit(config_.body_limit);
            expire_after(stream, config_.read_timeout);
            // Usually the whole request came with the first read: parse it without another
            // asynchronous operation, and read only when more is needed.
            ec = parse_buffered(parser, buffer);
            if (!ec && !parser.is_header_done()) {
                auto [header_ec, header_n] = co_await http::async_read_header(
                    stream, buffer, parser, as_tuple(use_awaitable));
                ec = header_ec;
            }
            if (!ec && !parser.is_done()) {
                if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                    response go_on{http::status::continue_, 11};
                    auto [continue_ec, continue_n] =
                        co_await http::async_write(stream, go_on, as_tuple(use_awaitable));
                    if (continue_ec)
                        co_return;
                    expire_after(stream, config_.read_timeout);
                }
                auto [body_ec, body_n] =
                    co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
                ec = body_ec;
            }
            if (ec) {
                if (ec == http::error::header_limit)
                    co_await reject(stream, dates, header_too_large{});
                else if (ec == http::error::body_limit)
                    co_await reject(stream, dates, payload_too_large{});
                else if (ec.category() ==
                             http::make_error_code(http::error::bad_method).category() &&
                         ec != http::error::end_of_stream && ec != http::error::partial_message)
                    co_await reject(stream, dates, bad_request{"Malformed HTTP request."});
                co_return;
            }

            bool keep_alive = parser.get().keep_alive();
            unsigned version = parser.get().version();
            bool head = parser.get().method() == http::verb::head;
            context ctx{parser.release(), peer};
            response res;
            try {
                res = co_await handler_(ctx);
            } catch (...) {
                res = ctx.render_error(std::current_exception());
            }

            // The handler may ask to close; its response's own version says nothing here.
            bool handler_closes = http::token_list{res[http::field::connection]}.exists("close");
            res.version(version);
            keep_alive = keep_alive && !handler_closes && !stopping_.load();
            res.keep_alive(keep_alive);
            stamp(res, dates);
            expire_after(stream, config_.write_timeout);
            if (head) {
                if (!res.body().empty() || (!res.has_content_length() && !res.chunked()))
                    res.content_length(res.body().size());
                http::response<http::empty_body> header_only{std::move(res.base())};
                auto [write_ec, n] = co_await beast::async_write(
                    stream, http::message_generator{std::move(header_only)},
                    as_tuple(use_awaitable));
                ec = write_ec;
            } else {
                frame_body(res);
                // Beast's message_generator writes header and body with far less per-buffer
                // work than http::async_write on the message (measured in bench/hello.sh).
                auto [write_ec, n] = co_await beast::async_write(
                    stream, http::message_generator{std::move(res)}, as_tuple(use_awaitable));
                ec = write_ec;
            }
            if (ec)
                co_return;
            if (!keep_alive) {
                shutdown_send(stream, ec);
                co_return;
            }
        }
    }

    /// Answers an error the handler never saw, then closes cleanly.
    template <class Stream>
    asio::awaitable<void> reject(Stream& stream, date_cache& dates, const http_error& error) const {
        response res = format_(error);
        res.keep_alive(false);
        stamp(res, dates);
        expire_after(stream, config_.write_timeout);
        auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (!ec)
            co_await linger(stream);
    }

private:
    static constexpr std::size_t first_read_size = 4096;

    /// Feeds the parser what the buffer already holds (the header, and the body when it is
    /// there too); running out of bytes is not an error, the caller reads more.
    static boost::system::error_code parse_buffered(http::request_parser<http::string_body>& parser,
                                                    beast::flat_buffer& buffer) {
        boost::system::error_code ec;
        while (buffer.size() != 0 && !parser.is_done()) {
            auto used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            if (ec == http::error::need_more)
                return {};
            if (ec || used == 0)
                break;
        }
        return ec;
    }

    /// Makes the framing headers agree with the body, whatever the handler set.
    static void frame_body(response& res) {
        auto status = res.result_int();
        if (status < 200 || status == 204 || status == 304) {
            res.body().clear();
            if (status != 304)
                res.content_length(boost::none);
            res.chunked(false);
        } else if (!res.chunked()) {
            res.content_length(res.body().size());
        }
    }

    template <class Fields>
    void stamp(http::header<false, Fields>& res, date_cache& dates) const {
        auto date = dates.get(clock_.now());
        res.set(http::field::date, beast::string_view{date.data(), date.size()});
        if (!config_.server_name.empty() && res.find(http::field::server) == res.end())
            res.set(http::field::server, config_.server_name);
    }

    /// Stops sending and drains what the client still sends, so that closing with unread
    /// bytes does not reset the connection before the client read the response.
    template <class Stream>
    asio::awaitable<void> linger(Stream& stream) const {
        boost::system::error_code ec;
        shutdown_send(stream, ec);
        if (ec)
            co_return;
        expire_after(stream, config_.linger_timeout);
        char sink[4096];
        for (;;) {
            auto [read_ec, n] = co_await stream.async_read_some(
                asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
            if (read_ec)
                co_return;
        }
    }

    Handler& handler_;
    const server_config& config_;
    const Format& format_;
    const Clock& clock_;
    const std::atomic<bool>& stopping_;
};

} // namespace rampart::detail

#endif
