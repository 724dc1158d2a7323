#ifndef RAMPART_JWT_AUTHENTICATE_HPP
#define RAMPART_JWT_AUTHENTICATE_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/jwt/concepts.hpp>
#include <rampart/jwt/cookies.hpp>
#include <rampart/jwt/error.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/jwt/user_status_cache.hpp>
#include <rampart/jwt/verifier.hpp>

#include <boost/json/object.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::jwt {

/// How `authenticate` finds and reads tokens.
struct authenticate_options {
    /// Accepted `Authorization` schemes, compared without regard to case (simplejwt's
    /// AUTH_HEADER_TYPES). A request using another scheme is left anonymous for another layer.
    std::vector<std::string> header_types{"Bearer"};
    /// The claim holding the user id (simplejwt's USER_ID_CLAIM). A string or an integer.
    std::string user_id_claim = "user_id";
    /** Whether a user id (the claim as text) is one this application issues, e.g.
        `jwt::integer_user_id`. A token whose id fails it is refused (401 `invalid_token`)
        before anything else looks at it. Empty: any non-empty string or integer passes. */
    std::function<bool(std::string_view)> valid_user_id;
    /// The claim holding the token's id (simplejwt's JTI_CLAIM).
    std::string jti_claim = "jti";
    /// Refuse tokens without a non-empty `jti_claim`, as simplejwt does ("Token has no id."):
    /// a token without an id can be neither blacklisted nor told apart.
    bool require_jti = true;
    /** Whether the token's user may still use it: asked for every verified, unrevoked token;
        false refuses it (401 `invalid_token`, "User not found or inactive."). Wrap the real
        lookup in a `jwt::user_status_cache` so a request costs a database query at most once
        per user and `max_age`. Empty: tokens of deleted or deactivated users work until
        they expire. What it throws (a 503, say) fails the request. */
    std::function<asio::awaitable<bool>(std::string_view)> user_active;
    /// The claim naming the token's type (simplejwt's TOKEN_TYPE_CLAIM); it must be `access`.
    std::string token_type_claim = "token_type";
    /// The `realm` named in `WWW-Authenticate`.
    std::string realm = "api";
    /// Also read the access token from a cookie (Authorization wins when both are present).
    std::optional<cookie_options> cookies;
    /// Prefix of the keys this middleware reads in a token store; must equal the token
    /// service's `store_prefix`.
    std::string store_prefix;
};

/** Why authentication refused the credentials a request presented.

    `authenticate` records this on the context (`ctx.find<authentication_failure>()`) and
    leaves the request anonymous; `enforce` (or `require_authenticated`) answers it. Between
    the two, throttles count the request against the client IP.
*/
struct authentication_failure {
    /// A short client-facing message (`"Token is expired."`).
    std::string description;
    /// The verifier's reason, when the token itself was refused.
    std::optional<jwt::error> reason;
    /// True when the cookie's CSRF double-submit check failed (403) rather than the token (401).
    bool csrf = false;
    /// True when the request itself is ambiguous (two `Authorization` headers, two access
    /// cookies): 400 `bad_request` rather than 401.
    bool malformed = false;
    /// The `WWW-Authenticate` value a 401 carries.
    std::string challenge;

    /// Throws the 401 `invalid_token` (or 403 for CSRF, 400 when malformed) it stands for.
    /// Throws: permission_denied (403), bad_request (400) or authentication_failed (401),
    /// always: each is the client's error.
    [[noreturn]] void raise() const;

    /// The response raise() gives through `ctx`'s error sink, rendered without a C++ exception
    /// (context::render_error). Throws: std::bad_alloc only.
    response render(const context& ctx) const;
};

/** A `valid_user_id` for applications whose user ids are positive 64-bit integers (Django's
    default primary key): decimal digits, no sign, no leading zero, at most 2^63 - 1. `"abc"`,
    `"-1"`, `"007"`, `"1e3"` and `""` fail; so does `0`. */
bool integer_user_id(std::string_view id) noexcept;

/// Stands for "no store": `authenticate` then checks no revocation.
struct no_token_store {};

/** Identifies the caller from a JWT access token; never refuses a request itself.

    Reads `Authorization: <type> <token>` for an accepted type (default `Bearer`) or, when
    cookies are configured and no Authorization header is present, the access-token cookie.
    Then:
    - a valid access token: `ctx.principal()` gets the user id (the `user_id_claim`, as text)
      and all the claims;
    - no credentials (or another Authorization scheme): the request stays anonymous;
    - a bad, expired, revoked or non-access token, one without `jti` (unless `require_jti` is
      off), one whose user id fails `valid_user_id` or whose user `user_active` denies, a
      malformed header, or a cookie request failing the CSRF check: the request stays
      anonymous and an `authentication_failure` is recorded on the context. `enforce` (placed
      after the throttles) turns it into the 401 `invalid_token` (or 403), so
      failed-authentication floods are throttled per client IP;
    - two `Authorization` headers, or (cookie mode, no Authorization) the access cookie sent
      twice: the same, marked `malformed`, which `enforce` turns into a 400.

    With a token store, each valid token is also checked for revocation (its family revoked by
    logout or refresh-token reuse; its user logged out everywhere after it was issued): two
    store reads per request. Without one, access tokens live out their (short) lifetime.

    The verifier and store are held by reference and must outlive the middleware. The
    verifier must not itself insist on a token type (leave verifier_options::token_type
    empty): this layer accepts only `access` tokens, the token service refresh tokens.
*/
template <token_verifier Verifier, class Store = no_token_store>
class authenticate {
public:
    explicit authenticate(const Verifier& verifier, authenticate_options options = {}) requires
        std::same_as<Store, no_token_store>
        : verifier_(&verifier),
          store_(nullptr),
          options_(std::make_shared<const authenticate_options>(std::move(options))) {}

