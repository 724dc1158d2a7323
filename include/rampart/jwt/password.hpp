#ifndef RAMPART_JWT_PASSWORD_HPP
#define RAMPART_JWT_PASSWORD_HPP

#include <rampart/core/types.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::jwt {

/// Tag that lets a password_hasher make new hashes with fewer than the minimum iterations.
/// Meant for test suites only, where a million iterations per login would dominate the run.
struct allow_weak_iterations_t {
    explicit allow_weak_iterations_t() = default;
};
inline constexpr allow_weak_iterations_t allow_weak_iterations{};

/// What a password check found: whether it matched and, when the stored hash is outdated, a
/// fresh encoding of the same password for the caller to store.
struct password_check {
    bool valid = false;
    std::optional<std::string> rehashed;
    /// PBKDF2 iterations this check ran, re-hash included: the work a client can time. A failed
    /// check runs the hasher's `iterations()`, or a stored hash's own count when that is more
    /// (see password_hasher::check).
    std::uint64_t iterations_run = 0;
};

/** PBKDF2-HMAC-SHA256 password hashes in Django's encoded format.

    An encoded hash reads `pbkdf2_sha256$<iterations>$<salt>$<hash>`, where the hash is the
    standard (padded) base64 of the 32-byte derived key: exactly what Django's default
    `PBKDF2PasswordHasher` writes, so a user table migrated from Django keeps working, and
    hashes made here verify in Django.

    New hashes use `iterations()` (default 1,000,000; never fewer than 600,000, OWASP's 2023
    floor for PBKDF2-SHA256, unless built with `allow_weak_iterations` for tests) and a
    22-character salt drawn from RAND_bytes over Django's alphabet `[a-zA-Z0-9]` (~131 bits).
    Hashes with other iteration counts still verify; `needs_rehash` says when one should be
    replaced, which `check` does for you after a good password.

    Verifying costs as much as hashing, by design: tens to hundreds of milliseconds. Never do
    it on an I/O thread; `async_check` runs it on an executor you supply (an
    `asio::thread_pool`, say, or a bounded jwt::hashing_pool) and resumes on the caller's
    executor. When the user is unknown, pass no stored hash: the same work is done against a
    fixed dummy hash, so a client cannot tell unknown users from wrong passwords by timing.
    `check` evens out the other cases the same way (see there).
*/
class password_hasher {
public:
    static constexpr std::uint32_t default_iterations = 1'000'000;
    static constexpr std::uint32_t minimum_iterations = 600'000;
    /// Stored hashes above this count are refused as malformed rather than run for minutes.
    static constexpr std::uint32_t maximum_iterations = 50'000'000;
    static constexpr std::string_view algorithm = "pbkdf2_sha256";
    static constexpr std::size_t salt_length = 22;

    /// A hasher making new hashes with `iterations`.
    /// Throws: std::invalid_argument (a configuration error) below the minimum or above the
    /// maximum.
    explicit password_hasher(std::uint32_t iterations = default_iterations)
        : iterations_(iterations) {
        if (iterations < minimum_iterations || iterations > maximum_iterations)
            throw std::invalid_argument("rampart: PBKDF2 iterations must be between 600000 and "
                                        "50000000");
    }

    /// A hasher that accepts any iteration count from 1 (tests only; see the tag).
    /// Throws: std::invalid_argument for 0 or above the maximum (a programming error).
    password_hasher(std::uint32_t iterations, allow_weak_iterations_t) : iterations_(iterations) {
        if (iterations < 1 || iterations > maximum_iterations)
            throw std::invalid_argument("rampart: PBKDF2 iterations out of range");
    }

    std::uint32_t iterations() const noexcept { return iterations_; }

    /// Encodes `password` with a fresh random salt.
    /// Throws: std::runtime_error when OpenSSL has no randomness (a server fault).
    std::string hash(std::string_view password) const { return hash(password, random_salt()); }

