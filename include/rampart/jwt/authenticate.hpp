#ifndef RAMPART_JWT_AUTHENTICATE_HPP
#define RAMPART_JWT_AUTHENTICATE_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/jwt/error.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/jwt/user_status_cache.hpp>
#include <rampart/jwt/verifier.hpp>

#include <boost/json/object.hpp>

#include <openssl/crypto.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::jwt {

/** Where browser clients keep their tokens, and how their unsafe requests prove intent.

    Tokens travel in HttpOnly cookies (script cannot read them), marked Secure and SameSite.
    Because a browser attaches cookies to cross-site requests too, a request authenticated by
    cookie with an unsafe method (anything but GET, HEAD, OPTIONS, TRACE) must also carry the
    CSRF token twice: in the readable `csrf_cookie` and copied by the page's script into the
    `csrf_header`. A forged cross-site request cannot read the cookie, so cannot copy it.
    The token service sets all three cookies on login and refresh and clears them on logout.
*/
struct cookie_options {
    std::string access_cookie = "access_token";
    std::string refresh_cookie = "refresh_token";
    std::string csrf_cookie = "csrftoken";
    std::string csrf_header = "X-CSRFToken";
    /// `Path` of the access and CSRF cookies.
    std::string path = "/";
    /// `Path` of the refresh cookie: narrow it to the token endpoints so the long-lived token
    /// is sent nowhere else.
    std::string refresh_path = "/";
    /// `Domain`; empty makes host-only cookies (the safest).
    std::string domain;
    /// `SameSite`: `Strict`, `Lax` or `None` (None needs `secure`).
    std::string same_site = "Lax";
    /// `Secure`. Leave it on outside tests over plain HTTP on localhost.
    bool secure = true;
};

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
    leaves the request anonymous; `enforce` (or `require_authenticated`) throws it. Between
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

    /// Throws the 401 `invalid_token` (or 403 for CSRF) this failure stands for.
    [[noreturn]] void raise() const {
        if (csrf)
            throw permission_denied(description);
        if (malformed)
            throw bad_request(description);
        authentication_failed err{description, "invalid_token"};
        err.with_header("WWW-Authenticate", challenge);
        throw err;
    }
};

/** A verifier `authenticate` and the token service can use: `try_verify(token)` returns a
    `verify_result` (jwt::verifier), or an `awaitable<verify_result>` (a verifier wrapped with
    a remote_jwks, say). It must check signature and time claims but not the token type.
*/
template <class V>
concept token_verifier = requires(const V& v, std::string_view token) {
    requires std::same_as<decltype(v.try_verify(token)), verify_result> ||
        std::same_as<decltype(v.try_verify(token)), asio::awaitable<verify_result>>;
};

/** A `valid_user_id` for applications whose user ids are positive 64-bit integers (Django's
    default primary key): decimal digits, no sign, no leading zero, at most 2^63 - 1. `"abc"`,
    `"-1"`, `"007"`, `"1e3"` and `""` fail; so does `0`. */
inline bool integer_user_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 19 || id.front() == '0')
        return false;
    for (char c : id)
        if (c < '0' || c > '9')
            return false;
    return id.size() < 19 || id <= "9223372036854775807";
}

/// Stands for "no store": `authenticate` then checks no revocation.
struct no_token_store {};

namespace detail {

/// `realm="api"` with the realm's quotes and backslashes escaped.
inline std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
    }
    out += '"';
    return out;
}

