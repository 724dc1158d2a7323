#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace rampart;

TEST_CASE("context splits the target into path and query") {
    context ctx{request{http::verb::get, "/api/v1/products/?cursor=abc&page_size=2", 11}};
    CHECK(ctx.path() == "/api/v1/products/");
    CHECK(ctx.query() == "cursor=abc&page_size=2");

    context bare{request{http::verb::get, "/x", 11}};
    CHECK(bare.path() == "/x");
    CHECK(bare.query().empty());
}

TEST_CASE("context keeps version, route parameters, principal and client key") {
    context ctx{request{http::verb::get, "/", 11}};
    CHECK(ctx.version().empty());
    ctx.set_version("v2");
    CHECK(ctx.version() == "v2");

    CHECK_FALSE(ctx.param("id"));
    ctx.add_param("id", "42");
    REQUIRE(ctx.param("id"));
    CHECK(*ctx.param("id") == "42");
    CHECK(ctx.params().size() == 1);

    CHECK_FALSE(ctx.principal().authenticated());
    ctx.principal().user_id = "7";
    CHECK(ctx.principal().authenticated());

    ctx.client_key() = "ip:127.0.0.1";
    CHECK(ctx.client_key() == "ip:127.0.0.1");
}

namespace {
struct trace_tag {
    std::string value;
};
struct counter {
    int n = 0;
};
} // namespace

TEST_CASE("context extension slots are typed and replaceable") {
    context ctx{request{http::verb::get, "/", 11}};
    CHECK(ctx.find<trace_tag>() == nullptr);
    ctx.emplace<trace_tag>("abc");
    ctx.emplace<counter>().n = 3;
    REQUIRE(ctx.find<trace_tag>() != nullptr);
    CHECK(ctx.find<trace_tag>()->value == "abc");
    CHECK(ctx.find<counter>()->n == 3);
    ctx.emplace<trace_tag>("def");
    CHECK(ctx.find<trace_tag>()->value == "def");
    const context& cref = ctx;
    CHECK(cref.find<counter>()->n == 3);
}

TEST_CASE("the default error sink renders http errors and hides unknown exceptions") {
    context ctx{request{http::verb::get, "/secret/path", 11}};
    auto res = ctx.render_error(std::make_exception_ptr(not_found{}));
    CHECK(res.result() == http::status::not_found);
    CHECK(boost::json::parse(res.body()) ==
          boost::json::parse(R"({"status":"error","code":404,"errors":{"detail":"Not found."}})"));

    auto internal = ctx.render_error(std::make_exception_ptr(std::runtime_error("db at /var/x")));
    CHECK(internal.result() == http::status::internal_server_error);
    CHECK(internal.body().find("/var/x") == std::string::npos);
    CHECK(internal.body().find("db at") == std::string::npos);

    auto odd = ctx.render_error(std::make_exception_ptr(42));
    CHECK(odd.result() == http::status::internal_server_error);
}

TEST_CASE("parse_integer and principal::user_id_as read a whole decimal integer or nothing",
          "[core][context]") {
    CHECK(rampart::parse_integer<std::int64_t>("42") == 42);
    CHECK(rampart::parse_integer<std::int64_t>("-7") == -7);
    CHECK(rampart::parse_integer<std::int64_t>("9223372036854775807") ==
          std::int64_t{9223372036854775807});
    CHECK_FALSE(rampart::parse_integer<std::int64_t>("9223372036854775808"));
    CHECK_FALSE(rampart::parse_integer<std::uint32_t>("-1"));
    CHECK_FALSE(rampart::parse_integer<std::int64_t>("+1"));
    CHECK_FALSE(rampart::parse_integer<std::int64_t>(" 1"));
    CHECK_FALSE(rampart::parse_integer<std::int64_t>("1x"));
    CHECK_FALSE(rampart::parse_integer<std::int64_t>(""));

    rampart::principal anonymous;
    CHECK_FALSE(anonymous.user_id_as<std::int64_t>());
    rampart::principal user{.user_id = "1234", .claims = {}};
    CHECK(user.user_id_as<std::int64_t>() == 1234);
    CHECK_FALSE(user.user_id_as<std::int8_t>());
    rampart::principal named{.user_id = "alice", .claims = {}};
    CHECK_FALSE(named.user_id_as<std::int64_t>());
}