    /// Also refuses tokens revoked in `store`.
    authenticate(const Verifier& verifier, Store& store,
                 authenticate_options options = {}) requires token_store<Store>
        : verifier_(&verifier),
          store_(&store),
          options_(std::make_shared<const authenticate_options>(std::move(options))) {}

    /// The middleware step: identify(), then the rest. A request without credentials (no
    /// Authorization header, and no Cookie header when cookies are read) goes straight on: no
    /// coroutine frame of this layer's.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        if (!carries_credentials(ctx))
            return next(ctx);
        return identify_then(ctx, next);
    }

    /// Does this layer's work on `ctx` without calling further in (for custom pipelines).
    asio::awaitable<void> identify(context& ctx) const;

    const authenticate_options& options() const noexcept { return *options_; }

private:
    /// False when identify() has nothing to read: the request stays anonymous, unrecorded.
    bool carries_credentials(const context& ctx) const noexcept {
        const request& req = ctx.req();
        return req.find(http::field::authorization) != req.end() ||
               (options_->cookies && req.find(http::field::cookie) != req.end());
    }

    template <class Next>
    asio::awaitable<response> identify_then(context& ctx, Next& next) {
        co_await identify(ctx);
        co_return co_await next(ctx);
    }

    void malformed(context& ctx, std::string description) const;
    void fail(context& ctx, std::string description,
              std::optional<jwt::error> reason = std::nullopt) const;

    const Verifier* verifier_;
    Store* store_;
    std::shared_ptr<const authenticate_options> options_;
};

/** Answers with the failure `authenticate` recorded, if any (place it after the throttles):
    the 400, 401 or 403 authentication_failure::raise throws, rendered without the throw.

    A hook middleware (core/middleware.hpp), so `stack` gives it no coroutine frame of its own
    (none at all beside adjacent hooks); its call operator serves route groups.
*/
struct enforce {
    /// The same as a middleware (for route groups): before(), then the rest.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) const {
        return rampart::before_then(*this, ctx, next);
    }

    std::optional<response> before(context& ctx) const {
        if (const auto* failure = ctx.find<authentication_failure>())
            return failure->render(ctx);
        return std::nullopt;
    }
};

/** Refuses anonymous requests: 401 `not_authenticated` with `WWW-Authenticate: Bearer
    realm="..."`. A recorded authentication failure is the answer instead, so a client whose
    token was refused learns why even without `enforce` in the pipeline.

    A hook middleware, like enforce: the refusal is rendered, not thrown.
*/
class require_authenticated {
public:
    explicit require_authenticated(std::string realm = "api") : realm_(std::move(realm)) {}

    /// The refusal check() would throw, rendered (context::render_error); nothing when `ctx`
    /// is authenticated. Throws: std::bad_alloc only.
    std::optional<response> before(context& ctx) const;

    /// The same as a middleware (for route groups): before(), then the rest.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) const {
        return rampart::before_then(*this, ctx, next);
    }

    /// Documents the routes it guards (route_doc): they require a caller.
    template <class Doc>
    void describe(Doc& doc) const {
        doc.authenticated = true;
    }

    /// Throws unless `ctx` is authenticated.
    /// Throws: the recorded failure (see authentication_failure::raise) or
    /// not_authenticated (401); both are the client's.
    void check(const context& ctx) const;

private:
    /// Calls `f` with the error that refuses `ctx`; false (and no call) when authenticated.
    template <class F>
    bool refuse(const context& ctx, F&& f) const;

    std::string realm_;
};

/** Admits a request only when `predicate(ctx)` holds (it may return bool or
    `awaitable<bool>`): otherwise 401 for an anonymous caller (as require_authenticated), 403
    `permission_denied` for an authenticated one.

    @code
    auto staff_only = jwt::require_permission([](const context& ctx) {
        auto it = ctx.principal().claims.find("is_staff");
        return it != ctx.principal().claims.end() && it->value() == true;
    });
    @endcode
*/
template <class Predicate>
class require_permission {
public:
    explicit require_permission(Predicate predicate, std::string realm = "api",
                                std::string detail = {})
        : predicate_(std::move(predicate)), auth_(std::move(realm)), detail_(std::move(detail)) {}

    /// Throws: not_authenticated (401) or permission_denied (403) when refused; the
    /// client's. What `predicate` throws passes through.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next);

    /// Documents the routes it guards (route_doc): a caller is required, and may be refused 403.
    template <class Doc>
    void describe(Doc& doc) const {
        doc.authenticated = true;
        doc.errors.push_back(403);
    }

private:
    Predicate predicate_;
    require_authenticated auth_;
    std::string detail_;
};

static_assert(hook_middleware<enforce> && middleware<enforce>);
static_assert(hook_middleware<require_authenticated> && middleware<require_authenticated>);

} // namespace rampart::jwt

#include <rampart/jwt/impl/authenticate.hpp>

#endif
