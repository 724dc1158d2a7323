#ifndef RAMPART_VALIDATION_DETAIL_TEXT_HPP
#define RAMPART_VALIDATION_DETAIL_TEXT_HPP

#include <rampart/detail/ascii.hpp>
#include <rampart/detail/authority.hpp>
#include <rampart/detail/uri.hpp>
#include <rampart/detail/utf8.hpp>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::validation::detail {

using rampart::detail::utf8_length;

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
constexpr bool is_blank(std::string_view s) noexcept {
    return rampart::detail::trim_space(s).empty();
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

/// Whether Asio (inet_pton) reads `s` as an address, through `make` (make_address_v4 or
/// make_address_v6). A zone index (`%eth0`) is refused: it means nothing outside one host.
template <class Make>
bool parses_as_address(std::string_view s, Make make) noexcept {
    char text[64];
    if (s.empty() || s.size() >= sizeof text ||
        s.find_first_of(std::string_view("%\0", 2)) != std::string_view::npos)
        return false;
    s.copy(text, s.size());
    text[s.size()] = '\0';
    boost::system::error_code ec;
    make(text, ec);
    return !ec;
}

/// A dotted-quad IPv4 address, each part 0..255 without leading zeros.
inline bool is_ipv4(std::string_view s) noexcept {
    return parses_as_address(s, [](const char* t, boost::system::error_code& ec) {
        boost::asio::ip::make_address_v4(t, ec);
    });
}

/// An IPv6 address in brackets' inner form: hex groups, colons, one `::`, optional dotted tail.
inline bool is_ipv6(std::string_view s) noexcept {
    return parses_as_address(s, [](const char* t, boost::system::error_code& ec) {
        boost::asio::ip::make_address_v6(t, ec);
    });
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

    Boost.URL parses the scheme and authority (RFC 3986); the host must then also pass this
    file's host rules. The tail keeps its own, looser rule: characters RFC 3986 wants escaped
    (`|`, `{`, `"`, ...) are accepted there, as they always were.
*/
inline bool is_url(std::string_view s) {
    if (s.size() > 2048)
        return false;
    std::size_t authority = s.find("://");
    if (authority == std::string_view::npos)
        return false;
    authority += 3;
    std::size_t end = s.find_first_of("/?#", authority);
    std::string_view tail = end == std::string_view::npos ? std::string_view{} : s.substr(end);
    auto parsed = rampart::detail::parse_uri(s.substr(0, s.size() - tail.size()));
    // What was parsed ends at the authority, so a path here is a misread authority.
    if (!parsed || !parsed->encoded_path().empty())
        return false;
    const boost::urls::url& u = *parsed;
    if (!rampart::detail::iequals(u.scheme(), "http") &&
        !rampart::detail::iequals(u.scheme(), "https"))
        return false;
    if (u.has_userinfo()) // credentials in URLs: refused
        return false;
    std::string_view host = u.encoded_host_address();
    switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
        if (!is_ipv6(host))
            return false;
        break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
        if (!is_ipv4(host) && !is_hostname(host, 1))
            return false;
        break;
    default: // none, IPvFuture
        return false;
    }
    if (u.has_port() && rampart::detail::port_value(u.port()) <= 0)
        return false;
    for (char c : tail)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
            c == '\\')
            return false;
    return true;
}

} // namespace rampart::validation::detail

#endif
