// Issue 12: asynchronous field validators that report with the other fields, NUL in text,
// and RE2 patterns (linear time, any input length, compiled when the schema is built).

#include <rampart/validation.hpp>

#include "support.hpp"
#include "support/run.hpp"

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace rampart::validation;
using rampart::test::errors_json;
using rampart::test::field_errors_of;
using rampart::test::first_code;

namespace {

struct order_in {
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
};

// A product table answering after a trip through the executor, as a database would. `fail`
// makes every lookup throw it instead.
struct product_table {
    std::map<std::int64_t, int> stock{{3, 50}, {7, 3}};
    int lookups = 0;
    int stock_checks = 0;
    std::exception_ptr fail;

    boost::asio::awaitable<bool> exists(std::int64_t id) {
        ++lookups;
        co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                   boost::asio::use_awaitable);
        if (fail)
            std::rethrow_exception(fail);
        co_return stock.contains(id);
    }
};

auto make_order_schema(product_table& products) {
    return schema<order_in>(
               field(&order_in::product_id, "product_id")
                   .min(1)
                   .exists([&products](std::int64_t id) { return products.exists(id); }),
               field(&order_in::quantity, "quantity")
                   .min(1, "Quantity must be at least 1.")
                   .max(100, "Maximum order quantity is 100."),
               field(&order_in::shipping_address, "shipping_address").not_blank().max_length(500))
        .validate_with([&products](const order_in& o, rampart::field_errors& errors) {
            ++products.stock_checks; // needs a known product and a valid quantity
            if (o.quantity > products.stock.at(o.product_id))
                errors.add("quantity", "Insufficient stock for this product.",
                           "insufficient_stock");
        });
}

template <class Schema>
order_in validate(const Schema& s, const boost::json::value& body) {
    return rampart::test::run(s.validate_async(body));
}

} // namespace

TEST_CASE("async field validator: runs when another field fails, one answer for all fields",
          "[validation][async]") {
    product_table products;
    const auto order_schema = make_order_schema(products);
    const boost::json::value body =
        boost::json::parse(R"({"product_id": 9999, "quantity": 0, "shipping_address": ""})");
    auto e = field_errors_of([&] { validate(order_schema, body); });
    CHECK(boost::json::serialize(e.to_json()) ==
          R"({"quantity":["Quantity must be at least 1."],)"
          R"("shipping_address":["This field may not be blank."],)"
          R"("product_id":["Invalid pk \"9999\" - object does not exist."]})");
    CHECK(first_code(e, "product_id") == "does_not_exist");
    CHECK(products.lookups == 1);
    CHECK(products.stock_checks == 0); // object validators only when every field passed

    // Only the lookup fails: the object validator still does not run.
    CHECK(errors_json([&] {
              validate(order_schema, boost::json::parse(R"({"product_id": 9999, "quantity": 1,
                                                            "shipping_address": "a"})"));
          }) == R"({"product_id":["Invalid pk \"9999\" - object does not exist."]})");
    CHECK(products.stock_checks == 0);

    // A known product with another field failing: no product_id error, and the lookup ran.
    CHECK(errors_json([&] {
              validate(order_schema, boost::json::parse(R"({"product_id": 3, "quantity": 0,
                                                            "shipping_address": "a"})"));
          }) == R"({"quantity":["Quantity must be at least 1."]})");
    CHECK(products.lookups == 3);

    // Everything valid: the object validator runs after the field's lookup.
    CHECK(validate(order_schema, boost::json::parse(R"({"product_id": 7, "quantity": 3,
                                                        "shipping_address": "a"})"))
              .quantity == 3);
    CHECK(products.stock_checks == 1);
    CHECK(errors_json([&] {
              validate(order_schema, boost::json::parse(R"({"product_id": 7, "quantity": 4,
                                                            "shipping_address": "a"})"));
          }) == R"({"quantity":["Insufficient stock for this product."]})");
}

TEST_CASE("async field validator: not run when the field's own rules or type failed",
          "[validation][async]") {
    product_table products;
    const auto order_schema = make_order_schema(products);
    for (const char* wrong : {"-5", "0", R"("3")", "null", "2.5"}) {
        INFO(wrong);
        auto e = field_errors_of([&] {
            validate(order_schema,
                     boost::json::parse(std::string(R"({"quantity": 1, "shipping_address": "a",
                                                        "product_id": )") +
                                        wrong + "}"));
        });
        CHECK(e.messages("product_id").size() == 1);
    }
    // Absent: "required", and no lookup either.
    CHECK(errors_json([&] {
              validate(order_schema,
                       boost::json::parse(R"({"quantity": 1, "shipping_address": "a"})"));
          }) == R"({"product_id":["This field is required."]})");
    CHECK(products.lookups == 0);
}

namespace {

struct pair_in {
    std::int64_t a = 0;
    std::int64_t b = 0;
};

} // namespace

