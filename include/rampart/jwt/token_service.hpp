#ifndef RAMPART_JWT_TOKEN_SERVICE_HPP
#define RAMPART_JWT_TOKEN_SERVICE_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/jwt/authenticate.hpp>
#include <rampart/jwt/detail/cleanse.hpp>
#include <rampart/jwt/detail/strict_json.hpp>
#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/jwt/verifier.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <openssl/rand.h>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace rampart::jwt {

/** Where the application's users live, as the token service sees them.

    - `check_credentials(username, password)`: the user's id when the credentials are right
      and the account is active, else nullopt. It must cost the same for an unknown user as
      for a wrong password (see password_hasher::async_check) and should run the hash off the
      I/O threads.
    - `is_active(user_id)`: whether the user still exists and may sign in; every refresh asks,
      so a deleted or disabled account stops getting tokens at once.

    Optionally `extra_claims(user_id) -> awaitable<boost::json::object>`: claims added to the
    tokens at login (roles, say); refresh carries them over unchanged, as simplejwt does.
*/
template <class U>
concept user_directory = requires(U& u, std::string_view text) {
    {
        u.check_credentials(text, text)
        } -> std::same_as<asio::awaitable<std::optional<std::string>>>;
    { u.is_active(text) } -> std::same_as<asio::awaitable<bool>>;
};

/// A user_directory made of two callables (see user_directory for what each must do).
template <class Check, class Active>
class user_callbacks {
public:
    user_callbacks(Check check, Active active)
        : check_(std::move(check)), active_(std::move(active)) {}

    asio::awaitable<std::optional<std::string>> check_credentials(std::string_view username,
                                                                  std::string_view password) {
        return check_(username, password);
    }
    asio::awaitable<bool> is_active(std::string_view user_id) { return active_(user_id); }

private:
    Check check_;
    Active active_;
};

/// How the token endpoints hand tokens to clients.
enum class token_transport {
    /// In the JSON body only (API clients: `Authorization: Bearer`). simplejwt's behaviour.
    body,
    /// In HttpOnly cookies only (browser clients); refresh and logout read the refresh cookie
    /// and demand the CSRF double-submit. Tokens never reach page script.
    cookies,
    /// Both, for services whose one endpoint serves both kinds of client.
    body_and_cookies,
};

/// What the token service does beyond what the issuer and verifier decide.
struct token_service_options {
    token_transport transport = token_transport::body;
    /// Cookie names and attributes (used unless transport is body).
    cookie_options cookies;
    /** Reuse of a rotated refresh token within this long of its first use is refused (401)
        without revoking its family: two browser tabs refreshing at once. Zero (the default)
        treats every reuse as theft.
    */
    std::chrono::milliseconds reuse_grace{0};
    /// Logging out (blacklist) revokes the whole family of the refresh token, so every
    /// access token of that login is refused too where authenticate has the store.
    bool logout_revokes_family = true;
    /// Prefix of every store key (`jti:`, `family-revoked:`, `user-revoked:` follow it).
    std::string store_prefix;
    /// Largest request body read, in bytes (413 above).
    std::size_t max_body_size = 16 * 1024;
    /// Longest accepted username and password, in bytes (400 above).
    std::size_t max_username_size = 150;
    std::size_t max_password_size = 4096;
    /// The `realm` of `WWW-Authenticate` on 401s.
    std::string realm = "api";
    /// Write a user id made only of digits as a JSON number, as simplejwt does for integer
    /// primary keys. Other ids are strings.
    bool numeric_user_ids = true;
};

/// An access token and the refresh token of the same login.
struct token_pair {
    issued_token access;
    issued_token refresh;
};

