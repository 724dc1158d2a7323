#ifndef RAMPART_JWT_KEY_HPP
#define RAMPART_JWT_KEY_HPP

#include <rampart/jwt/algorithm.hpp>
#include <rampart/jwt/error.hpp>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

namespace rampart::jwt {

namespace detail {
struct key_material;
} // namespace detail

/// How strictly an HMAC secret's length is checked.
enum class secret_policy {
    /// RFC 7518 section 3.2: at least as many bytes as the hash (32 for HS256). The default.
    require_hash_size,
    /// Accept any non-empty secret, e.g. an existing deployment's shorter Django SECRET_KEY.
    /// A short secret can be brute-forced offline from any token: avoid.
    allow_short,
};

/// How a JWK (RFC 7517) is turned into a key.
struct jwk_options {
    /// Accept `kty: oct` (an HMAC secret). Off by default: a JWKS usually comes from someone
    /// else, and a shared secret published there is no secret.
    bool allow_symmetric = false;
    /// The algorithm for an RSA JWK that carries no `alg` member. EC and OKP keys without `alg`
    /// take the one their curve implies.
    algorithm rsa_default = algorithm::rs256;
};

/** A key bound to exactly one JWS algorithm.

    A key signs and verifies with its algorithm and nothing else: an RS256 key never checks an
    HS256 token (the algorithm-confusion attack), an HMAC secret is never made from public key
    bytes, and a JWK's `kty` must be the family of its `alg`. Keys are checked when made: RSA
    moduli of at least 2048 bits, EC keys on the curve the algorithm names, HMAC secrets at
    least the hash size unless secret_policy::allow_short.

    A key is immutable and cheap to copy (the material is shared); one key may be used by many
    threads at once. Secrets are wiped from memory when the last copy goes.
*/
class key {
public:
    /// A key, or why it could not be made (value() then throws the key_error).
    using result = boost::system::result<key, key_problem>;

    /// An HMAC key (HS256/384/512).
    /// Throws: key_error (a configuration error) for a non-HMAC algorithm, an empty secret,
    /// or (by default) one shorter than the hash.
    static key hmac(algorithm alg, std::string_view secret, std::string kid = {},
                    secret_policy policy = secret_policy::require_hash_size);

    /// HS256 with `secret` (simplejwt's default algorithm).
    static key hs256(std::string_view secret, std::string kid = {},
                     secret_policy policy = secret_policy::require_hash_size) {
        return hmac(algorithm::hs256, secret, std::move(kid), policy);
    }

    /** A key from PEM text: a PKCS#8 private key (`BEGIN PRIVATE KEY`), a traditional RSA/EC
        private key, an SPKI public key (`BEGIN PUBLIC KEY`) or an X.509 certificate's public
        key. A private key can sign and verify; a public one only verifies. Encrypted PEM is
        refused (no passphrase prompt).

        Throws: key_error (a configuration error) when the text holds no key, or a key of the
        wrong family, curve or size for `alg`.
    */
    static key from_pem(algorithm alg, std::string_view pem, std::string kid = {});

    /// As from_pem, without throwing: the key or the problem (for a key file read at run
    /// time, where a bad file is to be logged rather than thrown). Throws: std::bad_alloc only.
    static result try_from_pem(algorithm alg, std::string_view pem, std::string kid = {});

    /** A verification key from one JWK (a JSON object, RFC 7517/7518/8037): `RSA` (`n`, `e`),
        `EC` (`crv` P-256/P-384/P-521, `x`, `y`), `OKP` (`crv` Ed25519, `x`), and `oct` (`k`)
        only with jwk_options::allow_symmetric. The `alg` member, when present, must belong to
        the `kty`'s family; `use`, when present, must be `sig`; `key_ops`, when present, must
        include `verify`. Private members are ignored: the key only verifies.

        Throws: key_error when the JWK is unusable (a configuration error, or the remote
        issuer's when the JWK came from a JWKS).
    */
    static key from_jwk(const boost::json::object& jwk, const jwk_options& options = {});

    /// As from_jwk, without throwing: the key or the problem. Throws: std::bad_alloc only.
    static result try_from_jwk(const boost::json::object& jwk, const jwk_options& options = {});

    /// A fresh random key for `alg`: RSA 2048, the algorithm's curve, or a 64-byte secret.
    /// Throws: key_error when OpenSSL fails (no randomness: a server fault).
    static key generate(algorithm alg, std::string kid = {});

    /// The only algorithm this key signs and verifies with.
    algorithm alg() const noexcept;

    /// The key id (`kid`); empty when none was given.
    const std::string& kid() const noexcept;

    /// A copy of this key under another id. Throws: std::bad_alloc only.
    key with_kid(std::string kid) const;

    /// Whether this is a shared secret (HMAC).
    bool symmetric() const noexcept { return family(alg()) == key_family::hmac; }

    /// Whether this key can sign (an HMAC secret or a private key).
    bool can_sign() const noexcept;

    /** The public JWK (`kty`, `kid` when set, `use: sig`, `alg`, and the public members only).
        Throws: key_error for an HMAC key (a programming error): secrets are never exported.
    */
    boost::json::object public_jwk() const;

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`).
    /// Throws: key_error for an HMAC key (a programming error).
    std::string public_pem() const;

    /// The private key as PKCS#8 PEM.
    /// Throws: key_error for a public or HMAC key (a programming error).
    std::string private_pem() const;

    /** The JWS signature (raw bytes, R||S for ECDSA) over `signing_input`.
        Throws: key_error when the key cannot sign (a programming error) or OpenSSL fails.
    */
    std::string sign(std::string_view signing_input) const;

    /** Whether `signature` (raw bytes) is this key's signature over `signing_input`. HMAC
        tags are compared in constant time; an ECDSA signature of the wrong length fails.
        Never throws.
    */
    bool verify(std::string_view signing_input, std::string_view signature) const noexcept;

    /// The OpenSSL key (null for HMAC), for interoperating with other OpenSSL code.
    EVP_PKEY* native_handle() const noexcept;

private:
    explicit key(std::shared_ptr<const detail::key_material> m) noexcept : m_(std::move(m)) {}
    std::shared_ptr<const detail::key_material> m_;
};

} // namespace rampart::jwt

#include <rampart/jwt/impl/key.hpp>

#endif
