// Redis throttle decisions per second through rampart's client, beside redis-benchmark running
// the same EVALSHA script against the same server in the same run.
//
// Both sides keep 256 decisions in flight over 10,000 keys: rampart pipelines them on one
// connection from one I/O thread; redis-benchmark uses 32 connections with 8 pipelined each.

#include <rampart/redis/bucket_store.hpp>

#include "support/redis_server.hpp"

#include <rampart/throttle/rate.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
using namespace rampart;

namespace {

constexpr int in_flight = 256;
constexpr int keys = 10000;
const throttle::rate bench_rate{1'000'000, std::chrono::hours{1}};

test::redis_server& server() {
    static test::redis_server s; // one server for the whole run
    return s;
}

void BM_redis_benchmark_evalsha(benchmark::State& state) {
    auto scale = redis::detail::bucket_scale::of(bench_rate);
    redis::script lua{redis::detail::bucket_script_source()};
    server().command({"SCRIPT", "LOAD", lua.source()});
    const int requests = 200000;
    std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(server().port()) +
                      " -n " + std::to_string(requests) + " -c 32 -P 8 -r " + std::to_string(keys) +
                      " --csv EVALSHA " + lua.sha1() + " 1 rampart:throttle:bench:__rand_int__ " +
                      std::to_string(scale.refill) + " " + std::to_string(scale.capacity) + " " +
                      std::to_string(scale.unit);
    double rps = 0;
    for (auto _ : state) {
        FILE* p = popen(cmd.c_str(), "r");
        if (!p)
            throw std::runtime_error("cannot run redis-benchmark");
        char line[512];
        while (std::fgets(line, sizeof line, p)) {
            // "EVALSHA ...","123456.78",... : the rate is the second quoted field.
            std::string l = line;
            auto a = l.find("\",\"");
            if (l.rfind("\"EVALSHA", 0) == 0 && a != std::string::npos)
                rps = std::stod(l.substr(a + 3));
        }
        pclose(p);
        state.SetIterationTime(requests / (rps > 0 ? rps : 1));
    }
    state.counters["decisions_per_s"] = rps;
}

void BM_rampart_bucket_store(benchmark::State& state) {
    asio::io_context io;
    redis::client c{io.get_executor(), server().url()};
    redis::bucket_store<> store{c};
    std::vector<std::string> names;
    for (int i = 0; i < keys; ++i)
        names.push_back("bench:" + std::to_string(i));
    const int per_iteration = 50000;
    std::int64_t total = 0;
    for (auto _ : state) {
        int issued = 0, finished = 0;
        std::function<void()> next;
        auto spawn_one = [&](int i) {
            asio::co_spawn(
                io,
                [&, i]() -> asio::awaitable<void> {
                    auto d = co_await store.take(names[static_cast<std::size_t>(i % keys)],
                                                 bench_rate, 1);
                    benchmark::DoNotOptimize(d);
                },
                [&](std::exception_ptr e) {
                    if (e)
                        std::rethrow_exception(e);
                    ++finished;
                    if (issued < per_iteration)
                        next();
                });
        };
        next = [&] { spawn_one(issued++); };
        for (int i = 0; i < in_flight; ++i)
            next();
        while (finished < per_iteration && io.run_one() > 0) {
        }
        total += per_iteration;
    }
    state.SetItemsProcessed(total);
    state.counters["decisions_per_s"] =
        benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
    c.close();
    io.restart();
    io.run();
}

} // namespace

BENCHMARK(BM_redis_benchmark_evalsha)
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rampart_bucket_store)->UseRealTime()->Iterations(3)->Unit(benchmark::kMillisecond);