TEST_CASE("async field validators run one at a time, in declaration order", "[validation][async]") {
    std::vector<std::string> trace;
    // Each validator suspends between its start and its end: interleaving would show.
    auto traced = [&trace](std::string name, bool ok) {
        return [&trace, name, ok](std::int64_t) -> boost::asio::awaitable<check_result> {
            trace.push_back("start " + name);
            co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                       boost::asio::use_awaitable);
            trace.push_back("end " + name);
            if (ok)
                co_return std::nullopt;
            co_return "bad " + name;
        };
    };
    const auto s = schema<pair_in>(field(&pair_in::a, "a")
                                       .validate_async(traced("a1", false))
                                       .validate_async(traced("a2", false)),
                                   field(&pair_in::b, "b").validate_async(traced("b", true)));
    CHECK(errors_json([&] {
              rampart::test::run(s.validate_async(boost::json::parse(R"({"b": 1, "a": 2})")));
          }) == R"({"a":["bad a1","bad a2"]})");
    CHECK(trace ==
          std::vector<std::string>{"start a1", "end a1", "start a2", "end a2", "start b", "end b"});
}

TEST_CASE("async field validator: an exception is a 500 without its text, or a 503, nothing after "
          "it runs",
          "[validation][async]") {
    product_table products;
    const auto order_schema = make_order_schema(products);
    int commits = 0;
    std::vector<std::string> logged;
    auto app = rampart::stack(rampart::error_envelope<>{
                                  {},
                                  [&logged](std::exception_ptr e, const rampart::context&) {
                                      try {
                                          std::rethrow_exception(e);
                                      } catch (const std::exception& x) {
                                          logged.emplace_back(x.what());
                                      }
                                  }})
                   .wrap([&](rampart::context& ctx) -> boost::asio::awaitable<rampart::response> {
                       order_in o = co_await read(ctx, order_schema);
                       ++commits; // what the shop's transaction would do
                       co_return rampart::json_response(rampart::http::status::created,
                                                        {{"quantity", o.quantity}});
                   });
    auto post = [&](std::string body) {
        return rampart::test::call(
            app, rampart::test::make_request(rampart::http::verb::post, "/orders/", body));
    };
    // Another field fails too: the exception still wins, not a partial 400.
    const std::string body = R"({"product_id": 3, "quantity": 0, "shipping_address": "a"})";

    products.fail = std::make_exception_ptr(std::runtime_error("sqlite: disk I/O error at /srv"));
    auto res = post(body);
    CHECK(res.result_int() == 500);
    CHECK(res.body().find("sqlite") == std::string::npos);
    CHECK(res.body().find("/srv") == std::string::npos);
    CHECK(logged == std::vector<std::string>{"sqlite: disk I/O error at /srv"});

    products.fail = std::make_exception_ptr(rampart::service_unavailable{});
    res = post(body);
    CHECK(res.result_int() == 503);
    CHECK(boost::json::parse(res.body()).at("code") == 503);
    CHECK(logged.size() == 1); // an outage is logged once, by the store, not per request
    CHECK(products.stock_checks == 0);
    CHECK(commits == 0);

    products.fail = nullptr;
    CHECK(post(R"({"product_id": 3, "quantity": 1, "shipping_address": "a"})").result_int() == 201);
    CHECK(commits == 1);
}

TEST_CASE("exists(): codes, messages and string fields", "[validation][async]") {
    struct slug_in {
        std::string slug;
    };
    auto known = [](const std::string& s) -> boost::asio::awaitable<bool> {
        co_return s == "known";
    };
    const auto s = schema<slug_in>(field(&slug_in::slug, "slug")
                                       .max_length(20)
                                       .exists(known, "No such category.", "unknown_category"));
    CHECK(rampart::test::run(s.validate_async(boost::json::parse(R"({"slug": "known"})"))).slug ==
          "known");
    auto e = field_errors_of(
        [&] { rampart::test::run(s.validate_async(boost::json::parse(R"({"slug": "other"})"))); });
    CHECK(e.messages("slug").front().message == "No such category.");
    CHECK(first_code(e, "slug") == "unknown_category");
    // A string field never echoes the client's text.
    CHECK_THROWS_AS(field(&slug_in::slug, "slug").exists(known, "No \"{value}\"."),
                    std::invalid_argument);
}

// ---- NUL and other control characters ---------------------------------------------------------

namespace {

struct note {
    std::string title;
    std::string raw;
    std::vector<std::string> tags;
};

const auto note_schema =
    schema<note>(field(&note::title, "title").not_blank().max_length(10),
                 field(&note::raw, "raw").allow_null_characters().optional(),
                 field(&note::tags, "tags").each(item<std::string>()).optional());

} // namespace

