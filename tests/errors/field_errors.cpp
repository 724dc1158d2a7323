#include <rampart/errors/field_errors.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace rampart;

TEST_CASE("field errors keep every message, in order, nested where nested") {
    field_errors errors;
    CHECK(errors.empty());
    errors.add("quantity", "Quantity must be at least 1.", "min_value");
    errors.add("quantity", "Another.");
    errors.nested("address").add("city", "This field is required.", "required");
    errors.nested("items").nested("0").add("sku", "Too long.", "max_length");

    CHECK_FALSE(errors.empty());
    CHECK(errors.contains("quantity"));
    CHECK(errors.contains("address"));
    CHECK_FALSE(errors.contains("missing"));
    CHECK(errors.messages("quantity").size() == 2);
    CHECK(errors.messages("quantity")[0].code == "min_value");
    CHECK(errors.to_json() == boost::json::parse(R"({
        "quantity": ["Quantity must be at least 1.", "Another."],
        "address": {"city": ["This field is required."]},
        "items": {"0": {"sku": ["Too long."]}}
    })"));
}

TEST_CASE("an empty nested object is not an error") {
    field_errors errors;
    errors.nested("address");
    CHECK(errors.empty());
    CHECK(errors.to_json().empty());
}

TEST_CASE("a field with its own messages and nested errors keeps both") {
    field_errors errors;
    errors.add("address", "Looks wrong.");
    errors.nested("address").add("zip", "Bad.");
    CHECK(errors.to_json() ==
          boost::json::parse(
              R"({"address": {"zip": ["Bad."], "non_field_errors": ["Looks wrong."]}})"));
}

TEST_CASE("merging and copying keep every error") {
    field_errors inner;
    inner.add("zip", "Bad.", "invalid");
    field_errors outer;
    outer.merge("address", inner);
    outer.merge("", inner);
    field_errors copy = outer;
    CHECK(copy.to_json() ==
          boost::json::parse(R"({"address": {"zip": ["Bad."]}, "zip": ["Bad."]})"));

    std::vector<std::string> paths;
    copy.for_each([&](const std::vector<std::string_view>& path, const error_detail& d) {
        std::string p;
        for (auto s : path)
            p += "/" + std::string(s);
        paths.push_back(p + ":" + d.code);
    });
    CHECK(paths == std::vector<std::string>{"/address/zip:invalid", "/zip:invalid"});
}
