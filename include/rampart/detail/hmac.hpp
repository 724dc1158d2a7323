#ifndef RAMPART_DETAIL_HMAC_HPP
#define RAMPART_DETAIL_HMAC_HPP

// HMAC (RFC 2104) over OpenSSL's digests, the one implementation behind pagination cursors and
// JWT HS256/384/512 keys.

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::detail {

#ifndef OPENSSL_NO_DEPRECATED_3_0
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/** A SHA-2 hash state that is a plain value: OpenSSL's SHA256_CTX/SHA512_CTX. Copying one is
    a memcpy, where copying an EVP_MD_CTX allocates and goes through the provider; the block
    function underneath is the same (SHA extensions where the CPU has them). These functions
    are deprecated in OpenSSL 3 but present unless OpenSSL is built or included without
    deprecated interfaces (OPENSSL_NO_DEPRECATED_3_0); hmac then keeps EVP states instead.
*/
class sha2_state {
public:
    enum class kind : unsigned char { none, sha256, sha384, sha512 };

    /// The kind for an OpenSSL digest name, none for any other digest.
    static kind kind_of(std::string_view digest) noexcept {
        if (digest == "SHA256")
            return kind::sha256;
        if (digest == "SHA384")
            return kind::sha384;
        if (digest == "SHA512")
            return kind::sha512;
        return kind::none;
    }

    sha2_state() noexcept : s512_{} {}

    bool init(kind k) noexcept {
        kind_ = k;
        switch (k) {
        case kind::sha256:
            return SHA256_Init(&s256_) == 1;
        case kind::sha384:
            return SHA384_Init(&s512_) == 1;
        case kind::sha512:
            return SHA512_Init(&s512_) == 1;
        default:
            return false;
        }
    }
    void update(const void* p, std::size_t n) noexcept {
        if (kind_ == kind::sha256)
            SHA256_Update(&s256_, p, n);
        else
            SHA512_Update(&s512_, p, n); // SHA-384 shares SHA-512's update
    }
    void final(unsigned char* out) noexcept {
        if (kind_ == kind::sha256)
            SHA256_Final(out, &s256_);
        else if (kind_ == kind::sha384)
            SHA384_Final(out, &s512_);
        else
            SHA512_Final(out, &s512_);
    }

private:
    kind kind_ = kind::none;
    union {
        SHA256_CTX s256_;
        SHA512_CTX s512_;
    };
};
#pragma GCC diagnostic pop
#endif

/** An HMAC key, prepared once.

    The inner and outer hash states, after absorbing the padded key, are computed at
    construction; each signature copies them, so signing costs two short hashes and no key
    set-up. For SHA-256/384/512 the states are plain values (sha2_state): signing allocates
    nothing. Thread-safe: signing is const and only reads the prepared states.
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
        std::array<unsigned char, max_block> k;
        auto pad = [&](unsigned char with) {
            for (std::size_t i = 0; i < block; ++i)
                k[i] = padded[i] ^ with;
        };
#ifndef OPENSSL_NO_DEPRECATED_3_0
        if (auto kind = sha2_state::kind_of(digest); kind != sha2_state::kind::none) {
            bool ok = raw_inner_.init(kind) && raw_outer_.init(kind);
            pad(0x36);
            raw_inner_.update(k.data(), block);
            pad(0x5c);
            raw_outer_.update(k.data(), block);
            OPENSSL_cleanse(k.data(), k.size());
            OPENSSL_cleanse(padded.data(), padded.size());
            if (!ok)
                throw std::runtime_error("HMAC: key set-up failed");
            raw_ = true;
            return;
        }
#endif
        auto prepare = [&](unsigned char with) {
            pad(with);
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

    hmac(const hmac&) = default;
    hmac& operator=(const hmac&) = default;
    ~hmac() {
#ifndef OPENSSL_NO_DEPRECATED_3_0
        OPENSSL_cleanse(&raw_inner_, sizeof raw_inner_); // key-equivalent states
        OPENSSL_cleanse(&raw_outer_, sizeof raw_outer_);
#endif
    }

    /// The tag length in bytes (the digest's size).
    std::size_t size() const noexcept {
        return size_;
    }

    /// Writes the tag of the concatenation of `parts` to `out` (room for size() bytes); false
    /// when OpenSSL fails (out of memory; never for SHA-256/384/512).
    bool sign(std::initializer_list<std::string_view> parts, unsigned char* out) const noexcept {
        std::array<unsigned char, max_size> inner_hash{};
#ifndef OPENSSL_NO_DEPRECATED_3_0
        if (raw_) {
            sha2_state c = raw_inner_;
            for (auto p : parts)
                c.update(p.data(), p.size());
            c.final(inner_hash.data());
            c = raw_outer_;
            c.update(inner_hash.data(), size_);
            c.final(out);
            OPENSSL_cleanse(inner_hash.data(), size_);
            return true;
        }
#endif
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> c(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
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
#ifndef OPENSSL_NO_DEPRECATED_3_0
    bool raw_ = false;
    sha2_state raw_inner_;
    sha2_state raw_outer_;
#endif
    std::shared_ptr<EVP_MD_CTX> inner_; // EVP states: other digests, or no sha2_state
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
