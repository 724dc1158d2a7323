#ifndef RAMPART_DETAIL_UTF8_HPP
#define RAMPART_DETAIL_UTF8_HPP

// UTF-8 validation (RFC 3629), once for the router's path segments and the validator's
// string lengths.

#include <cstddef>
#include <optional>
#include <string_view>

namespace rampart::detail {

/// The number of Unicode code points in `s`, or nullopt when `s` is not valid UTF-8 (overlong
/// forms, surrogates and values past U+10FFFF are invalid, as RFC 3629 says).
inline std::optional<std::size_t> utf8_length(std::string_view s) noexcept {
    std::size_t count = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p != end) {
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (end - p < 2 || (p[1] & 0xC0) != 0x80)
                return std::nullopt;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
                return std::nullopt;
            if (c == 0xE0 && p[1] < 0xA0) // overlong
                return std::nullopt;
            if (c == 0xED && p[1] > 0x9F) // surrogates
                return std::nullopt;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
                (p[3] & 0xC0) != 0x80)
                return std::nullopt;
            if (c == 0xF0 && p[1] < 0x90) // overlong
                return std::nullopt;
            if (c == 0xF4 && p[1] > 0x8F) // past U+10FFFF
                return std::nullopt;
            p += 4;
        } else {
            return std::nullopt;
        }
        ++count;
    }
    return count;
}

} // namespace rampart::detail

#endif
