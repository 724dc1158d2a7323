#include <rampart/validation/decimal.hpp>
#include <rampart/validation/document.hpp>

#include <catch2/catch.hpp>

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <limits>
#include <stdexcept>
#include <string>

using rampart::decimal;
using rampart::validation::parse_json;
using rampart::validation::parse_limits;

TEST_CASE("decimal: parses exactly and renders with its places", "[validation][decimal]") {
    CHECK(decimal::parse("1.25")->units() == 125);
    CHECK(decimal::parse("1.25")->scale() == 2);
    CHECK(decimal::parse("1.25")->to_string() == "1.25");
    CHECK(decimal::parse("75.00")->to_string() == "75.00");
    CHECK(decimal::parse("-0.05")->to_string() == "-0.05");
    CHECK(decimal::parse("0")->to_string() == "0");
    CHECK(decimal::parse("-0")->to_string() == "0");
    CHECK(decimal::parse("007.50")->to_string() == "7.50");
    CHECK(decimal::parse("0.000000000000000001")->to_string() == "0.000000000000000001");
    CHECK(decimal::parse("9223372036854775807")->units() ==
          std::numeric_limits<std::int64_t>::max());
    CHECK(decimal::parse("-9223372036854775808")->units() ==
          std::numeric_limits<std::int64_t>::min());
    CHECK(decimal::parse("-9223372036854775808")->to_string() == "-9223372036854775808");
    CHECK(decimal::parse("-92233720368547758.08")->to_string() == "-92233720368547758.08");
    CHECK(decimal(5, 3).to_string() == "0.005");
    CHECK(decimal(-5, 1).to_string() == "-0.5");
    CHECK(decimal::from_integer(42).to_string() == "42");
}

TEST_CASE("decimal: refuses what it cannot hold exactly", "[validation][decimal]") {
    for (const char* bad : {"", "-", "+1", ".5", "1.", "1..2", "1,5", " 1", "1 ", "NaN", "inf",
                            "0x10", "1e5", "--1", "1.2.3", "١"}) {
        INFO(bad);
        CHECK(!decimal::parse(bad));
    }
    CHECK(!decimal::parse("9223372036854775808"));   // one past INT64_MAX
    CHECK(!decimal::parse("-9223372036854775809"));  // one past INT64_MIN
    CHECK(!decimal::parse("0.0000000000000000001")); // 19 places
    CHECK(!decimal::parse("99999999999999999999.5"));
    CHECK_THROWS_AS(decimal(1, 19), std::invalid_argument);
    CHECK_THROWS_AS(decimal(1, -1), std::invalid_argument);
    CHECK_THROWS_AS(decimal::from_string("abc"), std::invalid_argument);
}

TEST_CASE("decimal: exponents when allowed (JSON numbers)", "[validation][decimal]") {
    CHECK(decimal::parse("1.5e2", true)->to_string() == "150");
    CHECK(decimal::parse("1.25E+1", true)->to_string() == "12.5");
    CHECK(decimal::parse("125e-2", true)->to_string() == "1.25");
    CHECK(decimal::parse("0e999999", true)->to_string() == "0");
    CHECK(!decimal::parse("1e19", true));
    CHECK(!decimal::parse("1e-19", true));
    CHECK(!decimal::parse("1e", true));
    CHECK(!decimal::parse("1e+", true));
}

TEST_CASE("decimal: compares by value across scales", "[validation][decimal]") {
    CHECK(decimal(15, 1) == decimal(150, 2));
    CHECK(decimal(1, 0) > decimal(99, 2));
    CHECK(decimal(-1, 18) < decimal(0, 0));
    CHECK(decimal(std::numeric_limits<std::int64_t>::max(), 0) >
          decimal(std::numeric_limits<std::int64_t>::max(), 18));
    CHECK(decimal(std::numeric_limits<std::int64_t>::min(), 0) <
          decimal(std::numeric_limits<std::int64_t>::min(), 1));
}

TEST_CASE("decimal: arithmetic is exact or throws", "[validation][decimal]") {
    auto price = decimal::from_string("1.25");
    CHECK((price * 60).to_string() == "75.00");
    CHECK((3 * price).to_string() == "3.75");
    CHECK((price + decimal::from_string("0.005")).to_string() == "1.255");
    CHECK((price - decimal::from_string("2")).to_string() == "-0.75");
    CHECK((-price).to_string() == "-1.25");
    CHECK_THROWS_AS(decimal(std::numeric_limits<std::int64_t>::max(), 0) * 2, std::overflow_error);
    CHECK_THROWS_AS(decimal(std::numeric_limits<std::int64_t>::max(), 0) + decimal(1, 0),
                    std::overflow_error);
    CHECK_THROWS_AS(decimal(std::numeric_limits<std::int64_t>::min(), 0) - decimal(1, 0),
                    std::overflow_error);
    CHECK_THROWS_AS(-decimal(std::numeric_limits<std::int64_t>::min(), 0), std::overflow_error);
    // Aligning scales can overflow too.
    CHECK_THROWS_AS(decimal(std::numeric_limits<std::int64_t>::max(), 0) + decimal(1, 18),
                    std::overflow_error);
}

