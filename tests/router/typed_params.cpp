// Typed route parameters (context::param<T>) and the handler constraint on route registration.

#include <rampart/router/router.hpp>

#include "router/router_test.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

using namespace rampart;
using test::send;

// A named namespace: the functions below only appear in decltype, which clang would flag as
// unneeded internal declarations.
namespace typed_params_test {

/// param<T>(asked) on a context whose route set parameter "id" to `value`.
template <class T>
std::optional<T> read(std::string_view value, std::string_view asked = "id") {
    context ctx{request{}};
    ctx.add_param("id", std::string(value));
    return ctx.param<T>(asked);
}

// --- what param<T> accepts ----------------------------------------------------------------------
static_assert(route_param_type<std::int64_t>);
static_assert(route_param_type<std::uint64_t>);
static_assert(route_param_type<int>);
static_assert(route_param_type<std::int8_t>);
static_assert(route_param_type<unsigned short>);
static_assert(route_param_type<std::string_view>);
static_assert(route_param_type<std::string>);
static_assert(!route_param_type<bool>);
static_assert(!route_param_type<char>);
static_assert(!route_param_type<char8_t>);
static_assert(!route_param_type<double>);
static_assert(!route_param_type<const char*>);

template <class T>
concept readable_param = requires(const context& ctx) {
    ctx.param<T>("id");
};
static_assert(readable_param<std::int64_t>);
static_assert(!readable_param<bool>);
static_assert(!readable_param<double>);

// --- what route registration accepts -------------------------------------------------------------
using group = route_group<detail::identity_wrap>;

asio::awaitable<response> async_handler(context&) {
    co_return text_response(http::status::ok, "a");
}
response sync_handler_fn(context&) {
    return text_response(http::status::ok, "s");
}
http::response<http::string_body> beast_handler_fn(const request&) {
    return {};
}

struct returns_int {
    int operator()(context&) const { return 1; }
};
struct takes_string {
    response operator()(std::string) const { return {}; }
};
struct not_callable {};

template <class H>
concept registrable = requires(group& g, H h) {
    g.get("/x/", h);
    g.post("/x/", h);
    g.put("/x/", h);
    g.patch("/x/", h);
    g.delete_("/x/", h);
    g.route(http::verb::get, "/x/", h);
};

template <class H>
concept registrable_in_any_way = requires(group& g, H h) {
    g.get("/x/", h);
}
|| requires(group& g, H h) {
    g.post("/x/", h);
}
|| requires(group& g, H h) {
    g.put("/x/", h);
}
|| requires(group& g, H h) {
    g.patch("/x/", h);
}
|| requires(group& g, H h) {
    g.delete_("/x/", h);
}
|| requires(group& g, H h) {
    g.route(http::verb::get, "/x/", h);
}
|| requires(group& g, H h) {
    g.route({http::verb::get, http::verb::post}, "/x/", h);
};

static_assert(registrable<decltype(&async_handler)>);
static_assert(registrable<decltype(&sync_handler_fn)>);
static_assert(registrable<decltype(&beast_handler_fn)>);
static_assert(registrable<decltype([](context&) { return response{}; })>);
static_assert(handler_like<decltype(&sync_handler_fn)>);
static_assert(!handler_like<returns_int>);
static_assert(!handler_like<takes_string>);
static_assert(!handler_like<not_callable>);
static_assert(!handler_like<int>);
// A wrong handler is rejected by the registration's own constraint (so the compiler reports it
// at the registering line), not by an error deep inside make_handler.
static_assert(!registrable_in_any_way<returns_int>);
static_assert(!registrable_in_any_way<takes_string>);
static_assert(!registrable_in_any_way<not_callable>);
static_assert(!registrable_in_any_way<int>);

} // namespace typed_params_test

using typed_params_test::read;

