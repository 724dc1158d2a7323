#ifndef RAMPART_SERVER_HOST_HPP
#define RAMPART_SERVER_HOST_HPP

#include <arpa/inet.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart {

/// A `Host` field value split into its parts; views into the value that was parsed.
struct host_parts {
    /// The host as sent: a reg-name (`api.example.com`, `192.0.2.1`, possibly empty) or an
    /// IP literal with its brackets (`[2001:db8::1]`). Not lower-cased: compare case-insensitively.
    std::string_view host;
    /// The port, when the value carried one.
    std::optional<std::uint16_t> port;
};

/** Parses a `Host` field value by RFC 9110 §7.2 (`uri-host [ ":" port ]`, RFC 3986 syntax).

    Accepted: a reg-name of unreserved characters, sub-delims and `%HH` escapes (an IPv4 address
    is one), possibly empty as RFC 9112 §3.2 allows for targets without an authority; or an IPv6
    literal in brackets (no zone identifier). The port, when a `:` is present, must be 1 to 5
    digits naming 0..65535. Refused, stricter than the grammar on purpose because no real client
    sends them: an empty port (`host:`), `IPvFuture` literals. Everything else (spaces, control
    bytes, `@`, `/`, a second `:` outside brackets, ...) is refused: such a value is how a
    request tries to confuse a proxy and the service about where it was sent.

    The server answers 400 to a request whose Host this refuses; middleware that matches hosts
    (an allowed-hosts list) can use it to split the port off. The router's `is_valid_host`
    (router/uri.hpp) is stricter on purpose (no sub-delims, no `%`, not empty): it vets a Host
    before putting it into an absolute URL.
*/
inline std::optional<host_parts> parse_host_field(std::string_view value) noexcept {
    auto is_hex = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    };
    auto is_reg_name_char = [](char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return true;
        switch (c) {
        case '-':
        case '.':
        case '_':
        case '~': // unreserved
        case '!':
        case '$':
        case '&':
        case '\'':
        case '(':
        case ')': // sub-delims
        case '*':
        case '+':
        case ',':
        case ';':
        case '=':
            return true;
        default:
            return false;
        }
    };

    host_parts parts;
    std::string_view rest;
    if (!value.empty() && value.front() == '[') {
        auto close = value.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        auto literal = value.substr(1, close - 1);
        // inet_pton accepts exactly the IPv6address forms of RFC 4291 and no zone identifier.
        if (literal.empty() || literal.size() >= INET6_ADDRSTRLEN)
            return std::nullopt;
        char text[INET6_ADDRSTRLEN];
        literal.copy(text, literal.size());
        text[literal.size()] = '\0';
        unsigned char address[16];
        if (::inet_pton(AF_INET6, text, address) != 1)
            return std::nullopt;
        parts.host = value.substr(0, close + 1);
        rest = value.substr(close + 1);
    } else {
        std::size_t i = 0;
        while (i < value.size() && value[i] != ':') {
            char c = value[i];
            if (c == '%') {
                if (i + 2 >= value.size() || !is_hex(value[i + 1]) || !is_hex(value[i + 2]))
                    return std::nullopt;
                i += 3;
                continue;
            }
            if (!is_reg_name_char(c))
                return std::nullopt;
            ++i;
        }
        parts.host = value.substr(0, i);
        rest = value.substr(i);
    }
    if (rest.empty())
        return parts;
    if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6)
        return std::nullopt;
    unsigned port = 0;
    for (char c : rest.substr(1)) {
        if (c < '0' || c > '9')
            return std::nullopt;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port > 65535)
        return std::nullopt;
    parts.port = static_cast<std::uint16_t>(port);
    return parts;
}

/// Whether `value` is a valid `Host` field value (see parse_host_field()).
inline bool is_valid_host_field(std::string_view value) noexcept {
    return parse_host_field(value).has_value();
}

} // namespace rampart

#endif
