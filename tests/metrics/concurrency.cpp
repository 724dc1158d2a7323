#include <rampart/metrics/registry.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;

TEST_CASE("metrics: many threads count at once and the scrape sums them exactly", "[concurrency]") {
    metrics::registry reg;
    auto& hits = reg.add_counter("hits_total", "Hits.", {{"kind", {"a", "b"}}});
    auto& sizes = reg.add_histogram("size_bytes", "Sizes.", {1, 10});
    auto& depth = reg.add_gauge("depth", "Depth.");
    constexpr int threads = 8;
    constexpr int per_thread = 20000;
    std::atomic<bool> done{false};
    // A scraper runs all along: scraping never blocks or corrupts the recording threads.
    // (Catch2's assertions are not thread-safe: the result is checked after the join.)
    int scrapes = 0;
    bool every_scrape_whole = true;
    std::thread scraper([&] {
        while (!done.load()) {
            std::string text = reg.scrape();
            every_scrape_whole = every_scrape_whole && text.ends_with("\n") &&
                                 text.find("size_bytes_count ") != std::string::npos;
            ++scrapes;
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            metrics::counter a = hits.at({"a"});
            metrics::counter b = hits.at({"b"});
            metrics::histogram h = sizes.at();
            metrics::gauge g = depth.at();
            for (int i = 0; i < per_thread; ++i) {
                a.inc();
                if (i % 2 == 0)
                    b.inc(3);
                h.observe(static_cast<double>((i + t) % 20)); // 0..19
                g.add(1);
                g.sub(1);
            }
        });
    for (auto& w : workers)
        w.join();
    done = true;
    scraper.join();
    CHECK(scrapes > 0);
    CHECK(every_scrape_whole);

    CHECK(hits.at({"a"}).value() == std::uint64_t{threads} * per_thread);
    CHECK(hits.at({"b"}).value() == std::uint64_t{threads} * per_thread / 2 * 3);
    std::string text = reg.scrape();
    CHECK(text.find("hits_total{kind=\"a\"} 160000\n") != std::string::npos);
    CHECK(text.find("hits_total{kind=\"b\"} 240000\n") != std::string::npos);
    CHECK(text.find("depth 0\n") != std::string::npos);
    // Values 0..19 evenly: 0 and 1 are <= 1 (2 of 20), 0..10 are <= 10 (11 of 20).
    CHECK(text.find("size_bytes_bucket{le=\"1\"} 16000\n") != std::string::npos);
    CHECK(text.find("size_bytes_bucket{le=\"10\"} 88000\n") != std::string::npos);
    CHECK(text.find("size_bytes_bucket{le=\"+Inf\"} 160000\n") != std::string::npos);
    CHECK(text.find("size_bytes_count 160000\n") != std::string::npos);
    // The sum of 0..19 is 190, 8000 times: exact in doubles.
    CHECK(text.find("size_bytes_sum 1520000\n") != std::string::npos);
}
