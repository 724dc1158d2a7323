#ifndef RAMPART_JWT_VERIFIER_HPP
#define RAMPART_JWT_VERIFIER_HPP

#include <rampart/core/clock.hpp>
#include <rampart/jwt/claims.hpp>
#include <rampart/jwt/error.hpp>
#include <rampart/jwt/key_set.hpp>

#include <boost/json/storage_ptr.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
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

/** The outcome of verifier::try_verify: a verified token or the reason for refusing it.

    A `boost::system::result<verified_token, jwt::error>`: test it with `has_value()` (or
    `if (r)`), read the reason with `error()` (convertible to a `boost::system::error_code`),
    the token with `*r`, `r->` or `value()`. It adds only the spellings this library used
    before it was a result: `ok()` for has_value() and `reason()` for error().

    Throws: `value()` of a refused token throws token_error (401, the client's error).
*/
class verify_result : public boost::system::result<verified_token, jwt::error> {
    using base = boost::system::result<verified_token, jwt::error>;

public:
    using base::base;

    /// Same as has_value().
    bool ok() const noexcept { return has_value(); }

    /// Same as error(): the refusal reason. Only meaningful when !ok().
    jwt::error reason() const noexcept { return error(); }
};

/// Writes `verified` or the reason (`refused: expired`), for logs and test output.
inline std::ostream& operator<<(std::ostream& os, const verify_result& r) {
    if (r.has_value())
        return os << "verified";
    return os << "refused: " << r.error();
}

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

    /** The verified token.

        Throws: token_error (401, the client's error) with the reason when refused.
    */
    verified_token verify(std::string_view token) const { return try_verify(token).value(); }

    /// The verified token or the reason it was refused. Throws only std::bad_alloc.
    /// (A verifier is a token_verifier.)
    verify_result try_verify(std::string_view token) const { return try_verify(token, keys_); }

    /** As try_verify, with the token's header and claims built in `sp` (a
        boost::json::monotonic_resource over a buffer of the request, say): a typical token
        is then verified without touching the heap. The token must not outlive `sp`'s memory
        resource. Throws only std::bad_alloc.
    */
    verify_result try_verify(std::string_view token, boost::json::storage_ptr sp) const {
        return try_verify(token, keys_, std::move(sp));
    }

    /// As try_verify, with another key set (e.g. one fetched by remote_jwks), and the header
    /// and claims in `sp` (the default resource when null).
    verify_result try_verify(std::string_view token, const key_set& keys,
                             boost::json::storage_ptr sp = {}) const;

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
