#include <rampart/validation/read.hpp>

#include "support.hpp"
#include "support/run.hpp"

#include <rampart/errors/envelope.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <map>
#include <string>

using namespace rampart::validation;
using rampart::test::errors_json;
using rampart::test::field_errors_of;

namespace {

// The shop's order body (spec: Orders).
struct order_in {
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
};

// A product table the validators look up asynchronously: each lookup suspends and resumes
// through the executor, as a database call would.
struct product_table {
    std::map<std::int64_t, int> stock{{1, 50}, {3, 50}, {7, 3}, {8, 0}};
    int lookups = 0;

    boost::asio::awaitable<std::optional<int>> stock_of(std::int64_t id) {
        ++lookups;
        co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                   boost::asio::use_awaitable);
        auto it = stock.find(id);
        co_return it == stock.end() ? std::nullopt : std::optional<int>(it->second);
    }
};

auto make_order_schema(product_table& products) {
    return schema<order_in>(
               field(&order_in::product_id, "product_id")
                   .min(1)
                   .validate([&products](std::int64_t id) -> boost::asio::awaitable<check_result> {
                       if (!co_await products.stock_of(id))
                           co_return "Invalid pk \"" + std::to_string(id) +
                               "\" - object does not exist.";
                       co_return std::nullopt;
                   }),
               field(&order_in::quantity, "quantity")
                   .min(1, "Quantity must be at least 1.")
                   .max(100, "Maximum order quantity is 100."),
               field(&order_in::shipping_address, "shipping_address").not_blank().max_length(500))
        .validate_with([&products](const order_in& o,
                                   rampart::field_errors& errors) -> boost::asio::awaitable<void> {
            auto stock = co_await products.stock_of(o.product_id);
            if (stock && o.quantity > *stock)
                errors.add("quantity", "Insufficient stock for this product.");
        });
}

