#ifndef RAMPART_TESTS_SERVER_COMMON_HPP
#define RAMPART_TESTS_SERVER_COMMON_HPP

// Shared by the server tests: a configuration on a free port and a handler with a route per
// behaviour the tests need.

#include <rampart/core/context.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/server/config.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace rampart::test {

/// 127.0.0.1, a free port, two threads.
inline server_config local_config() {
    server_config config;
    config.endpoint = {asio::ip::make_address_v4("127.0.0.1"), 0};
    config.threads = 2;
    return config;
}

/// Set by a test to let `/hold` requests finish; `entered` counts the ones waiting.
struct hold_gate {
    std::atomic<bool> release{false};
    std::atomic<int> entered{0};
};

/** Routes:
    - `/boom` throws an exception with internal text;
    - `/missing` throws not_found;
    - `/hold` waits (on a timer, checking the gate) until the test releases it;
    - `/slow` waits 50 ms on a timer;
    - anything else answers `METHOD TARGET BODY` as text.
*/
struct test_handler {
    hold_gate* gate = nullptr;

    asio::awaitable<response> operator()(context& ctx) {
        auto path = ctx.path();
        if (path == "/boom")
            throw std::runtime_error("secret internal detail");
        if (path == "/missing")
            throw not_found{};
        if (path == "/hold" || path == "/slow") {
            asio::steady_timer timer{co_await asio::this_coro::executor};
            if (path == "/slow") {
                timer.expires_after(std::chrono::milliseconds{50});
                co_await timer.async_wait(asio::use_awaitable);
            } else {
                gate->entered.fetch_add(1);
                while (!gate->release.load()) {
                    timer.expires_after(std::chrono::milliseconds{5});
                    co_await timer.async_wait(asio::use_awaitable);
                }
            }
        }
        std::string body{ctx.req().method_string()};
        body += ' ';
        body += ctx.target();
        body += ' ';
        body += ctx.req().body();
        co_return text_response(http::status::ok, std::move(body));
    }
};

/// The parsed error envelope of a response.
inline boost::json::object envelope_of(const response& res) {
    return boost::json::parse(res.body()).as_object();
}

} // namespace rampart::test

#endif
