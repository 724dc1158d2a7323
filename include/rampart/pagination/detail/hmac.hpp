#ifndef RAMPART_PAGINATION_DETAIL_HMAC_HPP
#define RAMPART_PAGINATION_DETAIL_HMAC_HPP

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace rampart::pagination::detail {

/** An HMAC-SHA256 key, prepared once.

    The keyed state (inner and outer pads) is computed at construction; each `sign` copies it,
    so signing costs two short hashes, not a key set-up. Thread-safe: `sign` is const and only
    reads the prepared state.
*/
class hmac_sha256 {
public:
    static constexpr std::size_t size = 32;
    using tag = std::array<unsigned char, size>;

    explicit hmac_sha256(std::string_view key) {
        std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(
            EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free);
        if (!mac)
            throw std::runtime_error("pagination: HMAC unavailable in OpenSSL");
        ctx_.reset(EVP_MAC_CTX_new(mac.get()), deleter{});
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        if (!ctx_ || EVP_MAC_init(ctx_.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                  key.size(), params) != 1)
            throw std::runtime_error("pagination: HMAC key set-up failed");
    }

    /// The tag of the concatenation of `parts`.
    tag sign(std::initializer_list<std::string_view> parts) const {
        std::unique_ptr<EVP_MAC_CTX, deleter> c(EVP_MAC_CTX_dup(ctx_.get()));
        tag out{};
        std::size_t written = 0;
        bool ok = c != nullptr;
        for (auto p : parts)
            ok = ok && EVP_MAC_update(c.get(), reinterpret_cast<const unsigned char*>(p.data()),
                                      p.size()) == 1;
        ok = ok && EVP_MAC_final(c.get(), out.data(), &written, out.size()) == 1;
        if (!ok || written != size)
            throw std::runtime_error("pagination: HMAC failed");
        return out;
    }

private:
    struct deleter {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    std::shared_ptr<EVP_MAC_CTX> ctx_;
};

/// Constant-time equality of two tags.
inline bool tags_equal(const unsigned char* a, const unsigned char* b, std::size_t n) noexcept {
    return CRYPTO_memcmp(a, b, n) == 0;
}

} // namespace rampart::pagination::detail

#endif
