#include <rampart/validation/shape.hpp>

#include <rampart/validation/schema.hpp>

#include <catch2/catch.hpp>

#include <boost/describe/class.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace rampart::validation;
using rampart::decimal;

namespace {

struct product {
    std::int64_t id = 0;
    std::string name;
    decimal price;
    std::string currency = "USD";
    int stock = 0;
    std::string supplier_secret = "never rendered";
};

struct money {
    decimal amount;
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

product sample(int n) {
    return product{n, "Product " + std::to_string(n), decimal::from_string("1.25") * n, "USD",
                   n == 8 ? 0 : 50};
}

std::string text(const boost::json::value& v) {
    return boost::json::serialize(v);
}

} // namespace

TEST_CASE("read shapes: the shop's v1 and v2 product", "[validation][shape]") {
    CHECK(text(product_out.render("v1", sample(1))) ==
          R"({"id":1,"name":"Product 1","price":"1.25","stock":50})");
    CHECK(text(product_out.render("v2", sample(1))) ==
          R"({"id":1,"name":"Product 1","price":{"amount":"1.25","currency":"USD"},)"
          R"("stock":50,"in_stock":true})");
    CHECK(text(product_out.render("v1", sample(60))) ==
          R"({"id":60,"name":"Product 60","price":"75.00","stock":50})");
    CHECK(text(product_out.render("v2", sample(8))) ==
          R"({"id":8,"name":"Product 8","price":{"amount":"10.00","currency":"USD"},)"
          R"("stock":0,"in_stock":false})");
    CHECK(product_out.has("v2"));
    CHECK(!product_out.has("v3"));
    CHECK_THROWS_AS(product_out.render("v3", sample(1)), std::out_of_range);
    std::vector<product> page{sample(1), sample(2)};
    CHECK(text(product_out.render_list("v1", page)) ==
          R"([{"id":1,"name":"Product 1","price":"1.25","stock":50},)"
          R"({"id":2,"name":"Product 2","price":"2.50","stock":50}])");
}

namespace {

struct order_row {
    std::int64_t id = 0;
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
    std::string status = "pending";
    std::chrono::system_clock::time_point created_at;
    std::optional<std::string> note;
    std::vector<std::string> tags;
    double weight = 0;
};

const auto order_out = shape<order_row>(
    out("id", &order_row::id), out("product_id", &order_row::product_id),
    out("quantity", &order_row::quantity), out("shipping_address", &order_row::shipping_address),
    out("status", &order_row::status), out("created_at", &order_row::created_at),
    out("note", &order_row::note), out("tags", &order_row::tags),
    out("weight", &order_row::weight));

} // namespace

TEST_CASE("read shapes: times, optionals, arrays", "[validation][shape]") {
    order_row o{5,
                3,
                2,
                "1 Main St",
                "pending",
                std::chrono::system_clock::time_point{std::chrono::seconds{1795791307}} +
                    std::chrono::milliseconds{999},
                std::nullopt,
                {"gift", "fragile"},
                1.5};
    CHECK(text(order_out.render(o)) ==
          R"({"id":5,"product_id":3,"quantity":2,"shipping_address":"1 Main St",)"
          R"("status":"pending","created_at":"2026-11-27T14:55:07Z","note":null,)"
          R"("tags":["gift","fragile"],"weight":1.5E0})");
    o.note = "ring twice";
    CHECK(order_out.render(o).at("note") == "ring twice");
}

TEST_CASE("JSON Schema of read shapes per version", "[validation][shape][json_schema]") {
    auto schemas = product_out.json_schemas();
    CHECK(schemas.at("v1") == boost::json::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "price": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
            "stock": {"type": "integer"}
        },
        "required": ["id", "name", "price", "stock"],
        "additionalProperties": false
    })"));
    CHECK(schemas.at("v2") == boost::json::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "price": {"type": "object",
                      "properties": {"amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
                                     "currency": {"type": "string"}},
                      "required": ["amount", "currency"], "additionalProperties": false},
            "stock": {"type": "integer"},
            "in_stock": {"type": "boolean"}
        },
        "required": ["id", "name", "price", "stock", "in_stock"],
        "additionalProperties": false
    })"));
    CHECK(json_schema(order_out).at("properties") == boost::json::parse(R"({
        "id": {"type": "integer"}, "product_id": {"type": "integer"},
        "quantity": {"type": "integer"}, "shipping_address": {"type": "string"},
        "status": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
        "note": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "weight": {"type": "number"}
    })"));
}

