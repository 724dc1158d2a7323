// enforce and require_authenticated are hook middleware that render their refusals with
// context::render_error instead of throwing them. A client must receive the bytes the thrown
// error gives (authentication_failure::raise, require_authenticated::check) through the same
// envelope and format.

#include <rampart/jwt/authenticate.hpp>

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include "errors/wire.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

using namespace rampart;
using test::wire;

namespace {

// Records `failure` on every request, as authenticate does for a refused token.
struct inject {
    std::optional<jwt::authentication_failure> failure;
    void before(context& ctx) {
        if (failure)
            ctx.emplace<jwt::authentication_failure>(*failure);
    }
};

asio::awaitable<response> ok(context&) {
    co_return text_response(http::status::ok, "ok");
}

std::vector<std::optional<jwt::authentication_failure>> failures() {
    jwt::authentication_failure expired;
    expired.description = "Token is expired.";
    expired.reason = jwt::error::expired;
    expired.challenge = R"(Bearer realm="api", error="invalid_token", )"
                        R"(error_description="Token is expired.")";
    jwt::authentication_failure csrf;
    csrf.description = "CSRF Failed: CSRF token missing.";
    csrf.csrf = true;
    jwt::authentication_failure twice;
    twice.description = "Multiple Authorization headers.";
    twice.malformed = true;
    return {std::nullopt, expired, csrf, twice};
}

template <class Format>
void compare(const std::optional<jwt::authentication_failure>& failure) {
    auto env = [] { return error_envelope<Format>{Format{}, {}}; };
    auto call = [](auto app) {
        return wire(test::call(app, test::make_request(http::verb::get, "/")));
    };

    auto enforce_thrown = [](context& ctx) -> asio::awaitable<response> {
        if (const auto* f = ctx.find<jwt::authentication_failure>())
            f->raise();
        return ok(ctx);
    };
    CHECK(call(stack(env(), inject{failure}, jwt::enforce{}).wrap(&ok)) ==
          call(stack(env(), inject{failure}).wrap(enforce_thrown)));

    auto check_thrown = [](context& ctx) -> asio::awaitable<response> {
        jwt::require_authenticated{"shop"}.check(ctx);
        return ok(ctx);
    };
    CHECK(call(stack(env(), inject{failure}, jwt::require_authenticated{"shop"}).wrap(&ok)) ==
          call(stack(env(), inject{failure}).wrap(check_thrown)));
}

} // namespace

// Hooks for stack, middleware too (route groups take only those).
static_assert(hook_middleware<jwt::enforce> && middleware<jwt::enforce>);
static_assert(hook_middleware<jwt::require_authenticated>);
// In a stack they are fused: one frame for both, which also guards the handler.
static_assert(
    std::is_same_v<decltype(stack(jwt::enforce{}, jwt::require_authenticated{}).wrap(&ok)),
                   detail::fused<decltype(&ok), jwt::enforce, jwt::require_authenticated>>);

TEST_CASE("enforce and require_authenticated render the bytes their thrown errors give") {
    for (const auto& failure : failures()) {
        INFO((failure ? failure->description : "anonymous"));
        compare<envelope_format>(failure);
        compare<problem_format>(failure);
    }
}

TEST_CASE("enforce and require_authenticated answer without a throw, and admit the rest") {
    context anonymous{test::make_request(http::verb::get, "/")};
    std::optional<response> refused = jwt::require_authenticated{}.before(anonymous);
    REQUIRE(refused);
    CHECK(refused->result() == http::status::unauthorized);
    CHECK((*refused)[http::field::www_authenticate] == R"(Bearer realm="api")");
    CHECK_FALSE(jwt::enforce{}.before(anonymous)); // anonymous, but nothing recorded

    context user{test::make_request(http::verb::get, "/")};
    user.principal().user_id = "42";
    CHECK_FALSE(jwt::require_authenticated{}.before(user));
    CHECK_FALSE(jwt::enforce{}.before(user));

    anonymous.emplace<jwt::authentication_failure>(failures()[2].value());
    std::optional<response> csrf = jwt::enforce{}.before(anonymous);
    REQUIRE(csrf);
    CHECK(csrf->result() == http::status::forbidden);
    CHECK(wire(*csrf) == wire(jwt::require_authenticated{}.before(anonymous).value()));
}
