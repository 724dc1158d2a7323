#ifndef RAMPART_PAGINATION_DETAIL_BASE64URL_HPP
#define RAMPART_PAGINATION_DETAIL_BASE64URL_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::pagination::detail {

inline constexpr char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
inline std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k]));
    };
    for (; i + 3 <= in.size(); i += 3) {
        std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += base64url_alphabet[v >> 18];
        out += base64url_alphabet[(v >> 12) & 63];
        out += base64url_alphabet[(v >> 6) & 63];
        out += base64url_alphabet[v & 63];
    }
    if (in.size() - i == 1) {
        std::uint32_t v = byte(i) << 16;
        out += base64url_alphabet[v >> 18];
        out += base64url_alphabet[(v >> 12) & 63];
    } else if (in.size() - i == 2) {
        std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
        out += base64url_alphabet[v >> 18];
        out += base64url_alphabet[(v >> 12) & 63];
        out += base64url_alphabet[(v >> 6) & 63];
    }
    return out;
}

inline int base64url_digit(char c) noexcept {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/// Strict decoding: no padding, no white space, no other alphabet, and the unused low bits of
/// the last character must be zero, so each byte string has exactly one encoding.
inline std::optional<std::string> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    out.reserve(in.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int d = base64url_digit(c);
        if (d < 0)
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

} // namespace rampart::pagination::detail

#endif
