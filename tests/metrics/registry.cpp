#include <rampart/metrics/registry.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

using namespace rampart;

TEST_CASE("registry: an empty registry scrapes to nothing") {
    metrics::registry reg;
    CHECK(reg.scrape().empty());
}

TEST_CASE("registry: a counter without labels, as text") {
    metrics::registry reg;
    metrics::counter c = reg.add_counter("jobs_total", "Jobs done.").at();
    c.inc();
    c.inc(41);
    CHECK(c.value() == 42);
    CHECK(reg.scrape() == "# HELP jobs_total Jobs done.\n"
                          "# TYPE jobs_total counter\n"
                          "jobs_total 42\n");
}

TEST_CASE("registry: labelled series are every declared combination, in declaration order") {
    metrics::registry reg;
    auto& f = reg.add_counter("orders_total", "Orders.",
                              {{"kind", {"web", "api"}}, {"outcome", {"ok", "refused"}}});
    f.at({"api", "refused"}).inc(3);
    f.at({"web", "ok"}).inc();
    CHECK(reg.scrape() == "# HELP orders_total Orders.\n"
                          "# TYPE orders_total counter\n"
                          "orders_total{kind=\"web\",outcome=\"ok\"} 1\n"
                          "orders_total{kind=\"web\",outcome=\"refused\"} 0\n"
                          "orders_total{kind=\"api\",outcome=\"ok\"} 0\n"
                          "orders_total{kind=\"api\",outcome=\"refused\"} 3\n");
}

TEST_CASE("registry: series_shown::recorded writes only series that counted") {
    metrics::registry reg;
    auto& f = reg.add_counter("hits_total", "Hits.", {{"page", {"a", "b", "c"}}},
                              metrics::series_shown::recorded);
    CHECK(reg.scrape() == "# HELP hits_total Hits.\n# TYPE hits_total counter\n");
    f.at({"b"}).inc();
    CHECK(reg.scrape() == "# HELP hits_total Hits.\n# TYPE hits_total counter\n"
                          "hits_total{page=\"b\"} 1\n");
}

TEST_CASE("registry: label values and help are escaped") {
    metrics::registry reg;
    auto& f = reg.add_counter("odd_total", "A \\ backslash\nand a line \"quoted\".",
                              {{"v", {"back\\slash", "quo\"te", "new\nline"}}});
    f.at({"back\\slash"}).inc();
    f.at({"quo\"te"}).inc(2);
    f.at({"new\nline"}).inc(3);
    CHECK(reg.scrape() == "# HELP odd_total A \\\\ backslash\\nand a line \"quoted\".\n"
                          "# TYPE odd_total counter\n"
                          "odd_total{v=\"back\\\\slash\"} 1\n"
                          "odd_total{v=\"quo\\\"te\"} 2\n"
                          "odd_total{v=\"new\\nline\"} 3\n");
}

TEST_CASE("registry: families are written in name order whatever the order they were added") {
    metrics::registry reg;
    reg.add_gauge("b_gauge", "B.");
    reg.add_counter("a_total", "A.");
    reg.add_callback_gauge("c_value", "C.", [] { return 2.5; });
    CHECK(reg.scrape() == "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
                          "# HELP b_gauge B.\n# TYPE b_gauge gauge\nb_gauge 0\n"
                          "# HELP c_value C.\n# TYPE c_value gauge\nc_value 2.5\n");
}

TEST_CASE("registry: gauges go up and down, callback gauges are read at each scrape") {
    metrics::registry reg;
    auto& f = reg.add_gauge("queue_depth", "Waiting.", {{"lane", {"read", "write"}}});
    metrics::gauge w = f.at({"write"});
    w.add(5);
    w.sub(2);
    f.at({"read"}).set(-1.5);
    double open = 3;
    reg.add_callback_gauge("open_things", "Open.", [&] { return open; });
    std::string first = reg.scrape();
    open = 7;
    std::string second = reg.scrape();
    CHECK(first == "# HELP open_things Open.\n# TYPE open_things gauge\nopen_things 3\n"
                   "# HELP queue_depth Waiting.\n# TYPE queue_depth gauge\n"
                   "queue_depth{lane=\"read\"} -1.5\nqueue_depth{lane=\"write\"} 3\n");
    CHECK(second.find("open_things 7\n") != std::string::npos);
    CHECK(w.value() == 3);
}

