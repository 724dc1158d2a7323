// A tiny service built the way a user builds one: against the installed rampart package, or
// with rampart added as a subdirectory. It composes a stack, runs one request and checks it.
#include <rampart/rampart.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    using namespace rampart;
    auto app = stack(error_envelope<>{}).wrap([](context& ctx) -> asio::awaitable<response> {
        if (ctx.path() == "/missing")
            throw not_found{};
        co_return json_response(http::status::ok, {{"hello", "world"}});
    });
    asio::io_context io;
    int failures = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            context ok{request{http::verb::get, "/", 11}};
            auto res = co_await app(ok);
            failures += res.body() != R"({"hello":"world"})";
            context missing{request{http::verb::get, "/missing", 11}};
            res = co_await app(missing);
            failures += res.result() != http::status::not_found;
        },
        asio::detached);
    io.run();
    std::cout << (failures == 0 ? "consumer: ok" : "consumer: FAILED") << '\n';
    return failures;
}
