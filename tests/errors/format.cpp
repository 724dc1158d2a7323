#include <rampart/errors/format.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace rampart;
using boost::json::parse;

namespace {
boost::json::value body_of(const response& res) {
    return parse(res.body());
}
std::string envelope(unsigned code, const char* errors) {
    return R"({"status":"error","code":)" + std::to_string(code) + R"(,"errors":)" + errors + "}";
}
} // namespace

TEST_CASE("every error type renders in the envelope with its status, code and headers") {
    envelope_format fmt;
    struct row {
        http_error error;
        unsigned status;
        std::string code;
    };
    std::vector<row> rows{
        {parse_error{}, 400, "parse_error"},
        {bad_request{}, 400, "bad_request"},
        {not_authenticated{}, 401, "not_authenticated"},
        {authentication_failed{}, 401, "authentication_failed"},
        {permission_denied{}, 403, "permission_denied"},
        {not_found{}, 404, "not_found"},
        {method_not_allowed{"DELETE", {"GET", "HEAD", "OPTIONS"}}, 405, "method_not_allowed"},
        {not_acceptable{}, 406, "not_acceptable"},
        {gone{}, 410, "gone"},
        {payload_too_large{}, 413, "payload_too_large"},
        {unsupported_media_type{}, 415, "unsupported_media_type"},
        {throttled{std::chrono::seconds{7}}, 429, "throttled"},
        {header_too_large{}, 431, "header_too_large"},
        {internal_error{}, 500, "internal_error"},
        {service_unavailable{}, 503, "service_unavailable"},
    };
    for (const auto& r : rows) {
        INFO(r.code);
        CHECK(r.error.status_code() == r.status);
        CHECK(r.error.code() == r.code);
        auto res = fmt(r.error);
        CHECK(res.result_int() == r.status);
        CHECK(res[http::field::content_type] == "application/json");
        CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
        auto body = body_of(res);
        CHECK(body.at("status") == "error");
        CHECK(body.at("code") == r.status);
        CHECK(body.at("errors").at("detail").is_string());
        CHECK(body.as_object().size() == 3);
    }
}

TEST_CASE("405 lists the allowed methods and never echoes raw method bytes") {
    auto res = envelope_format{}(method_not_allowed{"BAD\r\nX: y", {"GET", "POST"}});
    CHECK(res[http::field::allow] == "GET, POST");
    CHECK(res.body().find('\r') == std::string::npos);
}

TEST_CASE("429 carries an honest Retry-After of at least one second") {
    CHECK(envelope_format{}(throttled{std::chrono::seconds{12}})[http::field::retry_after] == "12");
    CHECK(envelope_format{}(throttled{std::chrono::seconds{0}})[http::field::retry_after] == "1");
    CHECK(throttled{std::chrono::seconds{0}}.wait().count() == 1);
}

TEST_CASE("validation errors render as field lists") {
    field_errors f;
    f.add("quantity", "Quantity must be at least 1.", "min_value");
    auto res = envelope_format{}(validation_error{f});
    CHECK(res.result() == http::status::bad_request);
    CHECK(body_of(res) ==
          parse(envelope(400, R"({"quantity": ["Quantity must be at least 1."]})")));

    auto single = envelope_format{}(validation_error{"cursor", "Invalid cursor."});
    CHECK(body_of(single) == parse(envelope(400, R"({"cursor": ["Invalid cursor."]})")));
}

TEST_CASE("header values cannot split a response") {
    http_error e{http::status::unauthorized, "x", "y"};
    e.with_header("WWW-Authenticate", "Bearer realm=\"a\"\r\nSet-Cookie: evil=1");
    auto res = envelope_format{}(e);
    CHECK(res[http::field::www_authenticate].find('\n') == boost::beast::string_view::npos);
    CHECK_THROWS_AS(e.with_header("Bad\r\nName", "v"), std::invalid_argument);
}

TEST_CASE("problem+json follows RFC 9457") {
    auto res = problem_format{}(not_found{});
    CHECK(res[http::field::content_type] == "application/problem+json");
    CHECK(body_of(res) == parse(R"({"type":"about:blank","title":"Not Found","status":404,
                                    "code":"not_found","detail":"Not found."})"));

    field_errors f;
    f.add("quantity", "Too small.", "min_value");
    f.nested("a/b").add("c~d", "Bad.", "invalid");
    auto v = body_of(problem_format{}(validation_error{f}));
    CHECK(v.at("status") == 400);
    CHECK(v.at("errors") == parse(R"([
        {"pointer":"#/quantity","detail":"Too small.","code":"min_value"},
        {"pointer":"#/a~1b/c~0d","detail":"Bad.","code":"invalid"}])"));

    auto throttled_res = problem_format{}(throttled{std::chrono::seconds{3}});
    CHECK(throttled_res[http::field::retry_after] == "3");
}
