// Contract v2 validation over real sockets against the real shop binary: every field error in
// one answer (the product lookup is a field validator), NUL refused in text, nothing committed.

#include "shop_process.hpp"

#include <catch2/catch.hpp>

using namespace shop_test;

namespace {

/// How many orders the caller has, read through the API.
std::size_t order_count(const shop& s, const std::string& token) {
    reply r = s.get("/api/v1/orders/", token);
    REQUIRE(r.status() == 200);
    return r.body.at("results").as_array().size();
}

} // namespace

TEST_CASE("shop v2 validation: an unknown product is reported with the other field errors",
          "[shop][validation]") {
    shop s;
    const std::string token = s.login().first;
    for (const char* version : {"v1", "v2"}) {
        INFO(version);
        reply r = s.post(
            std::string("/api/") + version + "/orders/",
            std::string(R"({"product_id": 9999, "quantity": 0, "shipping_address": ""})"), token);
        REQUIRE(is_envelope(r, 400));
        CHECK(r.errors().size() == 3);
        CHECK(r.messages("product_id") ==
              std::vector<std::string>{"Invalid pk \"9999\" - object does not exist."});
        CHECK(r.messages("quantity") == std::vector<std::string>{"Quantity must be at least 1."});
        CHECK(r.messages("shipping_address") ==
              std::vector<std::string>{"This field may not be blank."});
    }
    // A known product and a failing field: no product error, and still no stock check.
    reply r = s.post("/api/v1/orders/", order_body(3, 0), token);
    REQUIRE(is_envelope(r, 400));
    CHECK(r.body.at("errors") == json::parse(R"({"quantity":["Quantity must be at least 1."]})"));
    // Unknown product alone, and a product_id that fails its type: one error each.
    r = s.post("/api/v1/orders/", order_body(9999, 1), token);
    REQUIRE(is_envelope(r, 400));
    CHECK(r.body.at("errors") ==
          json::parse(R"({"product_id":["Invalid pk \"9999\" - object does not exist."]})"));
    r = s.post("/api/v1/orders/",
               std::string(R"({"product_id": "9999", "quantity": 0, "shipping_address": "a"})"),
               token);
    REQUIRE(is_envelope(r, 400));
    CHECK(r.errors().size() == 2);
    CHECK(r.messages("product_id") == std::vector<std::string>{"A valid integer is required."});
    // Nothing was created, no stock moved.
    CHECK(order_count(s, token) == 0);
    CHECK(s.stock(3) == 50);
    // And a valid order still goes through.
    CHECK(s.post("/api/v1/orders/", order_body(3, 2), token).status() == 201);
    CHECK(order_count(s, token) == 1);
    CHECK(s.stock(3) == 48);
}

TEST_CASE("shop v2 validation: NUL in shipping_address is a field error", "[shop][validation]") {
    shop s;
    const std::string token = s.login().first;
    for (const char* address : {R"("1 Main St\u0000; DROP")", R"("\u0000")", R"("x\u0000")"}) {
        INFO(address);
        reply r = s.post("/api/v2/orders/",
                         std::string(R"({"product_id": 3, "quantity": 1, "shipping_address": )") +
                             address + "}",
                         token);
        REQUIRE(is_envelope(r, 400));
        CHECK(r.body.at("errors") ==
              json::parse(R"({"shipping_address":["Null characters are not allowed."]})"));
    }
    // With other failures, in the same answer.
    reply r = s.post(
        "/api/v1/orders/",
        std::string(R"({"product_id": 9999, "quantity": 0, "shipping_address": "a\u0000b"})"),
        token);
    REQUIRE(is_envelope(r, 400));
    CHECK(r.errors().size() == 3);
    CHECK(r.messages("shipping_address") ==
          std::vector<std::string>{"Null characters are not allowed."});
    // Other control characters are accepted, as DRF accepts them.
    r = s.post("/api/v1/orders/",
               std::string(R"({"product_id": 3, "quantity": 1, "shipping_address": "a\tb\u0001"})"),
               token);
    REQUIRE(r.status() == 201);
    CHECK(r.body.at("shipping_address") == "a\tb\x01");
    CHECK(order_count(s, token) == 1);
    CHECK(s.stock(3) == 49);
}