namespace detail {

inline bool json_media_type(std::string_view ct) noexcept {
    ct = ct.substr(0, ct.find(';'));
    ct = trim_blanks(ct);
    if (equals_ignoring_case(ct, "application/json"))
        return true;
    auto slash = ct.find('/');
    return slash != std::string_view::npos &&
           equals_ignoring_case(ct.substr(0, slash), "application") && ct.size() > 5 &&
           equals_ignoring_case(ct.substr(ct.size() - 5), "+json");
}

/** The request body as a JSON object: JSON media type (415), at most `max_size` bytes (413),
    strict JSON without repeated member names (400). An empty body without a Content-Type
    reads as `{}` when `allow_empty` (cookie refresh and logout send nothing).
*/
inline boost::json::object read_object(const request& req, std::size_t max_size, bool allow_empty) {
    auto ct = req.find(http::field::content_type);
    if (allow_empty && req.body().empty() && ct == req.end())
        return {};
    if (ct == req.end() || !json_media_type({ct->value().data(), ct->value().size()}))
        throw unsupported_media_type("Unsupported media type in request; expected "
                                     "application/json.");
    if (req.body().size() > max_size)
        throw payload_too_large("Request body is too large (limit " + std::to_string(max_size) +
                                " bytes).");
    boost::json::object out;
    switch (parse_object(req.body(), out)) {
    case json_status::ok:
        return out;
    case json_status::duplicate_key:
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
    if (trim_blanks(s).empty()) {
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

/// A URL-safe random token for the CSRF cookie (32 bytes, 43 characters).
inline std::string random_csrf_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("rampart: no randomness for a CSRF token");
    std::string out;
    base64url_encode(std::string_view{reinterpret_cast<const char*>(bytes), sizeof bytes}, out);
    return out;
}

inline void check_cookie_text(std::string_view what, std::string_view text, bool allow_empty) {
    if (!allow_empty && text.empty())
        throw std::invalid_argument("rampart::jwt: empty cookie " + std::string(what));
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == ';' || c == ',' || c == '"' || c == '\\' ||
            (c == '=' && what == "name"))
            throw std::invalid_argument("rampart::jwt: invalid character in cookie " +
                                        std::string(what));
    }
}

inline void check_cookie_options(const cookie_options& c) {
    for (auto* name : {&c.access_cookie, &c.refresh_cookie, &c.csrf_cookie, &c.csrf_header})
        check_cookie_text("name", *name, false);
    check_cookie_text("path", c.path, false);
    check_cookie_text("path", c.refresh_path, false);
    check_cookie_text("domain", c.domain, true);
    if (c.same_site != "Strict" && c.same_site != "Lax" && c.same_site != "None")
        throw std::invalid_argument("rampart::jwt: SameSite must be Strict, Lax or None");
    if (c.same_site == "None" && !c.secure)
        throw std::invalid_argument("rampart::jwt: SameSite=None needs Secure");
}

inline std::string set_cookie(const cookie_options& c, std::string_view name,
                              std::string_view value, std::string_view path,
                              std::chrono::seconds max_age, bool http_only) {
    std::string out{name};
    out += '=';
    out += value;
    out += "; Path=";
    out += path;
    if (!c.domain.empty()) {
        out += "; Domain=";
        out += c.domain;
    }
    out += "; Max-Age=";
    out += std::to_string(max_age.count() < 0 ? 0 : max_age.count());
    if (http_only)
        out += "; HttpOnly";
    if (c.secure)
        out += "; Secure";
    out += "; SameSite=";
    out += c.same_site;
    return out;
}

} // namespace detail

/** The token endpoints: obtain a pair, refresh with rotation, verify, blacklist (logout).

    Each endpoint is a rampart handler (`(context&) -> awaitable<response>`) that throws the
    right http_error for bad input; mount them on `POST` routes:

    | handler          | body            | success                   | failures                   |
    |------------------|-----------------|---------------------------|----------------------------|
    | obtain           | username, password | 200 `{"access","refresh"}` | 400 fields; 401 wrong
   credentials | | refresh          | refresh         | 200 `{"access","refresh"}` | 400; 401
   invalid/expired/reused | | verify           | token           | 200 `{}`                  | 400;
   401 invalid/expired/revoked | | blacklist        | refresh         | 200 `{}`                  |
   400; 401 invalid/used by a refresh |

    Bodies must be JSON objects with a JSON Content-Type (415 otherwise), at most
    `max_body_size` bytes (413), strict JSON (400 with detail).

    Rotation and reuse detection. Every refresh token of one login shares a family id (claim
    `fam`, the first refresh token's `jti`). A refresh records the presented token's `jti` in
    the store with an atomic insert, so of any number of concurrent refreshes of one token
    exactly one succeeds. Presenting an already-used refresh token again is theft (the thief
    or the victim holds a copy): the whole family is revoked (`family-revoked:<fam>`), and
    every token of that login stops working. Within `reuse_grace` of the first use, a reuse is
    refused without revoking (two tabs refreshing at once).

    The store holds token ids and times only, never tokens, and every entry expires when the
    token it is about would have, so it stays as small as the set of live tokens.

    The issuer, verifier and store are held by reference and must outlive the service and its
    handlers; the verifier must not insist on a token type. The service's time comes from the
    verifier's clock when it has one.
*/
template <token_store Store, user_directory Users, class Issuer = issuer<>,
          token_verifier Verifier = verifier<>>
class token_service {
public:
    using time_point = std::chrono::system_clock::time_point;

    token_service(const Issuer& issuer, const Verifier& verifier, Store& store, Users users,
                  token_service_options options = {})
        : issuer_(issuer), verifier_(verifier), store_(store), users_(std::move(users)),
          options_(std::move(options)) {
        if (options_.transport != token_transport::body)
            detail::check_cookie_options(options_.cookies);
    }

    token_service(const token_service&) = delete;
    token_service& operator=(const token_service&) = delete;

