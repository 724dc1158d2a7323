#ifndef RAMPART_TESTS_JWT_TOKENS_SUPPORT_HPP
#define RAMPART_TESTS_JWT_TOKENS_SUPPORT_HPP

// Helpers for the token-layer tests: build tokens byte by byte, including broken ones.

#include <rampart/detail/base64url.hpp>
#include <rampart/jwt/key.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <string>
#include <string_view>

namespace rampart::test::jwt {

inline std::string b64(std::string_view raw) {
    return rampart::detail::base64url_encode(raw);
}

inline std::string b64_decode(std::string_view text) {
    std::string out;
    rampart::detail::base64url_decode(text, out);
    return out;
}

/// `b64(header).b64(payload).b64(signature by k)`, from raw JSON text (anything goes).
inline std::string make_token(std::string_view header, std::string_view payload,
                              const rampart::jwt::key& k) {
    std::string input = b64(header) + "." + b64(payload);
    return input + "." + b64(k.sign(input));
}

/// A time point `s` seconds after the epoch.
inline std::chrono::system_clock::time_point at(std::int64_t s) {
    return std::chrono::system_clock::time_point{std::chrono::seconds{s}};
}

/// PEM text of a freshly generated key of the given OpenSSL type ("RSA" with bits, "EC" with a
/// curve, "ED25519"), private (PKCS#8) or public (SPKI).
inline std::string generated_pem(EVP_PKEY* pkey, bool priv) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (priv)
        PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    else
        PEM_write_bio_PUBKEY(bio, pkey);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

inline std::string rsa_pem(std::size_t bits, bool priv = true) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits);
    std::string out = generated_pem(k, priv);
    EVP_PKEY_free(k);
    return out;
}

inline std::string ec_pem(const char* curve, bool priv = true) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    std::string out = generated_pem(k, priv);
    EVP_PKEY_free(k);
    return out;
}

inline std::string ed25519_pem(bool priv = true) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    std::string out = generated_pem(k, priv);
    EVP_PKEY_free(k);
    return out;
}

} // namespace rampart::test::jwt

#endif
