// The shop's handlers answer a missing product or order with ctx.render_error(not_found{})
// instead of throwing it. The 404 a client receives must be the one a thrown not_found gives:
// the router's 404 for a path no route matches is that error too, rendered through the same
// stack (tests/router/no_throw.cpp proves it equal to the thrown one), so both must be the same
// bytes but for the Date, the count left in RateLimit and the request's own X-Request-ID.

#include "shop_process.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace shop_test;

namespace {

/// The status, every header in order, and the body; Date, RateLimit and X-Request-ID values
/// masked.
std::string wire(const reply& r) {
    std::string out = std::to_string(r.status()) + "\n";
    for (const auto& f : r.raw) {
        std::string_view name = f.name_string();
        std::string_view value = f.value();
        bool varies = name == "Date" || name == "RateLimit" || name == "X-Request-ID";
        out.append(name).append(": ").append(varies ? std::string_view{"*"} : value).append("\n");
    }
    return out + "\n" + r.raw.body();
}

} // namespace

TEST_CASE("shop: a missing product or order is the router's 404, byte for byte", "[shop]") {
    shop s;
    auto missing = s.get("/api/v1/products/61/");
    REQUIRE(is_envelope(missing, 404));
    CHECK(missing.has_header("RateLimit"));
    CHECK(wire(missing) == wire(s.get("/api/v1/products/abc/")));
    CHECK(wire(s.get("/api/v2/products/999999/")) == wire(s.get("/api/v2/products/1.5/")));

    const std::string alice = s.login().first;
    auto no_order = s.get("/api/v1/orders/999999/", alice);
    REQUIRE(is_envelope(no_order, 404));
    CHECK(wire(no_order) == wire(s.get("/api/v1/orders/abc/", alice)));
    CHECK(wire(s.get("/api/v2/orders/999999/", alice)) ==
          wire(s.get("/api/v2/orders/abc/", alice)));
}