/// `Bearer realm="api"`, plus RFC 6750 error attributes when `description` is given.
inline std::string bearer_challenge(std::string_view realm, std::string_view description = {}) {
    std::string out = "Bearer realm=" + quoted(realm);
    if (!description.empty()) {
        // RFC 6750 3: error_description is %x20-21 / %x23-5B / %x5D-7E only.
        std::string clean;
        for (char c : description) {
            auto u = static_cast<unsigned char>(c);
            clean += (u < 0x20 || u > 0x7e || c == '"' || c == '\\') ? ' ' : c;
        }
        out += ", error=\"invalid_token\", error_description=\"" + clean + '"';
    }
    return out;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

inline std::string_view trim_blanks(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// The value of cookie `name` across every `Cookie` header (the first when sent more than
/// once), or nullopt. Quotes around a value are removed (RFC 6265 cookie-value). `count`, when
/// given, receives how many times the cookie was sent.
inline std::optional<std::string_view> find_cookie(const request& req, std::string_view name,
                                                   std::size_t* count = nullptr) {
    std::optional<std::string_view> found;
    if (count)
        *count = 0;
    auto range = req.equal_range(http::field::cookie);
    for (auto it = range.first; it != range.second; ++it) {
        std::string_view header{it->value().data(), it->value().size()};
        while (!header.empty()) {
            auto semi = header.find(';');
            std::string_view pair = trim_blanks(header.substr(0, semi));
            header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
            auto eq = pair.find('=');
            if (eq == std::string_view::npos || trim_blanks(pair.substr(0, eq)) != name)
                continue;
            std::string_view value = trim_blanks(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (!found)
                found = value;
            if (!count)
                return found;
            ++*count;
        }
    }
    return found;
}

inline bool safe_method(http::verb m) noexcept {
    return m == http::verb::get || m == http::verb::head || m == http::verb::options ||
           m == http::verb::trace;
}

/// Whether header and cookie carry the same non-empty CSRF token (constant time).
inline std::optional<std::string> csrf_problem(const request& req, const cookie_options& c) {
    std::size_t cookies = 0;
    auto cookie = find_cookie(req, c.csrf_cookie, &cookies);
    auto header = req.find(c.csrf_header);
    if (!cookie || cookie->empty() || header == req.end() || header->value().empty())
        return std::string("CSRF Failed: CSRF token missing.");
    // Two CSRF cookies: one may have been planted by a sibling subdomain (cookie tossing).
    if (cookies > 1 || req.count(c.csrf_header) > 1)
        return std::string("CSRF Failed: CSRF token sent more than once.");
    std::string_view sent{header->value().data(), header->value().size()};
    if (sent.size() != cookie->size() ||
        CRYPTO_memcmp(sent.data(), cookie->data(), sent.size()) != 0)
        return std::string("CSRF Failed: CSRF token incorrect.");
    return std::nullopt;
}

/// The user id in `claims[name]` as text: a non-empty string, or an integer in decimal.
inline std::optional<std::string> user_id_of(const boost::json::object& claims,
                                             std::string_view name) {
    auto it = claims.find(name);
    if (it == claims.end())
        return std::nullopt;
    const auto& v = it->value();
    if (v.is_string() && !v.get_string().empty())
        return std::string(v.get_string());
    if (v.is_int64())
        return std::to_string(v.get_int64());
    if (v.is_uint64())
        return std::to_string(v.get_uint64());
    return std::nullopt;
}

/// `claims[name]` as whole seconds, when it is a number.
inline std::optional<std::int64_t> seconds_claim(const boost::json::object& claims,
                                                 std::string_view name) {
    auto it = claims.find(name);
    if (it == claims.end())
        return std::nullopt;
    const auto& v = it->value();
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_double() && v.get_double() > -9.2e18 && v.get_double() < 9.2e18)
        return static_cast<std::int64_t>(v.get_double());
    return std::nullopt;
}

inline std::optional<std::string_view> string_claim(const boost::json::object& claims,
                                                    std::string_view name) {
    auto it = claims.find(name);
    if (it == claims.end() || !it->value().is_string())
        return std::nullopt;
    return std::string_view{it->value().get_string()};
}

/// Store keys shared by the middleware and the token service.
inline std::string user_revoked_key(std::string_view prefix, std::string_view user_id) {
    std::string k{prefix};
    k += "user-revoked:";
    k += user_id;
    return k;
}
inline std::string family_revoked_key(std::string_view prefix, std::string_view family) {
    std::string k{prefix};
    k += "family-revoked:";
    k += family;
    return k;
}
inline std::string used_jti_key(std::string_view prefix, std::string_view jti) {
    std::string k{prefix};
    k += "jti:";
    k += jti;
    return k;
}

/** Whether a verified token was revoked: its family (`fam`) logged out or caught reusing a
    rotated refresh token, or its user logged out everywhere at or after its `iat`.
    Tokens issued in the same second as a user's revocation count as before it.
*/
template <class Store>
asio::awaitable<bool> is_revoked(Store& store, std::string_view prefix,
                                 const boost::json::object& claims, std::string_view user_id) {
    if (auto fam = string_claim(claims, "fam")) {
        auto revoked = co_await store.get(family_revoked_key(prefix, *fam));
        if (revoked)
            co_return true;
    }
    auto revoked_at = co_await store.get(user_revoked_key(prefix, user_id));
    if (revoked_at) {
        auto iat = seconds_claim(claims, "iat");
        if (!iat || *iat <= *revoked_at)
            co_return true;
    }
    co_return false;
}

template <class V>
asio::awaitable<verify_result> verify_with(const V& verifier, std::string_view token) {
    if constexpr (std::same_as<decltype(verifier.try_verify(token)), verify_result>)
        co_return verifier.try_verify(token);
    else
        co_return co_await verifier.try_verify(token);
}

} // namespace detail

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

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        co_await identify(ctx);
        co_return co_await next(ctx);
    }

    /// Does this layer's work on `ctx` without calling further in (for custom pipelines).
    asio::awaitable<void> identify(context& ctx) const {
        const authenticate_options& o = *options_;
        std::string_view token;
        bool from_cookie = false;
        if (ctx.req().count(http::field::authorization) > 1) {
            // Proxies and frameworks disagree on which of two wins: refuse the ambiguity.
            malformed(ctx, "Multiple Authorization headers.");
            co_return;
        }
        if (auto auth = ctx.req().find(http::field::authorization); auth != ctx.req().end()) {
            std::string_view value =
                detail::trim_blanks({auth->value().data(), auth->value().size()});
            auto space = value.find_first_of(" \t");
            std::string_view scheme = value.substr(0, space);
            bool ours = false;
            for (const auto& t : o.header_types)
                ours = ours || detail::equals_ignoring_case(scheme, t);
            if (!ours)
                co_return; // another scheme: not ours to judge
            std::string_view rest = space == std::string_view::npos
                                        ? std::string_view{}
                                        : detail::trim_blanks(value.substr(space + 1));
            if (rest.empty() || rest.find_first_of(" \t") != std::string_view::npos) {
                fail(ctx, "Authorization header must contain two space-delimited values.");
                co_return;
            }
            token = rest;
        } else if (o.cookies) {
            std::size_t sent = 0;
            auto cookie = detail::find_cookie(ctx.req(), o.cookies->access_cookie, &sent);
            if (sent > 1) {
                // Browsers send a name twice when cookies of several paths or domains match
                // (one may be planted by a sibling subdomain): refuse rather than guess.
                malformed(ctx, "Multiple access token cookies.");
                co_return;
            }
            if (!cookie || cookie->empty())
                co_return;
            token = *cookie;
            from_cookie = true;
        } else {
            co_return;
        }

        if (from_cookie && !detail::safe_method(ctx.req().method())) {
            if (auto problem = detail::csrf_problem(ctx.req(), *o.cookies)) {
                auto& f = ctx.emplace<authentication_failure>();
                f.description = std::move(*problem);
                f.csrf = true;
                f.challenge = detail::bearer_challenge(o.realm);
                co_return;
            }
        }

        verify_result verified = co_await detail::verify_with(*verifier_, token);
        if (!verified) {
            fail(ctx, std::string(message(verified.reason())), verified.reason());
            co_return;
        }
        boost::json::object claims = std::move(verified.value().claims);
        if (detail::string_claim(claims, o.token_type_claim) !=
            std::optional<std::string_view>{"access"}) {
            fail(ctx, std::string(message(error::wrong_token_type)), error::wrong_token_type);
            co_return;
        }
        if (o.require_jti) {
            auto jti = detail::string_claim(claims, o.jti_claim);
            if (!jti || jti->empty()) {
                fail(ctx, "Token has no id.", error::missing_claim);
                co_return;
            }
        }
        auto user_id = detail::user_id_of(claims, o.user_id_claim);
        if (!user_id || (o.valid_user_id && !o.valid_user_id(*user_id))) {
            fail(ctx, "Token contained no recognizable user identification.", error::missing_claim);
            co_return;
        }
        if constexpr (!std::same_as<Store, no_token_store>) {
            bool revoked = co_await detail::is_revoked(*store_, o.store_prefix, claims, *user_id);
            if (revoked) {
                fail(ctx, "Token has been revoked.");
                co_return;
            }
        }
        if (o.user_active) {
            auto lookup = o.user_active(*user_id);
            bool active = co_await std::move(lookup);
            if (!active) {
                fail(ctx, "User not found or inactive.");
                co_return;
            }
        }
        ctx.principal().user_id = std::move(*user_id);
        ctx.principal().claims = std::move(claims);
    }

    const authenticate_options& options() const noexcept { return *options_; }