rampart::request json_post(std::string body, std::string content_type = "application/json") {
    rampart::request req{rampart::http::verb::post, "/api/v1/orders/", 11};
    if (!content_type.empty())
        req.set(rampart::http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

template <class Schema>
order_in read_order(const Schema& s, rampart::request req, read_options options = {}) {
    rampart::context ctx{std::move(req)};
    return rampart::test::run(read(ctx, s, options));
}

/// The response the default envelope renders for what reading `req` throws.
template <class Schema>
rampart::response rendered(const Schema& s, rampart::request req) {
    rampart::context ctx{std::move(req)};
    try {
        rampart::test::run(read(ctx, s));
    } catch (...) {
        return ctx.render_error(std::current_exception());
    }
    FAIL("expected an error");
    return {};
}

} // namespace

TEST_CASE("shop order: a valid body becomes the struct", "[validation][shop]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    auto o = read_order(order_schema, json_post(R"({"product_id": 3, "quantity": 2,
                                      "shipping_address": "1 Main St, Springfield"})"));
    CHECK(o.product_id == 3);
    CHECK(o.quantity == 2);
    CHECK(o.shipping_address == "1 Main St, Springfield");
    CHECK(products.lookups == 2); // the product_id validator, then the stock check
    // Unknown extra fields are ignored.
    o = read_order(order_schema, json_post(R"({"product_id": 7, "quantity": 3, "gift": true,
                                                "shipping_address": "x", "note": {"a": [1]}})"));
    CHECK(o.quantity == 3);
}

TEST_CASE("shop order: each validation message of the spec", "[validation][shop]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    auto errors = [&](std::string body) {
        return errors_json([&] { read_order(order_schema, json_post(std::move(body))); });
    };
    CHECK(errors(R"({"product_id": 3, "quantity": 0, "shipping_address": "a"})") ==
          R"({"quantity":["Quantity must be at least 1."]})");
    CHECK(errors(R"({"product_id": 3, "quantity": -5, "shipping_address": "a"})") ==
          R"({"quantity":["Quantity must be at least 1."]})");
    CHECK(errors(R"({"product_id": 3, "quantity": 101, "shipping_address": "a"})") ==
          R"({"quantity":["Maximum order quantity is 100."]})");
    CHECK(errors(R"({"product_id": 7, "quantity": 4, "shipping_address": "a"})") ==
          R"({"quantity":["Insufficient stock for this product."]})");
    CHECK(errors(R"({"product_id": 8, "quantity": 1, "shipping_address": "a"})") ==
          R"({"quantity":["Insufficient stock for this product."]})");
    CHECK(errors(R"({"product_id": 999, "quantity": 1, "shipping_address": "a"})") ==
          R"({"product_id":["Invalid pk \"999\" - object does not exist."]})");
    CHECK(errors(R"({"product_id": 3, "quantity": 1, "shipping_address": "   "})") ==
          R"({"shipping_address":["This field may not be blank."]})");
    CHECK(errors(R"({"product_id": 3, "quantity": 1, "shipping_address": ")" +
                 std::string(501, 'a') + "\"}") ==
          R"({"shipping_address":["Ensure this field has no more than 500 characters."]})");
    // 500 characters of 2 bytes each (1000 bytes) is still 500 characters.
    std::string wide;
    for (int i = 0; i < 500; ++i)
        wide += "é";
    CHECK(read_order(
              order_schema,
              json_post(R"({"product_id": 3, "quantity": 1, "shipping_address": ")" + wide + "\"}"))
              .shipping_address == wide);
    CHECK(errors("{}") == R"({"product_id":["This field is required."],)"
                          R"("quantity":["This field is required."],)"
                          R"("shipping_address":["This field is required."]})");
    CHECK(errors(R"({"product_id": null, "quantity": null, "shipping_address": null})") ==
          R"({"product_id":["This field may not be null."],)"
          R"("quantity":["This field may not be null."],)"
          R"("shipping_address":["This field may not be null."]})");
    for (const char* wrong : {R"("2")", "2.5", "true", "2.0", "[2]", "{}"}) {
        INFO(wrong);
        CHECK(errors(std::string(R"({"product_id": 3, "shipping_address": "a", "quantity": )") +
                     wrong + "}") == R"({"quantity":["A valid integer is required."]})");
    }
    CHECK(errors(R"({"product_id": 3, "quantity": 1, "shipping_address": 5})") ==
          R"({"shipping_address":["Not a valid string."]})");
}

TEST_CASE("shop order: all failing fields at once, async checks only on valid values",
          "[validation][shop]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    CHECK(errors_json([&] {
              read_order(
                  order_schema,
                  json_post(R"({"product_id": "3", "quantity": 0, "shipping_address": ""})"));
          }) == R"({"product_id":["A valid integer is required."],)"
                R"("quantity":["Quantity must be at least 1."],)"
                R"("shipping_address":["This field may not be blank."]})");
    CHECK(products.lookups == 0);
    // The field's async validator runs; the stock check does not (a field failed).
    CHECK(errors_json([&] {
              read_order(
                  order_schema,
                  json_post(R"({"product_id": 999, "quantity": 0, "shipping_address": "a"})"));
          }) == R"({"quantity":["Quantity must be at least 1."],)"
                R"("product_id":["Invalid pk \"999\" - object does not exist."]})");
    CHECK(products.lookups == 1);
}

TEST_CASE("read: the body's media type must be JSON (415)", "[validation][read]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    const std::string body = R"({"product_id": 3, "quantity": 2, "shipping_address": "a"})";
    for (const char* ok : {"application/json", "application/json; charset=utf-8",
                           "Application/JSON;Charset=\"UTF-8\"", "application/merge-patch+json",
                           "application/vnd.shop.v1+json ; q=1", "application/json;charset=utf8"}) {
        INFO(ok);
        CHECK(read_order(order_schema, json_post(body, ok)).quantity == 2);
    }
    for (const char* bad :
         {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
          "application/jsonx", "application/+json", "text/json", "application/json; charset=latin1",
          "application/xml", "json"}) {
        INFO(bad);
        try {
            read_order(order_schema, json_post(body, bad));
            FAIL("expected 415");
        } catch (const rampart::unsupported_media_type& e) {
            CHECK(e.status_code() == 415);
        }
    }
    // No Content-Type and no body: still 415 (this endpoint reads JSON).
    CHECK_THROWS_AS(read_order(order_schema, json_post("", "")), rampart::unsupported_media_type);
}

