#ifndef RAMPART_JWT_ALGORITHM_HPP
#define RAMPART_JWT_ALGORITHM_HPP

#include <cstddef>
#include <optional>
#include <string_view>

namespace rampart::jwt {

/** A JWS signature algorithm (RFC 7518 section 3, RFC 8037).

    Every jwt::key is bound to exactly one of these: a token is only ever checked with the
    algorithm its key was made for, whatever the token's header claims. `none` has no value
    here on purpose: unsigned tokens cannot be represented, so they cannot be accepted.
*/
enum class algorithm {
    hs256, ///< HMAC with SHA-256
    hs384, ///< HMAC with SHA-384
    hs512, ///< HMAC with SHA-512
    rs256, ///< RSASSA-PKCS1-v1_5 with SHA-256
    rs384, ///< RSASSA-PKCS1-v1_5 with SHA-384
    rs512, ///< RSASSA-PKCS1-v1_5 with SHA-512
    ps256, ///< RSASSA-PSS with SHA-256, MGF1 SHA-256, salt length 32
    ps384, ///< RSASSA-PSS with SHA-384, MGF1 SHA-384, salt length 48
    ps512, ///< RSASSA-PSS with SHA-512, MGF1 SHA-512, salt length 64
    es256, ///< ECDSA on P-256 with SHA-256, raw R||S (64 bytes)
    es384, ///< ECDSA on P-384 with SHA-384, raw R||S (96 bytes)
    es512, ///< ECDSA on P-521 with SHA-512, raw R||S (132 bytes)
    eddsa, ///< EdDSA on Ed25519 (RFC 8037)
};

/// The kind of key an algorithm needs. A key of one family never serves another.
enum class key_family {
    hmac, ///< a shared secret (JWK `kty: oct`)
    rsa,  ///< RSA (JWK `kty: RSA`), for RS* and PS*
    ec,   ///< an elliptic curve key (JWK `kty: EC`)
    okp,  ///< an octet key pair (JWK `kty: OKP`), Ed25519
};

/// The name used in a JWS header's `alg` (`"HS256"`, `"EdDSA"`, ...).
constexpr std::string_view name(algorithm alg) noexcept {
    switch (alg) {
    case algorithm::hs256:
        return "HS256";
    case algorithm::hs384:
        return "HS384";
    case algorithm::hs512:
        return "HS512";
    case algorithm::rs256:
        return "RS256";
    case algorithm::rs384:
        return "RS384";
    case algorithm::rs512:
        return "RS512";
    case algorithm::ps256:
        return "PS256";
    case algorithm::ps384:
        return "PS384";
    case algorithm::ps512:
        return "PS512";
    case algorithm::es256:
        return "ES256";
    case algorithm::es384:
        return "ES384";
    case algorithm::es512:
        return "ES512";
    case algorithm::eddsa:
        return "EdDSA";
    }
    return "";
}

/// The algorithm named exactly `text` (case-sensitive, as RFC 7515 requires), or nullopt.
constexpr std::optional<algorithm> algorithm_from_name(std::string_view text) noexcept {
    constexpr algorithm all[] = {
        algorithm::hs256, algorithm::hs384, algorithm::hs512, algorithm::rs256, algorithm::rs384,
        algorithm::rs512, algorithm::ps256, algorithm::ps384, algorithm::ps512, algorithm::es256,
        algorithm::es384, algorithm::es512, algorithm::eddsa};
    for (algorithm a : all)
        if (name(a) == text)
            return a;
    return std::nullopt;
}

/// The key family `alg` needs.
constexpr key_family family(algorithm alg) noexcept {
    switch (alg) {
    case algorithm::hs256:
    case algorithm::hs384:
    case algorithm::hs512:
        return key_family::hmac;
    case algorithm::rs256:
    case algorithm::rs384:
    case algorithm::rs512:
    case algorithm::ps256:
    case algorithm::ps384:
    case algorithm::ps512:
        return key_family::rsa;
    case algorithm::es256:
    case algorithm::es384:
    case algorithm::es512:
        return key_family::ec;
    case algorithm::eddsa:
        return key_family::okp;
    }
    return key_family::hmac;
}

/// The digest size in bytes of the algorithm's hash (0 for EdDSA, which hashes internally).
constexpr std::size_t hash_size(algorithm alg) noexcept {
    switch (alg) {
    case algorithm::hs256:
    case algorithm::rs256:
    case algorithm::ps256:
    case algorithm::es256:
        return 32;
    case algorithm::hs384:
    case algorithm::rs384:
    case algorithm::ps384:
    case algorithm::es384:
        return 48;
    case algorithm::hs512:
    case algorithm::rs512:
    case algorithm::ps512:
    case algorithm::es512:
        return 64;
    case algorithm::eddsa:
        return 0;
    }
    return 0;
}

} // namespace rampart::jwt

#endif
