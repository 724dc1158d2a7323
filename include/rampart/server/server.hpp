#ifndef RAMPART_SERVER_SERVER_HPP
#define RAMPART_SERVER_SERVER_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/handler.hpp>
#include <rampart/errors/format.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/server/config.hpp>
#include <rampart/server/detail/connection_registry.hpp>
#include <rampart/server/detail/session.hpp>
#include <rampart/server/http_date.hpp>
#include <rampart/server/listen.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace rampart {

/** A multi-threaded HTTP/1.1 server for any rampart handler.

    One io_context runs on `config.threads` threads; each connection is one coroutine on its
    own strand (so that Beast's timeout handlers never race the connection's socket). Requests on a
   connection are answered in order, pipelined ones included. The server itself answers what never
   reaches the handler with `Format` (the error envelope by default): 400 for malformed or
   ambiguously framed requests and a missing or invalid Host, 501 for transfer codings other than
   chunked, 417 for unknown expectations, 413 and 431 for the limits, 503 beyond the connection
   cap, each followed by a clean close and a line to `config.access_log_sink` (docs/server.md,
   "Request framing rules"). An
   exception escaping the handler becomes a 500 through `context::render_error`; the server keeps
   serving.

    Every response carries `Date` and `Server`; a HEAD request is answered with the headers of
    the handler's response (its Content-Length included) and no body.

    The handler is called concurrently from every thread, so it must be safe to call that way
    (handlers built with `stack(...).wrap(...)` are, when their layers are).

    The socket is bound and listening once the constructor returns, so `port()` is known before
    the server runs (or bind it first with `listening_socket::bind` and hand it over, to fail
    on a port in use before anything else starts). Then either `run()` (blocks), `start()`
   (background threads, then `stop()` and `join()`), or `run_until_signal()` (blocks until SIGINT or
   SIGTERM, then shuts down gracefully and returns).
*/
template <class Handler, error_format Format = envelope_format, clock_source Clock = system_clock>
class server {
public:
    using executor_type = asio::io_context::executor_type;

    /// Binds and listens on `config.endpoint`. Throws: listen_error (a
    /// `boost::system::system_error` whose what() names the address and the reason) when the
    /// address cannot be used, `std::invalid_argument` for a server name with control bytes.
    template <class F>
    explicit server(F f, server_config config = {}, Format format = {}, Clock clock = {})
        : server(adopt{}, std::move(f), std::nullopt, std::move(config), std::move(format),
                 std::move(clock)) {}

    /// Serves on `listener`, bound beforehand (`config.endpoint` is not used). Throws:
    /// `std::invalid_argument` for a server name with control bytes or a closed `listener`.
    template <class F>
    server(F f, listening_socket listener, server_config config = {}, Format format = {},
           Clock clock = {})
        : server(adopt{}, std::move(f), std::optional<listening_socket>{std::move(listener)},
                 std::move(config), std::move(format), std::move(clock)) {}

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Stops (gracefully) and waits for the background threads.
    ~server() {
        stop();
        join();
        finished_.store(true);
    }

    /// The bound port: the one asked for, or the one the system chose for port 0.
    unsigned short port() const noexcept { return local_.port(); }
    const asio::ip::tcp::endpoint& local_endpoint() const noexcept { return local_; }

    /// The io_context the server runs; other components (a Redis client, timers) may use it.
    asio::io_context& get_io_context() noexcept { return io_; }
    executor_type get_executor() noexcept { return io_.get_executor(); }

    const server_config& config() const noexcept { return config_; }

    /// How many connections are open now.
    std::size_t connections() const noexcept { return registry_.size(); }

    /// Runs the server on `config.threads` threads, the caller's among them, until it stops.
    void run() {
        launch(config_.threads - 1);
        io_.run();
        join();
    }

    /// Runs the server on `config.threads` background threads and returns at once.
    void start() { launch(config_.threads); }

    /// Like run(), and SIGINT or SIGTERM starts a graceful shutdown; returns when it is done.
    void run_until_signal() {
        watch_signals();
        run();
    }

    /** Starts a graceful shutdown; thread-safe, returns at once, idempotent.

        The server stops accepting (new connections are refused), closes the connections that
        wait for a request, lets requests being read or handled finish and answers them with
        `Connection: close`. After `config.shutdown_grace` it closes what is left. Then run()
        returns (or join() does, after start()).
    */
    void stop() {
        asio::post(control_, [this] { begin_shutdown(); });
    }

