#ifndef RAMPART_ROUTER_URI_HPP
#define RAMPART_ROUTER_URI_HPP

#include <rampart/detail/ascii.hpp>
#include <rampart/detail/authority.hpp>
#include <rampart/detail/percent.hpp>
#include <rampart/detail/utf8.hpp>

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
    std::string out;
    detail::percent_encode_append(out, s, detail::is_unreserved);
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
    detail::host_port parts;
    if (!detail::split_host_port(host, parts))
        return false;
    if (parts.ip_literal) {
        if (parts.host.size() < 2)
            return false;
        for (char c : parts.host)
            if (detail::hex_value(c) < 0 && c != ':' && c != '.')
                return false;
    } else {
        std::string_view name = parts.host;
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
    return parts.port.empty() || detail::port_value(parts.port) >= 0;
}

namespace detail {

/// Why a path segment was refused.
enum class segment_error { none, malformed_escape, nul_byte, not_utf8 };

/// Decodes one segment's `%XX` escapes into `out` (room for `in.size()` bytes) and returns the
/// decoded length. `+` stays `+` (that rule is for forms, not paths). A thin adapter over
/// detail::percent_decode_into that names the refusal in the router's terms.
inline std::size_t percent_decode(std::string_view in, char* out, segment_error& error) noexcept {
    std::size_t n = 0;
    switch (percent_decode_into(in, out, n)) {
    case percent_error::none:
        return n;
    case percent_error::bad_escape:
        error = segment_error::malformed_escape;
        return 0;
    case percent_error::nul_byte:
        error = segment_error::nul_byte;
        return 0;
    }
    return 0;
}

/// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
inline bool is_utf8(std::string_view s) noexcept {
    return utf8_length(s).has_value();
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
        if (istarts_with(rest, "http://"))
            scheme_end = 7;
        else if (istarts_with(rest, "https://"))
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
