// Consumer (a): links rampart::rampart only and includes the umbrella header, as the README
// says. The optional parts must stay out (they would need hiredis / SQLite at link time), even
// though their headers are installed on the machine that builds this.
#include <rampart/rampart.hpp>

#if defined(RAMPART_REDIS_HPP) || defined(RAMPART_SQLITE_HPP)
#error "rampart.hpp included an optional part whose target this consumer does not link"
#endif

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
    std::cout << (failures == 0 ? "core_only: ok" : "core_only: FAILED") << '\n';
    return failures;
}
