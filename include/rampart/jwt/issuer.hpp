#ifndef RAMPART_JWT_ISSUER_HPP
#define RAMPART_JWT_ISSUER_HPP

#include <rampart/core/clock.hpp>
#include <rampart/detail/base64url.hpp> // token_service.hpp still uses the jwt::detail names
#include <rampart/jwt/key.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <openssl/rand.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::jwt {

/// What an issuer puts in its tokens. The defaults are djangorestframework-simplejwt's.
struct issuer_options {
    /// simplejwt ACCESS_TOKEN_LIFETIME (5 minutes).
    std::chrono::seconds access_lifetime{300};
    /// simplejwt REFRESH_TOKEN_LIFETIME (1 day).
    std::chrono::seconds refresh_lifetime{86400};
    /// simplejwt USER_ID_CLAIM.
    std::string user_id_claim = "user_id";
    /// simplejwt TOKEN_TYPE_CLAIM.
    std::string token_type_claim = "token_type";
    /// simplejwt JTI_CLAIM.
    std::string jti_claim = "jti";
    /// When not empty, the `iss` claim (simplejwt ISSUER).
    std::string issuer;
    /// When not empty, the `aud` claim: a string for one audience, an array for several.
    std::vector<std::string> audiences;
};

/// A signed token with the values the token service needs to track it.
struct issued_token {
    std::string token;
    std::string jti;
    std::chrono::system_clock::time_point issued_at;
    std::chrono::system_clock::time_point expires_at;
};

/// A fresh token id: 16 random bytes from OpenSSL's CSPRNG as 32 lowercase hex digits, the
/// shape of simplejwt's `uuid4().hex`.
/// Throws: key_error if the CSPRNG fails (a server fault, never the client's).
inline std::string new_jti() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw key_error("rampart::jwt: the random generator failed");
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (std::size_t i = 0; i < sizeof bytes; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return out;
}

/** Signs tokens with one key.

    issue() writes the claims simplejwt writes, in its order: `token_type`, `exp`, `iat`, `jti`,
    then the user id and any extra claims (`iss`/`aud` when configured). `exp` and `iat` are
    integers (seconds). The header is `{"alg":"HS256","typ":"JWT"}` (plus `kid` when the key has
    one, members sorted as PyJWT writes them), so a simplejwt service with the same secret
    accepts these tokens, and the reverse.

    Thread-safe; `Clock` is any clock_source.
*/
template <clock_source Clock = system_clock>
class issuer {
public:
    /// Throws: key_error (a configuration error) when `signing_key` cannot sign (a public key).
    explicit issuer(key signing_key, issuer_options options = {}, Clock clock = {})
        : key_(std::move(signing_key)), options_(std::move(options)), clock_(std::move(clock)) {
        if (!key_.can_sign())
            throw key_error("rampart::jwt: an issuer needs a private key or a secret");
        header_ = "{\"alg\":\"" + std::string(name(key_.alg())) + "\"";
        if (!key_.kid().empty())
            header_ += ",\"kid\":" + boost::json::serialize(boost::json::value(key_.kid()));
        header_ += ",\"typ\":\"JWT\"}";
        header_ = rampart::detail::base64url_encode(header_);
    }

    /** A token of `token_type` valid for `lifetime` from now, carrying `claims` after the
        standard ones. A claim in `claims` with a standard name replaces the standard value
        (e.g. to keep a refresh token's `exp` when deriving from it).

        Throws: key_error when the CSPRNG or the signature fails (a server fault).
    */
    issued_token issue(std::string_view token_type, std::chrono::seconds lifetime,
                       const boost::json::object& claims = {}) const {
        using namespace std::chrono;
        auto now = time_point_cast<seconds>(clock_.now());
        issued_token out;
        out.jti = new_jti();
        out.issued_at = now;
        out.expires_at = now + lifetime;
        boost::json::object body;
        body.reserve(claims.size() + 6);
        body[options_.token_type_claim] = token_type;
        body["exp"] = duration_cast<seconds>(out.expires_at.time_since_epoch()).count();
        body["iat"] = now.time_since_epoch().count();
        body[options_.jti_claim] = out.jti;
        if (!options_.issuer.empty())
            body["iss"] = options_.issuer;
        if (options_.audiences.size() == 1)
            body["aud"] = options_.audiences.front();
        else if (!options_.audiences.empty())
            body["aud"] = boost::json::value_from(options_.audiences);
        for (const auto& c : claims)
            body[c.key()] = c.value();
        if (auto jti = body.find(options_.jti_claim); jti != body.end() && jti->value().is_string())
            out.jti = std::string(jti->value().get_string());
        if (auto exp = body.find("exp"); exp != body.end() && exp->value().is_int64())
            out.expires_at =
                std::chrono::system_clock::time_point{seconds{exp->value().get_int64()}};
        out.token = sign(body);
        return out;
    }

    /// An access token for `user_id` (an integer or a string, written as given).
    /// Throws: as issue().
    issued_token access(const boost::json::value& user_id, boost::json::object extra = {}) const {
        extra[options_.user_id_claim] = user_id;
        return issue("access", options_.access_lifetime, extra);
    }

    /// A refresh token for `user_id`. Throws: as issue().
    issued_token refresh(const boost::json::value& user_id, boost::json::object extra = {}) const {
        extra[options_.user_id_claim] = user_id;
        return issue("refresh", options_.refresh_lifetime, extra);
    }

    /// Signs exactly `claims` (nothing added) and returns the compact token.
    /// Throws: key_error when the signature fails (a server fault).
    std::string sign(const boost::json::object& claims) const {
        std::string token = header_;
        token += '.';
        rampart::detail::base64url_encode(boost::json::serialize(claims), token);
        std::string signature = key_.sign(token);
        token += '.';
        rampart::detail::base64url_encode(signature, token);
        return token;
    }

    const key& signing_key() const noexcept { return key_; }
    const issuer_options& options() const noexcept { return options_; }

private:
    key key_;
    issuer_options options_;
    Clock clock_;
    std::string header_; // base64url of the fixed header
};

} // namespace rampart::jwt

#endif