namespace {

struct order_in {
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
};

const auto order_schema = schema<order_in>(
    field(&order_in::product_id, "product_id").min(1),
    field(&order_in::quantity, "quantity")
        .min(1, "Quantity must be at least 1.")
        .max(100, "Maximum order quantity is 100."),
    field(&order_in::shipping_address, "shipping_address").not_blank().max_length(500));

struct address {
    std::string city;
    std::optional<std::string> zip;
};
struct profile {
    std::string email;
    std::string website;
    std::optional<int> age;
    std::string role = "user";
    std::vector<address> addresses;
    std::optional<address> billing;
    decimal credit;
    std::uint8_t level = 0;
    bool active = true;
    double score = 0;
    std::vector<std::string> tags;
};

const auto address_schema =
    schema<address>(field(&address::city, "city").min_length(2),
                    field(&address::zip, "zip").pattern("^[0-9]{5}$").optional())
        .reject_unknown();

const auto profile_schema =
    schema<profile>(
        field(&profile::email, "email").email(),
        field(&profile::website, "website").url().optional(),
        field(&profile::age, "age").min(0).max(150),
        field(&profile::role, "role").one_of({"user", "admin"}).default_value("user"),
        field(&profile::addresses, "addresses").min_items(1).max_items(3).each(address_schema),
        field(&profile::billing, "billing", address_schema).optional(),
        field(&profile::credit, "credit").min("0").max("1000").places(2).optional(),
        field(&profile::level, "level").one_of({1, 2, 3}).optional(),
        field(&profile::active, "active").default_value(true),
        field(&profile::score, "score").min(0.5).optional(),
        field(&profile::tags, "tags").each(item<std::string>().max_length(10)).optional())
        .reject_unknown();

} // namespace

TEST_CASE("JSON Schema of the shop's order body", "[validation][json_schema]") {
    CHECK(json_schema(order_schema) == boost::json::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "product_id": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
            "shipping_address": {"type": "string", "minLength": 1, "maxLength": 500,
                                 "pattern": "\\S"}
        },
        "required": ["product_id", "quantity", "shipping_address"],
        "additionalProperties": true
    })"));
}

TEST_CASE("JSON Schema of every rule kind", "[validation][json_schema]") {
    CHECK(json_schema(profile_schema) == boost::json::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "website": {"type": "string", "format": "uri"},
            "age": {"type": ["integer", "null"], "minimum": 0, "maximum": 150},
            "role": {"type": "string", "enum": ["user", "admin"], "default": "user"},
            "addresses": {"type": "array", "minItems": 1, "maxItems": 3,
                "items": {"type": "object",
                          "properties": {"city": {"type": "string", "minLength": 2},
                                         "zip": {"type": ["string", "null"],
                                                 "pattern": "^[0-9]{5}$"}},
                          "required": ["city"], "additionalProperties": false}},
            "billing": {"type": ["object", "null"],
                        "properties": {"city": {"type": "string", "minLength": 2},
                                       "zip": {"type": ["string", "null"],
                                               "pattern": "^[0-9]{5}$"}},
                        "required": ["city"], "additionalProperties": false},
            "credit": {"type": ["number", "string"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
                       "minimum": 0, "maximum": 1000, "multipleOf": 0.01},
            "level": {"type": "integer", "minimum": 0, "maximum": 255, "enum": [1, 2, 3]},
            "active": {"type": "boolean", "default": true},
            "score": {"type": "number", "minimum": 0.5},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}}
        },
        "required": ["email", "age", "addresses"],
        "additionalProperties": false
    })"));
}

namespace {
struct point {
    int x = 0;
    int y = 0;
};
BOOST_DESCRIBE_STRUCT(point, (), (x, y))
struct segment {
    point from;
    point to;
    std::optional<std::string> label;
};
BOOST_DESCRIBE_STRUCT(segment, (), (from, to, label))
} // namespace

TEST_CASE("a schema from a Boost.Describe'd struct", "[validation][describe]") {
    auto s = described_schema<segment>();
    auto seg = s.parse(R"({"from": {"x": 1, "y": 2}, "to": {"x": 3, "y": 4}, "label": null})");
    CHECK(seg.to.y == 4);
    CHECK(!seg.label);
    try {
        s.parse(R"({"from": {"x": "1", "y": 2}, "label": 3})");
        FAIL("expected a validation_error");
    } catch (const rampart::validation_error& e) {
        CHECK(boost::json::serialize(e.fields().to_json()) ==
              R"({"from":{"x":["A valid integer is required."]},)"
              R"("to":["This field is required."],"label":["Not a valid string."]})");
    }
    CHECK(json_schema(s).at("required") == boost::json::parse(R"(["from", "to", "label"])"));
}
