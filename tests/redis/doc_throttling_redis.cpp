// The example of the Redis section of docs/throttling.md, compiled and run against a real
// redis-server. Keep it in step with the page.
// docs: include
#include <rampart/redis/bucket_store.hpp>

#include "common.hpp"

#include <rampart/core/response.hpp>
#include <rampart/errors.hpp>
#include <rampart/throttle.hpp>

#include "support/run.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

using namespace rampart;

TEST_CASE("docs/throttling.md: the Redis store") {
    test::redis_server server;
    std::string redis_url = server.url();
    asio::io_context io;
    {
        throttle::rate anon_rate = throttle::parse_rate("2/minute");
        throttle::client_ip_options ip;

        namespace redis = rampart::redis;

        // SHOP_REDIS set: buckets live in Redis, shared by every instance. `io` is the service's
        // asio::io_context, `redis_url` its setting; `ip` and `anon_rate` as above.
        redis::client redis_client{io.get_executor(), redis_url};
        redis::bucket_store<> store{redis_client};
        throttle::limiter api{store, ip, throttle::anonymous(anon_rate)};

        auto service = stack(error_envelope{}, api).wrap([](context&) {
            return text_response(http::status::ok, "ok");
        });
        auto status = [&] {
            return test::run_until_done(io, [&]() -> asio::awaitable<unsigned> {
                context ctx{test::make_request(http::verb::get, "/"),
                            {asio::ip::make_address("203.0.113.7"), 40000}};
                response res = co_await service(ctx);
                co_return res.result_int();
            }());
        };
        CHECK(status() == 200);
        CHECK(status() == 200);
        CHECK(status() == 429);
        redis_client.close();
    }
    io.restart();
    io.run();
}
