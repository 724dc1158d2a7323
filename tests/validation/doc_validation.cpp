// Every example of docs/validation.md, compiled and run (tests/check_docs.py checks that each
// ```cpp block of the page stands here verbatim).

#include <rampart/validation.hpp>

#include "support/run.hpp"

#include <rampart/core/response.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace docs {

using namespace rampart::validation;

/// Stands in for the shop's SQLite store: every lookup suspends like a database call.
struct product_store {
    std::map<std::int64_t, int> stock{{3, 50}, {7, 3}};
    asio::awaitable<std::optional<int>> stock_of(std::int64_t id) {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        auto it = stock.find(id);
        co_return it == stock.end() ? std::nullopt : std::optional<int>(it->second);
    }
};

// [doc:struct]
struct order_in {
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
};
// [end]

// [doc:schema]
auto make_order_schema(product_store& products) {
    return schema<order_in>(
               field(&order_in::product_id, "product_id")
                   .min(1)
                   .exists([&products](std::int64_t id) -> asio::awaitable<bool> {
                       std::optional<int> stock = co_await products.stock_of(id);
                       co_return stock.has_value();
                   }),
               field(&order_in::quantity, "quantity")
                   .min(1, "Quantity must be at least 1.")
                   .max(100, "Maximum order quantity is 100."),
               field(&order_in::shipping_address, "shipping_address").not_blank().max_length(500))
        .validate_with(
            [&products](const order_in& o, rampart::field_errors& errors) -> asio::awaitable<void> {
                std::optional<int> stock = co_await products.stock_of(o.product_id);
                if (stock && o.quantity > *stock)
                    errors.add("quantity", "Insufficient stock for this product.",
                               "insufficient_stock");
            });
}
// [end]

// [doc:rules]
struct address {
    std::string street;
    std::optional<std::string> zip; // nullable: JSON null becomes nullopt
};

struct customer {
    std::string email;
    std::string website;
    std::string plan = "free";
    rampart::decimal credit;
    std::vector<std::string> tags;
    std::vector<address> addresses;
    std::optional<address> billing;
};

const auto address_schema =
    schema<address>(field(&address::street, "street").not_blank().max_length(200),
                    field(&address::zip, "zip").pattern("^[0-9]{5}$", "Five digits.").optional())
        .reject_unknown();

const auto customer_schema = schema<customer>(
    field(&customer::email, "email").email(), field(&customer::website, "website").url().optional(),
    field(&customer::plan, "plan").one_of({"free", "pro"}).default_value("free"),
    field(&customer::credit, "credit").min("0").max("10000").places(2).optional(),
    field(&customer::tags, "tags").max_items(5).each(item<std::string>().max_length(20)).optional(),
    field(&customer::addresses, "addresses").min_items(1).each(address_schema),
    field(&customer::billing, "billing", address_schema).optional());
// [end]

// [doc:text]
struct upload {
    std::string name;
    std::string payload;
};

const auto upload_schema =
    schema<upload>(field(&upload::name, "name").pattern("^[a-z][a-z0-9_]*$").max_length(40),
                   field(&upload::payload, "payload").allow_null_characters());
// [end]

// [doc:validators]
check_result not_reserved(const std::string& name) {
    if (name == "admin")
        return "This username is reserved.";
    return std::nullopt;
}

struct signup {
    std::string username;
    std::string password;
    std::string password2;
};

const auto signup_schema =
    schema<signup>(field(&signup::username, "username").not_blank().validate(not_reserved),
                   field(&signup::password, "password").min_length(12),
                   field(&signup::password2, "password2"))
        .validate_with([](const signup& s, rampart::field_errors& errors) {
            if (s.password != s.password2)
                errors.add(non_field_errors, "The passwords do not match.");
        });
// [end]

// [doc:shapes]
struct product {
    std::int64_t id = 0;
    std::string name;
    rampart::decimal price;
    std::string currency = "USD";
    int stock = 0;
};

struct money {
    rampart::decimal amount;
    std::string currency;
};

const auto money_shape =
    shape<money>(out("amount", &money::amount), out("currency", &money::currency));

const auto product_v1 =
    shape<product>(out("id", &product::id), out("name", &product::name),
                   out("price", &product::price), out("stock", &product::stock));

const auto product_v2 = shape<product>(
    out("id", &product::id), out("name", &product::name),
    out(
        "price",
        [](const product& p) {
            return money{p.price, p.currency};
        },
        money_shape),
    out("stock", &product::stock), out("in_stock", [](const product& p) { return p.stock > 0; }));

const auto product_out = versions(version("v1", product_v1), version("v2", product_v2));
// [end]

} // namespace docs

using namespace docs;

TEST_CASE("docs: the order handler", "[validation][docs]") {
    product_store products;
    const auto order_schema = make_order_schema(products);
    // [doc:handler]
    auto create_order =
        [&order_schema](rampart::context& ctx) -> asio::awaitable<rampart::response> {
        order_in order = co_await rampart::validation::read(ctx, order_schema);
        // ... insert the order, decrement the stock, in one transaction ...
        co_return rampart::json_response(http::status::created,
                                         {{"product_id", order.product_id},
                                          {"quantity", order.quantity},
                                          {"shipping_address", order.shipping_address}});
    };
    // [end]
    auto req = rampart::test::make_request(
        http::verb::post, "/api/v1/orders/",
        R"({"product_id": 7, "quantity": 3, "shipping_address": "1 Main St"})");
    rampart::response res = rampart::test::call(create_order, req);
    CHECK(res.result() == http::status::created);
    CHECK(res.body() == R"({"product_id":7,"quantity":3,"shipping_address":"1 Main St"})");

    req.body() = R"({"product_id": 7, "quantity": 4, "shipping_address": "1 Main St"})";
    req.prepare_payload();
    rampart::context ctx{req};
    try {
        rampart::test::run(create_order(ctx));
        FAIL("expected a validation_error");
    } catch (const rampart::validation_error& e) {
        CHECK(boost::json::serialize(e.fields().to_json()) ==
              R"({"quantity":["Insufficient stock for this product."]})");
    }
}

