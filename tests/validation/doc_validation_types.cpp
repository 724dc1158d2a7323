// The examples of docs/validation.md "Your own field types" (the block below, up to the end of
// namespace paint) and "Answering the client's errors yourself" (in its test case), verbatim
// (tests/check_docs.py checks them), with the tests of the extension point: user types bound
// through Boost.JSON's tag_invoke conversions.

#include <rampart/core/response.hpp>
#include <rampart/validation.hpp>

#include <boost/json/value_to.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace paint {

enum class colour { red, green, blue };

// Throwing form: Boost.JSON turns the exception into an error, rampart into a field error.
inline colour tag_invoke(boost::json::value_to_tag<colour>, const boost::json::value& jv) {
    const boost::json::string& s = jv.as_string(); // throws when jv is not a string
    if (s == "red")
        return colour::red;
    if (s == "green")
        return colour::green;
    if (s == "blue")
        return colour::blue;
    throw std::invalid_argument("unknown colour");
}

/// A UUID in its canonical text form (lower-case hex, four dashes).
struct uuid {
    std::string text;
};

inline bool is_uuid_text(std::string_view s) {
    if (s.size() != 36)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        const bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
        if (dash ? s[i] != '-' : !hex)
            return false;
    }
    return true;
}

// Non-throwing form.
inline boost::json::result<uuid> tag_invoke(boost::json::try_value_to_tag<uuid>,
                                            const boost::json::value& jv) {
    const boost::json::string* s = jv.if_string();
    if (!s || !is_uuid_text(*s))
        return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    return uuid{std::string(*s)};
}

// Optional: how the JSON Schema writer describes the type (without it: `{}`, any value).
inline boost::json::object tag_invoke(rampart::validation::json_schema_tag<uuid>) {
    return {{"type", "string"}, {"format", "uuid"}};
}

struct paint_order {
    uuid product;
    colour shade = colour::red;
    std::optional<uuid> gift_for;
};

const auto paint_order_schema = rampart::validation::schema<paint_order>(
    rampart::validation::field(&paint_order::product, "product"),
    rampart::validation::field(&paint_order::shade, "shade")
        .type_message("Choose red, green or blue."),
    rampart::validation::field(&paint_order::gift_for, "gift_for").optional());

} // namespace paint

#include "support.hpp"
#include "support/run.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <vector>

namespace rv = rampart::validation;
using rampart::test::errors_json;
using rampart::test::field_errors_of;
using rampart::test::first_code;

namespace {

constexpr std::string_view some_uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

struct palette {
    std::vector<paint::colour> shades;
    std::map<std::string, int> mix; // converted by Boost.JSON itself
};

const auto palette_schema =
    rv::schema<palette>(rv::field(&palette::shades, "shades")
                            .each(rv::item<paint::colour>().type_message("Not a colour."))
                            .max_items(3),
                        rv::field(&palette::mix, "mix").optional());

} // namespace

TEST_CASE("field types: an enum and a UUID bind through tag_invoke", "[validation][types]") {
    auto o = paint::paint_order_schema.parse(
        R"({"product": "0f8fad5b-d9cb-469f-a165-70867728950e", "shade": "blue"})");
    CHECK(o.product.text == some_uuid);
    CHECK(o.shade == paint::colour::blue);
    CHECK_FALSE(o.gift_for);

    o = paint::paint_order_schema.parse(R"({"product": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "shade": "green", "gift_for": "00000000-0000-0000-0000-000000000000"})");
    CHECK(o.shade == paint::colour::green);
    REQUIRE(o.gift_for);
    CHECK(o.gift_for->text == "00000000-0000-0000-0000-000000000000");

    o = paint::paint_order_schema.parse(
        R"({"product": "0f8fad5b-d9cb-469f-a165-70867728950e", "shade": "red", "gift_for": null})");
    CHECK_FALSE(o.gift_for);
}

TEST_CASE("field types: a failed conversion is a field error, beside the others",
          "[validation][types]") {
    // The UUID is refused by the non-throwing form; the colour by the throwing one (an
    // unknown name: std::invalid_argument; a number: as_string()'s system_error).
    CHECK(errors_json([] {
              paint::paint_order_schema.parse(R"({"product": "0F8FAD5B", "shade": "purple"})");
          }) == R"({"product":["Invalid value."],"shade":["Choose red, green or blue."]})");
    auto e = field_errors_of(
        [] { paint::paint_order_schema.parse(R"({"product": 7, "shade": 2, "gift_for": []})"); });
    CHECK(first_code(e, "product") == "invalid");
    CHECK(first_code(e, "shade") == "invalid");
    CHECK(first_code(e, "gift_for") == "invalid");
    CHECK(e.messages("gift_for").front().message == "Invalid value.");
    // null and absence are the DSL's, as for built-in types.
    e = field_errors_of([] { paint::paint_order_schema.parse(R"({"product": null})"); });
    CHECK(first_code(e, "product") == "null");
    CHECK(first_code(e, "shade") == "required");
}

