#ifndef RAMPART_ROUTER_URI_HPP
#define RAMPART_ROUTER_URI_HPP

#include <rampart/detail/ascii.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rampart {

/** Percent-encodes `s` so it stands as one path segment or one query value.

    Only RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept; everything else,
    `/`, `?`, `#`, `%`, `&`, `=` and every non-ASCII byte included, becomes `%XX`. So a value
    never changes the shape of the URL it is put in.
*/
inline std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

/** Whether `host` is a syntactically valid `Host` value: `reg-name`, IPv4 or `[IPv6]`, with an
    optional `:port` (1 to 5 digits, at most 65535), 255 bytes at most.

    Deliberately stricter than RFC 3986's reg-name (no percent-encoding, no sub-delims): a value
    that passes can be put in a URL or a header without escaping.
*/
inline bool is_valid_host(std::string_view host) noexcept {
    if (host.empty() || host.size() > 255)
        return false;
    std::string_view name = host;
    std::string_view port;
    if (host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos || close < 3)
            return false;
        for (char c : host.substr(1, close - 1)) {
            bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                      c == ':' || c == '.';
            if (!ok)
                return false;
        }
        std::string_view rest = host.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return false;
            port = rest.substr(1);
            if (port.empty())
                return false;
        }
        name = {};
    } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
        name = host.substr(0, colon);
        port = host.substr(colon + 1);
        if (port.empty())
            return false;
    }
    if (host.front() != '[') {
        if (name.empty() || name.front() == '.' || name.front() == '-')
            return false;
        char previous = 0;
        for (char c : name) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.';
            if (!ok || (c == '.' && previous == '.'))
                return false;
            previous = c;
        }
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
        if (value > 65535)
            return false;
    }
    return true;
}

namespace detail {

inline int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// Why a path segment was refused.
enum class segment_error { none, malformed_escape, nul_byte, not_utf8 };

/// Decodes one segment's `%XX` escapes into `out` (room for `in.size()` bytes) and returns the
/// decoded length. `+` stays `+` (that rule is for forms, not paths).
inline std::size_t percent_decode(std::string_view in, char* out, segment_error& error) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) {
                error = segment_error::malformed_escape;
                return 0;
            }
            int hi = hex_digit(in[i + 1]);
            int lo = hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0) {
                error = segment_error::malformed_escape;
                return 0;
            }
            c = static_cast<char>(hi * 16 + lo);
            if (c == '\0') {
                error = segment_error::nul_byte;
                return 0;
            }
            i += 2;
        }
        out[n++] = c;
    }
    return n;
}

/// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
inline bool is_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// A request target split per RFC 9112 section 3.2: origin-form (`/p?q`), absolute-form
/// (`http://host/p?q`, whose authority replaces the Host header), or asterisk-form (`*`).
struct parsed_target {
    enum class form { origin, absolute, asterisk, invalid } kind = form::invalid;
    std::string_view authority; // absolute-form only
    std::string_view path;      // begins with '/'
    std::string_view query;     // after '?', without it
};

inline parsed_target parse_target(std::string_view target) noexcept {
    parsed_target t;
    if (target == "*") {
        t.kind = parsed_target::form::asterisk;
        return t;
    }
    std::string_view rest = target;
    if (!rest.empty() && rest.front() != '/') {
        std::size_t scheme_end;
        if (rest.size() >= 7 && iequals(rest.substr(0, 7), "http://"))
            scheme_end = 7;
        else if (rest.size() >= 8 && iequals(rest.substr(0, 8), "https://"))
            scheme_end = 8;
        else
            return t;
        rest.remove_prefix(scheme_end);
        auto end = rest.find_first_of("/?#");
        t.authority = rest.substr(0, end);
        if (t.authority.find('@') != std::string_view::npos || !is_valid_host(t.authority))
            return t;
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
        t.kind = parsed_target::form::absolute;
    } else if (rest.empty()) {
        return t;
    } else {
        t.kind = parsed_target::form::origin;
    }
    if (rest.find('#') != std::string_view::npos) {
        t.kind = parsed_target::form::invalid; // a fragment is never sent to a server
        return t;
    }
    auto q = rest.find('?');
    t.path = rest.substr(0, q);
    if (q != std::string_view::npos)
        t.query = rest.substr(q + 1);
    if (t.path.empty())
        t.path = "/"; // `http://host` and `http://host?q` mean the root
    return t;
}

} // namespace detail
} // namespace rampart

#endif
