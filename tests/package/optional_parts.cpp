// Consumer (b): links rampart::redis and rampart::sqlite and reaches both parts through the
// umbrella header alone. The Redis client talks to a one-reply fake server in this process
// (hiredis parses the reply); SQLite runs a query on an in-memory database.
#include <rampart/rampart.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <iostream>
#include <string_view>

namespace asio = boost::asio;
using asio::ip::tcp;

int main() {
    int failures = 0;

    rampart::sqlite::connection db{":memory:"};
    auto query = db.prepare("SELECT 40 + 2");
    failures += !query.step() || query.column<int>(0) != 42;

    asio::io_context io;
    tcp::acceptor fake{io, {asio::ip::make_address("127.0.0.1"), 0}};
    rampart::redis::options where;
    where.port = fake.local_endpoint().port();
    rampart::redis::client client{io.get_executor(), where};
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            tcp::socket peer = co_await fake.async_accept(asio::use_awaitable);
            char request[64];
            // The client's greeting (TIME), then the PING.
            co_await peer.async_read_some(asio::buffer(request), asio::use_awaitable);
            constexpr std::string_view time = "*2\r\n$10\r\n1700000000\r\n$1\r\n0\r\n";
            co_await asio::async_write(peer, asio::buffer(time), asio::use_awaitable);
            co_await peer.async_read_some(asio::buffer(request), asio::use_awaitable);
            co_await asio::async_write(peer, asio::buffer("+PONG\r\n", 7), asio::use_awaitable);
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            rampart::redis::reply pong = co_await client.execute("PING");
            failures += !pong.is_status() || pong.str() != "PONG";
            client.close();
        },
        [&](std::exception_ptr e) {
            failures += e != nullptr;
            client.close();
        });
    io.run();
    std::cout << (failures == 0 ? "optional_parts: ok" : "optional_parts: FAILED") << '\n';
    return failures;
}