private:
    void malformed(context& ctx, std::string description) const {
        auto& f = ctx.emplace<authentication_failure>();
        f.description = std::move(description);
        f.malformed = true;
        f.challenge = detail::bearer_challenge(options_->realm);
    }

    void fail(context& ctx, std::string description,
              std::optional<jwt::error> reason = std::nullopt) const {
        auto& f = ctx.emplace<authentication_failure>();
        f.challenge = detail::bearer_challenge(options_->realm, description);
        f.description = std::move(description);
        f.reason = reason;
    }

    const Verifier* verifier_;
    Store* store_;
    std::shared_ptr<const authenticate_options> options_;
};

/// Throws the failure `authenticate` recorded, if any (place it after the throttles).
struct enforce {
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        if (const auto* failure = ctx.find<authentication_failure>())
            failure->raise();
        co_return co_await next(ctx);
    }
};

/** Refuses anonymous requests: 401 `not_authenticated` with `WWW-Authenticate: Bearer
    realm="..."`. A recorded authentication failure is thrown instead, so a client whose
    token was refused learns why even without `enforce` in the pipeline.
*/
class require_authenticated {
public:
    explicit require_authenticated(std::string realm = "api") : realm_(std::move(realm)) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        check(ctx);
        co_return co_await next(ctx);
    }

    /// Throws unless `ctx` is authenticated.
    void check(const context& ctx) const {
        if (ctx.principal().authenticated())
            return;
        if (const auto* failure = ctx.find<authentication_failure>())
            failure->raise();
        not_authenticated err;
        err.with_header("WWW-Authenticate", detail::bearer_challenge(realm_));
        throw err;
    }

private:
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

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        bool allowed;
        if constexpr (std::same_as<std::invoke_result_t<Predicate&, const context&>,
                                   asio::awaitable<bool>>)
            allowed = co_await predicate_(std::as_const(ctx));
        else
            allowed = static_cast<bool>(predicate_(std::as_const(ctx)));
        if (!allowed) {
            auth_.check(ctx);
            if (detail_.empty())
                throw permission_denied();
            throw permission_denied(detail_);
        }
        co_return co_await next(ctx);
    }

private:
    Predicate predicate_;
    require_authenticated auth_;
    std::string detail_;
};

static_assert(middleware<enforce>);
static_assert(middleware<require_authenticated>);

} // namespace rampart::jwt

#endif
