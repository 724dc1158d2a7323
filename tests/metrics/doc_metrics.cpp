// The examples of docs/metrics.md, compiled and run: each block of the page stands here line
// for line (tests/check_docs.py checks it).

#include <rampart/core.hpp>
#include <rampart/errors.hpp>
#include <rampart/jwt/token_service.hpp>
#include <rampart/metrics.hpp>
#include <rampart/redis/options.hpp>
#include <rampart/router.hpp>
#include <rampart/server.hpp>
#include <rampart/sqlite/database.hpp>
#include <rampart/throttle.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace asio = boost::asio;
namespace http = rampart::http;
namespace metrics = rampart::metrics;
namespace throttle = rampart::throttle;

namespace doc {

struct queue {
    std::size_t size() const { return 3; }
};

std::string families(metrics::registry& metrics, const queue& jobs_queue) {
    auto& jobs = metrics.add_counter("jobs_total", "Jobs run, by outcome.",
                                     {{"outcome", {"done", "failed"}}});
    metrics::counter done = jobs.at({"done"}); // looked up once, at start-up
    done.inc();                                // per event: one relaxed atomic add

    metrics::gauge workers = metrics.add_gauge("workers_busy", "Workers running a job.").at();
    workers.add(1);

    metrics.add_callback_gauge("jobs_waiting", "Jobs in the queue.",
                               [&jobs_queue] { return static_cast<double>(jobs_queue.size()); });

    metrics::histogram took =
        metrics.add_histogram("job_duration_seconds", "Time a job took.", {0.1, 1, 10}).at();
    took.observe(0.25);
    return metrics.scrape();
}

asio::awaitable<rampart::response> product(rampart::context& ctx) {
    co_return rampart::json_response(http::status::ok, {{"id", std::string(*ctx.param("id"))}});
}

auto service(metrics::registry& metrics, rampart::router& api) {
    api.version("v1").get("/products/{id:int}/", product);

    std::vector<std::string> templates = metrics::route_templates(api.declarations());
    templates.emplace_back("/metrics"); // what metrics::serve labels scrapes with
    return rampart::stack(rampart::error_envelope<>{},
                          metrics::http_metrics<>{metrics, std::move(templates)},
                          metrics::serve{metrics, "/metrics"})
        .wrap(api);
}

struct service_metrics {
    metrics::registry registry;
    metrics::store_metrics stores{registry}; // stores "redis" and "sqlite"
    metrics::token_metrics tokens{registry};
    metrics::throttle_metrics throttles{registry, {"anon", "user"}};
};

template <class Limiter>
void feeds(service_metrics& m, Limiter& limiter, rampart::jwt::token_service_options& token_options,
           rampart::sqlite::database_options& db_options, rampart::redis::options& redis_options) {
    limiter.observe(m.throttles.listener()); // before the limiter goes into a stack
    token_options.on_event = m.tokens.listener();
    db_options.on_call = m.stores.listener<rampart::sqlite::call_event>("sqlite");
    redis_options.on_command = m.stores.listener<rampart::redis::command_event>("redis");
}

} // namespace doc

TEST_CASE("doc metrics: families, as the page shows their text") {
    metrics::registry metrics;
    doc::queue q;
    std::string text = doc::families(metrics, q);
    CHECK(text == "# HELP job_duration_seconds Time a job took.\n"
                  "# TYPE job_duration_seconds histogram\n"
                  "job_duration_seconds_bucket{le=\"0.1\"} 0\n"
                  "job_duration_seconds_bucket{le=\"1\"} 1\n"
                  "job_duration_seconds_bucket{le=\"10\"} 1\n"
                  "job_duration_seconds_bucket{le=\"+Inf\"} 1\n"
                  "job_duration_seconds_sum 0.25\n"
                  "job_duration_seconds_count 1\n"
                  "# HELP jobs_total Jobs run, by outcome.\n"
                  "# TYPE jobs_total counter\n"
                  "jobs_total{outcome=\"done\"} 1\n"
                  "jobs_total{outcome=\"failed\"} 0\n"
                  "# HELP jobs_waiting Jobs in the queue.\n"
                  "# TYPE jobs_waiting gauge\n"
                  "jobs_waiting 3\n"
                  "# HELP workers_busy Workers running a job.\n"
                  "# TYPE workers_busy gauge\n"
                  "workers_busy 1\n");
}

TEST_CASE("doc metrics: a service counted by route template") {
    metrics::registry metrics;
    rampart::router api;
    auto app = doc::service(metrics, api);
    for (int id : {1, 2, 3})
        CHECK(rampart::test::call(
                  app, rampart::test::make_request(http::verb::get,
                                                   "/api/v1/products/" + std::to_string(id) + "/"))
                  .result_int() == 200);
    rampart::response scrape =
        rampart::test::call(app, rampart::test::make_request(http::verb::get, "/metrics"));
    CHECK(scrape.body().find("http_requests_total{route=\"/products/{id:int}/\",method=\"GET\","
                             "code=\"200\"} 3\n") != std::string::npos);
}

TEST_CASE("doc metrics: the feeds are set once, then each event is counted") {
    doc::service_metrics m;
    throttle::memory_store<> store;
    throttle::limiter limiter{store, throttle::anonymous(throttle::parse_rate("1/minute"))};
    rampart::jwt::token_service_options token_options;
    rampart::sqlite::database_options db_options;
    rampart::redis::options redis_options;
    doc::feeds(m, limiter, token_options, db_options, redis_options);
    REQUIRE(token_options.on_event);
    REQUIRE(db_options.on_call);
    REQUIRE(redis_options.on_command);
    auto app = rampart::stack(limiter).wrap(
        [](rampart::context&) { return rampart::text_response(http::status::ok, "ok"); });
    for (int i = 0; i < 2; ++i) {
        rampart::context ctx{rampart::test::make_request(http::verb::get, "/"),
                             {asio::ip::make_address("192.0.2.1"), 4000}};
        rampart::test::run(app(ctx));
    }
    std::string text = m.registry.scrape();
    CHECK(text.find("rampart_throttle_decisions_total{scope=\"anon\",decision=\"allowed\"} 1\n") !=
          std::string::npos);
    CHECK(
        text.find("rampart_throttle_decisions_total{scope=\"anon\",decision=\"throttled\"} 1\n") !=
        std::string::npos);
}