TEST_CASE("docs: errors for every failing field", "[validation][docs]") {
    product_store products;
    const auto order_schema = make_order_schema(products);
    // [doc:errors]
    try {
        rampart::test::run(order_schema.validate_async(
            parse_json(R"({"product_id": 9999, "quantity": 0, "shipping_address": ""})")));
        FAIL("every field is wrong");
    } catch (const rampart::validation_error& e) {
        CHECK(boost::json::serialize(e.fields().to_json()) ==
              R"({"quantity":["Quantity must be at least 1."],)"
              R"("shipping_address":["This field may not be blank."],)"
              R"("product_id":["Invalid pk \"9999\" - object does not exist."]})");
        CHECK(e.fields().messages("product_id")[0].code == "does_not_exist");
    }
    // [end]
}

TEST_CASE("docs: rules, nesting and arrays", "[validation][docs]") {
    // [doc:rules-use]
    customer c = customer_schema.parse(R"({
        "email": "ada@example.com", "credit": 12.5, "tags": ["early"],
        "addresses": [{"street": "1 Main St", "zip": null}]})");
    CHECK(c.plan == "free");
    CHECK(c.credit.to_string() == "12.50");
    CHECK(!c.addresses[0].zip);

    try {
        customer_schema.parse(R"({"email": "ada@", "plan": "gold",
            "addresses": [{"street": "1 Main St"}, {"street": "", "zip": "1234", "x": 1}]})");
        FAIL("the body is invalid");
    } catch (const rampart::validation_error& e) {
        CHECK(boost::json::serialize(e.fields().to_json()) ==
              R"({"email":["Enter a valid email address."],)"
              R"("plan":["Must be one of: free, pro."],)"
              R"("addresses":{"1":{"street":["This field may not be blank."],)"
              R"("zip":["Five digits."],"x":["Unknown field."]}}})");
    }
    // [end]
}

TEST_CASE("docs: NUL and patterns", "[validation][docs]") {
    // [doc:text-use]
    CHECK(upload_schema.parse(R"({"name": "report_1", "payload": "a\u0000b"})").payload.size() ==
          3);
    try {
        upload_schema.parse(R"({"name": "report\u0000", "payload": ""})");
        FAIL("NUL in a field that does not allow it");
    } catch (const rampart::validation_error& e) {
        CHECK(e.fields().messages("name")[0].code == "null_characters_not_allowed");
    }
    CHECK_THROWS_AS(field(&upload::name, "name").pattern("(a)\\1"), std::invalid_argument);
    // [end]
}

TEST_CASE("docs: field and object validators", "[validation][docs]") {
    CHECK_THROWS_AS(signup_schema.parse(R"({"username": "admin", "password": "correct horse",
                                            "password2": "correct horse"})"),
                    rampart::validation_error);
    try {
        signup_schema.parse(R"({"username": "ada", "password": "correct horse",
                                "password2": "battery staple"})");
        FAIL("expected a validation_error");
    } catch (const rampart::validation_error& e) {
        CHECK(boost::json::serialize(e.fields().to_json()) ==
              R"({"non_field_errors":["The passwords do not match."]})");
    }
}

TEST_CASE("docs: read shapes and decimals", "[validation][docs]") {
    // [doc:shapes-use]
    product p{1, "Product 1", rampart::decimal::from_string("1.25"), "USD", 50};
    CHECK(boost::json::serialize(product_out.render("v1", p)) ==
          R"({"id":1,"name":"Product 1","price":"1.25","stock":50})");
    CHECK(boost::json::serialize(product_out.render("v2", p)) ==
          R"({"id":1,"name":"Product 1","price":{"amount":"1.25","currency":"USD"},)"
          R"("stock":50,"in_stock":true})");
    // [end]

    // [doc:decimal]
    rampart::decimal price = rampart::decimal::from_string("1.25");
    CHECK((price * 60).to_string() == "75.00");
    CHECK(rampart::decimal::parse("0.1")->units() == 1);
    CHECK(!rampart::decimal::parse("1e3"));       // strings: no exponent
    CHECK(rampart::decimal::parse("1e3", true));  // JSON numbers may have one
    CHECK(price.rounded(1).to_string() == "1.3"); // halves away from zero
    // [end]
}

TEST_CASE("docs: JSON Schema", "[validation][docs]") {
    product_store products;
    const auto order_schema = make_order_schema(products);
    // [doc:json-schema]
    boost::json::object order_doc = json_schema(order_schema);
    CHECK(order_doc["properties"].at("quantity") ==
          boost::json::parse(R"({"type": "integer", "minimum": 1, "maximum": 100})"));
    boost::json::object product_docs = product_out.json_schemas(); // {"v1": ..., "v2": ...}
    CHECK(product_docs.at("v2").at("required").as_array().size() == 5);
    // [end]
}
