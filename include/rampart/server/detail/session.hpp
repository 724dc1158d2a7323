#ifndef RAMPART_SERVER_DETAIL_SESSION_HPP
#define RAMPART_SERVER_DETAIL_SESSION_HPP

#include <rampart/core/context.hpp>
#include <rampart/detail/ascii.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/server/config.hpp>
#include <rampart/server/detail/connection_registry.hpp>
#include <rampart/server/host.hpp>
#include <rampart/server/http_date.hpp>
#include <rampart/server/log_sink.hpp>
#include <rampart/server/request_id_generator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::detail {

/// Sets the stream's deadline when it has one (`beast::tcp_stream`, also under a TLS layer);
/// other streams (the test stream of the fuzz targets) have no timers.
template <class Stream>
void expire_after(Stream& stream, std::chrono::steady_clock::duration d) {
    if constexpr (requires { stream.expires_after(d); })
        stream.expires_after(d);
    else if constexpr (requires { stream.next_layer(); })
        expire_after(stream.next_layer(), d);
}

/// Whether `Stream` is a TLS stream (`beast::ssl_stream` over any layer).
template <class Stream>
concept tls_stream = requires(Stream& s) {
    s.next_layer();
    s.native_handle();
    s.async_shutdown(asio::detached);
};

/// Stops sending: a TCP half-close, or a plain close for streams without one. Over TLS nothing
/// here: the TLS layer's close_notify is sent once the session ends (serve_tls).
template <class Stream>
void shutdown_send(Stream& stream, boost::system::error_code& ec) {
    if constexpr (requires { stream.socket().shutdown(asio::socket_base::shutdown_send, ec); })
        stream.socket().shutdown(asio::socket_base::shutdown_send, ec);
    else if constexpr (tls_stream<Stream>)
        (void)ec;
    else
        stream.close();
}

