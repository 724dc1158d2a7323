#ifndef RAMPART_SERVER_REQUEST_ID_GENERATOR_HPP
#define RAMPART_SERVER_REQUEST_ID_GENERATOR_HPP

#include <rampart/core/request_id.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>

#include <sys/random.h>

namespace rampart {

/** Makes request ids for requests that came without a sane one: random UUIDs (version 4,
    `0f8a3c52-7a0e-4c1b-9d2e-5b7f2a9c0e14`).

    Each generator is xoshiro256** seeded with 256 bits from getrandom(2), the kernel's random
    source: an id costs a few nanoseconds and no allocation or system call, and ids from two
    processes, or two generators, collide no more than random 122-bit values do. Not for
    secrets (the stream is predictable to whoever saw enough of it); an id only has to be
    unique. One generator is not thread-safe: the server keeps one per thread.
*/
class request_id_generator {
public:
    /// Seeds from getrandom(2). Throws: std::system_error when the kernel gives no randomness.
    request_id_generator() {
        std::size_t done = 0;
        auto* bytes = reinterpret_cast<unsigned char*>(state_.data());
        while (done < sizeof state_) {
            ssize_t n = ::getrandom(bytes + done, sizeof state_ - done, 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                throw std::system_error(errno, std::generic_category(),
                                        "rampart: getrandom for request ids");
            }
            done += static_cast<std::size_t>(n);
        }
        if (state_[0] == 0 && state_[1] == 0 && state_[2] == 0 && state_[3] == 0)
            state_[0] = 1; // the one state xoshiro cannot leave
    }

    /// A new random id (a UUIDv4 in lower-case hex).
    request_id next() noexcept {
        std::uint64_t high = step(), low = step();
        high = (high & ~std::uint64_t{0xf000}) | 0x4000;                    // version 4
        low = (low & ~(std::uint64_t{3} << 62)) | (std::uint64_t{2} << 62); // variant 10
        static constexpr char hex[] = "0123456789abcdef";
        std::array<char, 36> text;
        std::size_t at = 0;
        auto put = [&](std::uint64_t v, int from_nibble, int nibbles) {
            for (int i = 0; i < nibbles; ++i)
                text[at++] = hex[(v >> (4 * (from_nibble - i))) & 0xf];
        };
        put(high, 15, 8);
        text[at++] = '-';
        put(high, 7, 4);
        text[at++] = '-';
        put(high, 3, 4);
        text[at++] = '-';
        put(low, 15, 4);
        text[at++] = '-';
        put(low, 11, 12);
        return *request_id::parse({text.data(), text.size()});
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }

    /// xoshiro256** (Blackman and Vigna).
    std::uint64_t step() noexcept {
        std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    std::array<std::uint64_t, 4> state_{};
};

} // namespace rampart

#endif