TEST_CASE("registry: special values are written as Prometheus reads them") {
    metrics::registry reg;
    auto& f = reg.add_gauge("special", "S.", {{"v", {"inf", "minf", "nan", "small"}}});
    f.at({"inf"}).set(std::numeric_limits<double>::infinity());
    f.at({"minf"}).set(-std::numeric_limits<double>::infinity());
    f.at({"nan"}).set(std::nan(""));
    f.at({"small"}).set(0.000125);
    std::string text = reg.scrape();
    CHECK(text.find("special{v=\"inf\"} +Inf\n") != std::string::npos);
    CHECK(text.find("special{v=\"minf\"} -Inf\n") != std::string::npos);
    CHECK(text.find("special{v=\"nan\"} NaN\n") != std::string::npos);
    CHECK(text.find("special{v=\"small\"} 0.000125\n") != std::string::npos);
}

TEST_CASE("registry: a histogram's buckets are cumulative and end with +Inf, then sum and count") {
    metrics::registry reg;
    auto& f = reg.add_histogram("wait_seconds", "Waits.", {0.1, 0.5, 1}, {{"lane", {"a", "b"}}});
    metrics::histogram a = f.at({"a"});
    a.observe(0.05);
    a.observe(0.1); // le is inclusive: counted in 0.1
    a.observe(0.75);
    a.observe(3);
    CHECK(a.count() == 4);
    CHECK(a.sum() == Approx(3.9));
    CHECK(reg.scrape() == "# HELP wait_seconds Waits.\n"
                          "# TYPE wait_seconds histogram\n"
                          "wait_seconds_bucket{lane=\"a\",le=\"0.1\"} 2\n"
                          "wait_seconds_bucket{lane=\"a\",le=\"0.5\"} 2\n"
                          "wait_seconds_bucket{lane=\"a\",le=\"1\"} 3\n"
                          "wait_seconds_bucket{lane=\"a\",le=\"+Inf\"} 4\n"
                          "wait_seconds_sum{lane=\"a\"} 3.9\n"
                          "wait_seconds_count{lane=\"a\"} 4\n"
                          "wait_seconds_bucket{lane=\"b\",le=\"0.1\"} 0\n"
                          "wait_seconds_bucket{lane=\"b\",le=\"0.5\"} 0\n"
                          "wait_seconds_bucket{lane=\"b\",le=\"1\"} 0\n"
                          "wait_seconds_bucket{lane=\"b\",le=\"+Inf\"} 0\n"
                          "wait_seconds_sum{lane=\"b\"} 0\n"
                          "wait_seconds_count{lane=\"b\"} 0\n");
}

TEST_CASE("registry: a histogram without labels has only le") {
    metrics::registry reg;
    reg.add_histogram("size_bytes", "Sizes.", {10}).at().observe(11);
    CHECK(reg.scrape() == "# HELP size_bytes Sizes.\n# TYPE size_bytes histogram\n"
                          "size_bytes_bucket{le=\"10\"} 0\nsize_bytes_bucket{le=\"+Inf\"} 1\n"
                          "size_bytes_sum 11\nsize_bytes_count 1\n");
}

TEST_CASE("registry: mistakes are refused at start-up") {
    metrics::registry reg;
    reg.add_counter("taken_total", "T.");
    CHECK_THROWS_AS(reg.add_counter("taken_total", "again"), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_gauge("taken_total", "again"), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("bad-name", "B."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("9lives", "B."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("", "B."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("x_total", "B.", {{"__reserved", {"a"}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("x_total", "B.", {{"bad-label", {"a"}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("x_total", "B.", {{"empty", {}}}), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("x_total", "B.", {{"twice", {"a", "a"}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("x_total", "B.", {{"l", {"a"}}, {"l", {"b"}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram("h_seconds", "H.", {1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram("h_seconds", "H.", {2, 1}), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram("h_seconds", "H.", {std::nan("")}), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram("h_seconds", "H.", {1}, {{"le", {"a"}}}),
                    std::invalid_argument);
    // Nothing refused was registered.
    CHECK(reg.scrape() == "# HELP taken_total T.\n# TYPE taken_total counter\ntaken_total 0\n");

    auto& f = reg.add_counter("y_total", "Y.", {{"k", {"a", "b"}}});
    CHECK_THROWS_AS(f.at({"c"}), std::invalid_argument);
    CHECK_THROWS_AS(f.at({}), std::invalid_argument);
    CHECK_THROWS_AS(f.at({"a", "b"}), std::invalid_argument);
}
