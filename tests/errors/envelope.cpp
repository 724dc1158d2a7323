#include <rampart/errors/envelope.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace rampart;

TEST_CASE("the envelope renders http errors and logs only 5xx other than 503") {
    int logged = 0;
    error_envelope<> env{envelope_format{}, [&](std::exception_ptr, const context&) { ++logged; }};
    auto app = stack(env).wrap([](context& ctx) -> asio::awaitable<response> {
        if (ctx.path() == "/404")
            throw not_found{};
        if (ctx.path() == "/503")
            throw service_unavailable{"Database unavailable.", std::chrono::seconds{5}};
        throw std::logic_error("internal");
        co_return response{};
    });
    auto r404 = test::call(app, test::make_request(http::verb::get, "/404"));
    CHECK(r404.result() == http::status::not_found);
    CHECK(logged == 0);

    auto r503 = test::call(app, test::make_request(http::verb::get, "/503"));
    CHECK(r503.result() == http::status::service_unavailable);
    CHECK(r503[http::field::retry_after] == "5");
    CHECK(boost::json::parse(r503.body()).at("errors").at("detail") == "Database unavailable.");
    CHECK(logged == 0);

    auto r500 = test::call(app, test::make_request(http::verb::get, "/boom"));
    CHECK(r500.result() == http::status::internal_server_error);
    CHECK(boost::json::parse(r500.body()) ==
          boost::json::parse(
              R"({"status":"error","code":500,"errors":{"detail":"A server error occurred."}})"));
    CHECK(logged == 1);
}

TEST_CASE("a log hook that throws still yields a clean 500") {
    error_envelope<> env{envelope_format{},
                         [](std::exception_ptr, const context&) { throw std::bad_alloc{}; }};
    auto app = stack(env).wrap([](context&) -> asio::awaitable<response> {
        throw std::runtime_error("x");
        co_return response{};
    });
    CHECK(test::call(app, test::make_request(http::verb::get, "/")).result() ==
          http::status::internal_server_error);
}
