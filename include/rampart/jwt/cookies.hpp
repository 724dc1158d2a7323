#ifndef RAMPART_JWT_COOKIES_HPP
#define RAMPART_JWT_COOKIES_HPP

#include <rampart/core/context.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

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

namespace detail {

/** The value of cookie `name` across every `Cookie` header (the first when sent more than
    once), or nullopt. Quotes around a value are removed (RFC 6265 cookie-value). `count`, when
    given, receives how many times the cookie was sent.
*/
std::optional<std::string_view> find_cookie(const request& req, std::string_view name,
                                            std::size_t* count = nullptr);

/// Whether `m` is GET, HEAD, OPTIONS or TRACE: no CSRF check for them.
bool safe_method(http::verb m) noexcept;

/// Why a cookie request fails the CSRF double-submit check (its 403 detail), or nullopt
/// when header and cookie carry the same non-empty token, once each (compared in constant time).
std::optional<std::string> csrf_problem(const request& req, const cookie_options& c);

/// Throws: std::invalid_argument (a configuration error) for a name, path or domain a
/// `Set-Cookie` cannot carry, an unknown SameSite, or SameSite=None without Secure.
void check_cookie_options(const cookie_options& c);

/// One `Set-Cookie` value with the options' Domain, Secure and SameSite.
std::string set_cookie(const cookie_options& c, std::string_view name, std::string_view value,
                       std::string_view path, std::chrono::seconds max_age, bool http_only);

/// A URL-safe random token for the CSRF cookie (32 bytes, 43 characters).
/// Throws: std::runtime_error (a server fault, 500) when OpenSSL has no randomness.
std::string random_csrf_token();

} // namespace detail
} // namespace rampart::jwt

#include <rampart/jwt/impl/cookies.hpp>

#endif