    /// Encodes `password` with the given salt (non-empty, no `$`). For reproducing known hashes;
    /// new hashes should use the random-salt overload.
    /// Throws: std::invalid_argument for an empty salt or one with `$` (a programming error).
    std::string hash(std::string_view password, std::string_view salt) const {
        if (salt.empty() || salt.find('$') != std::string_view::npos)
            throw std::invalid_argument("rampart: a password salt must be non-empty without '$'");
        return encode(password, salt, iterations_);
    }

    /// Whether `password` matches the encoded hash. Malformed or foreign encodings give false.
    /// The comparison takes the same time wherever the first difference lies.
    bool verify(std::string_view password, std::string_view encoded) const {
        auto parts = decode(encoded);
        return parts && matches(password, *parts, nullptr);
    }

    /// Does the work of a failed verify against a fixed hash with this hasher's iterations, so
    /// that "no such user" takes as long as "wrong password". Always false.
    bool verify_dummy(std::string_view password) const { return dummy(password, nullptr); }

    /// Whether a (valid) stored hash should be replaced at the next good login: another
    /// algorithm or iteration count than this hasher's, or a salt shorter than Django's.
    bool needs_rehash(std::string_view encoded) const {
        auto parts = decode(encoded);
        return !parts || parts->iterations != iterations_ || parts->salt.size() < salt_length;
    }

    /** Verifies, and on success re-hashes when needed. `encoded` nullopt means "unknown user":
        the dummy path runs and the result is invalid.

        A failed check costs `iterations()` PBKDF2 iterations whatever was stored, so its
        timing tells a client nothing about the account:
        - unknown user, or a stored string that is not a valid `pbkdf2_sha256` hash (another
          algorithm, an unusable `!` password, garbage): the dummy hash runs;
        - a stored hash with fewer iterations: after the failed verify, the difference runs as
          extra PBKDF2 work (Django's `harden_runtime`), as if the hash were current.
        A stored hash with MORE iterations (up to maximum_iterations) costs its own count, since
        verifying needs it; it is re-hashed down at the next good login. A good password costs
        the verify plus, when outdated, the re-hash.
    */
    password_check check(std::string_view password,
                         const std::optional<std::string>& encoded) const {
        password_check out;
        std::optional<parts> stored;
        if (encoded)
            stored = decode(*encoded);
        std::uint64_t* work = &out.iterations_run; // counted where PBKDF2 runs
        if (!stored) {
            dummy(password, work);
            return out;
        }
        out.valid = matches(password, *stored, work);
        if (!out.valid) {
            if (stored->iterations < iterations_) {
                std::string wasted =
                    derive_base64(password, stored->salt, iterations_ - stored->iterations, work);
                OPENSSL_cleanse(wasted.data(), wasted.size());
            }
            return out;
        }
        if (needs_rehash(*encoded))
            out.rehashed = encode(password, random_salt(), iterations_, work);
        return out;
    }

    /** Runs `check` on `pool` and resumes on the calling coroutine's executor.

        `pool` is an executor or an execution context (e.g. `asio::thread_pool`), which must
        not be the I/O threads' io_context. The password copy is wiped after use.
    */
    template <class ExecutorOrContext>
    asio::awaitable<password_check> async_check(ExecutorOrContext&& pool, std::string password,
                                                std::optional<std::string> encoded) const {
        auto work = [](password_hasher self, std::string pw,
                       std::optional<std::string> enc) -> asio::awaitable<password_check> {
            password_check result = self.check(pw, enc);
            OPENSSL_cleanse(pw.data(), pw.size());
            co_return result;
        };
        co_return co_await asio::co_spawn(executor_of(pool),
                                          work(*this, std::move(password), std::move(encoded)),
                                          asio::use_awaitable);
    }

    /// Runs `hash` on `pool` and resumes on the calling coroutine's executor.
    template <class ExecutorOrContext>
    asio::awaitable<std::string> async_hash(ExecutorOrContext&& pool, std::string password) const {
        auto work = [](password_hasher self, std::string pw) -> asio::awaitable<std::string> {
            std::string result = self.hash(pw);
            OPENSSL_cleanse(pw.data(), pw.size());
            co_return result;
        };
        co_return co_await asio::co_spawn(executor_of(pool), work(*this, std::move(password)),
                                          asio::use_awaitable);
    }

private:
    template <class P>
    static auto executor_of(P& pool) {
        if constexpr (requires { pool.get_executor(); })
            return pool.get_executor();
        else
            return pool;
    }

