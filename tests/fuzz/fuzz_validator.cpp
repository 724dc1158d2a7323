// libFuzzer target: strict parsing and validation of the shop's order body, plus a schema with
// every rule kind (nesting, arrays, decimals, RE2 patterns, formats, NUL). Any input must end
// as a value or as an http_error; nothing else may escape, crash or trip a sanitizer.
// (Asynchronous validators are not run here: clang 14 cannot build coroutines with
// -fsanitize=function, see tests/fuzz/CMakeLists.txt; they share all binding code with these.)

#include <rampart/validation.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace rampart::validation;

struct order_in {
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
};

struct address {
    std::string city;
    std::optional<std::string> zip;
};

struct everything {
    std::vector<address> addresses;
    std::optional<rampart::decimal> price;
    std::vector<std::uint8_t> levels;
    std::string email;
    std::string url;
    std::string code;
    std::string raw;
    double ratio = 0;
    bool flag = false;
};

const auto order_schema = schema<order_in>(
    field(&order_in::product_id, "product_id").min(1),
    field(&order_in::quantity, "quantity")
        .min(1, "Quantity must be at least 1.")
        .max(100, "Maximum order quantity is 100."),
    field(&order_in::shipping_address, "shipping_address").not_blank().max_length(500));

const auto address_schema =
    schema<address>(field(&address::city, "city").not_blank().max_length(50),
                    field(&address::zip, "zip").pattern("^[0-9]{5}(-[0-9]{4})?$").optional())
        .reject_unknown();

const auto everything_schema = schema<everything>(
    field(&everything::addresses, "addresses").max_items(8).each(address_schema).optional(),
    field(&everything::price, "price").min("0").max("100000").places(2).optional(),
    field(&everything::levels, "levels").each(item<std::uint8_t>().one_of({1, 2, 3})).optional(),
    field(&everything::email, "email").email().optional(),
    field(&everything::url, "url").url().optional(),
    // A pattern std::regex needed exponential time (and deep recursion) for: RE2 is linear.
    field(&everything::code, "code").pattern("^(a+)+$").optional(),
    field(&everything::raw, "raw").allow_null_characters().max_length(100).optional(),
    field(&everything::ratio, "ratio").min(0.0).max(1.0).optional(),
    field(&everything::flag, "flag").optional());

template <class Schema>
void exercise(const Schema& s, std::string_view body) {
    try {
        auto value = s.parse(body, parse_limits{64 * 1024, 32});
        (void)value;
    } catch (const rampart::http_error& e) {
        // Rendering the errors must work for whatever was found.
        auto json = e.fields().to_json();
        (void)json;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    exercise(order_schema, body);
    exercise(everything_schema, body);
    (void)is_json_media_type(body.substr(0, 128));
    (void)rampart::decimal::parse(body.substr(0, 64), true);
    return 0;
}
