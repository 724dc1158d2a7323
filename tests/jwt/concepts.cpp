// The named extension points of the JWT layer (jwt/concepts.hpp), each with shapes it accepts
// and shapes it refuses, and the token service's use of them at run time.
#include <rampart/jwt/concepts.hpp>
#include <rampart/jwt/token_service.hpp>

#include "service_support.hpp"

#include <catch2/catch.hpp>

namespace jwt = rampart::jwt;
namespace asio = rampart::asio;
using rampart::test::body_of;
using rampart::test::post;

namespace {

using optional_id = asio::awaitable<std::optional<std::string>>;

// Verifiers.
struct async_verifier { // a verifier behind a remote JWKS, say: no clock
    jwt::verifier<> inner;
    asio::awaitable<jwt::verify_result> try_verify(std::string_view t) const {
        co_return inner.try_verify(t);
    }
};
struct bool_verifier {
    bool try_verify(std::string_view) const { return true; }
};
struct mutable_verifier { // try_verify must work on a const verifier
    jwt::verify_result try_verify(std::string_view);
};
struct int_clock_verifier {
    jwt::verify_result try_verify(std::string_view) const;
    int clock() const;
};

// User directories.
struct directory {
    optional_id check_credentials(std::string_view, std::string_view);
    asio::awaitable<bool> is_active(std::string_view);
};
struct directory_with_claims : directory {
    asio::awaitable<boost::json::object> extra_claims(std::string_view);
};
struct directory_with_bad_claims : directory {
    boost::json::object extra_claims(std::string_view); // not awaitable
};
struct sync_directory {
    std::optional<std::string> check_credentials(std::string_view, std::string_view);
    bool is_active(std::string_view);
};
struct half_directory {
    optional_id check_credentials(std::string_view, std::string_view);
};

// Callables for user_callbacks.
[[maybe_unused]] auto good_check = [](std::string_view, std::string_view) -> optional_id {
    co_return "1";
};
[[maybe_unused]] auto good_active = [](std::string_view) -> asio::awaitable<bool> {
    co_return true;
};
[[maybe_unused]] auto sync_check = [](std::string_view, std::string_view) {
    return std::optional<std::string>{};
};
[[maybe_unused]] auto one_arg_check = [](std::string_view) -> optional_id {
    co_return std::nullopt;
};
[[maybe_unused]] auto int_active = [](int) -> asio::awaitable<bool> { co_return true; };
[[maybe_unused]] auto bool_active = [](std::string_view) { return true; };

template <class C, class A>
concept makes_user_callbacks = requires {
    typename jwt::user_callbacks<C, A>;
};

} // namespace

static_assert(jwt::token_verifier<jwt::verifier<>>);
static_assert(jwt::token_verifier<jwt::verifier<rampart::test::test_clock>>);
static_assert(jwt::token_verifier<async_verifier>);
static_assert(!jwt::token_verifier<bool_verifier>);
static_assert(!jwt::token_verifier<mutable_verifier>);
static_assert(!jwt::token_verifier<int>);

static_assert(jwt::verifier_with_clock<jwt::verifier<>>);
static_assert(jwt::verifier_with_clock<jwt::verifier<rampart::test::test_clock>>);
static_assert(!jwt::verifier_with_clock<async_verifier>);
static_assert(!jwt::verifier_with_clock<int_clock_verifier>);
static_assert(!jwt::verifier_with_clock<bool_verifier>);

static_assert(jwt::user_directory<directory>);
static_assert(jwt::user_directory<rampart::test::user_table_ref>);
static_assert(!jwt::user_directory<sync_directory>);
static_assert(!jwt::user_directory<half_directory>);
static_assert(jwt::user_directory_with_claims<directory_with_claims>);
static_assert(!jwt::user_directory_with_claims<directory>);
static_assert(!jwt::user_directory_with_claims<directory_with_bad_claims>);

static_assert(jwt::credentials_check<decltype(good_check)>);
static_assert(!jwt::credentials_check<decltype(sync_check)>);
static_assert(!jwt::credentials_check<decltype(one_arg_check)>);
static_assert(!jwt::credentials_check<decltype(good_active)>);
static_assert(jwt::activity_check<decltype(good_active)>);
static_assert(!jwt::activity_check<decltype(int_active)>);
static_assert(!jwt::activity_check<decltype(bool_active)>);
static_assert(!jwt::activity_check<decltype(good_check)>);

static_assert(makes_user_callbacks<decltype(good_check), decltype(good_active)>);
static_assert(!makes_user_callbacks<decltype(sync_check), decltype(good_active)>);
static_assert(!makes_user_callbacks<decltype(good_check), decltype(bool_active)>);
static_assert(!makes_user_callbacks<decltype(good_active), decltype(good_check)>);
static_assert(
    jwt::user_directory<jwt::user_callbacks<decltype(good_check), decltype(good_active)>>);

TEST_CASE("token service: the time of a verifier_with_clock dates its tokens and store entries",
          "[jwt][concepts]") {
    rampart::asio::thread_pool pool{1};
    rampart::test::token_layer t;
    t.clock.set(std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}});
    rampart::test::user_table users{pool};
    users.add("eve", "5", "eve-pass-1234");
    jwt::token_service svc{t.issuer, t.verifier, t.store, rampart::test::user_table_ref{&users}};
    auto pair = svc.issue_pair("5");
    auto refresh = [&](rampart::context& ctx) { return svc.refresh(ctx); };
    auto res =
        rampart::test::call(refresh, post("/r/", R"({"refresh":")" + pair.refresh.token + R"("})"));
    REQUIRE(res.result() == rampart::http::status::ok);
    // The used refresh token's entry holds the manual clock's time of use, in milliseconds.
    auto used = t.store.find("jti:" + pair.refresh.jti);
    REQUIRE(used);
    CHECK(*used == 1'700'000'000'000);
    pool.join();
}

TEST_CASE("token service: a verifier without a clock works, on the system clock",
          "[jwt][concepts]") {
    rampart::asio::thread_pool pool{1};
    rampart::test::token_layer t;
    auto real_now = std::chrono::system_clock::now();
    t.clock.set(real_now);
    rampart::test::user_table users{pool};
    users.add("eve", "5", "eve-pass-1234");
    async_verifier v{jwt::verifier<>{jwt::key_set{t.key}}};
    jwt::token_service svc{t.issuer, v, t.store, rampart::test::user_table_ref{&users}};
    auto pair = svc.issue_pair("5");
    auto refresh = [&](rampart::context& ctx) { return svc.refresh(ctx); };
    auto res =
        rampart::test::call(refresh, post("/r/", R"({"refresh":")" + pair.refresh.token + R"("})"));
    REQUIRE(res.result() == rampart::http::status::ok);
    CHECK(body_of(res).as_object().contains("access"));
    auto used = t.store.find("jti:" + pair.refresh.jti);
    REQUIRE(used);
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(real_now.time_since_epoch()).count();
    CHECK(*used >= millis);
    pool.join();
}
