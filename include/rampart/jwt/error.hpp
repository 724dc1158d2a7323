#ifndef RAMPART_JWT_ERROR_HPP
#define RAMPART_JWT_ERROR_HPP

#include <rampart/detail/error_category.hpp>
#include <rampart/errors/http_error.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace rampart::jwt {

/** Why a token was refused. Each refusal has its own reason so tests, logs and metrics can
    tell them apart; clients see only a short message (see message()).

    An error-code enum (category error_category(), named `rampart.jwt`), like
    rampart::redis::error: a `boost::system::error_code` can hold it and compare equal to it.
    Zero is no error, so the first reason is 1.
*/
enum class error {
    too_large = 1,    ///< longer than verifier_options::max_token_size (checked first)
    malformed,        ///< not three dot-separated parts, or a header/claim of the wrong type
    bad_base64,       ///< a part is not canonical unpadded base64url
    bad_json,         ///< the header or the claims are not valid JSON objects
    duplicate_key,    ///< the header or the claims repeat a member name
    unsupported_typ,  ///< the header's `typ` is present and is not `JWT`
    alg_none,         ///< `alg` is `none` (in any letter case): unsigned tokens are refused
    alg_not_allowed,  ///< `alg` is unknown, or no key of the set is bound to it
    crit_unsupported, ///< `crit` names a header parameter this verifier does not understand
    unknown_kid,      ///< `kid` names no key of the set (and the set has kids)
    bad_signature,    ///< the signature does not verify (or has the wrong length)
    expired,          ///< `exp` is not after now minus the leeway
    not_yet_valid,    ///< `nbf` is after now plus the leeway
    issued_in_future, ///< `iat` is after now plus the leeway
    bad_issuer,       ///< `iss` is missing or not the expected issuer
    bad_audience,     ///< `aud` does not name an accepted audience, or is unexpected
    missing_claim,    ///< a required claim is absent
    wrong_token_type, ///< the `token_type` claim is not the one expected
};

/// A stable snake_case name for the reason (`"bad_signature"`), for logs and tests.
constexpr std::string_view to_string(error e) noexcept {
    switch (e) {
    case error::too_large:
        return "too_large";
    case error::malformed:
        return "malformed";
    case error::bad_base64:
        return "bad_base64";
    case error::bad_json:
        return "bad_json";
    case error::duplicate_key:
        return "duplicate_key";
    case error::unsupported_typ:
        return "unsupported_typ";
    case error::alg_none:
        return "alg_none";
    case error::alg_not_allowed:
        return "alg_not_allowed";
    case error::crit_unsupported:
        return "crit_unsupported";
    case error::unknown_kid:
        return "unknown_kid";
    case error::bad_signature:
        return "bad_signature";
    case error::expired:
        return "expired";
    case error::not_yet_valid:
        return "not_yet_valid";
    case error::issued_in_future:
        return "issued_in_future";
    case error::bad_issuer:
        return "bad_issuer";
    case error::bad_audience:
        return "bad_audience";
    case error::missing_claim:
        return "missing_claim";
    case error::wrong_token_type:
        return "wrong_token_type";
    }
    return "unknown";
}

/// Writes to_string(e), for logs and test output.
inline std::ostream& operator<<(std::ostream& os, error e) {
    return os << to_string(e);
}

/** A short message for clients. It says what kind of problem the token has without helping
    an attacker: every signature or key problem reads the same.
*/
constexpr std::string_view message(error e) noexcept {
    switch (e) {
    case error::expired:
        return "Token is expired.";
    case error::not_yet_valid:
        return "Token is not yet valid.";
    case error::wrong_token_type:
        return "Token has wrong type.";
    case error::too_large:
        return "Token is too large.";
    default:
        return "Token is invalid or expired.";
    }
}

namespace detail {

/// The words of rampart::jwt::error codes: to_string()'s names.
struct error_text {
    static constexpr const char* name = "rampart.jwt";
    static std::string message(int ev) { return std::string(to_string(static_cast<error>(ev))); }
};

} // namespace detail

/// The category of rampart::jwt::error codes.
inline const boost::system::error_category& error_category() noexcept {
    return rampart::detail::error_category<detail::error_text>::instance();
}

/// `e` as a `boost::system::error_code` of error_category().
inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/** A token was refused.

    It is an `authentication_failed` (401, code `token_not_valid`, the code simplejwt uses), so
    one escaping a handler renders as a 401 rather than a 500. reason() says exactly why.
    The authentication middleware adds the `WWW-Authenticate` header.
*/
class token_error : public authentication_failed {
public:
    explicit token_error(error reason)
        : authentication_failed(std::string(message(reason)), "token_not_valid"), reason_(reason) {}

    error reason() const noexcept { return reason_; }

private:
    error reason_;
};

/** Throws token_error(e). verify_result::value() calls it (found by argument-dependent
    lookup, as boost::system::result asks), so a refused token read as a value is a 401.
*/
[[noreturn]] inline void throw_exception_from_error(error e, const boost::source_location&) {
    throw token_error(e);
}

/// Key material is unusable: wrong type for the algorithm, too small, unparsable, missing
/// private half for signing. Thrown when keys are made, never while verifying a token.
class key_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// A JWKS document could not be fetched or read (network, TLS, HTTP status, size, JSON).
class jwks_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/** Why key material could not be used, as the non-throwing makers (key::try_from_pem,
    key::try_from_jwk) report it: the message key_error would carry. `value()` of their
    result throws that key_error.
*/
struct key_problem {
    std::string message;
};

/// Why a JWKS document could not be read, as try_parse_jwks reports it; `value()` of its
/// result throws the jwks_error.
struct jwks_problem {
    std::string message;
};

/// Throws key_error(p.message); boost::system::result calls it for key_problem errors.
[[noreturn]] inline void throw_exception_from_error(const key_problem& p,
                                                    const boost::source_location&) {
    throw key_error(p.message);
}

/// Throws jwks_error(p.message); boost::system::result calls it for jwks_problem errors.
[[noreturn]] inline void throw_exception_from_error(const jwks_problem& p,
                                                    const boost::source_location&) {
    throw jwks_error(p.message);
}

} // namespace rampart::jwt

template <>
struct boost::system::is_error_code_enum<rampart::jwt::error> : std::true_type {};

#endif
