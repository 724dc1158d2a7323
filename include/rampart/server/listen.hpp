#ifndef RAMPART_SERVER_LISTEN_HPP
#define RAMPART_SERVER_LISTEN_HPP

#include <rampart/core/types.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/system_error.hpp>

#include <memory>
#include <string>
#include <utility>

namespace rampart {

/// `127.0.0.1:8080`, or `[::1]:8080` for IPv6: how an endpoint is written in messages.
inline std::string endpoint_string(const asio::ip::tcp::endpoint& endpoint) {
    std::string host = endpoint.address().to_string();
    if (endpoint.address().is_v6())
        host = '[' + host + ']';
    return host + ':' + std::to_string(endpoint.port());
}

/** The listening socket could not be made: `what()` is "cannot listen on ADDRESS:PORT:
    REASON" (the system's reason, e.g. "Address already in use"), without the source location
    Boost adds to its own messages. `code()` is the system's error code, `endpoint()` the
    address asked for. A `boost::system::system_error`, so existing handlers still catch it.
*/
class listen_error : public boost::system::system_error {
public:
    listen_error(const asio::ip::tcp::endpoint& endpoint, boost::system::error_code ec)
        : boost::system::system_error(ec), endpoint_(endpoint),
          message_("cannot listen on " + endpoint_string(endpoint) + ": " + ec.message()) {}

    const char* what() const noexcept override { return message_.c_str(); }
    const asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }

private:
    asio::ip::tcp::endpoint endpoint_;
    std::string message_;
};

/** A TCP socket bound and listening, before any server uses it.

    Made first, it lets a program fail on a port in use before it does anything else (opens a
    database, writes files), and it lets a program bind with privileges it then drops. Hand it
    to `rampart::server`'s constructor, which takes it over; a socket never handed over is
    closed by the destructor.
*/
class listening_socket {
public:
    using native_handle_type = asio::ip::tcp::acceptor::native_handle_type;

    /** Opens a socket for `endpoint` (SO_REUSEADDR set), binds it and listens.
        Throws: listen_error when any step fails (address in use, not local, no permission).
    */
    static listening_socket bind(const asio::ip::tcp::endpoint& endpoint,
                                 int backlog = asio::socket_base::max_listen_connections) {
        listening_socket s;
        s.state_ = std::make_unique<state>();
        auto& acceptor = s.state_->acceptor;
        boost::system::error_code ec;
        acceptor.open(endpoint.protocol(), ec);
        if (!ec)
            acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor.bind(endpoint, ec);
        if (!ec)
            acceptor.listen(backlog, ec);
        if (!ec)
            s.local_ = acceptor.local_endpoint(ec);
        if (ec)
            throw listen_error(endpoint, ec);
        return s;
    }

    listening_socket(listening_socket&&) noexcept = default;
    listening_socket& operator=(listening_socket&&) noexcept = default;

    /// Whether this still owns a socket (false once released or moved from).
    bool is_open() const noexcept { return state_ && state_->acceptor.is_open(); }

    /// The bound address: the port the system chose when port 0 was asked for.
    const asio::ip::tcp::endpoint& local_endpoint() const noexcept { return local_; }

    /** Gives up the socket: the caller owns the returned descriptor from now on.
        Throws: boost::system::system_error when nothing is open or the system refuses.
    */
    native_handle_type release() {
        if (!is_open())
            throw boost::system::system_error(asio::error::bad_descriptor,
                                              "rampart::listening_socket::release");
        auto handle = state_->acceptor.release();
        state_.reset();
        return handle;
    }

private:
    listening_socket() = default;

    // The acceptor needs an execution context; this one only ever owns the socket.
    struct state {
        asio::io_context io{1};
        asio::ip::tcp::acceptor acceptor{io};
    };
    std::unique_ptr<state> state_;
    asio::ip::tcp::endpoint local_;
};

} // namespace rampart

#endif
