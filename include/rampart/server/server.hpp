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
#include <rampart/server/request_id_generator.hpp>
#include <rampart/server/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <exception>
#include <memory>
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

    Each of the `config.threads` threads runs an io_context of its own; one acceptor (on the
    first) hands each new connection to the thread serving the fewest, and the connection stays
    there: one coroutine, its timers and its socket on one thread, so nothing needs a strand or a
    lock per request. The connection cap is global across threads. Requests on a
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

    /// The bound port of the first listener: the one asked for, or the one the system chose
    /// for port 0.
    unsigned short port() const noexcept { return local_endpoint().port(); }
    const asio::ip::tcp::endpoint& local_endpoint() const noexcept {
        return listeners_.front()->local;
    }

    /** Adds a plain HTTP listener on `endpoint` (bound now; port 0 picks a free port) and
        returns its address. Every listener shares the threads, the connection cap and the
        graceful shutdown. Call before run() or start(). Throws: listen_error when the address
        cannot be used, `std::logic_error` once the server runs.
    */
    asio::ip::tcp::endpoint listen(const asio::ip::tcp::endpoint& endpoint) {
        return add_listener(listening_socket::bind(endpoint), std::nullopt);
    }
    /// The same on a socket bound beforehand. Throws also `std::invalid_argument` when it is
    /// not open.
    asio::ip::tcp::endpoint listen(listening_socket socket) {
        return add_listener(std::move(socket), std::nullopt);
    }

    /** Adds an HTTPS listener serving `tls` on `endpoint` (docs/server.md, "TLS"): the same
        handler, threads, cap and shutdown as the others; the handshake is bounded by
        `config.tls_handshake_timeout`. Keep a copy of `tls` to reload it, or let SIGHUP do it
        (run_until_signal(), `handle_signals`). Call before run() or start(). Throws as listen().
    */
    asio::ip::tcp::endpoint listen_tls(const asio::ip::tcp::endpoint& endpoint, tls_context tls) {
        return add_listener(listening_socket::bind(endpoint), std::move(tls));
    }
    asio::ip::tcp::endpoint listen_tls(listening_socket socket, tls_context tls) {
        return add_listener(std::move(socket), std::move(tls));
    }

    /// Every listener's address, in the order they were added (the constructor's first).
    std::vector<asio::ip::tcp::endpoint> local_endpoints() const {
        std::vector<asio::ip::tcp::endpoint> out;
        for (const auto& l : listeners_)
            out.push_back(l->local);
        return out;
    }

    /** Reloads the certificate and key of every TLS listener (what SIGHUP does), on the
        calling thread: new connections get the new ones, open connections keep theirs. Each
        outcome goes to `config.error_log_sink`; a listener whose files cannot be used keeps
        serving its current ones. Returns whether every reload succeeded.
    */
    bool reload_tls() {
        bool all = true;
        std::vector<tls_context> done;
        for (const auto& l : listeners_) {
            if (!l->tls || std::find(done.begin(), done.end(), *l->tls) != done.end())
                continue;
            done.push_back(*l->tls);
            try {
                l->tls->reload();
                log_event(log_level::info, "rampart: TLS certificate and key reloaded from " +
                                               l->tls->options().cert_chain_file + " and " +
                                               l->tls->options().key_file);
            } catch (const std::exception& e) {
                all = false;
                log_event(log_level::error,
                          std::string(e.what()) + "; still serving the previous certificate");
            }
        }
        return all;
    }

    /// The first of the server's io_contexts (the one that accepts; it serves connections
    /// too): other components (a Redis client, timers) may run on it. It is run by one thread.
    asio::io_context& get_io_context() noexcept { return workers_.front()->io; }
    executor_type get_executor() noexcept { return get_io_context().get_executor(); }

    const server_config& config() const noexcept { return config_; }

    /// How many connections are open now.
    std::size_t connections() const noexcept { return registry_.size(); }

    /// Runs the server on `config.threads` threads, the caller's among them, until it stops.
    /// Throws: `std::logic_error` when run() or start() was called already.
    void run() {
        launch(1);
        workers_.front()->io.run();
        join();
    }

    /// Runs the server on `config.threads` background threads and returns at once.
    /// Throws: `std::logic_error` when run() or start() was called already.
    void start() { launch(0); }

    /// Like run(), and SIGINT or SIGTERM starts a graceful shutdown; returns when it is done.
    /// With a TLS listener, SIGHUP reloads its certificate and key (reload_tls()).
    /// Throws: `std::logic_error` when run() or start() was called already.
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
        : handler_(make_handler(std::move(f))), config_(resolved(std::move(config))),
          format_(std::move(format)), clock_(std::move(clock)), workers_(make_workers()),
          control_(workers_.front()->io.get_executor()), grace_timer_(control_) {
        for (char c : config_.server_name)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                throw std::invalid_argument("rampart: control character in server_name");
        if (listener && !listener->is_open())
            throw std::invalid_argument("rampart: the listening socket is not open");
        if (!listener)
            listener.emplace(listening_socket::bind(config_.endpoint));
        add_listener(std::move(*listener), config_.tls);
        if (config_.handle_signals)
            watch_signals();
    }

    /// One listening socket: plain HTTP, or HTTPS with `tls`. Its accept loop runs on control_.
    struct listener_state {
        explicit listener_state(const executor_type& ex) : acceptor(ex), retry_timer(ex) {}
        asio::ip::tcp::acceptor acceptor;
        std::optional<tls_context> tls;
        asio::steady_timer retry_timer;
        asio::ip::tcp::endpoint local;
    };

    asio::ip::tcp::endpoint add_listener(listening_socket socket, std::optional<tls_context> tls) {
        {
            std::lock_guard lock{threads_mutex_};
            if (launched_)
                throw std::logic_error("rampart::server: listeners are added before run()");
        }
        if (!socket.is_open())
            throw std::invalid_argument("rampart: the listening socket is not open");
        auto l = std::make_unique<listener_state>(control_);
        l->local = socket.local_endpoint();
        l->tls = std::move(tls);
        l->acceptor.assign(l->local.protocol(), socket.release());
        listeners_.push_back(std::move(l));
        asio::co_spawn(control_, accept_loop(*listeners_.back()), asio::detached);
        if (listeners_.back()->tls && signals_)
            watch_hangup();
        return listeners_.back()->local;
    }

    /// Connections answered 503 and lingering at once, at most; more are just closed.
    static constexpr std::size_t max_refusals = 64;

    /** One thread's share of the server: an io_context run by that thread alone, kept running
        while it has no connection, and how many connections it serves. The count is declared
        first so that it outlives the io_context, whose destruction ends the coroutines left.
    */
    struct worker {
        std::atomic<std::size_t> connections{0};
        /// The request ids of this thread's connections (only this thread uses it).
        request_id_generator ids;
        asio::io_context io{1};
        asio::executor_work_guard<executor_type> keep_running{io.get_executor()};
    };

    static server_config resolved(server_config config) {
        if (config.threads == 0)
            config.threads = std::max(1u, std::thread::hardware_concurrency());
        return config;
    }

    std::vector<std::unique_ptr<worker>> make_workers() const {
        std::vector<std::unique_ptr<worker>> workers;
        for (unsigned i = 0; i < config_.threads; ++i)
            workers.push_back(std::make_unique<worker>());
        return workers;
    }

    /// The worker serving the fewest connections; ties go round.
    worker& least_busy() noexcept {
        auto n = workers_.size();
        auto start = next_worker_++ % n;
        auto* best = workers_[start].get();
        for (std::size_t i = 1; i < n; ++i) {
            auto* w = workers_[(start + i) % n].get();
            if (w->connections.load(std::memory_order_relaxed) <
                best->connections.load(std::memory_order_relaxed))
                best = w;
        }
        return *best;
    }

    /// Starts a thread for each worker from `first` on (the caller runs the ones before).
    void launch(std::size_t first) {
        std::lock_guard lock{threads_mutex_};
        if (launched_)
            throw std::logic_error("rampart::server: run() or start() was called already");
        launched_ = true;
        for (auto i = first; i < workers_.size(); ++i)
            threads_.emplace_back([w = workers_[i].get()] { w->io.run(); });
    }

    void watch_signals() {
        if (signals_)
            return;
        signals_.emplace(control_, SIGINT, SIGTERM);
        signals_->async_wait([this](boost::system::error_code ec, int) {
            if (!ec)
                begin_shutdown();
        });
        for (const auto& l : listeners_)
            if (l->tls)
                watch_hangup();
    }

    /// SIGHUP reloads the TLS listeners' files on a thread of its own: reading files never
    /// stalls the first worker's connections.
    void watch_hangup() {
        if (hangup_)
            return;
        reloader_.emplace(1);
        hangup_.emplace(control_, SIGHUP);
        wait_hangup();
    }

    void wait_hangup() {
        hangup_->async_wait([this](boost::system::error_code ec, int) {
            if (ec || stopping_.load())
                return;
            asio::post(*reloader_, [this] { reload_tls(); });
            wait_hangup();
        });
    }

    // On the first worker, the only thread running the accept loop and shutdown.
    void begin_shutdown() {
        if (stopping_.exchange(true, std::memory_order_seq_cst))
            return;
        boost::system::error_code ignored;
        for (auto& l : listeners_) {
            l->acceptor.close(ignored);
            l->retry_timer.cancel();
        }
        if (signals_)
            signals_->cancel(ignored);
        if (hangup_)
            hangup_->cancel(ignored);
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
            for (auto& w : workers_)
                w->io.stop();
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

    asio::awaitable<void> accept_loop(listener_state& from) {
        using asio::as_tuple;
        using asio::use_awaitable;
        // Out of descriptors (EMFILE, ENFILE) or kernel memory, accept fails at once and would
        // fail again at once: the loop backs off (50 ms doubling to 500 ms) while the open
        // connections are served and end, logs the episode once and its end once.
        constexpr std::chrono::milliseconds first_backoff{50}, max_backoff{500};
        auto backoff = first_backoff;
        std::size_t failures = 0;
        for (;;) {
            // The connection lives on one worker's io_context, which one thread runs: its
            // steps and its stream's timeout handlers never run concurrently, without a strand.
            auto& target = least_busy();
            auto [ec, socket] = co_await from.acceptor.async_accept(
                asio::any_io_executor{target.io.get_executor()}, as_tuple(use_awaitable));
            if (stopping_.load() || !from.acceptor.is_open())
                co_return;
            if (ec) {
                if (transient_accept_error(ec))
                    continue;
                if (failures++ == 0)
                    log_event(log_level::error, "rampart: cannot accept connections (" +
                                                    ec.message() +
                                                    "); serving the open ones and retrying");
                from.retry_timer.expires_after(backoff);
                co_await from.retry_timer.async_wait(as_tuple(use_awaitable));
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
            // A TLS connection holds the context current at its accept until it ends.
            std::shared_ptr<asio::ssl::context> tls;
            if (from.tls)
                tls = from.tls->current();
            if (registry_.size() >= config_.max_connections) {
                if (refusing_.load() < max_refusals) {
                    refusing_.fetch_add(1);
                    auto executor = socket.get_executor();
                    asio::co_spawn(executor, refuse(std::move(socket), std::move(tls), target),
                                   asio::detached);
                }
                continue;
            }
            auto slot = registry_.add(socket.native_handle());
            target.connections.fetch_add(1, std::memory_order_relaxed);
            auto executor = socket.get_executor();
            if (tls)
                asio::co_spawn(executor,
                               tls_session(std::move(socket), std::move(tls), slot, target),
                               asio::detached);
            else
                asio::co_spawn(executor,
                               session(beast::tcp_stream{std::move(socket)}, slot, target),
                               asio::detached);
        }
    }

    using tls_stream = beast::ssl_stream<beast::tcp_stream>;

    /// Leaves the registry when the connection's coroutine ends, however it ends.
    struct registration {
        server* self;
        detail::connection_registry::handle slot;
        worker& where;
        ~registration() {
            where.connections.fetch_sub(1, std::memory_order_relaxed);
            if (self->registry_.remove(slot) == 0 && self->stopping_.load())
                self->finish();
        }
    };

    /// The request loop of one connection, shared with callers that serve a stream themselves.
    detail::session<Handler, Format, Clock> session_logic(worker& where) noexcept {
        return {handler_, config_, format_, clock_, stopping_, &where.ids};
    }

    asio::awaitable<void> session(beast::tcp_stream stream,
                                  detail::connection_registry::handle slot, worker& where) {
        registration guard{this, slot, where};
        boost::system::error_code ec;
        auto peer = stream.socket().remote_endpoint(ec);
        auto logic = session_logic(where);
        co_await logic.run(stream, peer, &*slot);
    }

    /// A TLS listener's connection: the handshake, the request loop, the TLS close
    /// (detail::serve_tls). The stream is made here, inside the coroutine, so that it ends
    /// before the context it was made from.
    asio::awaitable<void> tls_session(asio::ip::tcp::socket socket,
                                      std::shared_ptr<asio::ssl::context> tls,
                                      detail::connection_registry::handle slot, worker& where) {
        registration guard{this, slot, where};
        boost::system::error_code ec;
        auto peer = socket.remote_endpoint(ec);
        tls_stream stream{beast::tcp_stream{std::move(socket)}, *tls};
        auto logic = session_logic(where);
        co_await detail::serve_tls(logic, stream, config_, peer, &*slot);
    }

    /// Beyond the connection cap: 503 and close (over TLS after a bounded handshake, so the
    /// client can read it).
    asio::awaitable<void> refuse(asio::ip::tcp::socket socket,
                                 std::shared_ptr<asio::ssl::context> tls, worker& where) {
        struct count_down {
            std::atomic<std::size_t>& n;
            ~count_down() { n.fetch_sub(1); }
        } guard{refusing_};
        boost::system::error_code ec;
        auto peer = socket.remote_endpoint(ec);
        beast::tcp_stream tcp{std::move(socket)};
        if (!tls) {
            co_await refuse_on(tcp, peer, where);
            co_return;
        }
        tls_stream stream{std::move(tcp), *tls};
        detail::expire_after(stream, config_.tls_handshake_timeout);
        auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                              asio::as_tuple(asio::use_awaitable));
        if (handshake_ec)
            co_return;
        co_await refuse_on(stream, peer, where);
        detail::expire_after(stream, config_.tls_shutdown_timeout);
        co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    }

    template <class Stream>
    asio::awaitable<void> refuse_on(Stream& stream, const asio::ip::tcp::endpoint& peer,
                                    worker& where) {
        detail::date_cache dates;
        auto logic = session_logic(where);
        typename detail::session<Handler, Format, Clock>::refused_request who{
            clock_.now(), {}, {}, peer};
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
    bool launched_ = false;
    std::size_t next_worker_ = 0; // the accept loop's only

    // After the handler and the registry: the coroutines these hold end when they are destroyed.
    std::vector<std::unique_ptr<worker>> workers_;
    // The first worker's executor: the accept loop, shutdown and signals run there, on one
    // thread, so they need no strand either.
    executor_type control_;
    std::vector<std::unique_ptr<listener_state>> listeners_;
    asio::steady_timer grace_timer_;
    std::optional<asio::signal_set> signals_;
    std::optional<asio::signal_set> hangup_;
    // Declared last, so destroyed (joined) first: a reload in progress finishes before the
    // listeners and the log sinks it uses go.
    std::optional<asio::thread_pool> reloader_;
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
