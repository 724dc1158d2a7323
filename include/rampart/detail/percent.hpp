#ifndef RAMPART_DETAIL_PERCENT_HPP
#define RAMPART_DETAIL_PERCENT_HPP

// Percent-encoding (RFC 3986 section 2.1) and its form variant, the one implementation every
// part of rampart uses. One policy for a bad escape: it is refused (`%` not followed by two hex
// digits), never kept literally or guessed at; each caller turns the refusal into its own error.

#include <rampart/detail/ascii.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::detail {

/// Why percent-decoding refused its input.
enum class percent_error {
    none,
    bad_escape, ///< `%` not followed by two hex digits
    nul_byte    ///< `%00`, refused unless percent_rules::allow_nul
};

/// The variations callers need; the policy for a bad escape is not one of them.
struct percent_rules {
    /// `+` means a space (application/x-www-form-urlencoded); otherwise it stays `+`.
    bool plus_is_space = false;
    /// `%00` decodes to a NUL byte; otherwise it is refused.
    bool allow_nul = false;
};

/// Decodes `in` into `out` (room for `in.size()` bytes; decoding never grows) and sets `size` to
/// the decoded length. Allocation-free, for the router's hot path.
constexpr percent_error percent_decode_into(std::string_view in, char* out, std::size_t& size,
                                            percent_rules rules = {}) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (in.size() - i < 3)
                return percent_error::bad_escape;
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0)
                return percent_error::bad_escape;
            c = static_cast<char>(hi * 16 + lo);
            if (c == '\0' && !rules.allow_nul)
                return percent_error::nul_byte;
            i += 2;
        } else if (c == '+' && rules.plus_is_space) {
            c = ' ';
        }
        out[n++] = c;
    }
    size = n;
    return percent_error::none;
}

/// `in` decoded, or nullopt when percent_decode_into refuses it.
inline std::optional<std::string> percent_decode(std::string_view in, percent_rules rules = {}) {
    std::string out(in.size(), '\0');
    std::size_t size = 0;
    if (percent_decode_into(in, out.data(), size, rules) != percent_error::none)
        return std::nullopt;
    out.resize(size);
    return out;
}

/// RFC 3986 unreserved characters: `A-Z a-z 0-9 - . _ ~`.
constexpr bool is_unreserved(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/// Characters that may stand unescaped in a URL's path or query (unreserved, sub-delims, `:`,
/// `@`, `/`, `?`) plus `%`, so text that is already percent-encoded passes through unchanged.
constexpr bool is_url_safe(char c) noexcept {
    return is_unreserved(c) ||
           std::string_view("!$&'()*+,;=:@/?%").find(c) != std::string_view::npos;
}

/// Appends `s` to `out`, every byte for which `keep` is false written as `%XX` (upper-case hex,
/// as RFC 3986 section 2.1 recommends).
template <class Keep>
void percent_encode_append(std::string& out, std::string_view s, Keep keep) {
    static constexpr char upper[] = "0123456789ABCDEF";
    out.reserve(out.size() + s.size());
    for (char c : s) {
        if (keep(c)) {
            out += c;
        } else {
            auto b = static_cast<unsigned char>(c);
            out += '%';
            out += upper[b >> 4];
            out += upper[b & 0xF];
        }
    }
}

} // namespace rampart::detail

#endif