TEST_CASE("field types: array items and Boost.JSON's own conversions", "[validation][types]") {
    auto p = palette_schema.parse(R"({"shades": ["red", "blue"], "mix": {"red": 2, "blue": 1}})");
    CHECK(p.shades == std::vector{paint::colour::red, paint::colour::blue});
    CHECK(p.mix == std::map<std::string, int>{{"blue", 1}, {"red", 2}});
    CHECK(errors_json([] {
              palette_schema.parse(R"({"shades": ["red", "teal", 3], "mix": {"red": "x"}})");
          }) == R"({"shades":{"1":["Not a colour."],"2":["Not a colour."]},)"
                R"("mix":["Invalid value."]})");
    CHECK(errors_json([] {
              palette_schema.parse(R"({"shades": ["red", "red", "red", "red"]})");
          }) == R"({"shades":["Ensure this field has no more than 3 items."]})");
}

TEST_CASE("field types: read() puts the errors in the envelope", "[validation][types]") {
    rampart::context ctx{rampart::test::make_request(rampart::http::verb::post, "/paint",
                                                     R"({"product": "nope", "shade": "red"})")};
    try {
        rampart::test::run(rv::read(ctx, paint::paint_order_schema));
        FAIL("expected a validation_error");
    } catch (...) {
        auto res = ctx.render_error(std::current_exception());
        CHECK(res.result_int() == 400);
        CHECK(res.body() ==
              R"({"status":"error","code":400,"errors":{"product":["Invalid value."]}})");
    }
}

TEST_CASE("field types: the JSON Schema of user types", "[validation][types][docs]") {
    auto s = rv::json_schema(paint::paint_order_schema);
    const auto& props = s.at("properties").as_object();
    CHECK(boost::json::serialize(props.at("product")) == R"({"type":"string","format":"uuid"})");
    CHECK(boost::json::serialize(props.at("shade")) == "{}");
    CHECK(boost::json::serialize(props.at("gift_for")) ==
          R"({"type":["string","null"],"format":"uuid"})");
    CHECK(boost::json::serialize(s.at("required")) == R"(["product","shade"])");
    auto p = rv::json_schema(palette_schema).at("properties").as_object();
    CHECK(boost::json::serialize(p.at("shades")) == R"({"type":"array","items":{},"maxItems":3})");
}

TEST_CASE("docs: try_read, the client's errors answered by the handler", "[validation][docs]") {
    auto create_paint_order =
        [](rampart::context& ctx) -> boost::asio::awaitable<rampart::response> {
        rampart::validation::read_result<paint::paint_order> order =
            co_await rampart::validation::try_read(ctx, paint::paint_order_schema);
        if (!order) {
            rampart::validation::read_error error = order.error();
            const rampart::http_error& e = error.get(); // 400, 413 or 415
            if (e.status_code() != 400)
                error.rethrow(); // the usual envelope for the others
            co_return rampart::json_response(boost::beast::http::status::unprocessable_entity,
                                             e.fields().to_json());
        }
        co_return rampart::json_response(boost::beast::http::status::created,
                                         {{"product", order->product.text}});
    };
    auto req = rampart::test::make_request(
        rampart::http::verb::post, "/paint",
        R"({"product": "0f8fad5b-d9cb-469f-a165-70867728950e", "shade": "red"})");
    auto res = rampart::test::call(create_paint_order, req);
    CHECK(res.result_int() == 201);
    req.body() = R"({"product": "x", "shade": "red"})";
    req.prepare_payload();
    res = rampart::test::call(create_paint_order, req);
    CHECK(res.result_int() == 422);
    CHECK(res.body() == R"({"product":["Invalid value."]})");
    req.set(rampart::http::field::content_type, "text/plain");
    rampart::context ctx{req};
    CHECK_THROWS_AS(rampart::test::run(create_paint_order(ctx)), rampart::unsupported_media_type);
}