/** One connection's HTTP/1.1 exchange, over any Beast-style async stream.

    The server runs it over a `beast::tcp_stream`; a fuzz target or a test runs it over an
    in-memory stream, so the very code that parses, limits, dispatches and frames requests on a
    socket can be driven without one. It holds references only: the server (or the caller)
    keeps the handler, configuration, format, clock and stop flag alive while it runs.

    `ids` makes the request ids of requests that bring none: the server gives each thread's
    sessions that thread's generator. Without one, a session seeds its own when it first needs
    an id (a getrandom(2) per connection: for tests and fuzz targets).
*/
template <class Handler, class Format, class Clock>
class session {
public:
    session(Handler& handler, const server_config& config, const Format& format, const Clock& clock,
            const std::atomic<bool>& stopping, request_id_generator* ids = nullptr) noexcept
        : handler_(handler), config_(config), format_(format), clock_(clock), stopping_(stopping),
          ids_(ids) {}

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
        // Bounded: a chunk extension or a trailer section never ending cannot grow it further
        // (Beast bounds neither); the header limit and the body limit apply on top.
        beast::flat_buffer buffer{
            std::min<std::size_t>(config_.header_limit, SIZE_MAX - buffer_margin) + buffer_margin};
        date_cache dates;
        bool first = true;
        for (;;) {
            // A CRLF some clients send after a body (RFC 9112 §2.2): the connection is idle.
            if (buffer.size() == 2 &&
                std::string_view{static_cast<const char*>(buffer.data().data()), 2} == "\r\n")
                buffer.consume(2);
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

            auto arrived = clock_.now();
            request_parser parser;
            parser.header_limit(static_cast<std::uint32_t>(
                std::min<std::size_t>(config_.header_limit, UINT32_MAX)));
            parser.body_limit(config_.body_limit);
            expire_after(stream, config_.read_timeout);
            std::optional<http_error> refusal;
            auto read_error = co_await read_header(stream, parser, buffer);
            if (read_error) {
                refusal = refusal_for(read_error);
            } else {
                refusal = check_header(parser.get());
            }
            if (!refusal && !read_error && !parser.is_done()) {
                // Trailer fields of a chunked body are dropped (RFC 9112 §7.1.2 allows it; RFC
                // 9110 §6.5.1 forbids merging them blindly): Beast merges them into the header,
                // where a `Host` or an `Authorization` sent after the body would reach the
                // handler unchecked. The header is kept aside to put back.
                std::optional<http::request_header<>> header_only;
                if (parser.chunked())
                    header_only.emplace(parser.get().base());
                if (parser.get().version() >= 11 && parser.get().count(http::field::expect) != 0) {
                    response go_on{http::status::continue_, 11};
                    auto [continue_ec, continue_n] =
                        co_await http::async_write(stream, go_on, as_tuple(use_awaitable));
                    if (continue_ec)
                        co_return;
                    expire_after(stream, config_.read_timeout);
                }
                auto [body_ec, body_n] =
                    co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
                read_error = body_ec;
                if (body_ec)
                    refusal = refusal_for(body_ec);
                else if (header_only && field_count(*header_only) != field_count(parser.get()))
                    parser.get().base() = std::move(*header_only);
            }
            if (refusal) {
                refused_request who{arrived, std::string{parser.get().method_string()},
                                    std::string{parser.get().target()}, peer};
                // A declared Content-Length over the limit is refused as the header ends,
                // before Beast calls the header done: its fields are all there.
                if (parser.is_header_done() || read_error == http::error::body_limit) {
                    who.id = request_id_of(parser.get());
                    auto agent = parser.get()[http::field::user_agent];
                    who.user_agent.assign(agent.data(), agent.size());
                }
                co_await reject(stream, dates, *refusal, who);
                co_return;
            }
            if (read_error)
                co_return;

            bool keep_alive = parser.get().keep_alive();
            unsigned version = parser.get().version();
            bool head = parser.get().method() == http::verb::head;
            rampart::request_id id = request_id_of(parser.get());
            context ctx{parser.release(), peer};
            ctx.set_request_id(id);
            response res;
            try {
                res = co_await handler_(ctx);
            } catch (...) {
                res = ctx.render_error(std::current_exception());
            }
            if (!id.empty())
                res.set(rampart::request_id::header, id.view());

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
                ec = co_await write_response(stream, header_only);
            } else {
                frame_body(res);
                ec = co_await write_response(stream, res);
            }
            if (ec)
                co_return;
            if (!keep_alive) {
                shutdown_send(stream, ec);
                co_return;
            }
        }
    }

    /// What the access-log line of a refusal says about the request.
    struct refused_request {
        std::chrono::system_clock::time_point arrived;
        std::string method; // empty: the request line was never parsed
        std::string target;
        asio::ip::tcp::endpoint peer;
        rampart::request_id id = {}; // empty: one is made (when request ids are on)
        std::string user_agent = {};
    };

    /// Answers an error the handler never saw, logs it to `config.access_log_sink`, then closes
    /// cleanly: no byte the client sent after it is ever parsed.
    template <class Stream>
    asio::awaitable<void> reject(Stream& stream, date_cache& dates, const http_error& error,
                                 const refused_request& who) const {
        response res = format_(error);
        res.keep_alive(false);
        rampart::request_id id = who.id;
        if (id.empty() && config_.request_ids)
            id = new_request_id();
        if (!id.empty())
            res.set(rampart::request_id::header, id.view());
        stamp(res, dates);
        expire_after(stream, config_.write_timeout);
        auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (config_.access_log_sink) {
            auto elapsed =
                std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - who.arrived);
            try {
                auto line = refusal_log_line(config_.access_log_format, who.arrived, id.view(),
                                             who.method, who.target, who.user_agent,
                                             res.result_int(), elapsed, who.peer);
                config_.access_log_sink(log_record{log_level::info, "access", line});
            } catch (...) {
                // Building the line may throw (memory); the sink itself never does. Either way
                // the connection's coroutine (and the server's io_context thread) goes on.
            }
        }
        if (!ec)
            co_await linger(stream);
    }

