#ifndef RAMPART_PAGINATION_DETAIL_HMAC_HPP
#define RAMPART_PAGINATION_DETAIL_HMAC_HPP

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace rampart::pagination::detail {

/** An HMAC-SHA256 key, prepared once (RFC 2104).

    The inner and outer hash states, after absorbing the padded key, are computed at
    construction; each `sign` copies them, so signing costs two short hashes and no key set-up.
    Thread-safe: `sign` is const and only reads the prepared states.
*/
class hmac_sha256 {
public:
    static constexpr std::size_t size = 32;
    using tag = std::array<unsigned char, size>;

    explicit hmac_sha256(std::string_view key) {
        std::shared_ptr<EVP_MD> md(EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free);
        if (!md)
            throw std::runtime_error("pagination: SHA-256 unavailable in OpenSSL");
        constexpr std::size_t block = 64;
        std::array<unsigned char, block> padded{};
        if (key.size() > block) {
            unsigned int n = 0;
            if (EVP_Digest(key.data(), key.size(), padded.data(), &n, md.get(), nullptr) != 1)
                throw std::runtime_error("pagination: HMAC key set-up failed");
        } else {
            std::copy(key.begin(), key.end(), reinterpret_cast<char*>(padded.data()));
        }
        auto prepare = [&](unsigned char pad) {
            std::array<unsigned char, block> k;
            for (std::size_t i = 0; i < block; ++i)
                k[i] = padded[i] ^ pad;
            std::shared_ptr<EVP_MD_CTX> c(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
            if (!c || EVP_DigestInit_ex(c.get(), md.get(), nullptr) != 1 ||
                EVP_DigestUpdate(c.get(), k.data(), k.size()) != 1)
                throw std::runtime_error("pagination: HMAC key set-up failed");
            OPENSSL_cleanse(k.data(), k.size());
            return c;
        };
        inner_ = prepare(0x36);
        outer_ = prepare(0x5c);
        OPENSSL_cleanse(padded.data(), padded.size());
    }

    /// The tag of the concatenation of `parts`.
    tag sign(std::initializer_list<std::string_view> parts) const {
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> c(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
        tag inner_hash{}, out{};
        unsigned int n = 0;
        bool ok = c && EVP_MD_CTX_copy_ex(c.get(), inner_.get()) == 1;
        for (auto p : parts)
            ok = ok && EVP_DigestUpdate(c.get(), p.data(), p.size()) == 1;
        ok = ok && EVP_DigestFinal_ex(c.get(), inner_hash.data(), &n) == 1 && n == size;
        ok = ok && EVP_MD_CTX_copy_ex(c.get(), outer_.get()) == 1 &&
             EVP_DigestUpdate(c.get(), inner_hash.data(), inner_hash.size()) == 1 &&
             EVP_DigestFinal_ex(c.get(), out.data(), &n) == 1 && n == size;
        if (!ok)
            throw std::runtime_error("pagination: HMAC failed");
        return out;
    }

private:
    std::shared_ptr<EVP_MD_CTX> inner_;
    std::shared_ptr<EVP_MD_CTX> outer_;
};

/// Constant-time equality of two tags.
inline bool tags_equal(const unsigned char* a, const unsigned char* b, std::size_t n) noexcept {
    return CRYPTO_memcmp(a, b, n) == 0;
}

} // namespace rampart::pagination::detail

#endif