    /// `POST {"username", "password"}`: a new login, with a new token family. Writes nothing
    /// to the store.
    asio::awaitable<response> obtain(context& ctx) {
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
        if constexpr (requires { users_.extra_claims(std::string_view{}); })
            extra = co_await users_.extra_claims(*user_id);
        co_return respond_with(issue_pair(*user_id, std::move(extra)));
    }

    /** `POST {"refresh"}`: a new access token and a new refresh token; the presented one is
        used up. Reads the refresh cookie (with the CSRF check) when the body has none.

        Everything that can fail (the checks, both signatures, the CSRF value, the response)
        runs before the one write that uses the token up; after it only a move that cannot
        throw. So an error answer (a 500 from a failing random generator, a 503 from the
        store) never leaves the token used, and the client's retry is not taken for theft.
    */
    asio::awaitable<response> refresh(context& ctx) {
        auto [token, claims] = co_await read_refresh(ctx, true);
        auto now = clock_now();
        auto jti = detail::string_claim(claims, issuer_.options().jti_claim);
        auto family = detail::string_claim(claims, "fam").value_or(*jti);
        auto user_id = detail::user_id_of(claims, issuer_.options().user_id_claim);
        bool active = co_await users_.is_active(*user_id);
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
        bool first_use = co_await store_.insert(detail::used_jti_key(options_.store_prefix, *jti),
                                                to_millis(now), expiry_of(claims, now));
        if (!first_use)
            co_await reused(*jti, family, now);
        static_assert(std::is_nothrow_move_constructible_v<response>);
        co_return res;
    }