TEST_CASE("decimal: rescaling and rounding", "[validation][decimal]") {
    CHECK(decimal::from_string("1.5").rescaled_exact(3)->to_string() == "1.500");
    CHECK(decimal::from_string("1.500").rescaled_exact(1)->to_string() == "1.5");
    CHECK(!decimal::from_string("1.55").rescaled_exact(1));
    CHECK(!decimal(std::numeric_limits<std::int64_t>::max(), 0).rescaled_exact(1));
    CHECK(decimal::from_string("1.245").rounded(2).to_string() == "1.25");
    CHECK(decimal::from_string("1.244").rounded(2).to_string() == "1.24");
    CHECK(decimal::from_string("-1.245").rounded(2).to_string() == "-1.25");
    CHECK(decimal::from_string("2.5").rounded(0).to_string() == "3");
    CHECK(decimal::from_string("1.2").rounded(3).to_string() == "1.200");
    CHECK(decimal::from_string("12.340").significant_places() == 2);
    CHECK(decimal::from_string("12.340").digits() == 4);
    CHECK(decimal::from_string("0.05").digits() == 2);
    CHECK(decimal::from_string("100").digits() == 3);
}

TEST_CASE("decimal: Boost.JSON conversions", "[validation][decimal]") {
    CHECK(boost::json::value_from(decimal::from_string("1.25")) == boost::json::value("1.25"));
    CHECK(boost::json::value_to<decimal>(boost::json::value("2.50")).to_string() == "2.50");
    CHECK(boost::json::value_to<decimal>(boost::json::value(3)).to_string() == "3");
    CHECK(boost::json::value_to<decimal>(boost::json::value(0.1)).to_string() == "0.1");
    CHECK_THROWS_AS(boost::json::value_to<decimal>(boost::json::value(true)),
                    std::invalid_argument);
    CHECK_THROWS_AS(boost::json::value_to<decimal>(boost::json::value("1e2")),
                    std::invalid_argument);
    CHECK(!decimal::from_json(boost::json::value(std::numeric_limits<std::uint64_t>::max())));
}

TEST_CASE("parse_json: strict JSON with limits", "[validation][parse]") {
    CHECK(parse_json(R"({"a": [1, {"b": null}]})").root().at("a").at(1).at("b").is_null());
    auto detail_of = [](std::string_view body, parse_limits limits = {}) -> std::string {
        try {
            parse_json(body, limits);
        } catch (const rampart::parse_error& e) {
            CHECK(e.status_code() == 400);
            CHECK(e.code() == "parse_error");
            return e.detail();
        }
        return "<parsed>";
    };
    CHECK(detail_of("") == "Request body is empty; expected a JSON object.");
    CHECK(detail_of("{").rfind("Malformed JSON: ", 0) == 0);
    CHECK(detail_of("{\"a\": 1,}").rfind("Malformed JSON: ", 0) == 0);  // trailing comma
    CHECK(detail_of("{\"a\": 1} x").rfind("Malformed JSON: ", 0) == 0); // trailing data
    CHECK(detail_of("{/* c */}").rfind("Malformed JSON: ", 0) == 0);    // comments
    CHECK(detail_of("{\"a\": NaN}").rfind("Malformed JSON: ", 0) == 0);
    CHECK(detail_of("{\"a\": \"\xff\"}").rfind("Malformed JSON: ", 0) == 0); // invalid UTF-8
    CHECK(detail_of("{\"a\": 01}").rfind("Malformed JSON: ", 0) == 0);
    CHECK(detail_of(R"({"a": 1, "a": 2})") ==
          "Malformed JSON: an object has the same key more than once.");
    CHECK(detail_of(R"({"a": {"x": 1}, "a": 2})") ==
          "Malformed JSON: an object has the same key more than once.");
    CHECK(detail_of(R"([{"k": 1, "j": {"k": 1, "k": 1}}])") ==
          "Malformed JSON: an object has the same key more than once.");
    CHECK(detail_of(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})") == "<parsed>");
    std::string deep = std::string(40, '[') + std::string(40, ']');
    CHECK(detail_of(deep) == "JSON nesting is too deep (limit 32).");
    CHECK(detail_of(deep, parse_limits{1024, 64}) == "<parsed>");
    CHECK(detail_of("[[[1]]]", parse_limits{1024, 2}) == "JSON nesting is too deep (limit 2).");
}

TEST_CASE("parse_json: size limit is a 413", "[validation][parse]") {
    std::string body = "{\"a\": \"" + std::string(100, 'x') + "\"}";
    CHECK_NOTHROW(parse_json(body, parse_limits{body.size(), 32}));
    try {
        parse_json(body, parse_limits{body.size() - 1, 32});
        FAIL("expected payload_too_large");
    } catch (const rampart::payload_too_large& e) {
        CHECK(e.status_code() == 413);
        CHECK(e.detail() == "Request body is too large (limit 108 bytes).");
    }
}

TEST_CASE("parse_json: keeps the text of non-integer numbers", "[validation][parse]") {
    auto doc = parse_json(R"({"a": 0.1, "b": [1.50, 2, 1e3], "c": 123456789012345678901234})");
    CHECK(doc.number_text(doc.root().at("a")) == "0.1");
    CHECK(doc.number_text(doc.root().at("b").at(0)) == "1.50");
    CHECK(!doc.number_text(doc.root().at("b").at(1)));
    CHECK(doc.number_text(doc.root().at("b").at(2)) == "1e3");
    CHECK(doc.number_text(doc.root().at("c")) == "123456789012345678901234");
}

TEST_CASE("parse_json: each of many numbers keeps its own text", "[validation][parse]") {
    std::string body = "{\"n\": [";
    for (int i = 0; i < 3000; ++i) {
        if (i)
            body += ',';
        body += std::to_string(i) + "." + std::to_string(i % 7) + "0";
    }
    body += "]}";
    auto doc = parse_json(body);
    const auto& items = doc.root().at("n").as_array();
    REQUIRE(items.size() == 3000);
    for (int i = 0; i < 3000; ++i) {
        auto text = doc.number_text(items[static_cast<std::size_t>(i)]);
        REQUIRE(text);
        CHECK(*text == std::to_string(i) + "." + std::to_string(i % 7) + "0");
    }
    CHECK(!doc.number_text(doc.root()));
}