private:
    /** The request's id: its own `X-Request-ID` when there is exactly one and it is sane (and
        the configuration accepts clients' ids), else a new one; empty when ids are off.
    */
    rampart::request_id request_id_of(const http::request_header<>& req) const {
        if (!config_.request_ids)
            return {};
        if (config_.accept_request_id) {
            std::optional<rampart::request_id> given;
            std::size_t count = 0;
            for (const auto& f : req)
                if (f.name() == http::field::unknown &&
                    rampart::detail::iequals(f.name_string(), rampart::request_id::header) &&
                    ++count == 1)
                    given = rampart::request_id::parse(f.value());
            if (count == 1 && given)
                return *given;
        }
        return new_request_id();
    }

    rampart::request_id new_request_id() const {
        if (!ids_) {
            own_ids_ = std::make_unique<request_id_generator>();
            ids_ = own_ids_.get();
        }
        return ids_->next();
    }

    static constexpr std::size_t first_read_size = 4096;
    /// Buffers gathered into one write: the start line, a field each, the body.
    static constexpr std::size_t gather_buffers = 16;

    /** Writes a response with one gathering write per serializer step: what Beast's
        message_generator does (far less per-buffer work than http::async_write on the message,
        measured in bench/hello.sh), with the serializer in the coroutine's frame instead of a
        heap allocation per response.
    */
    template <class Stream, class Body>
    asio::awaitable<boost::system::error_code> write_response(Stream& stream,
                                                              http::response<Body>& res) const {
        http::response_serializer<Body> serializer{res};
        std::array<asio::const_buffer, gather_buffers> buffers;
        while (!serializer.is_done()) {
            boost::system::error_code ec;
            std::size_t count = 0;
            serializer.next(ec, [&](boost::system::error_code&, const auto& sequence) {
                for (auto it = asio::buffer_sequence_begin(sequence);
                     it != asio::buffer_sequence_end(sequence) && count < buffers.size(); ++it)
                    buffers[count++] = *it;
            });
            if (ec)
                co_return ec;
            auto [write_ec, n] = co_await asio::async_write(
                stream, std::span<const asio::const_buffer>{buffers.data(), count},
                asio::as_tuple(asio::use_awaitable));
            if (write_ec)
                co_return write_ec;
            serializer.consume(n);
        }
        co_return boost::system::error_code{};
    }
    /// Room the buffer has beyond the header limit: what Beast reads at once while reading a
    /// body (64 KiB), and a first read.
    static constexpr std::size_t buffer_margin = 64 * 1024 + first_read_size;

    using request_parser = http::request_parser<http::string_body>;

    /** Reads and parses one request's header section into `parser`, bounded by the header
        limit. Beast's strict parser does the syntax; on top of it, one empty line before the
        request line is ignored (RFC 9112 §2.2) and obsolete line folding is refused (§5.2:
        Beast would unfold it, and a proxy in front may not, so `Transfer-Encoding:\r\n
        chunked` would frame the request differently for the two).
    */
    template <class Stream>
    asio::awaitable<boost::system::error_code> read_header(Stream& stream, request_parser& parser,
                                                           beast::flat_buffer& buffer) const {
        bool skipped_empty_line = false;
        for (;;) {
            auto data = [&] { return static_cast<const char*>(buffer.data().data()); };
            bool wait = false;
            if (!parser.got_some() && !skipped_empty_line && buffer.size() != 0 &&
                data()[0] == '\r') {
                if (buffer.size() == 1) {
                    wait = true;
                } else if (data()[1] == '\n') {
                    buffer.consume(2);
                    skipped_empty_line = true;
                    continue;
                }
            }
            while (!wait && buffer.size() != 0 && !parser.is_header_done()) {
                boost::system::error_code ec;
                auto used = parser.put(buffer.data(), ec);
                if (!ec && has_obs_fold(std::string_view{data(), used}))
                    ec = http::error::bad_value;
                buffer.consume(used);
                if (ec == http::error::need_more || (!ec && used == 0))
                    break;
                if (ec)
                    co_return ec;
            }
            if (parser.is_header_done())
                co_return boost::system::error_code{};
            auto room = buffer.max_size() - buffer.size();
            if (room == 0)
                co_return http::error::header_limit;
            auto [read_ec, n] =
                co_await stream.async_read_some(buffer.prepare(std::min(room, first_read_size)),
                                                asio::as_tuple(asio::use_awaitable));
            buffer.commit(n);
            if (read_ec == asio::error::eof)
                co_return parser.got_some() || buffer.size() != 0 ? http::error::partial_message
                                                                  : http::error::end_of_stream;
            if (read_ec)
                co_return read_ec;
        }
    }

    /// Whether header bytes the parser accepted contain a folded line (CRLF then SP or HTAB).
    static bool has_obs_fold(std::string_view header_bytes) noexcept {
        for (std::size_t i = header_bytes.find('\n'); i != std::string_view::npos;
             i = header_bytes.find('\n', i + 1))
            if (i + 1 < header_bytes.size() &&
                (header_bytes[i + 1] == ' ' || header_bytes[i + 1] == '\t'))
                return true;
        return false;
    }

    /// The answer to a read or parse error; none when the connection just ends (the client
    /// went away, or a timeout closed the socket).
    static std::optional<http_error> refusal_for(const boost::system::error_code& ec) {
        if (ec == http::error::header_limit)
            return header_too_large{};
        if (ec == http::error::body_limit)
            return payload_too_large{};
        if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message)
            return bad_request{"Malformed HTTP request."};
        return std::nullopt;
    }

    /** The framing and Host rules Beast's parser leaves to the server (RFC 9112 §6.1, §6.3,
        §3.2; RFC 9110 §10.1.1), checked once the header section is parsed and before any byte
        of the body is read or a 100 Continue sent. Any answer here closes the connection: after
        an ambiguous header the server cannot know where the next request would start.
    */
    static std::optional<http_error> check_header(const http::request_header<>& req) {
        std::size_t te_fields = 0, cl_fields = 0, hosts = 0, expects = 0;
        std::string codings;
        std::string_view length, host, expect;
        for (const auto& f : req) {
            switch (f.name()) {
            case http::field::transfer_encoding:
                if (te_fields++ != 0)
                    codings += ',';
                codings.append(f.value().data(), f.value().size());
                break;
            case http::field::content_length:
                ++cl_fields;
                length = f.value();
                break;
            case http::field::host:
                ++hosts;
                host = f.value();
                break;
            case http::field::expect:
                ++expects;
                expect = f.value();
                break;
            default:
                break;
            }
        }
        if (te_fields != 0) {
            if (req.version() < 11)
                return bad_request{"Transfer-Encoding is not allowed in an HTTP/1.0 request."};
            if (cl_fields != 0)
                return bad_request{"Transfer-Encoding and Content-Length must not both be sent."};
            if (auto error = check_transfer_codings(codings))
                return error;
        } else if (cl_fields != 0) {
            // Beast accepts a list of equal values (`5, 5`) and repeated equal fields, as RFC
            // 9110 §8.6 allows; a proxy in front may read them otherwise, so only one plain
            // decimal value is taken.
            if (cl_fields != 1 || length.empty() ||
                !std::all_of(length.begin(), length.end(),
                             [](char c) { return c >= '0' && c <= '9'; }))
                return bad_request{"Invalid Content-Length."};
        }
        if (hosts > 1)
            return bad_request{"More than one Host header."};
        if (hosts == 0 && req.version() >= 11)
            return bad_request{"Missing Host header."};
        if (hosts == 1 && !is_valid_host_field(host))
            return bad_request{"Invalid Host header."};
        if (expects != 0 && req.version() >= 11 &&
            (expects != 1 || !rampart::detail::iequals(expect, "100-continue")))
            return http_error{http::status::expectation_failed, "expectation_failed",
                              "Only the 100-continue expectation is supported."};
        return std::nullopt;
    }

    /** `Transfer-Encoding` (all its fields, joined): a list of codings whose last is chunked, the
        only one the server decodes (it decodes no compression). Not ending in chunked: 400, the
        length cannot be known (§6.3); chunked twice: 400 (§6.1); chunked after another coding
        (`gzip, chunked`): 501, a transfer coding the server does not implement (§6.1), rather
        than handing the handler a body still gzip-coded. (415 is for content codings, which
        `Content-Encoding` names; these are transfer codings.)
    */
    static std::optional<http_error> check_transfer_codings(std::string_view list) {
        auto is_tchar = [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
        };
        auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
        std::vector<std::string_view> codings;
        std::size_t start = 0;
        for (;;) {
            auto comma = list.find(',', start);
            auto element =
                list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
            while (!element.empty() && is_ows(element.front()))
                element.remove_prefix(1);
            while (!element.empty() && is_ows(element.back()))
                element.remove_suffix(1);
            if (!element.empty()) {
                // A coding with parameters (`gzip;q=1`) is still that coding; chunked has none.
                auto name = element.substr(0, element.find_first_of("; \t"));
                if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar))
                    return bad_request{"Malformed Transfer-Encoding."};
                codings.push_back(element);
            }
            if (comma == std::string_view::npos)
                break;
            start = comma + 1;
        }
        if (codings.empty() || !rampart::detail::iequals(codings.back(), "chunked"))
            return bad_request{"Transfer-Encoding must end in chunked."};
        codings.pop_back();
        bool other = false;
        for (auto coding : codings) {
            auto name = coding.substr(0, coding.find_first_of("; \t"));
            if (rampart::detail::iequals(name, "chunked"))
                return bad_request{"The chunked transfer coding is applied more than once."};
            other = true;
        }
        if (other)
            return http_error{http::status::not_implemented, "not_implemented",
                              "Only the chunked transfer coding is supported."};
        return std::nullopt;
    }

    static std::size_t field_count(const http::request_header<>& req) noexcept {
        return static_cast<std::size_t>(std::distance(req.begin(), req.end()));
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
    mutable request_id_generator* ids_;
    mutable std::unique_ptr<request_id_generator> own_ids_;
};

