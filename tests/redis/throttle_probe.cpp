// throttle_probe URL KEY RATE N: makes N decisions on KEY at RATE through a
// redis::bucket_store (all pipelined on one connection) and prints how many were admitted.
// Tests run two of these at once against one server: two processes sharing one limit.

#include <rampart/redis/bucket_store.hpp>

#include <rampart/throttle/rate.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    using namespace rampart;
    if (argc != 5) {
        std::fprintf(stderr, "usage: throttle_probe URL KEY RATE N\n");
        return 2;
    }
    try {
        const throttle::rate r = throttle::parse_rate(argv[3]);
        const int n = std::atoi(argv[4]);
        asio::io_context io;
        redis::client c{io.get_executor(), argv[1]};
        redis::bucket_store<> store{c, {.on_failure = redis::fail_policy::closed}};
        const std::string key = argv[2];
        int admitted = 0, finished = 0, failed = 0;
        for (int i = 0; i < n; ++i)
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    admitted += (co_await store.take(key, r, 1)).allowed;
                },
                [&](std::exception_ptr e) {
                    failed += e != nullptr;
                    ++finished;
                });
        while (finished < n && io.run_one() > 0) {
        }
        c.close();
        io.restart();
        io.run();
        if (failed) {
            std::fprintf(stderr, "throttle_probe: %d decisions failed\n", failed);
            return 1;
        }
        std::printf("%d\n", admitted);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "throttle_probe: %s\n", e.what());
        return 1;
    }
}