TEST_CASE("param<T>: integers are read whole and range-checked", "[router][params]") {
    CHECK(read<std::int64_t>("42") == 42);
    CHECK(read<int>("0") == 0);
    CHECK(read<std::int64_t>("-7") == -7);
    CHECK(read<int>("007") == 7);
    CHECK(read<std::int64_t>("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
    CHECK(read<std::int64_t>("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
    CHECK(read<std::uint64_t>("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
    CHECK(read<std::int8_t>("127") == 127);

    // Overflow, in every width.
    CHECK_FALSE(read<std::int64_t>("9223372036854775808"));
    CHECK_FALSE(read<std::int64_t>("99999999999999999999"));
    CHECK_FALSE(read<std::uint64_t>("18446744073709551616"));
    CHECK_FALSE(read<std::int8_t>("128"));
    CHECK_FALSE(read<std::int8_t>("-129"));
    CHECK_FALSE(read<std::uint32_t>("4294967296"));
    // Signs, spaces and other text.
    CHECK_FALSE(read<unsigned>("-1"));
    CHECK_FALSE(read<int>("+5"));
    CHECK_FALSE(read<int>(" 5"));
    CHECK_FALSE(read<int>("5 "));
    CHECK_FALSE(read<int>("5x"));
    CHECK_FALSE(read<int>("0x10"));
    CHECK_FALSE(read<int>("1e3"));
    CHECK_FALSE(read<int>("-"));
    CHECK_FALSE(read<int>(""));
    // Missing name.
    CHECK_FALSE(read<int>("5", "other"));
    CHECK_FALSE(read<std::string_view>("5", "other"));
    CHECK_FALSE(read<std::string>("5", "other"));
}

TEST_CASE("param<T>: text forms give the decoded value", "[router][params]") {
    context ctx{request{}};
    ctx.add_param("name", "a/b c");
    CHECK(ctx.param<std::string_view>("name") == "a/b c");
    CHECK(ctx.param<std::string>("name") == std::string("a/b c"));
    CHECK(ctx.param<std::string_view>("name") == ctx.param("name"));
}

TEST_CASE("param<T> through the router: {id:int} never hands a handler garbage",
          "[router][params]") {
    router api;
    auto v1 = api.version("v1");
    v1.get("/items/{id:int}/", [](context& ctx) {
        auto wide = ctx.param<std::int64_t>("id");
        auto narrow = ctx.param<std::int8_t>("id");
        return text_response(http::status::ok,
                             (wide ? std::to_string(*wide) : "none") + " " +
                                 (narrow ? std::to_string(int(*narrow)) : "none"));
    });
    v1.get("/any/{n}/", [](context& ctx) {
        auto n = ctx.param<std::int64_t>("n");
        return text_response(http::status::ok, n ? std::to_string(*n) : "none");
    });
    auto service = stack(error_envelope<>{}).wrap(api);

    CHECK(send(service, http::verb::get, "/api/v1/items/5/").body() == "5 5");
    CHECK(send(service, http::verb::get, "/api/v1/items/007/").body() == "7 7");
    CHECK(send(service, http::verb::get, "/api/v1/items/300/").body() == "300 none");
    CHECK(send(service, http::verb::get, "/api/v1/items/9223372036854775807/").body() ==
          "9223372036854775807 none");
    // Overflowing int64, signed or not a number: the route does not match.
    for (const char* bad : {"9223372036854775808", "99999999999999999999", "-5", "+5", "5x"})
        CHECK(send(service, http::verb::get, std::string("/api/v1/items/") + bad + "/").result() ==
              http::status::not_found);
    // A plain {n} takes any text; param<T> is then the check.
    CHECK(send(service, http::verb::get, "/api/v1/any/-5/").body() == "-5");
    CHECK(send(service, http::verb::get, "/api/v1/any/%2B5/").body() == "none");
    CHECK(send(service, http::verb::get, "/api/v1/any/abc/").body() == "none");
    CHECK(send(service, http::verb::get, "/api/v1/any/9223372036854775808/").body() == "none");
}