/** One connection of a TLS listener: the handshake, bounded by `config.tls_handshake_timeout`
    from the accept (a client that sends nothing, garbage, plain HTTP or its hello a byte at a
    time is closed by then, or at once on bytes that are not TLS), then `logic`'s request loop
    over the TLS stream, then the TLS close: close_notify sent, the client's awaited for at most
    `config.tls_shutdown_timeout`. The slot is `idle` during the handshake, so a graceful
    shutdown ends half-open handshakes at once.
*/
template <class Session, class Stream>
asio::awaitable<void> serve_tls(const Session& logic, Stream& stream, const server_config& config,
                                asio::ip::tcp::endpoint peer,
                                connection_registry::entry* slot = nullptr) {
    using asio::as_tuple;
    using asio::use_awaitable;
    if (slot)
        slot->state.store(connection_registry::idle, std::memory_order_seq_cst);
    expire_after(stream, config.tls_handshake_timeout);
    auto [handshake_ec] =
        co_await stream.async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
    if (handshake_ec)
        co_return;
    co_await logic.run(stream, peer, slot);
    expire_after(stream, config.tls_shutdown_timeout);
    auto [shutdown_ec] = co_await stream.async_shutdown(as_tuple(use_awaitable));
    (void)shutdown_ec; // the client closing first, or not answering, ends it as well
}

} // namespace rampart::detail

#endif
