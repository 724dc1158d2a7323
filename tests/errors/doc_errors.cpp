// The examples of docs/errors.md, compiled and run. Keep them in step with the page.
#include <rampart/core/response.hpp>
#include <rampart/errors.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <iostream>

using namespace rampart;

namespace doc {

asio::awaitable<response> create_order(context& ctx) {
    rampart::field_errors errors;
    if (ctx.req().body().empty())
        errors.add("quantity", "This field is required.", "required");
    errors.nested("address").add("city", "This field may not be blank.", "blank");
    if (!errors.empty())
        throw rampart::validation_error{std::move(errors)};
    co_return json_response(http::status::created, boost::json::object{});
}

asio::awaitable<response> fails(context&) {
    throw std::runtime_error("connection to 10.0.0.5 refused"); // never reaches the client
    co_return response{};
}

// Refuses requests without an API key, without a C++ exception.
struct require_api_key {
    template <class Next>
    rampart::asio::awaitable<rampart::response> operator()(rampart::context& ctx, Next& next) {
        if (ctx.req().find("X-Api-Key") == ctx.req().end())
            co_return ctx.render_error(rampart::not_authenticated{"An API key is required."});
        co_return co_await next(ctx);
    }
};

} // namespace doc

TEST_CASE("docs/errors.md: field errors in the envelope") {
    auto app = rampart::stack(rampart::error_envelope<>{}).wrap(doc::create_order);
    auto res = test::call(app, test::make_request(http::verb::post, "/orders/"));
    CHECK(res.result() == http::status::bad_request);
    CHECK(boost::json::parse(res.body()) == boost::json::parse(R"({
        "status": "error", "code": 400,
        "errors": {"quantity": ["This field is required."],
                   "address": {"city": ["This field may not be blank."]}}})"));
}

TEST_CASE("docs/errors.md: problem+json and the log hook") {
    auto envelope = rampart::error_envelope<rampart::problem_format>{
        rampart::problem_format{}, [](const rampart::log_record& record) {
            // "rampart: internal error on GET /report: connection to 10.0.0.5 refused"
            std::clog << record.message << '\n';
        }};
    auto app = rampart::stack(envelope).wrap(doc::fails);
    auto res = test::call(app, test::make_request(http::verb::get, "/report"));
    CHECK(res.result() == http::status::internal_server_error);
    CHECK(res[http::field::content_type] == "application/problem+json");
    CHECK(res.body().find("10.0.0.5") == std::string::npos);
}

TEST_CASE("docs/errors.md: errors with headers") {
    auto res = rampart::envelope_format{}(
        rampart::authentication_failed{"Token is expired.", "token_not_valid"}.with_header(
            "WWW-Authenticate", R"(Bearer realm="api", error="invalid_token")"));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(res[http::field::www_authenticate] == R"(Bearer realm="api", error="invalid_token")");
}

TEST_CASE("docs/errors.md: an error rendered without a throw") {
    auto handler = [](context&) -> asio::awaitable<response> {
        co_return text_response(http::status::ok, "in");
    };
    auto app = rampart::stack(rampart::error_envelope<>{}, doc::require_api_key{}).wrap(handler);
    auto refused = test::call(app, test::make_request(http::verb::get, "/"));
    CHECK(refused.result() == http::status::unauthorized);
    CHECK(refused.body() ==
          R"({"status":"error","code":401,"errors":{"detail":"An API key is required."}})");
    auto req = test::make_request(http::verb::get, "/");
    req.set("X-Api-Key", "k");
    CHECK(test::call(app, std::move(req)).body() == "in");
}
