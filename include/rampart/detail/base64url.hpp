#ifndef RAMPART_DETAIL_BASE64URL_HPP
#define RAMPART_DETAIL_BASE64URL_HPP

// base64url without padding, the one implementation behind JWTs (RFC 7515) and pagination
// cursors. Decoding is strict, so each byte string has exactly one accepted encoding.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::detail {

inline constexpr char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline constexpr std::array<std::int8_t, 256> base64url_table = [] {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t)
        v = -1;
    for (int i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(base64url_alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}();

/// Appends unpadded base64url (RFC 4648 section 5, as RFC 7515 section 2 uses it) of `in`.
inline void base64url_encode(std::string_view in, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t n = in.size();
    out.reserve(out.size() + (n * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
        out += base64url_alphabet[(v >> 18) & 63];
        out += base64url_alphabet[(v >> 12) & 63];
        out += base64url_alphabet[(v >> 6) & 63];
        out += base64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        std::uint32_t v = std::uint32_t{p[i]} << 16;
        out += base64url_alphabet[(v >> 18) & 63];
        out += base64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
        out += base64url_alphabet[(v >> 18) & 63];
        out += base64url_alphabet[(v >> 12) & 63];
        out += base64url_alphabet[(v >> 6) & 63];
    }
}

inline std::string base64url_encode(std::string_view in) {
    std::string out;
    base64url_encode(in, out);
    return out;
}

/// The number of bytes `n` base64url characters decode to (when `n` is a valid length).
constexpr std::size_t base64url_decoded_size(std::size_t n) noexcept {
    return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

/** Strict unpadded base64url decoding: only the 64 alphabet characters, no `=`, no white
    space, a length that is not 1 mod 4, and zero trailing bits (so each byte string has
    exactly one encoding and a token cannot be altered without changing its meaning).
    Writes base64url_decoded_size(in.size()) bytes to `out`; false on any violation (`out`
    then holds garbage). Allocates nothing.
*/
inline bool base64url_decode(std::string_view in, unsigned char* out) noexcept {
    std::size_t n = in.size();
    if (n % 4 == 1)
        return false;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int a = base64url_table[p[i]], b = base64url_table[p[i + 1]], c = base64url_table[p[i + 2]],
            d = base64url_table[p[i + 3]];
        if ((a | b | c | d) < 0)
            return false;
        std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) |
                          (std::uint32_t(c) << 6) | std::uint32_t(d);
        out[0] = static_cast<unsigned char>(v >> 16);
        out[1] = static_cast<unsigned char>(v >> 8);
        out[2] = static_cast<unsigned char>(v);
        out += 3;
    }
    std::size_t rest = n - i;
    if (rest == 2) {
        int a = base64url_table[p[i]], b = base64url_table[p[i + 1]];
        if ((a | b) < 0 || (b & 0x0f) != 0)
            return false;
        out[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
    } else if (rest == 3) {
        int a = base64url_table[p[i]], b = base64url_table[p[i + 1]], c = base64url_table[p[i + 2]];
        if ((a | b | c) < 0 || (c & 0x03) != 0)
            return false;
        std::uint32_t v =
            (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6);
        out[0] = static_cast<unsigned char>(v >> 16);
        out[1] = static_cast<unsigned char>(v >> 8);
    }
    return true;
}

/// As above, appending to `out`; on false `out` is left as it was.
inline bool base64url_decode(std::string_view in, std::string& out) {
    if (in.size() % 4 == 1)
        return false;
    const std::size_t old = out.size();
    out.resize(old + base64url_decoded_size(in.size()));
    if (!base64url_decode(in, reinterpret_cast<unsigned char*>(out.data() + old))) {
        out.resize(old);
        return false;
    }
    return true;
}

/// `in` decoded strictly (see above), or nullopt.
inline std::optional<std::string> base64url_decode(std::string_view in) {
    std::string out;
    if (!base64url_decode(in, out))
        return std::nullopt;
    return out;
}

} // namespace rampart::detail

#endif
