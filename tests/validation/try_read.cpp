// try_read(): read() with the client's errors answered as a value.

#include <rampart/validation/read.hpp>

#include "support/run.hpp"

#include <boost/asio/awaitable.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

namespace rv = rampart::validation;

namespace {

struct note_in {
    std::string text;
    int stars = 0;
};

const auto note_schema =
    rv::schema<note_in>(rv::field(&note_in::text, "text").max_length(5),
                        rv::field(&note_in::stars, "stars").min(1).max(5).optional());

// A schema whose validator fails the way a database outage would, or throws a 4xx or 5xx.
auto throwing_schema(int what) {
    return rv::schema<note_in>(rv::field(&note_in::text, "text"))
        .validate_with(
            [what](const note_in&, rampart::field_errors&) -> boost::asio::awaitable<void> {
                if (what == 403)
                    throw rampart::permission_denied();
                if (what == 503)
                    throw rampart::http_error(rampart::http::status::service_unavailable,
                                              "unavailable", "Try later.");
                throw std::runtime_error("database is locked");
                co_return;
            });
}

rampart::request post(std::string body, std::string content_type = "application/json") {
    auto req = rampart::test::make_request(rampart::http::verb::post, "/notes", std::move(body));
    if (content_type.empty())
        req.erase(rampart::http::field::content_type);
    else
        req.set(rampart::http::field::content_type, content_type);
    return req;
}

template <class Schema>
rv::read_result<note_in> try_read_note(const Schema& s, rampart::request req,
                                       rv::read_options options = {}) {
    rampart::context ctx{std::move(req)};
    return rampart::test::run(rv::try_read(ctx, s, options));
}

} // namespace

TEST_CASE("try_read: a valid body is the value", "[validation][read]") {
    auto r = try_read_note(note_schema, post(R"({"text": "hi", "stars": 4})"));
    REQUIRE(r.has_value());
    CHECK(r->text == "hi");
    CHECK(r->stars == 4);
    CHECK(r.value().text == "hi");
}

TEST_CASE("try_read: the client's errors are the result's error", "[validation][read]") {
    auto r = try_read_note(note_schema, post(R"({"text": "too long", "stars": 9})"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error()->status_code() == 400);
    CHECK(r.error()->code() == "invalid");
    CHECK(r.error()->fields().messages("text").front().code == "max_length");
    CHECK(r.error()->fields().messages("stars").front().code == "max_value");

    r = try_read_note(note_schema, post("{}", "text/plain"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error()->status_code() == 415);
    r = try_read_note(note_schema, post("{}", ""));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error()->status_code() == 415);

    rv::read_options small;
    small.max_size = 8;
    r = try_read_note(note_schema, post(R"({"text": "hello"})"), small);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error()->status_code() == 413);

    for (const char* body : {"{", "[1]", R"({"text": "a", "text": "b"})"}) {
        INFO(body);
        r = try_read_note(note_schema, post(body));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error()->status_code() == 400);
        CHECK(r.error()->code() == "parse_error");
    }
    // A 4xx a validator throws is the client's too.
    r = try_read_note(throwing_schema(403), post(R"({"text": "a"})"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error()->status_code() == 403);
}

TEST_CASE("try_read: value() throws the error, as read() would", "[validation][read]") {
    auto r = try_read_note(note_schema, post(R"({"text": 5})"));
    REQUIRE_FALSE(r.has_value());
    CHECK_THROWS_AS(r.value(), rampart::validation_error); // the type read() throws
    r = try_read_note(note_schema, post("{}", "text/plain"));
    CHECK_THROWS_AS(r.value(), rampart::unsupported_media_type);
    r = try_read_note(note_schema, post(R"({"text": 5})"));
    try {
        (void)r.value();
        FAIL("expected an http_error");
    } catch (const rampart::http_error& e) {
        CHECK(e.status_code() == 400);
        CHECK(e.fields().messages("text").front().code == "invalid_type");
    }
}

TEST_CASE("try_read: a read_error made outside a handler still rethrows", "[validation][read]") {
    rv::read_error e(rampart::parse_error("Malformed."));
    CHECK(e->status_code() == 400);
    CHECK_THROWS_AS(e.rethrow(), rampart::http_error);
    CHECK_THROWS_AS(rv::read_error{}.get(), std::logic_error);
}

TEST_CASE("try_read: server-side failures still throw", "[validation][read]") {
    CHECK_THROWS_AS(try_read_note(throwing_schema(0), post(R"({"text": "a"})")),
                    std::runtime_error);
    try {
        try_read_note(throwing_schema(503), post(R"({"text": "a"})"));
        FAIL("expected the 503 to propagate");
    } catch (const rampart::http_error& e) {
        CHECK(e.status_code() == 503);
    }
}
