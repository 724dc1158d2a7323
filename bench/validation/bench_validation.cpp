// The shop's order body from bytes to a validated struct, against Boost.JSON's plain parse of
// the same bytes in the same run.

#include <rampart/validation.hpp>

#include <benchmark/benchmark.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace rampart::validation;

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

constexpr std::string_view body =
    R"({"product_id": 3, "quantity": 2, "shipping_address": "1 Main St, Springfield"})";

// Baseline: boost::json::parse of the bytes, default memory resource.
void json_parse(benchmark::State& state) {
    for (auto _ : state) {
        auto jv = boost::json::parse(body);
        benchmark::DoNotOptimize(jv);
    }
}
BENCHMARK(json_parse);

// Bytes to order_in: strict parse (size, depth, duplicate keys), every rule, default resource.
void validate_order(benchmark::State& state) {
    for (auto _ : state) {
        order_in o = order_schema.parse(body);
        benchmark::DoNotOptimize(o);
    }
}
BENCHMARK(validate_order);

// Baseline with a stack arena, as read() parses.
void json_parse_arena(benchmark::State& state) {
    for (auto _ : state) {
        unsigned char buffer[4096];
        boost::json::monotonic_resource arena(buffer, sizeof buffer);
        auto jv = boost::json::parse(body, &arena);
        benchmark::DoNotOptimize(jv);
    }
}
BENCHMARK(json_parse_arena);

// What read() does after the Content-Type check: parse into a stack arena, then validate.
void validate_order_arena(benchmark::State& state) {
    for (auto _ : state) {
        unsigned char buffer[4096];
        boost::json::monotonic_resource arena(buffer, sizeof buffer);
        order_in o = order_schema.validate(parse_json(body, {}, &arena));
        benchmark::DoNotOptimize(o);
    }
}
BENCHMARK(validate_order_arena);

// The failure path: three field errors built and thrown.
void invalid_order(benchmark::State& state) {
    constexpr std::string_view bad =
        R"({"product_id": "3", "quantity": 0, "shipping_address": ""})";
    for (auto _ : state) {
        try {
            order_in o = order_schema.parse(bad);
            benchmark::DoNotOptimize(o);
        } catch (const rampart::validation_error& e) {
            benchmark::DoNotOptimize(&e);
        }
    }
}
BENCHMARK(invalid_order);

} // namespace