TEST_CASE("read: size, syntax and shape of the body before validation", "[validation][read]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    std::string big = R"({"product_id": 3, "quantity": 2, "shipping_address": ")" +
                      std::string(64 * 1024, 'a') + "\"}";
    CHECK_THROWS_AS(read_order(order_schema, json_post(big)), rampart::payload_too_large);
    std::string just_fits = R"({"product_id": 3, "quantity": 2, "shipping_address": "a", "p": ")";
    just_fits += std::string(64 * 1024 - just_fits.size() - 2, 'x') + "\"}";
    REQUIRE(just_fits.size() == 64 * 1024);
    CHECK(read_order(order_schema, json_post(just_fits)).quantity == 2);
    CHECK_THROWS_AS(read_order(order_schema, json_post(just_fits), read_options{1000, 32}),
                    rampart::payload_too_large);
    int lookups_before = products.lookups;
    for (const char* bad : {"", "{", "not json", R"({"quantity": 1,})", "[1, 2]", "\"text\"", "42",
                            "null", R"({"quantity": 1, "quantity": 2})"}) {
        INFO(bad);
        try {
            read_order(order_schema, json_post(bad));
            FAIL("expected a parse_error");
        } catch (const rampart::parse_error& e) {
            CHECK(e.status_code() == 400);
            CHECK(!e.detail().empty());
        }
    }
    CHECK(products.lookups == lookups_before);
}

TEST_CASE("read: errors render in the envelope", "[validation][read]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    auto res = rendered(order_schema, json_post(R"({"product_id": 3, "quantity": 0,
                                                    "shipping_address": "a"})"));
    CHECK(res.result_int() == 400);
    CHECK(
        res.body() ==
        R"({"status":"error","code":400,"errors":{"quantity":["Quantity must be at least 1."]}})");
    res = rendered(order_schema, json_post("[1]"));
    CHECK(res.result_int() == 400);
    CHECK(res.body() == R"({"status":"error","code":400,"errors":{"detail":)"
                        R"("Expected a JSON object in the request body."}})");
    res = rendered(order_schema, json_post("{}", "text/plain"));
    CHECK(res.result_int() == 415);
    res = rendered(order_schema, json_post(std::string(70000, ' ')));
    CHECK(res.result_int() == 413);
}

namespace {
struct note_in {
    std::string text;
};
const auto note_schema = schema<note_in>(field(&note_in::text, "text").max_length(5));
} // namespace

TEST_CASE("read: a schema without async validators", "[validation][read]") {
    rampart::context ctx{json_post(R"({"text": "hi"})")};
    CHECK(rampart::test::run(read(ctx, note_schema)).text == "hi");
    rampart::context bad{json_post(R"({"text": "too long"})")};
    CHECK(errors_json([&] { rampart::test::run(read(bad, note_schema)); }) ==
          R"({"text":["Ensure this field has no more than 5 characters."]})");
}

TEST_CASE("validate_async on a JSON value", "[validation]") {
    product_table products;
    auto order_schema = make_order_schema(products);
    boost::json::value jv = {{"product_id", 7}, {"quantity", 3}, {"shipping_address", "x"}};
    CHECK(rampart::test::run(order_schema.validate_async(jv)).quantity == 3);
    jv.as_object()["quantity"] = 4;
    CHECK(errors_json([&] { rampart::test::run(order_schema.validate_async(jv)); }) ==
          R"({"quantity":["Insufficient stock for this product."]})");
}
