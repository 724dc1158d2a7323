#ifndef RAMPART_JWT_DETAIL_OPENSSL_HPP
#define RAMPART_JWT_DETAIL_OPENSSL_HPP

#include <rampart/jwt/error.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace rampart::jwt::detail {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, &EVP_PKEY_free>>;
using pkey_ctx_ptr =
    std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<EVP_PKEY_CTX, &EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX, &EVP_MD_CTX_free>>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, openssl_deleter<EVP_MAC_CTX, &EVP_MAC_CTX_free>>;
using mac_ptr = std::unique_ptr<EVP_MAC, openssl_deleter<EVP_MAC, &EVP_MAC_free>>;
using md_ptr = std::unique_ptr<EVP_MD, openssl_deleter<EVP_MD, &EVP_MD_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, &BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, &BN_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_deleter<ECDSA_SIG, &ECDSA_SIG_free>>;
using param_bld_ptr =
    std::unique_ptr<OSSL_PARAM_BLD, openssl_deleter<OSSL_PARAM_BLD, &OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_deleter<OSSL_PARAM, &OSSL_PARAM_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, &X509_free>>;

/// The oldest error on this thread's OpenSSL queue as text (and the queue cleared).
inline std::string openssl_error_text() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
}

[[noreturn]] inline void throw_key_error(const std::string& what) {
    throw key_error("rampart::jwt: " + what + " (" + openssl_error_text() + ")");
}

} // namespace rampart::jwt::detail

#endif
