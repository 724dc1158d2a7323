#ifndef RAMPART_JWT_CONCEPTS_HPP
#define RAMPART_JWT_CONCEPTS_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/jwt/verifier.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace rampart::jwt {

/** A verifier `authenticate` and the token service can use: `try_verify(token)` returns a
    `verify_result` (jwt::verifier), or an `awaitable<verify_result>` (a verifier wrapped with
    a remote_jwks, say). It must check signature and time claims but not the token type.
*/
template <class V>
concept token_verifier = requires(const V& v, std::string_view token) {
    requires std::same_as<decltype(v.try_verify(token)), verify_result> ||
        std::same_as<decltype(v.try_verify(token)), asio::awaitable<verify_result>>;
};

/** A token_verifier that tells the time: `clock()` returns a clock_source (jwt::verifier does).
    The token service then takes "now" from that clock, so a test's manual clock moves token
    expiry and store entries together; other verifiers leave it on the system clock.
*/
template <class V>
concept verifier_with_clock = token_verifier<V> && requires(const V& v) {
    requires clock_source<std::remove_cvref_t<decltype(v.clock())>>;
};

/** Checks a login: `f(username, password)` returns an
    `asio::awaitable<std::optional<std::string>>`, the user's id when the credentials are right
    and the account active, else nullopt. The first argument of jwt::user_callbacks.
*/
template <class F>
concept credentials_check = std::invocable<F&, std::string_view, std::string_view> &&
    std::same_as<std::invoke_result_t<F&, std::string_view, std::string_view>,
                 asio::awaitable<std::optional<std::string>>>;

/** Says whether a user may still get tokens: `f(user_id)` returns an `asio::awaitable<bool>`.
    The second argument of jwt::user_callbacks.
*/
template <class F>
concept activity_check = std::invocable<F&, std::string_view> &&
    std::same_as<std::invoke_result_t<F&, std::string_view>, asio::awaitable<bool>>;

/** Where the application's users live, as the token service sees them.

    - `check_credentials(username, password)`: the user's id when the credentials are right
      and the account is active, else nullopt. It must cost the same for an unknown user as
      for a wrong password (see password_hasher::async_check) and should run the hash off the
      I/O threads.
    - `is_active(user_id)`: whether the user still exists and may sign in; every refresh asks,
      so a deleted or disabled account stops getting tokens at once.

    Optionally `extra_claims`: see user_directory_with_claims.
*/
template <class U>
concept user_directory = requires(U& u, std::string_view text) {
    {
        u.check_credentials(text, text)
        } -> std::same_as<asio::awaitable<std::optional<std::string>>>;
    { u.is_active(text) } -> std::same_as<asio::awaitable<bool>>;
};

/** A user_directory that also has `extra_claims(user_id) -> awaitable<boost::json::object>`:
    claims added to the tokens at login (roles, say); refresh carries them over unchanged, as
    simplejwt does. A directory with an `extra_claims` of another shape does not compile with
    the token service (it is never silently ignored).
*/
template <class U>
concept user_directory_with_claims = user_directory<U> && requires(U& u, std::string_view id) {
    { u.extra_claims(id) } -> std::same_as<asio::awaitable<boost::json::object>>;
};

} // namespace rampart::jwt

#endif
