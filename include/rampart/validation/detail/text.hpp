#ifndef RAMPART_VALIDATION_DETAIL_TEXT_HPP
#define RAMPART_VALIDATION_DETAIL_TEXT_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::validation::detail {

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

/// At most `max` bytes of valid UTF-8 `s`, never cutting a character in two.
inline std::string_view utf8_prefix(std::string_view s, std::size_t max) noexcept {
    if (s.size() <= max)
        return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return s.substr(0, n);
}

/// `s` with each ASCII control character (U+0000..U+001F, U+007F) replaced by U+FFFD.
inline std::string without_controls(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            out += "\xEF\xBF\xBD";
        else
            out += c;
    }
    return out;
}

/// Whether `s` is empty or only ASCII white space.
inline bool is_blank(std::string_view s) noexcept {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v')
            return false;
    return true;
}

/// `s` without leading and trailing ASCII white space.
inline std::string_view trim(std::string_view s) noexcept {
    std::size_t b = 0, e = s.size();
    auto space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (b < e && space(s[b]))
        ++b;
    while (e > b && space(s[e - 1]))
        --e;
    return s.substr(b, e - b);
}

inline bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// A DNS host name: dot-separated labels of letters, digits and inner hyphens, each 1..63
/// characters, 253 in all, at least `min_labels` labels, and a last label that is not all
/// digits (so `10.0.0.1` is not taken for a name).
inline bool is_hostname(std::string_view host, int min_labels) noexcept {
    if (host.empty() || host.size() > 253)
        return false;
    int labels = 0;
    std::size_t start = 0;
    bool last_all_digits = true;
    while (true) {
        std::size_t dot = host.find('.', start);
        std::string_view label = host.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        last_all_digits = true;
        for (char c : label) {
            if (!is_alnum(c) && c != '-')
                return false;
            if (c < '0' || c > '9')
                last_all_digits = false;
        }
        ++labels;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return labels >= min_labels && !last_all_digits;
}

/// A dotted-quad IPv4 address, each part 0..255 without leading zeros.
inline bool is_ipv4(std::string_view s) noexcept {
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t start = i;
        int value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            value = value * 10 + (s[i++] - '0');
        std::size_t len = i - start;
        if (len == 0 || value > 255 || (len > 1 && s[start] == '0'))
            return false;
        ++parts;
        if (i == s.size())
            break;
        if (s[i] != '.' || parts == 4)
            return false;
        ++i;
    }
    return parts == 4;
}

/// An IPv6 address in brackets' inner form: hex groups, colons, one `::`, optional dotted tail.
inline bool is_ipv6(std::string_view s) noexcept {
    if (s.size() < 2 || s.size() > 45)
        return false;
    int groups = 0;
    bool compressed = false;
    std::size_t i = 0;
    if (s.substr(0, 2) == "::") {
        compressed = true;
        i = 2;
        if (i == s.size())
            return true;
    } else if (s[0] == ':') {
        return false;
    }
    while (i < s.size()) {
        std::size_t start = i;
        while (i < s.size() && i - start < 4 &&
               ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                (s[i] >= 'A' && s[i] <= 'F')))
            ++i;
        if (i < s.size() && s[i] == '.') { // embedded IPv4 as the last two groups
            if (!is_ipv4(s.substr(start)))
                return false;
            groups += 2;
            i = s.size();
            break;
        }
        if (i == start)
            return false;
        ++groups;
        if (i == s.size())
            break;
        if (s[i] != ':')
            return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (compressed)
                return false;
            compressed = true;
            ++i;
            if (i == s.size())
                break;
        } else if (i == s.size()) {
            return false;
        }
    }
    return compressed ? groups < 8 : groups == 8;
}

/** An e-mail address as forms accept them: `local@domain`.

    The local part is a dot-atom (letters, digits and ``!#$%&'*+/=?^_`{|}~-``, dots only between
    characters), at most 64 bytes; the domain is a host name of at least two labels; 254 bytes
    in all. Quoted local parts, IP-literal domains and non-ASCII addresses are refused: they are
    legal in RFC 5321 but almost never meant, and often abused.
*/
inline bool is_email(std::string_view s) noexcept {
    if (s.size() > 254)
        return false;
    std::size_t at = s.rfind('@');
    if (at == std::string_view::npos || at == 0 || at > 64)
        return false;
    std::string_view local = s.substr(0, at);
    std::string_view domain = s.substr(at + 1);
    if (local.front() == '.' || local.back() == '.')
        return false;
    char prev = 0;
    for (char c : local) {
        bool ok = is_alnum(c) ||
                  std::string_view("!#$%&'*+/=?^_`{|}~-.").find(c) != std::string_view::npos;
        if (!ok || (c == '.' && prev == '.'))
            return false;
        prev = c;
    }
    return is_hostname(domain, 2);
}

/** An absolute `http` or `https` URL with a host (name, IPv4 or bracketed IPv6), an optional
    port 1..65535, and a path, query and fragment of visible ASCII (no spaces, no controls, no
    backslashes), at most 2048 bytes. Schemes compare case-insensitively.
*/
inline bool is_url(std::string_view s) noexcept {
    if (s.size() > 2048)
        return false;
    std::size_t colon = s.find("://");
    if (colon == std::string_view::npos)
        return false;
    std::string_view scheme = s.substr(0, colon);
    auto lower_equals = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char c = a[i];
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
            if (c != b[i])
                return false;
        }
        return true;
    };
    if (!lower_equals(scheme, "http") && !lower_equals(scheme, "https"))
        return false;
    std::string_view rest = s.substr(colon + 3);
    std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (authority.find('@') != std::string_view::npos) // credentials in URLs: refused
        return false;
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos || !is_ipv6(authority.substr(1, close - 1)))
            return false;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return false;
            port = after.substr(1);
            if (port.empty())
                return false;
        }
    } else {
        std::size_t pc = authority.rfind(':');
        if (pc != std::string_view::npos) {
            host = authority.substr(0, pc);
            port = authority.substr(pc + 1);
            if (port.empty())
                return false;
        }
        if (!is_ipv4(host) && !is_hostname(host, 1))
            return false;
    }
    if (!port.empty()) {
        if (port.size() > 5)
            return false;
        unsigned value = 0;
        for (char c : port) {
            if (c < '0' || c > '9')
                return false;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535)
            return false;
    }
    for (char c : tail)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
            c == '\\')
            return false;
    return true;
}

} // namespace rampart::validation::detail

#endif
