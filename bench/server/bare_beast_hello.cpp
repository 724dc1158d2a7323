// bare_beast_hello: the baseline for bench/hello.sh. A plain Boost.Beast server in the style of
// Beast's own awaitable example (one coroutine per connection, one io_context on N threads),
// doing the work examples/hello does: same handler shape, same response. Usage:
// bare_beast_hello [port] [threads]

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using stream_type = beast::tcp_stream::rebind_executor<
    net::use_awaitable_t<>::executor_with_default<net::any_io_executor>>::other;

http::response<http::string_body> handle_request(http::request<http::string_body>&& req) {
    auto make = [&](http::status status, std::string type, std::string body) {
        http::response<http::string_body> res{status, req.version()};
        res.set(http::field::server, BOOST_BEAST_VERSION_STRING);
        res.set(http::field::content_type, type);
        res.keep_alive(req.keep_alive());
        res.body() = std::move(body);
        res.prepare_payload();
        return res;
    };
    if (req.method() != http::verb::get && req.method() != http::verb::head)
        return make(http::status::method_not_allowed, "application/json",
                    R"({"status":"error","code":405})");
    if (req.target() != "/")
        return make(http::status::not_found, "application/json",
                    R"({"status":"error","code":404})");
    return make(http::status::ok, "text/plain; charset=utf-8", "Hello, world!\n");
}

net::awaitable<void> do_session(stream_type stream) {
    beast::flat_buffer buffer;
    try {
        for (;;) {
            stream.expires_after(std::chrono::seconds(30));
            http::request<http::string_body> req;
            co_await http::async_read(stream, buffer, req);
            http::message_generator msg{handle_request(std::move(req))};
            bool keep_alive = msg.keep_alive();
            co_await beast::async_write(stream, std::move(msg), net::use_awaitable);
            if (!keep_alive)
                break;
        }
    } catch (const boost::system::system_error& se) {
        if (se.code() != http::error::end_of_stream)
            co_return;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> do_listen(tcp::endpoint endpoint) {
    auto acceptor =
        net::use_awaitable.as_default_on(tcp::acceptor(co_await net::this_coro::executor));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    std::cout << "bare_beast_hello: serving http://127.0.0.1:" << acceptor.local_endpoint().port()
              << "/" << std::endl;
    for (;;)
        net::co_spawn(acceptor.get_executor(),
                      do_session(stream_type(co_await acceptor.async_accept())), net::detached);
}

int main(int argc, char* argv[]) {
    auto port = static_cast<unsigned short>(argc > 1 ? std::stoul(argv[1]) : 8081);
    int threads = argc > 2 ? std::stoi(argv[2]) : 1;
    net::io_context ioc{threads};
    net::co_spawn(ioc, do_listen({net::ip::make_address("127.0.0.1"), port}),
                  [](std::exception_ptr e) {
                      if (e)
                          std::rethrow_exception(e);
                  });
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
        pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool)
        t.join();
    return EXIT_SUCCESS;
}