    /// Waits for the threads start() launched; call after stop() (or a signal).
    void join() {
        std::vector<std::thread> threads;
        {
            std::lock_guard lock{threads_mutex_};
            threads.swap(threads_);
        }
        for (auto& t : threads)
            if (t.joinable())
                t.join();
    }

private:
    struct adopt {};

    template <class F>
    server(adopt, F f, std::optional<listening_socket> listener, server_config config,
           Format format, Clock clock)
        : handler_(make_handler(std::move(f))), config_(std::move(config)),
          format_(std::move(format)), clock_(std::move(clock)), control_(io_.get_executor()),
          acceptor_(control_), grace_timer_(control_), retry_timer_(control_) {
        for (char c : config_.server_name)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                throw std::invalid_argument("rampart: control character in server_name");
        if (listener && !listener->is_open())
            throw std::invalid_argument("rampart: the listening socket is not open");
        if (config_.threads == 0)
            config_.threads = std::max(1u, std::thread::hardware_concurrency());
        if (!listener)
            listener.emplace(listening_socket::bind(config_.endpoint));
        local_ = listener->local_endpoint();
        acceptor_.assign(local_.protocol(), listener->release());
        asio::co_spawn(control_, accept_loop(), asio::detached);
        if (config_.handle_signals)
            watch_signals();
    }

    /// Connections answered 503 and lingering at once, at most; more are just closed.
    static constexpr std::size_t max_refusals = 64;

