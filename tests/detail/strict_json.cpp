#include <rampart/detail/strict_json.hpp>

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>

namespace d = rampart::detail;
namespace json = boost::json;

TEST_CASE("parse_strict_json builds the value and keeps double texts when asked", "[detail]") {
    auto r = d::parse_strict_json(R"({"a":[1,0.10,{"b":-2e3}],"c":null})", 32, {}, true);
    REQUIRE(r.ok());
    CHECK(json::serialize(r.value) == R"({"a":[1,1E-1,{"b":-2E3}],"c":null})");
    REQUIRE(r.double_texts.size() == 2);
    CHECK(r.double_texts[0] == "0.10");
    CHECK(r.double_texts[1] == "-2e3");
    CHECK(d::parse_strict_json("[1.5]", 32).double_texts.empty()); // not asked
}

TEST_CASE("parse_strict_json refuses a repeated key at any depth", "[detail]") {
    for (std::string_view dup : {R"({"a":1,"a":2})", R"({"a":{"b":1,"b":1}})",
                                 R"([{"x":1},{"y":[{"k":0,"k":0}]}])", R"({"a":1,"\u0061":2})"}) {
        INFO(dup);
        auto r = d::parse_strict_json(dup, 32);
        CHECK_FALSE(r.ec);
        CHECK(r.duplicate_key);
        CHECK_FALSE(r.ok());
    }
    // The same key in two different objects is fine.
    CHECK(d::parse_strict_json(R"([{"a":1},{"a":2}])", 32).ok());
}

TEST_CASE("parse_strict_json refuses what RFC 8259 does not allow", "[detail]") {
    for (std::string_view bad :
         {"", " ", "{", R"({"a":1,})", "[1,]", "// c\n{}", "/* c */{}", "{} {}", "{}x", "\"\xff\"",
          "\"\xc0\xaf\"", "NaN", "01", "{'a':1}"}) {
        INFO(bad);
        auto r = d::parse_strict_json(bad, 32);
        CHECK(r.ec);
        CHECK_FALSE(r.ok());
    }
    auto trailing = d::parse_strict_json("{} x", 32);
    CHECK(trailing.ec == json::error::extra_data);
    CHECK(trailing.used == 3);
}

TEST_CASE("parse_strict_json stops at the nesting limit", "[detail]") {
    std::string deep(17, '[');
    deep += std::string(17, ']');
    CHECK(d::parse_strict_json(deep, 16).ec == json::error::too_deep);
    CHECK(d::parse_strict_json(deep, 17).ok());
    std::string very(100000, '[');
    CHECK(d::parse_strict_json(very, 32).ec == json::error::too_deep); // no stack overflow
}

TEST_CASE("parse_object wants one strict object", "[detail]") {
    json::object out;
    CHECK(d::parse_object(R"({"alg":"HS256"})", out) == d::json_status::ok);
    CHECK(out.at("alg") == "HS256");
    CHECK(d::parse_object(R"({"a":1,"a":1})", out) == d::json_status::duplicate_key);
    CHECK(d::parse_object("[1]", out) == d::json_status::bad_json);
    CHECK(d::parse_object(R"([{"a":1,"a":1}])", out) == d::json_status::bad_json); // not an object
    CHECK(d::parse_object("{", out) == d::json_status::bad_json);
    std::string seventeen = std::string(17, '[') + std::string(17, ']');
    CHECK(d::parse_object(R"({"a":)" + seventeen + "}", out) == d::json_status::bad_json);
}
