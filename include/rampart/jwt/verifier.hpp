#ifndef RAMPART_JWT_VERIFIER_HPP
#define RAMPART_JWT_VERIFIER_HPP

#include <rampart/core/clock.hpp>
#include <rampart/jwt/claims.hpp>
#include <rampart/jwt/error.hpp>
#include <rampart/jwt/key_set.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rampart::jwt {

/// What a verifier checks beyond the signature. The defaults suit simplejwt-style tokens.
struct verifier_options {
    /// Slack for clock skew between issuer and verifier, applied to `exp`, `nbf` and `iat`.
    std::chrono::seconds leeway{0};
    /// When not empty, `iss` must equal it.
    std::string issuer;
    /** The audiences this service answers to. When not empty, `aud` (a string or an array of
        strings) must name one of them. When empty, a token that carries `aud` is refused: it
        was meant for someone else (PyJWT does the same).
    */
    std::vector<std::string> audiences;
    /// Claims that must be present. `exp` by default: a token that never expires is refused.
    std::vector<std::string> required_claims{"exp"};
    /// When not empty, the claim named token_type_claim must equal it (`"access"`).
    std::string token_type;
    std::string token_type_claim = "token_type";
    /// Tokens longer than this are refused before any decoding.
    std::size_t max_token_size = 8192;
    /// Header parameters that may appear in `crit` because the caller checks them itself.
    /// Any other `crit` entry refuses the token (RFC 7515 section 4.1.11).
    std::vector<std::string> understood_critical;
};

/// The outcome of verifier::try_verify: a verified token or the reason for refusing it.
class verify_result {
public:
    verify_result(verified_token token) : v_(std::move(token)) {}
    verify_result(error reason) : v_(reason) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    /// The refusal reason. Only meaningful when !ok().
    error reason() const noexcept { return ok() ? error::malformed : std::get<1>(v_); }

    /// The token; throws token_error(reason()) when refused.
    verified_token& value() & {
        if (!ok())
            throw token_error(reason());
        return std::get<0>(v_);
    }
    verified_token&& value() && { return std::move(value()); }
    verified_token* operator->() { return &value(); }

private:
    std::variant<verified_token, error> v_;
};

/** Verifies compact JWS tokens (RFC 7515/7519) against a key set.

    The order of checks: size cap; three base64url parts (strict: unpadded, canonical);
    header: a JSON object without duplicate members, `typ` absent or `JWT`, `alg` neither
    `none` nor unknown, `crit` only with understood members; key selection by `kid` and `alg`
    (a key is used only for its own algorithm); the signature (HMAC compared in constant time);
    only then the claims are decoded: a JSON object without duplicate members, the required
    claims, `exp`/`nbf`/`iat` (numbers, checked against the clock with the leeway), `iss`,
    `aud`, the token type. Keys from the token (`jku`, `jwk`, `x5u`, `x5c`) are never used.

    A verifier is immutable after construction and safe to use from many threads.
    `Clock` is any clock_source; tests pass a clock_ref to a manual_clock.
*/
template <clock_source Clock = system_clock>
class verifier {
public:
    explicit verifier(key_set keys, verifier_options options = {}, Clock clock = {})
        : keys_(std::move(keys)), options_(std::move(options)), clock_(std::move(clock)) {}

    /// The verified token; throws token_error with the reason when refused.
    verified_token verify(std::string_view token) const { return try_verify(token).value(); }

    /// The verified token or the reason it was refused. Throws only std::bad_alloc.
    verify_result try_verify(std::string_view token) const { return try_verify(token, keys_); }

    /// As try_verify, with another key set (e.g. one fetched by remote_jwks).
    verify_result try_verify(std::string_view token, const key_set& keys) const;

    const key_set& keys() const noexcept { return keys_; }
    const verifier_options& options() const noexcept { return options_; }
    const Clock& clock() const noexcept { return clock_; }

private:
    verify_result check_claims(verified_token&& t) const;

    key_set keys_;
    verifier_options options_;
    Clock clock_;
};

/** The `kid` in a token's header, read without verifying anything (empty when the token is
    malformed or has none). For choosing or fetching keys only: never trust it otherwise.
*/
std::string peek_kid(std::string_view token, std::size_t max_token_size = 8192);

} // namespace rampart::jwt

#include <rampart/jwt/impl/verifier.hpp>

#endif
