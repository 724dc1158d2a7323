#ifndef RAMPART_JWT_TOKEN_SERVICE_HPP
#define RAMPART_JWT_TOKEN_SERVICE_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/event_observer.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/jwt/authenticate.hpp>
#include <rampart/jwt/concepts.hpp>
#include <rampart/jwt/cookies.hpp>
#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/jwt/verifier.hpp>
#include <rampart/router/route_doc.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::jwt {

/** A user_directory made of two callables (see user_directory for what each must do):

    @code
    check(std::string_view username, std::string_view password)
        -> asio::awaitable<std::optional<std::string>>   // the user id, or nullopt
    active(std::string_view user_id) -> asio::awaitable<bool>
    @endcode

    docs/jwt.md shows a complete pair. A callable of another shape is refused here, at the
    user's line (see credentials_check and activity_check).
*/
template <credentials_check Check, activity_check Active>
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

/// What the token endpoints did, for token_service_options::on_event.
enum class token_event {
    /// A login: a new pair issued by obtain.
    obtained,
    /// A refresh token used up for a new pair.
    refreshed,
    /// A used refresh token came back after the grace interval: its family is revoked.
    reuse_detected,
    /// A logout: a refresh token blacklisted.
    blacklisted,
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
    /// Told of each event as it happens (rampart::metrics::token_metrics makes one), on the
    /// request's thread. None by default.
    event_observer<token_event> on_event{};
};

/// An access token and the refresh token of the same login.
struct token_pair {
    issued_token access;
    issued_token refresh;
};

/** The token endpoints: obtain a pair, refresh with rotation, verify, blacklist (logout).

    Each endpoint is a rampart handler (`(context&) -> awaitable<response>`) that throws the
    right http_error for bad input; mount them on `POST` routes:

    - obtain (`username`, `password`): 200 `{"access","refresh"}`; 400 fields, 401 wrong
      credentials.
    - refresh (`refresh`): 200 `{"access","refresh"}`; 400, 401 invalid, expired or reused.
    - verify (`token`): 200 `{}`; 400, 401 invalid, expired or revoked.
    - blacklist (`refresh`): 200 `{}`; 400, 401 invalid or used by a refresh.

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
    verifier's clock when it has one (verifier_with_clock). `Users` is a user_directory; when
    it is a user_directory_with_claims, its claims go into the tokens at login.

    Throws (every endpoint): the http_error of the table (4xx, the client's); 503 when the
    store is unavailable (what the store or the user directory throws passes through); a
    500 only for a server fault (no randomness for a CSRF token).
*/
template <token_store Store, user_directory Users, class Issuer = issuer<>,
          token_verifier Verifier = verifier<>>
class token_service {
    static_assert(
        user_directory_with_claims<Users> ||
            !requires(Users & u) { u.extra_claims(std::string_view{}); },
        "rampart::jwt: extra_claims(std::string_view) must return "
        "asio::awaitable<boost::json::object>");

public:
    using time_point = std::chrono::system_clock::time_point;

    /// Throws: std::invalid_argument (a configuration error) for cookie options a
    /// `Set-Cookie` cannot carry, when the transport uses cookies.
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
    asio::awaitable<response> obtain(context& ctx);

    /** `POST {"refresh"}`: a new access token and a new refresh token; the presented one is
        used up. Reads the refresh cookie (with the CSRF check) when the body has none.

        Everything that can fail (the checks, both signatures, the CSRF value, the response)
        runs before the one write that uses the token up; after it only a move that cannot
        throw. So an error answer (a 500 from a failing random generator, a 503 from the
        store) never leaves the token used, and the client's retry is not taken for theft.
    */
    asio::awaitable<response> refresh(context& ctx);

    /// `POST {"token"}`: 200 `{}` when the token (of any type) is valid and not revoked.
    asio::awaitable<response> verify(context& ctx);

    /** `POST {"refresh"}`: logs the login out; that refresh token never works again (and, by
        default, neither does any token of its family). Clears the cookies in cookie transport.

        Idempotent, so a client may retry it: a token already logged out, or of a family or
        user already revoked, is logged out again and answered 200. A token already used by a
        refresh is a reuse, refused (401) and its family revoked, as at refresh. The family is
        revoked before the token is marked, so a failure between the two (503) leaves a state
        the retry completes.
    */
    asio::awaitable<response> blacklist(context& ctx);

    /** Logs `user_id` out everywhere: every token issued to them until now, refresh and
        access (where authenticate has the store), is refused from now on. Tokens issued in
        this same second are refused too (token times are whole seconds).
    */
    asio::awaitable<void> revoke_user(std::string_view user_id);

    /// A new login's token pair for `user_id`, without checking credentials (after sign-up,
    /// or a login the application checked itself). Throws: what the issuer throws (key_error
    /// for a key that cannot sign: a configuration error).
    token_pair issue_pair(std::string_view user_id, boost::json::object extra = {}) const;

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

    /** Each endpoint's documentation, to give its route (rampart::openapi reads it): the request
        and response bodies as this service's options make them, 400, 401 (with
        `WWW-Authenticate`) and 503, and in a cookie transport the cookies set and the CSRF
        check (403).

        @code
        auth.post("/api/token/", tokens.obtain_handler(), "token", tokens.obtain_doc());
        @endcode
    */
    route_doc obtain_doc() const;
    route_doc refresh_doc() const;
    route_doc verify_doc() const;
    route_doc blacklist_doc() const;

    const token_service_options& options() const noexcept { return options_; }

private:
    /// A refresh token read_refresh accepted, with the claims every endpoint needs.
    struct presented {
        std::string token;
        boost::json::object claims;
        std::string jti;
        std::string family; ///< `fam`, or the jti for a token from before families
        std::string user_id;
    };

    time_point clock_now() const;

    static std::int64_t to_millis(time_point t);

    /// When an entry about this token may be forgotten: when the token expires.
    static time_point expiry_of(const boost::json::object& claims, time_point now);

    boost::json::value user_id_value(std::string_view id) const;

    http_error refused(std::string detail, std::string code) const;

    /// The refresh token from the body (or the cookie), verified, of type refresh, with a
    /// jti and a user id, and (when `refuse_revoked`) from a family and user not revoked.
    /// Throws 400/401/403 otherwise.
    asio::awaitable<presented> read_refresh(context& ctx, bool refuse_revoked);

    /// A used refresh token came back: within the grace interval a plain 401, else the family
    /// is revoked first. Always throws.
    asio::awaitable<void> reused(std::string_view jti, std::string_view family, time_point now);

    asio::awaitable<void> revoke_family(std::string_view family, time_point now);

    response respond_with(const token_pair& pair) const;

    void clear_cookies(response& res) const;

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

#include <rampart/jwt/impl/token_service.hpp>

#endif
