// The DSL's named requirements (validation/concepts.hpp), checked at compile time: what they
// accept, what they refuse, and that field(), item(), each() and schema<T>() refuse at the
// declaration (a requires-expression sees the failure instead of a hard error deep inside).

#include <rampart/validation/field.hpp>
#include <rampart/validation/json_schema.hpp>
#include <rampart/validation/schema.hpp>

#include <boost/json/value_to.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rv = rampart::validation;

namespace concepts_test {

enum class size { small, large };
size tag_invoke(boost::json::value_to_tag<size>, const boost::json::value& jv) {
    return jv.as_string() == "large" ? size::large : size::small;
}

struct sku {
    std::string code;
};
boost::json::result<sku> tag_invoke(boost::json::try_value_to_tag<sku>,
                                    const boost::json::value& jv) {
    if (const auto* s = jv.if_string())
        return sku{std::string(*s)};
    return boost::json::make_error_code(boost::json::error::not_string);
}
boost::json::object tag_invoke(rv::json_schema_tag<sku>) {
    return {{"type", "string"}};
}

struct unconvertible {
    int x = 0;
};

struct line {
    std::int64_t product_id = 0;
};

struct order {
    int quantity = 0;
    std::optional<std::string> note;
    std::vector<std::string> tags;
    std::vector<line> lines;
    line first;
    size box = size::small;
    unconvertible raw;
    int method() const { return 0; }
};

struct other {
    int quantity = 0;
};

const auto line_schema = rv::schema<line>(rv::field(&line::product_id, "product_id"));

// Whether a declaration is accepted, as the user would write it.
template <class M>
concept declarable = requires(M order::*member) {
    rv::field(member, std::string("x"));
};
template <class M, class S>
concept declarable_nested = requires(M order::*member, S nested) {
    rv::field(member, std::string("x"), nested);
};
template <class T, class F>
concept schema_accepts = requires(F f) {
    rv::schema<T>(f);
};
template <class U>
concept itemizable = requires {
    rv::item<U>();
};
template <class F, class I>
concept each_accepts = requires(F f, I i) {
    std::move(f).each(i);
};

using quantity_field = decltype(rv::field(&order::quantity, "quantity"));
using other_field = decltype(rv::field(&other::quantity, "quantity"));
using tags_field = decltype(rv::field(&order::tags, "tags"));
using lines_field = decltype(rv::field(&order::lines, "lines"));
using string_item = decltype(rv::item<std::string>());
using int_item = decltype(rv::item<int>());

// builtin_value and json_convertible
static_assert(rv::builtin_value<bool> && rv::builtin_value<std::uint8_t> &&
              rv::builtin_value<double> && rv::builtin_value<rampart::decimal> &&
              rv::builtin_value<std::string>);
static_assert(!rv::builtin_value<size> && !rv::builtin_value<std::optional<int>>);
static_assert(rv::json_convertible<size> && rv::json_convertible<sku>);
static_assert(!rv::json_convertible<int> && !rv::json_convertible<std::string>);
static_assert(!rv::json_convertible<std::optional<size>> &&
              !rv::json_convertible<std::vector<size>>);
static_assert(!rv::json_convertible<unconvertible> && !rv::json_convertible<line>);

// field_value
static_assert(rv::field_value<int> && rv::field_value<std::optional<std::string>>);
static_assert(rv::field_value<std::vector<line>> && rv::field_value<std::optional<sku>>);
static_assert(!rv::field_value<line> && !rv::field_value<unconvertible>);
static_assert(!rv::field_value<int*> && !rv::field_value<int() const>);

// write_schema, schema_for
static_assert(rv::write_schema<decltype(line_schema)>);
static_assert(rv::schema_for<decltype(line_schema), line>);
static_assert(!rv::schema_for<decltype(line_schema), order>);
static_assert(!rv::write_schema<line> && !rv::write_schema<quantity_field>);

// field_of, item_of
static_assert(rv::field_of<quantity_field, order> && !rv::field_of<quantity_field, other>);
static_assert(!rv::field_of<string_item, order> && !rv::field_of<int, order>);
static_assert(rv::item_of<string_item, std::string> && !rv::item_of<int_item, std::string>);
static_assert(!rv::item_of<quantity_field, int>);

// has_json_schema
static_assert(rv::has_json_schema<sku> && !rv::has_json_schema<size>);

// The declarations themselves.
static_assert(declarable<int> && declarable<std::optional<std::string>> && declarable<size>);
static_assert(declarable<std::vector<line>>);
static_assert(!declarable<line> && !declarable<unconvertible>);
static_assert(!declarable<int() const>); // a member function is not a field
static_assert(declarable_nested<line, decltype(line_schema)>);
static_assert(!declarable_nested<int, decltype(line_schema)>);
static_assert(!declarable_nested<unconvertible, decltype(line_schema)>);
static_assert(!declarable_nested<line, int>);
static_assert(schema_accepts<order, quantity_field> && !schema_accepts<order, other_field>);
static_assert(!schema_accepts<order, string_item> && !schema_accepts<order, int>);
static_assert(itemizable<std::string> && itemizable<sku> && !itemizable<unconvertible>);
static_assert(each_accepts<tags_field, string_item> && !each_accepts<tags_field, int_item>);
static_assert(each_accepts<lines_field, decltype(line_schema)>);
static_assert(!each_accepts<tags_field, decltype(line_schema)>);
static_assert(!each_accepts<quantity_field, int_item>); // not an array

} // namespace concepts_test

TEST_CASE("concepts: a schema built from accepted declarations runs", "[validation][concepts]") {
    using namespace concepts_test;
    auto s = rv::schema<order>(rv::field(&order::quantity, "quantity").min(1),
                               rv::field(&order::box, "box"),
                               rv::field(&order::lines, "lines").each(line_schema).optional(),
                               rv::field(&order::first, "first", line_schema).optional());
    auto o = s.parse(R"({"quantity": 2, "box": "large", "lines": [{"product_id": 4}]})");
    CHECK(o.quantity == 2);
    CHECK(o.box == size::large);
    REQUIRE(o.lines.size() == 1);
    CHECK(o.lines[0].product_id == 4);
    CHECK_THROWS_AS(s.parse(R"({"quantity": 0, "box": "large"})"), rampart::validation_error);
}
