#ifndef RAMPART_JWT_IMPL_TOKEN_SERVICE_HPP
#define RAMPART_JWT_IMPL_TOKEN_SERVICE_HPP

#include <rampart/detail/ascii.hpp>
#include <rampart/detail/strict_json.hpp>
#include <rampart/jwt/detail/cleanse.hpp>
#include <rampart/jwt/detail/token_docs.hpp>
#include <rampart/validation/read.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <type_traits>

namespace rampart::jwt {

namespace detail {

/** The request body as a JSON object: JSON media type (415), at most `max_size` bytes (413),
    strict JSON without repeated member names (400). An empty body without a Content-Type
    reads as `{}` when `allow_empty` (cookie refresh and logout send nothing). The media type
    is judged by validation::is_json_media_type, as every rampart JSON body is; the texts
    are simplejwt's (DRF's), which clients of the token endpoints know.
*/
inline boost::json::object read_object(const request& req, std::size_t max_size, bool allow_empty) {
    auto ct = req.find(http::field::content_type);
    if (allow_empty && req.body().empty() && ct == req.end())
        return {};
    if (ct == req.end() ||
        !validation::is_json_media_type({ct->value().data(), ct->value().size()}))
        throw unsupported_media_type("Unsupported media type in request; expected "
                                     "application/json.");
    if (req.body().size() > max_size)
        throw payload_too_large("Request body is too large (limit " + std::to_string(max_size) +
                                " bytes).");
    boost::json::object out;
    switch (rampart::detail::parse_object(req.body(), out)) {
    case rampart::detail::json_status::ok:
        return out;
    case rampart::detail::json_status::duplicate_key:
        throw parse_error("JSON parse error: an object has the same key more than once.");
    default:
        throw parse_error("JSON parse error: the body must be one valid JSON object.");
    }
}

/// A required, non-blank string member; errors go into `errors` the way DRF words them.
inline std::optional<std::string> string_field(const boost::json::object& body,
                                               std::string_view name, std::size_t max_size,
                                               field_errors& errors) {
    auto it = body.find(name);
    if (it == body.end()) {
        errors.add(name, "This field is required.", "required");
        return std::nullopt;
    }
    const auto& v = it->value();
    if (v.is_null()) {
        errors.add(name, "This field may not be null.", "null");
        return std::nullopt;
    }
    if (!v.is_string()) {
        errors.add(name, "Not a valid string.", "invalid");
        return std::nullopt;
    }
    std::string_view s{v.get_string()};
    if (rampart::detail::trim_ows(s).empty()) {
        errors.add(name, "This field may not be blank.", "blank");
        return std::nullopt;
    }
    if (s.size() > max_size) {
        errors.add(
            name, "Ensure this field has no more than " + std::to_string(max_size) + " characters.",
            "max_length");
        return std::nullopt;
    }
    return std::string(s);
}

/** The value of a used refresh token's `jti:` entry: the time of use in milliseconds when a
    refresh used it, `-1 - time` when a logout did. Telling them apart lets a repeated logout
    succeed while a logout with a token rotated away stays a reuse.
*/
constexpr std::int64_t logout_mark(std::int64_t millis) noexcept {
    return -1 - millis;
}
constexpr bool is_logout_mark(std::int64_t value) noexcept {
    return value < 0;
}

} // namespace detail

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<response> token_service<Store, Users, Issuer, Verifier>::obtain(context& ctx) {
    auto body = detail::read_object(ctx.req(), options_.max_body_size, false);
    // The password is in the parsed body and in its own copy: both are wiped however this
    // ends (a throwing check_credentials included). The raw request body is the server's.
    char* in_body = nullptr;
    std::size_t in_body_size = 0;
    if (auto* v = body.if_contains("password"); v && v->is_string()) {
        in_body = v->get_string().data();
        in_body_size = v->get_string().size();
    }
    detail::cleanse_on_exit wipe_body{in_body, in_body_size};
    field_errors errors;
    auto username = detail::string_field(body, "username", options_.max_username_size, errors);
    auto password = detail::string_field(body, "password", options_.max_password_size, errors);
    detail::cleanse_on_exit wipe_copy{password ? password->data() : nullptr,
                                      password ? password->size() : 0};
    if (!errors.empty())
        throw validation_error(std::move(errors));
    auto user_id = co_await users_.check_credentials(*username, *password);
    if (!user_id || user_id->empty()) {
        authentication_failed err{"No active account found with the given credentials.",
                                  "no_active_account"};
        err.with_header("WWW-Authenticate", detail::bearer_challenge(options_.realm));
        throw err;
    }
    boost::json::object extra;
    if constexpr (user_directory_with_claims<Users>)
        extra = co_await users_.extra_claims(*user_id);
    response res = respond_with(issue_pair(*user_id, std::move(extra)));
    options_.on_event(token_event::obtained);
    co_return res;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<response> token_service<Store, Users, Issuer, Verifier>::refresh(context& ctx) {
    presented p = co_await read_refresh(ctx, true);
    auto now = clock_now();
    const auto& claims = p.claims;
    const std::string& jti = p.jti;
    const std::string& family = p.family;
    bool active = co_await users_.is_active(p.user_id);
    if (!active)
        throw refused("No active account found for the given token.", "no_active_account");

    boost::json::object carried;
    for (const auto& c : claims) {
        auto k = c.key();
        if (k != issuer_.options().token_type_claim && k != "exp" && k != "iat" && k != "nbf" &&
            k != issuer_.options().jti_claim)
            carried[k] = c.value();
    }
    carried["fam"] = family;
    token_pair pair;
    pair.refresh = issuer_.issue("refresh", issuer_.options().refresh_lifetime, carried);
    pair.access = issuer_.issue("access", issuer_.options().access_lifetime, carried);
    response res = respond_with(pair);

    // The point of no return. A loser of a concurrent refresh discards its pair unseen.
    bool first_use = co_await store_.insert(detail::used_jti_key(options_.store_prefix, jti),
                                            to_millis(now), expiry_of(claims, now));
    if (!first_use)
        co_await reused(jti, family, now);
    options_.on_event(token_event::refreshed);
    static_assert(std::is_nothrow_move_constructible_v<response>);
    co_return res;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<response> token_service<Store, Users, Issuer, Verifier>::verify(context& ctx) {
    auto body = detail::read_object(ctx.req(), options_.max_body_size, false);
    field_errors errors;
    auto token = detail::string_field(body, "token", detail::max_token_size, errors);
    if (!errors.empty())
        throw validation_error(std::move(errors));
    verify_result verified = co_await detail::verify_with(verifier_, *token);
    if (!verified.has_value())
        throw refused(std::string(message(verified.error())), "token_not_valid");
    const auto& claims = verified->claims;
    auto user_id = detail::user_id_of(claims, issuer_.options().user_id_claim);
    if (user_id) {
        bool revoked = co_await detail::is_revoked(store_, options_.store_prefix, claims, *user_id);
        if (revoked)
            throw refused("Token is blacklisted.", "token_not_valid");
    }
    auto jti = detail::string_claim(claims, issuer_.options().jti_claim);
    if (jti && detail::string_claim(claims, issuer_.options().token_type_claim) ==
                   std::optional<std::string_view>{"refresh"}) {
        auto used = co_await store_.get(detail::used_jti_key(options_.store_prefix, *jti));
        if (used)
            throw refused("Token is blacklisted.", "token_not_valid");
    }
    co_return json_response(http::status::ok, boost::json::object{});
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<response> token_service<Store, Users, Issuer, Verifier>::blacklist(context& ctx) {
    presented p = co_await read_refresh(ctx, false);
    auto now = clock_now();
    const std::string& jti = p.jti;
    const std::string& family = p.family;
    response res = json_response(http::status::ok, boost::json::object{});
    if (options_.transport != token_transport::body)
        clear_cookies(res);

    auto key = detail::used_jti_key(options_.store_prefix, jti);
    auto used = co_await store_.get(key);
    if (used && !detail::is_logout_mark(*used))
        co_await reused(jti, family, now);
    if (options_.logout_revokes_family)
        co_await revoke_family(family, now); // idempotent: a retry writes it again
    if (!used) {
        bool first = co_await store_.insert(key, detail::logout_mark(to_millis(now)),
                                            expiry_of(p.claims, now));
        if (!first) { // a concurrent refresh or logout of this token came first
            auto winner = co_await store_.get(key);
            if (winner && !detail::is_logout_mark(*winner))
                co_await reused(jti, family, now);
        }
    }
    options_.on_event(token_event::blacklisted);
    co_return res;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<void>
token_service<Store, Users, Issuer, Verifier>::revoke_user(std::string_view user_id) {
    auto now = clock_now();
    auto longest = std::max(issuer_.options().access_lifetime, issuer_.options().refresh_lifetime);
    co_await store_.put(
        detail::user_revoked_key(options_.store_prefix, user_id),
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(),
        now + longest + std::chrono::seconds{1});
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
token_pair
token_service<Store, Users, Issuer, Verifier>::issue_pair(std::string_view user_id,
                                                          boost::json::object extra) const {
    extra[issuer_.options().user_id_claim] = user_id_value(user_id);
    extra.erase("fam");
    token_pair pair;
    std::string family = new_jti();
    extra["fam"] = family;
    extra[issuer_.options().jti_claim] = family;
    pair.refresh = issuer_.issue("refresh", issuer_.options().refresh_lifetime, extra);
    extra.erase(issuer_.options().jti_claim);
    pair.access = issuer_.issue("access", issuer_.options().access_lifetime, extra);
    return pair;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
typename token_service<Store, Users, Issuer, Verifier>::time_point
token_service<Store, Users, Issuer, Verifier>::clock_now() const {
    if constexpr (verifier_with_clock<Verifier>)
        return verifier_.clock().now();
    else
        return std::chrono::system_clock::now();
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
std::int64_t token_service<Store, Users, Issuer, Verifier>::to_millis(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
typename token_service<Store, Users, Issuer, Verifier>::time_point
token_service<Store, Users, Issuer, Verifier>::expiry_of(const boost::json::object& claims,
                                                         time_point now) {
    if (auto exp = detail::seconds_claim(claims, "exp"))
        return time_point{std::chrono::seconds{*exp}} + std::chrono::seconds{1};
    return now + std::chrono::hours{24};
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
boost::json::value
token_service<Store, Users, Issuer, Verifier>::user_id_value(std::string_view id) const {
    if (options_.numeric_user_ids && !id.empty() && id.size() <= 18 &&
        (id == "0" || id.front() != '0')) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
        if (ec == std::errc{} && end == id.data() + id.size() && n >= 0)
            return n;
    }
    return boost::json::string(id);
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
http_error token_service<Store, Users, Issuer, Verifier>::refused(std::string detail,
                                                                  std::string code) const {
    authentication_failed err{detail, std::move(code)};
    err.with_header("WWW-Authenticate", detail::bearer_challenge(options_.realm, detail));
    return err;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<typename token_service<Store, Users, Issuer, Verifier>::presented>
token_service<Store, Users, Issuer, Verifier>::read_refresh(context& ctx, bool refuse_revoked) {
    bool cookies = options_.transport != token_transport::body;
    auto body = detail::read_object(ctx.req(), options_.max_body_size, cookies);
    presented p;
    if (cookies && !body.contains("refresh")) {
        std::size_t sent = 0;
        auto cookie = detail::find_cookie(ctx.req(), options_.cookies.refresh_cookie, &sent);
        if (sent > 1) // several paths or domains match, one perhaps planted: never guess
            throw bad_request("Multiple refresh token cookies.");
        if (cookie && !cookie->empty()) {
            if (auto problem = detail::csrf_problem(ctx.req(), options_.cookies))
                throw permission_denied(std::move(*problem));
            p.token = std::string(*cookie);
        }
    }
    if (p.token.empty()) {
        field_errors errors;
        auto token = detail::string_field(body, "refresh", detail::max_token_size, errors);
        if (!errors.empty())
            throw validation_error(std::move(errors));
        p.token = std::move(*token);
    }
    verify_result verified = co_await detail::verify_with(verifier_, p.token);
    if (!verified.has_value())
        throw refused(std::string(message(verified.error())), "token_not_valid");
    p.claims = std::move(verified->claims);
    const auto& o = issuer_.options();
    if (detail::string_claim(p.claims, o.token_type_claim) !=
        std::optional<std::string_view>{"refresh"})
        throw refused(std::string(message(error::wrong_token_type)), "token_not_valid");
    auto jti = detail::string_claim(p.claims, o.jti_claim);
    if (!jti || jti->empty())
        throw refused("Token has no id.", "token_not_valid");
    auto user_id = detail::user_id_of(p.claims, o.user_id_claim);
    if (!user_id)
        throw refused("Token contained no recognizable user identification.", "token_not_valid");
    p.jti = std::string(*jti);
    p.family = std::string(detail::string_claim(p.claims, "fam").value_or(*jti));
    p.user_id = std::move(*user_id);
    if (refuse_revoked) {
        bool revoked =
            co_await detail::is_revoked(store_, options_.store_prefix, p.claims, p.user_id);
        if (revoked)
            throw refused("Token is blacklisted.", "token_not_valid");
    }
    co_return p;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<void> token_service<Store, Users, Issuer, Verifier>::reused(std::string_view jti,
                                                                            std::string_view family,
                                                                            time_point now) {
    if (options_.reuse_grace.count() > 0) {
        // A logged-out token is no second tab: never within grace.
        auto used_at = co_await store_.get(detail::used_jti_key(options_.store_prefix, jti));
        if (used_at && !detail::is_logout_mark(*used_at) &&
            to_millis(now) - *used_at <= options_.reuse_grace.count())
            throw refused("Token has already been refreshed.", "token_not_valid");
    }
    options_.on_event(token_event::reuse_detected);
    co_await revoke_family(family, now);
    throw refused("Token is blacklisted.", "token_not_valid");
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
asio::awaitable<void>
token_service<Store, Users, Issuer, Verifier>::revoke_family(std::string_view family,
                                                             time_point now) {
    // Every member expires within a refresh lifetime of now (none can be issued later:
    // refresh checks the family first), so the entry may go then.
    co_await store_.put(detail::family_revoked_key(options_.store_prefix, family), to_millis(now),
                        now + issuer_.options().refresh_lifetime + std::chrono::minutes{1});
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
response token_service<Store, Users, Issuer, Verifier>::respond_with(const token_pair& pair) const {
    boost::json::object body;
    if (options_.transport != token_transport::cookies) {
        body["access"] = pair.access.token;
        body["refresh"] = pair.refresh.token;
    }
    response res = json_response(http::status::ok, body);
    res.set(http::field::cache_control, "no-store");
    if (options_.transport != token_transport::body) {
        const auto& c = options_.cookies;
        auto now = clock_now();
        auto left = [&](time_point t) {
            return std::chrono::duration_cast<std::chrono::seconds>(t - now);
        };
        res.insert(http::field::set_cookie,
                   detail::set_cookie(c, c.access_cookie, pair.access.token, c.path,
                                      left(pair.access.expires_at), true));
        res.insert(http::field::set_cookie,
                   detail::set_cookie(c, c.refresh_cookie, pair.refresh.token, c.refresh_path,
                                      left(pair.refresh.expires_at), true));
        res.insert(http::field::set_cookie,
                   detail::set_cookie(c, c.csrf_cookie, detail::random_csrf_token(), c.path,
                                      left(pair.refresh.expires_at), false));
    }
    return res;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
void token_service<Store, Users, Issuer, Verifier>::clear_cookies(response& res) const {
    const auto& c = options_.cookies;
    using std::chrono::seconds;
    res.insert(http::field::set_cookie,
               detail::set_cookie(c, c.access_cookie, "", c.path, seconds{0}, true));
    res.insert(http::field::set_cookie,
               detail::set_cookie(c, c.refresh_cookie, "", c.refresh_path, seconds{0}, true));
    res.insert(http::field::set_cookie,
               detail::set_cookie(c, c.csrf_cookie, "", c.path, seconds{0}, false));
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
route_doc token_service<Store, Users, Issuer, Verifier>::obtain_doc() const {
    const auto& o = options_;
    route_doc d = detail::token_doc(
        "Obtain an access and a refresh token",
        "A new login. Wrong credentials and an unknown user get the same 401.",
        detail::token_body({{"username", o.max_username_size}, {"password", o.max_password_size}},
                           true),
        detail::token_pair_result(o.transport));
    d.headers.push_back(detail::no_store_header());
    if (o.transport != token_transport::body)
        d.headers.push_back(detail::cookies_header(o.cookies, false));
    return d;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
route_doc token_service<Store, Users, Issuer, Verifier>::refresh_doc() const {
    const auto& o = options_;
    route_doc d = detail::token_doc(
        "Rotate a refresh token",
        "A new access and refresh token; the refresh token presented is used up. Presenting it "
        "again is taken for theft: 401, and every token of its login is revoked.",
        detail::token_body({{"refresh", detail::max_token_size}},
                           o.transport == token_transport::body),
        detail::token_pair_result(o.transport));
    d.headers.push_back(detail::no_store_header());
    if (o.transport != token_transport::body) {
        d.headers.push_back(detail::cookies_header(o.cookies, false));
        detail::refresh_cookie_doc(d, o.cookies);
    }
    return d;
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
route_doc token_service<Store, Users, Issuer, Verifier>::verify_doc() const {
    return detail::token_doc(
        "Check a token", "200 when the token (access or refresh) is valid and not revoked.",
        detail::token_body({{"token", detail::max_token_size}}, true), detail::empty_result());
}

template <token_store Store, user_directory Users, class Issuer, token_verifier Verifier>
route_doc token_service<Store, Users, Issuer, Verifier>::blacklist_doc() const {
    const auto& o = options_;
    route_doc d =
        detail::token_doc("Log out",
                          std::string("The refresh token never works again") +
                              (o.logout_revokes_family ? ", nor any token of its login" : "") +
                              ". Logging out again answers 200 again.",
                          detail::token_body({{"refresh", detail::max_token_size}},
                                             o.transport == token_transport::body),
                          detail::empty_result());
    if (o.transport != token_transport::body) {
        d.headers.push_back(detail::cookies_header(o.cookies, true));
        detail::refresh_cookie_doc(d, o.cookies);
    }
    return d;
}

} // namespace rampart::jwt

#endif