    struct parts {
        std::uint32_t iterations;
        std::string_view salt;
        std::string_view hash;
    };

    /// The lengths compared are public (the stored hash's, and always 44 computed characters).
    static bool matches(std::string_view password, const parts& stored, std::uint64_t* work) {
        std::string computed = derive_base64(password, stored.salt, stored.iterations, work);
        bool same = computed.size() == stored.hash.size() &&
                    CRYPTO_memcmp(computed.data(), stored.hash.data(), computed.size()) == 0;
        OPENSSL_cleanse(computed.data(), computed.size());
        return same;
    }

    bool dummy(std::string_view password, std::uint64_t* work) const {
        std::string computed = derive_base64(password, "rampartdummysaltvalue0", iterations_, work);
        static constexpr std::string_view never = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        (void)CRYPTO_memcmp(computed.data(), never.data(), std::min(computed.size(), never.size()));
        OPENSSL_cleanse(computed.data(), computed.size());
        return false;
    }

    static std::optional<parts> decode(std::string_view encoded) {
        auto take = [&](std::string_view& rest) -> std::optional<std::string_view> {
            auto pos = rest.find('$');
            if (pos == std::string_view::npos)
                return std::nullopt;
            auto field = rest.substr(0, pos);
            rest.remove_prefix(pos + 1);
            return field;
        };
        std::string_view rest = encoded;
        auto alg = take(rest);
        auto iter = take(rest);
        auto salt = take(rest);
        if (!alg || !iter || !salt || *alg != algorithm || salt->empty() || rest.empty() ||
            rest.find('$') != std::string_view::npos || iter->empty() || (*iter)[0] == '0')
            return std::nullopt;
        std::uint32_t n = 0;
        auto [end, ec] = std::from_chars(iter->data(), iter->data() + iter->size(), n);
        if (ec != std::errc{} || end != iter->data() + iter->size() || n > maximum_iterations)
            return std::nullopt;
        return parts{n, *salt, rest};
    }

    static std::string encode(std::string_view password, std::string_view salt,
                              std::uint32_t iterations, std::uint64_t* work = nullptr) {
        std::string out;
        out.reserve(algorithm.size() + 12 + salt.size() + 46);
        out += algorithm;
        out += '$';
        out += std::to_string(iterations);
        out += '$';
        out += salt;
        out += '$';
        out += derive_base64(password, salt, iterations, work);
        return out;
    }

    /// PBKDF2, base64-encoded; adds the iterations run to `*work` when given.
    static std::string derive_base64(std::string_view password, std::string_view salt,
                                     std::uint32_t iterations, std::uint64_t* work = nullptr) {
        std::array<unsigned char, 32> key{};
        if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                              reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), static_cast<int>(iterations),
                              EVP_sha256(), static_cast<int>(key.size()), key.data()) != 1)
            throw std::runtime_error("rampart: PBKDF2 failed");
        if (work)
            *work += iterations;
        std::array<unsigned char, 45> text{}; // 4 * ceil(32 / 3) + NUL
        int n = EVP_EncodeBlock(text.data(), key.data(), static_cast<int>(key.size()));
        OPENSSL_cleanse(key.data(), key.size());
        return std::string(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(n));
    }

    static std::string random_salt() {
        static constexpr std::string_view alphabet =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        std::string salt;
        salt.reserve(salt_length);
        std::array<unsigned char, 64> bytes{};
        while (salt.size() < salt_length) {
            if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
                throw std::runtime_error("rampart: no randomness for a password salt");
            for (unsigned char b : bytes) {
                // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
                if (b < 248 && salt.size() < salt_length)
                    salt += alphabet[b % alphabet.size()];
            }
        }
        return salt;
    }

    std::uint32_t iterations_;
};

} // namespace rampart::jwt

#endif