    void launch(unsigned n) {
        std::lock_guard lock{threads_mutex_};
        for (unsigned i = 0; i < n; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }

    void watch_signals() {
        if (signals_)
            return;
        signals_.emplace(control_, SIGINT, SIGTERM);
        signals_->async_wait([this](boost::system::error_code ec, int) {
            if (!ec)
                begin_shutdown();
        });
    }

    // On the control strand.
    void begin_shutdown() {
        if (stopping_.exchange(true, std::memory_order_seq_cst))
            return;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        retry_timer_.cancel();
        if (signals_)
            signals_->cancel(ignored);
        registry_.shutdown_idle();
        if (registry_.size() == 0) {
            finish();
            return;
        }
        grace_timer_.expires_after(config_.shutdown_grace);
        grace_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return;
            registry_.shutdown_all();
            finish();
        });
    }

    void finish() {
        if (!finished_.exchange(true))
            io_.stop();
    }

    /// Whether a failed accept is about this one connection (the next accept may well work).
    static bool transient_accept_error(const boost::system::error_code& ec) noexcept {
        return ec == asio::error::connection_aborted || ec == asio::error::connection_reset ||
               ec == asio::error::would_block || ec == asio::error::try_again ||
               ec == asio::error::interrupted ||
               ec == boost::system::error_code{EPROTO, boost::system::system_category()} ||
               ec == boost::system::error_code{EPERM, boost::system::system_category()};
    }

    void log_event(log_level level, std::string_view line) const noexcept {
        config_.error_log_sink(log_record{level, "server", line});
    }

    asio::awaitable<void> accept_loop() {
        using asio::as_tuple;
        using asio::use_awaitable;
        // Out of descriptors (EMFILE, ENFILE) or kernel memory, accept fails at once and would
        // fail again at once: the loop backs off (50 ms doubling to 500 ms) while the open
        // connections are served and end, logs the episode once and its end once.
        constexpr std::chrono::milliseconds first_backoff{50}, max_backoff{500};
        auto backoff = first_backoff;
        std::size_t failures = 0;
        for (;;) {
            // Each connection gets its own strand: Beast's stream timers complete on any of
            // the io_context's threads, and the strand keeps a timeout from racing the
            // connection's own steps on its socket.
            auto [ec, socket] = co_await acceptor_.async_accept(
                asio::any_io_executor{asio::make_strand(io_)}, as_tuple(use_awaitable));
            if (stopping_.load() || !acceptor_.is_open())
                co_return;
            if (ec) {
                if (transient_accept_error(ec))
                    continue;
                if (failures++ == 0)
                    log_event(log_level::error, "rampart: cannot accept connections (" +
                                                    ec.message() +
                                                    "); serving the open ones and retrying");
                retry_timer_.expires_after(backoff);
                co_await retry_timer_.async_wait(as_tuple(use_awaitable));
                backoff = std::min(backoff * 2, max_backoff);
                continue;
            }
            if (failures != 0) {
                log_event(log_level::info, "rampart: accepting connections again after " +
                                               std::to_string(failures) + " failed attempts");
                failures = 0;
                backoff = first_backoff;
            }
            boost::system::error_code ignored;
            socket.set_option(asio::ip::tcp::no_delay(true), ignored);
            if (registry_.size() >= config_.max_connections) {
                if (refusing_.load() < max_refusals) {
                    refusing_.fetch_add(1);
                    auto executor = socket.get_executor();
                    asio::co_spawn(executor, refuse(beast::tcp_stream{std::move(socket)}),
                                   asio::detached);
                }
                continue;
            }
            auto slot = registry_.add(socket.native_handle());
            auto executor = socket.get_executor();
            asio::co_spawn(executor, session(beast::tcp_stream{std::move(socket)}, slot),
                           asio::detached);
        }
    }

    /// Leaves the registry when the connection's coroutine ends, however it ends.
    struct registration {
        server* self;
        detail::connection_registry::handle slot;
        ~registration() {
            if (self->registry_.remove(slot) == 0 && self->stopping_.load())
                self->finish();
        }
    };

    /// The request loop of one connection, shared with callers that serve a stream themselves.
    detail::session<Handler, Format, Clock> session_logic() noexcept {
        return {handler_, config_, format_, clock_, stopping_};
    }

    asio::awaitable<void> session(beast::tcp_stream stream,
                                  detail::connection_registry::handle slot) {
        registration guard{this, slot};
        boost::system::error_code ec;
        auto peer = stream.socket().remote_endpoint(ec);
        auto logic = session_logic();
        co_await logic.run(stream, peer, &*slot);
    }

    asio::awaitable<void> refuse(beast::tcp_stream stream) {
        struct count_down {
            std::atomic<std::size_t>& n;
            ~count_down() { n.fetch_sub(1); }
        } guard{refusing_};
        detail::date_cache dates;
        auto logic = session_logic();
        boost::system::error_code ec;
        typename detail::session<Handler, Format, Clock>::refused_request who{
            clock_.now(), {}, {}, stream.socket().remote_endpoint(ec)};
        co_await logic.reject(stream, dates,
                              service_unavailable{"Too many connections.", std::chrono::seconds{1}},
                              who);
    }

    // Destroyed last: outlive the connections' coroutines, which the io_context destroys.
    Handler handler_;
    server_config config_;
    [[no_unique_address]] Format format_;
    [[no_unique_address]] Clock clock_;
    detail::connection_registry registry_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> finished_{false};
    std::atomic<std::size_t> refusing_{0};
    std::mutex threads_mutex_;
    std::vector<std::thread> threads_;

    asio::io_context io_;
    asio::strand<executor_type> control_;
    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer grace_timer_;
    asio::steady_timer retry_timer_;
    std::optional<asio::signal_set> signals_;
    asio::ip::tcp::endpoint local_;
};

template <class F>
server(F) -> server<decltype(make_handler(std::declval<F>()))>;
template <class F>
server(F, server_config) -> server<decltype(make_handler(std::declval<F>()))>;
template <class F, class Format>
server(F, server_config, Format) -> server<decltype(make_handler(std::declval<F>())), Format>;
template <class F, class Format, class Clock>
server(F, server_config, Format, Clock)
    -> server<decltype(make_handler(std::declval<F>())), Format, Clock>;
template <class F>
server(F, listening_socket) -> server<decltype(make_handler(std::declval<F>()))>;
template <class F>
server(F, listening_socket, server_config) -> server<decltype(make_handler(std::declval<F>()))>;
template <class F, class Format>
server(F, listening_socket, server_config, Format)
    -> server<decltype(make_handler(std::declval<F>())), Format>;
template <class F, class Format, class Clock>
server(F, listening_socket, server_config, Format, Clock)
    -> server<decltype(make_handler(std::declval<F>())), Format, Clock>;

} // namespace rampart

#endif