TEST_CASE("NUL in a text field is refused unless the field allows it", "[validation][nul]") {
    for (const char* body :
         {R"({"title": "a\u0000b"})", R"({"title": "\u0000"})", R"({"title": "ab\u0000"})"}) {
        INFO(body);
        auto e = field_errors_of([&] { note_schema.parse(body); });
        REQUIRE(e.messages("title").size() == 1);
        CHECK(e.messages("title").front().message == "Null characters are not allowed.");
        CHECK(first_code(e, "title") == "null_characters_not_allowed");
    }
    // With the other rules' errors, in one list.
    auto e = field_errors_of([&] { note_schema.parse(R"({"title": "\u0000123456789012"})"); });
    CHECK(e.messages("title").size() == 2);
    // Array items and values built in code too.
    CHECK(errors_json([] { note_schema.parse(R"({"title": "a", "tags": ["ok", "b\u0000"]})"); }) ==
          R"({"tags":{"1":["Null characters are not allowed."]}})");
    boost::json::value built = {{"title", std::string("a\0b", 3)}};
    CHECK(field_errors_of([&] { note_schema.validate(built); }).contains("title"));
    // The opt-out keeps the bytes as sent.
    note n = note_schema.parse(R"({"title": "t", "raw": "a\u0000b"})");
    CHECK(n.raw == std::string("a\0b", 3));
}

TEST_CASE("other control characters are accepted (as DRF does)", "[validation][nul]") {
    note n = note_schema.parse(R"({"title": "a\u0001\u001f\u007fb", "tags": ["\t"]})");
    CHECK(n.title == "a\x01\x1f\x7f"
                     "b");
    CHECK(n.tags[0] == "\t");
}

TEST_CASE("NUL in keys: never a declared field, not echoed", "[validation][nul]") {
    // "title\u0000" is not "title": ignored by default, so "title" is missing.
    CHECK(errors_json([] { note_schema.parse(R"({"title\u0000": "x"})"); }) ==
          R"({"title":["This field is required."]})");
    CHECK(note_schema.parse(R"({"title\u0000x": "x", "title": "ok"})").title == "ok");
    // Reported unknown keys come back without control characters.
    struct one {
        std::string a;
    };
    const auto strict = schema<one>(field(&one::a, "a").optional()).reject_unknown();
    auto e = field_errors_of([&] { strict.parse(R"({"a\u0000b": 1, "c\nd": 2})"); });
    CHECK(boost::json::serialize(e.to_json()) == "{\"a\xEF\xBF\xBD"
                                                 "b\":[\"Unknown field.\"],\"c\xEF\xBF\xBD"
                                                 "d\":[\"Unknown field.\"]}");
}

// ---- RE2 patterns -------------------------------------------------------------------------------

namespace {

struct coded {
    std::string code;
};

} // namespace

TEST_CASE("pattern: RE2 on 1 MB with a pathological pattern completes and answers",
          "[validation][pattern]") {
    const auto s = schema<coded>(field(&coded::code, "code").pattern("(a+)+$"));
    std::string long_a(1 << 20, 'a');
    // std::regex backtracks exponentially on this (and recursed past the stack at ~10 KB).
    boost::json::value no = {{"code", long_a + "!"}};
    auto e = field_errors_of([&] { s.validate(no); });
    CHECK(first_code(e, "code") == "pattern");
    boost::json::value yes = {{"code", "!" + long_a}};
    CHECK(s.validate(yes).code.size() == long_a.size() + 1);
    // No input cap any more: 1 MB matching a simple anchored pattern passes.
    const auto digits = schema<coded>(field(&coded::code, "code").pattern("^[0-9]+$"));
    boost::json::value many = {{"code", std::string(1 << 20, '7')}};
    CHECK(digits.validate(many).code.size() == (1u << 20));
}

TEST_CASE("pattern: search semantics, UTF-8, compiled at construction", "[validation][pattern]") {
    // Search, as JSON Schema's pattern: unanchored patterns match anywhere.
    const auto any_digit = schema<coded>(field(&coded::code, "code").pattern("[0-9]"));
    CHECK(any_digit.parse(R"({"code": "ab1cd"})").code == "ab1cd");
    CHECK(field_errors_of([&] { any_digit.parse(R"({"code": "abcd"})"); }).contains("code"));
    // Anchored: the whole value.
    const auto whole = schema<coded>(field(&coded::code, "code").pattern("^[a-z]{2}$", "Two."));
    CHECK(errors_json([&] { whole.parse(R"({"code": "abc"})"); }) == R"({"code":["Two."]})");
    // UTF-8 mode: `.` is one code point.
    const auto three = schema<coded>(field(&coded::code, "code").pattern("^.{3}$"));
    CHECK(three.parse(R"({"code": "日本語"})").code == "日本語");
    CHECK(field_errors_of([&] { three.parse(R"({"code": "日本"})"); }).contains("code"));
    // The JSON Schema document still carries the pattern.
    CHECK(json_schema(whole).at("properties").at("code").at("pattern") == "^[a-z]{2}$");
}

TEST_CASE("pattern: an invalid pattern throws when the schema is built", "[validation][pattern]") {
    // Syntax errors, and what RE2 does not support (backreferences, look-around).
    for (const char* bad : {"(a", "[z-a]", "a**", "(a)\\1", "(?=a)b", "(?<!a)b"}) {
        INFO(bad);
        CHECK_THROWS_AS(field(&coded::code, "code").pattern(bad), std::invalid_argument);
    }
    try {
        (void)schema<coded>(field(&coded::code, "code").pattern("(a"));
        FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("(a") != std::string::npos);
    }
}
