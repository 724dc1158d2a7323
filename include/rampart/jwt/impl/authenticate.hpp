#ifndef RAMPART_JWT_IMPL_AUTHENTICATE_HPP
#define RAMPART_JWT_IMPL_AUTHENTICATE_HPP

#include <rampart/detail/ascii.hpp>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::jwt {

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

/// Calls `f` with the error `failure` stands for: 403 for CSRF, 400 when malformed, else the
/// 401 `invalid_token` with its challenge.
template <class F>
void with_failure_error(const authentication_failure& failure, F&& f) {
    if (failure.csrf)
        return f(permission_denied(failure.description));
    if (failure.malformed)
        return f(bad_request(failure.description));
    authentication_failed err{failure.description, "invalid_token"};
    err.with_header("WWW-Authenticate", failure.challenge);
    f(std::as_const(err));
}

} // namespace detail

inline void authentication_failure::raise() const {
    detail::with_failure_error(*this, [](const auto& err) { throw err; });
    std::terminate(); // not reached: every error is thrown
}

inline response authentication_failure::render(const context& ctx) const {
    response res;
    detail::with_failure_error(*this, [&](const auto& err) { res = ctx.render_error(err); });
    return res;
}

inline bool integer_user_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 19 || id.front() == '0')
        return false;
    for (char c : id)
        if (c < '0' || c > '9')
            return false;
    return id.size() < 19 || id <= "9223372036854775807";
}

template <token_verifier Verifier, class Store>
asio::awaitable<void> authenticate<Verifier, Store>::identify(context& ctx) const {
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
            rampart::detail::trim_ows({auth->value().data(), auth->value().size()});
        auto space = value.find_first_of(" \t");
        std::string_view scheme = value.substr(0, space);
        bool ours = false;
        for (const auto& t : o.header_types)
            ours = ours || rampart::detail::iequals(scheme, t);
        if (!ours)
            co_return; // another scheme: not ours to judge
        std::string_view rest = space == std::string_view::npos
                                    ? std::string_view{}
                                    : rampart::detail::trim_ows(value.substr(space + 1));
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
    if (!verified.has_value()) {
        fail(ctx, std::string(message(verified.error())), verified.error());
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

template <token_verifier Verifier, class Store>
void authenticate<Verifier, Store>::malformed(context& ctx, std::string description) const {
    auto& f = ctx.emplace<authentication_failure>();
    f.description = std::move(description);
    f.malformed = true;
    f.challenge = detail::bearer_challenge(options_->realm);
}

template <token_verifier Verifier, class Store>
void authenticate<Verifier, Store>::fail(context& ctx, std::string description,
                                         std::optional<jwt::error> reason) const {
    auto& f = ctx.emplace<authentication_failure>();
    f.challenge = detail::bearer_challenge(options_->realm, description);
    f.description = std::move(description);
    f.reason = reason;
}

template <class F>
bool require_authenticated::refuse(const context& ctx, F&& f) const {
    if (ctx.principal().authenticated())
        return false;
    if (const auto* failure = ctx.find<authentication_failure>()) {
        detail::with_failure_error(*failure, f);
        return true;
    }
    not_authenticated err;
    err.with_header("WWW-Authenticate", detail::bearer_challenge(realm_));
    f(std::as_const(err));
    return true;
}

inline void require_authenticated::check(const context& ctx) const {
    refuse(ctx, [](const auto& err) { throw err; });
}

inline std::optional<response> require_authenticated::before(context& ctx) const {
    std::optional<response> answer;
    refuse(ctx, [&](const auto& err) { answer = ctx.render_error(err); });
    return answer;
}

template <class Predicate>
template <class Next>
asio::awaitable<response> require_permission<Predicate>::operator()(context& ctx, Next& next) {
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

} // namespace rampart::jwt

#endif
