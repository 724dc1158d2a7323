#ifndef RAMPART_DETAIL_HMAC_HPP
#define RAMPART_DETAIL_HMAC_HPP

// HMAC (RFC 2104) over OpenSSL's digests, the one implementation behind pagination cursors and
// JWT HS256/384/512 keys.

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::detail {

/** An HMAC key, prepared once.

    The inner and outer hash states, after absorbing the padded key, are computed at
    construction; each signature copies them, so signing costs two short hashes and no key
    set-up. Thread-safe: signing is const and only reads the prepared states.
*/
class hmac {
public:
    /// The longest tag any digest gives (SHA-512's 64 bytes).
    static constexpr std::size_t max_size = EVP_MAX_MD_SIZE;

    /// `digest` is an OpenSSL digest name ("SHA256", "SHA384", "SHA512"). Throws
    /// std::runtime_error when OpenSSL cannot provide it (a programming or deployment error).
    hmac(const char* digest, std::string_view key) {
        std::shared_ptr<EVP_MD> md(EVP_MD_fetch(nullptr, digest, nullptr), &EVP_MD_free);
        if (!md)
            throw std::runtime_error(std::string("HMAC: digest ") + digest +
                                     " unavailable in OpenSSL");
        size_ = static_cast<std::size_t>(EVP_MD_get_size(md.get()));
        const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(md.get()));
        constexpr std::size_t max_block = 128; // SHA-384 and SHA-512
        if (block == 0 || block > max_block || size_ == 0 || size_ > max_size)
            throw std::runtime_error("HMAC: unsupported digest");
        std::array<unsigned char, max_block> padded{};
        if (key.size() > block) {
            unsigned int n = 0;
            if (EVP_Digest(key.data(), key.size(), padded.data(), &n, md.get(), nullptr) != 1)
                throw std::runtime_error("HMAC: key set-up failed");
        } else {
            std::copy(key.begin(), key.end(), reinterpret_cast<char*>(padded.data()));
        }
        auto prepare = [&](unsigned char pad) {
            std::array<unsigned char, max_block> k;
            for (std::size_t i = 0; i < block; ++i)
                k[i] = padded[i] ^ pad;
            std::shared_ptr<EVP_MD_CTX> c(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
            bool ok = c && EVP_DigestInit_ex(c.get(), md.get(), nullptr) == 1 &&
                      EVP_DigestUpdate(c.get(), k.data(), block) == 1;
            OPENSSL_cleanse(k.data(), k.size());
            if (!ok)
                throw std::runtime_error("HMAC: key set-up failed");
            return c;
        };
        inner_ = prepare(0x36);
        outer_ = prepare(0x5c);
        OPENSSL_cleanse(padded.data(), padded.size());
    }

    /// The tag length in bytes (the digest's size).
    std::size_t size() const noexcept { return size_; }

    /// Writes the tag of the concatenation of `parts` to `out` (room for size() bytes); false
    /// when OpenSSL fails (out of memory).
    bool sign(std::initializer_list<std::string_view> parts, unsigned char* out) const noexcept {
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> c(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
        std::array<unsigned char, max_size> inner_hash{};
        unsigned int n = 0;
        bool ok = c && EVP_MD_CTX_copy_ex(c.get(), inner_.get()) == 1;
        for (auto p : parts)
            ok = ok && EVP_DigestUpdate(c.get(), p.data(), p.size()) == 1;
        ok = ok && EVP_DigestFinal_ex(c.get(), inner_hash.data(), &n) == 1 && n == size_;
        ok = ok && EVP_MD_CTX_copy_ex(c.get(), outer_.get()) == 1 &&
             EVP_DigestUpdate(c.get(), inner_hash.data(), size_) == 1 &&
             EVP_DigestFinal_ex(c.get(), out, &n) == 1 && n == size_;
        OPENSSL_cleanse(inner_hash.data(), inner_hash.size());
        return ok;
    }

private:
    std::size_t size_ = 0;
    std::shared_ptr<EVP_MD_CTX> inner_;
    std::shared_ptr<EVP_MD_CTX> outer_;
};

/// HMAC-SHA256 with its tag as a fixed-size array (pagination cursors).
class hmac_sha256 {
public:
    static constexpr std::size_t size = 32;
    using tag = std::array<unsigned char, size>;

    /// Throws std::runtime_error when OpenSSL has no SHA-256.
    explicit hmac_sha256(std::string_view key) : mac_("SHA256", key) {}

    /// The tag of the concatenation of `parts`. Throws std::runtime_error when OpenSSL fails.
    tag sign(std::initializer_list<std::string_view> parts) const {
        tag out{};
        if (!mac_.sign(parts, out.data()))
            throw std::runtime_error("HMAC failed");
        return out;
    }

private:
    hmac mac_;
};

/// Constant-time equality of two tags of `n` bytes.
inline bool tags_equal(const unsigned char* a, const unsigned char* b, std::size_t n) noexcept {
    return CRYPTO_memcmp(a, b, n) == 0;
}

} // namespace rampart::detail

#endif
