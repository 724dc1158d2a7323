// The spdlog example of docs/core.md ("Logging"), compiled and run. Built only when spdlog is
// found (Debian libspdlog-dev). Keep it in step with the page.
#include <rampart/core.hpp>
#include <rampart/errors.hpp>
#include <rampart/server.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>
#include <stdexcept>

// Every rampart log record to an spdlog logger, at the matching level.
#include <rampart/core/log.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

struct spdlog_sink {
    std::shared_ptr<spdlog::logger> logger;

    void operator()(const rampart::log_record& record) const {
        auto level = record.level == rampart::log_level::error     ? spdlog::level::err
                     : record.level == rampart::log_level::warning ? spdlog::level::warn
                                                                   : spdlog::level::info;
        logger->log(level, "[{}] {}", record.source, record.message);
    }
};

namespace {

rampart::asio::awaitable<rampart::response> handler(rampart::context& ctx) {
    if (ctx.path() == "/boom")
        throw std::runtime_error("lost the database");
    co_return rampart::text_response(rampart::http::status::ok, "ok");
}

} // namespace

TEST_CASE("docs/core.md: an spdlog logger receives access lines and 500 causes") {
    auto logger = spdlog::stderr_logger_mt("rampart");
    spdlog_sink sink{logger};
    rampart::server_config config;
    config.access_log_sink = sink; // the server's own refusals (400, 413, 431, ...)
    config.error_log_sink = sink;  // accepting stopped and resumed
    auto app = rampart::stack(rampart::error_envelope<>{{}, sink}, rampart::access_log{sink})
                   .wrap(handler);

    // Where the test reads what the logger wrote.
    std::ostringstream out;
    logger->sinks().assign({std::make_shared<spdlog::sinks::ostream_sink_st>(out)});
    logger->set_pattern("%l %v");

    CHECK(config.access_log_sink);
    CHECK(config.error_log_sink);
    CHECK(rampart::test::call(app, rampart::test::make_request(rampart::http::verb::get, "/fine"))
              .result() == rampart::http::status::ok);
    CHECK(rampart::test::call(app, rampart::test::make_request(rampart::http::verb::get, "/boom"))
              .result() == rampart::http::status::internal_server_error);
    logger->flush();
    auto text = out.str();
    CHECK(text.find("info [access] ") != std::string::npos);
    CHECK(text.find(" GET /fine 200 ") != std::string::npos);
    CHECK(text.find("error [errors] rampart: internal error on GET /boom: lost the database\n") !=
          std::string::npos);
    CHECK(text.find(" GET /boom 500 ") != std::string::npos);
}