    /// `POST {"token"}`: 200 `{}` when the token (of any type) is valid and not revoked.
    asio::awaitable<response> verify(context& ctx) {
        auto body = detail::read_object(ctx.req(), options_.max_body_size, false);
        field_errors errors;
        auto token = detail::string_field(body, "token", 16 * 1024, errors);
        if (!errors.empty())
            throw validation_error(std::move(errors));
        verify_result verified = co_await detail::verify_with(verifier_, *token);
        if (!verified)
            throw refused(std::string(message(verified.reason())), "token_not_valid");
        const auto& claims = verified->claims;
        auto user_id = detail::user_id_of(claims, issuer_.options().user_id_claim);
        if (user_id) {
            bool revoked =
                co_await detail::is_revoked(store_, options_.store_prefix, claims, *user_id);
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

    /** `POST {"refresh"}`: logs the login out; that refresh token never works again (and, by
        default, neither does any token of its family). Clears the cookies in cookie transport.

        Idempotent, so a client may retry it: a token already logged out, or of a family or
        user already revoked, is logged out again and answered 200. A token already used by a
        refresh is a reuse, refused (401) and its family revoked, as at refresh. The family is
        revoked before the token is marked, so a failure between the two (503) leaves a state
        the retry completes.
    */
    asio::awaitable<response> blacklist(context& ctx) {
        auto [token, claims] = co_await read_refresh(ctx, false);
        auto now = clock_now();
        auto jti = detail::string_claim(claims, issuer_.options().jti_claim);
        auto family = detail::string_claim(claims, "fam").value_or(*jti);
        response res = json_response(http::status::ok, boost::json::object{});
        if (options_.transport != token_transport::body)
            clear_cookies(res);

        auto key = detail::used_jti_key(options_.store_prefix, *jti);
        auto used = co_await store_.get(key);
        if (used && !detail::is_logout_mark(*used))
            co_await reused(*jti, family, now);
        if (options_.logout_revokes_family)
            co_await revoke_family(family, now); // idempotent: a retry writes it again
        if (!used) {
            bool first = co_await store_.insert(key, detail::logout_mark(to_millis(now)),
                                                expiry_of(claims, now));
            if (!first) { // a concurrent refresh or logout of this token came first
                auto winner = co_await store_.get(key);
                if (winner && !detail::is_logout_mark(*winner))
                    co_await reused(*jti, family, now);
            }
        }
        co_return res;
    }

    /** Logs `user_id` out everywhere: every token issued to them until now, refresh and
        access (where authenticate has the store), is refused from now on. Tokens issued in
        this same second are refused too (token times are whole seconds).
    */
    asio::awaitable<void> revoke_user(std::string_view user_id) {
        auto now = clock_now();
        auto longest =
            std::max(issuer_.options().access_lifetime, issuer_.options().refresh_lifetime);
        co_await store_.put(
            detail::user_revoked_key(options_.store_prefix, user_id),
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(),
            now + longest + std::chrono::seconds{1});
    }

    /// A new login's token pair for `user_id`, without checking credentials (after sign-up,
    /// or a login the application checked itself).
    token_pair issue_pair(std::string_view user_id, boost::json::object extra = {}) const {
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

    /// The endpoints as handler objects bound to this service, for routers.
    auto obtain_handler() {
        return [this](context& ctx) { return obtain(ctx); };
    }
    auto refresh_handler() {
        return [this](context& ctx) { return refresh(ctx); };
    }
    auto verify_handler() {
        return [this](context& ctx) { return verify(ctx); };
    }
    auto blacklist_handler() {
        return [this](context& ctx) { return blacklist(ctx); };
    }

    const token_service_options& options() const noexcept { return options_; }

private:
    struct presented {
        std::string token;
        boost::json::object claims;
    };

    time_point clock_now() const {
        if constexpr (requires { verifier_.clock().now(); })
            return verifier_.clock().now();
        else
            return std::chrono::system_clock::now();
    }

    static std::int64_t to_millis(time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    }

    /// When an entry about this token may be forgotten: when the token expires.
    static time_point expiry_of(const boost::json::object& claims, time_point now) {
        if (auto exp = detail::seconds_claim(claims, "exp"))
            return time_point{std::chrono::seconds{*exp}} + std::chrono::seconds{1};
        return now + std::chrono::hours{24};
    }

    boost::json::value user_id_value(std::string_view id) const {
        if (options_.numeric_user_ids && !id.empty() && id.size() <= 18 &&
            (id == "0" || id.front() != '0')) {
            std::int64_t n = 0;
            auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
            if (ec == std::errc{} && end == id.data() + id.size() && n >= 0)
                return n;
        }
        return boost::json::string(id);
    }

    http_error refused(std::string detail, std::string code) const {
        authentication_failed err{detail, std::move(code)};
        err.with_header("WWW-Authenticate", detail::bearer_challenge(options_.realm, detail));
        return err;
    }

    /// The refresh token from the body (or the cookie), verified, of type refresh, with a
    /// jti and a user id, and (when `refuse_revoked`) from a family and user not revoked.
    /// Throws 400/401/403 otherwise.
    asio::awaitable<presented> read_refresh(context& ctx, bool refuse_revoked) {
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
            auto token = detail::string_field(body, "refresh", 16 * 1024, errors);
            if (!errors.empty())
                throw validation_error(std::move(errors));
            p.token = std::move(*token);
        }
        verify_result verified = co_await detail::verify_with(verifier_, p.token);
        if (!verified)
            throw refused(std::string(message(verified.reason())), "token_not_valid");
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
            throw refused("Token contained no recognizable user identification.",
                          "token_not_valid");
        if (refuse_revoked) {
            bool revoked =
                co_await detail::is_revoked(store_, options_.store_prefix, p.claims, *user_id);
            if (revoked)
                throw refused("Token is blacklisted.", "token_not_valid");
        }
        co_return p;
    }

    /// A used refresh token came back: within the grace interval a plain 401, else the family
    /// is revoked first. Always throws.
    asio::awaitable<void> reused(std::string_view jti, std::string_view family, time_point now) {
        if (options_.reuse_grace.count() > 0) {
            // A logged-out token is no second tab: never within grace.
            auto used_at = co_await store_.get(detail::used_jti_key(options_.store_prefix, jti));
            if (used_at && !detail::is_logout_mark(*used_at) &&
                to_millis(now) - *used_at <= options_.reuse_grace.count())
                throw refused("Token has already been refreshed.", "token_not_valid");
        }
        co_await revoke_family(family, now);
        throw refused("Token is blacklisted.", "token_not_valid");
    }

    asio::awaitable<void> revoke_family(std::string_view family, time_point now) {
        // Every member expires within a refresh lifetime of now (none can be issued later:
        // refresh checks the family first), so the entry may go then.
        co_await store_.put(detail::family_revoked_key(options_.store_prefix, family),
                            to_millis(now),
                            now + issuer_.options().refresh_lifetime + std::chrono::minutes{1});
    }

    response respond_with(const token_pair& pair) const {
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

    void clear_cookies(response& res) const {
        const auto& c = options_.cookies;
        using std::chrono::seconds;
        res.insert(http::field::set_cookie,
                   detail::set_cookie(c, c.access_cookie, "", c.path, seconds{0}, true));
        res.insert(http::field::set_cookie,
                   detail::set_cookie(c, c.refresh_cookie, "", c.refresh_path, seconds{0}, true));
        res.insert(http::field::set_cookie,
                   detail::set_cookie(c, c.csrf_cookie, "", c.path, seconds{0}, false));
    }

    const Issuer& issuer_;
    const Verifier& verifier_;
    Store& store_;
    Users users_;
    token_service_options options_;
};

template <class Issuer, class Verifier, class Store, class Users>
token_service(const Issuer&, const Verifier&, Store&, Users, token_service_options = {})
    -> token_service<Store, Users, Issuer, Verifier>;

} // namespace rampart::jwt

#endif
