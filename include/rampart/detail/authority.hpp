#ifndef RAMPART_DETAIL_AUTHORITY_HPP
#define RAMPART_DETAIL_AUTHORITY_HPP

// Splitting a URL authority or a Host value into host and port (RFC 3986 section 3.2), once
// for the router's Host check and the validator's URL rule. What a valid host name is stays
// with each caller: they differ on purpose.

#include <string_view>

namespace rampart::detail {

/// The parts of `host[:port]` or `[IPv6]:port`.
struct host_port {
    std::string_view host; // without the brackets of an IP literal
    std::string_view port; // empty when there is none
    bool ip_literal = false;
};

/// Splits `authority` into `out`. False for a `[` without `]`, text after `]` that is not
/// `:port`, or a `:` with nothing after it.
constexpr bool split_host_port(std::string_view authority, host_port& out) noexcept {
    out = {};
    std::string_view rest;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return false;
        out.ip_literal = true;
        out.host = authority.substr(1, close - 1);
        rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return false;
    } else {
        auto colon = authority.find(':');
        out.host = authority.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    }
    if (rest.empty())
        return true;
    out.port = rest.substr(1);
    return !out.port.empty();
}

/// The value of a port written as 1 to 5 decimal digits and at most 65535, or -1.
constexpr long port_value(std::string_view port) noexcept {
    if (port.empty() || port.size() > 5)
        return -1;
    long value = 0;
    for (char c : port) {
        if (c < '0' || c > '9')
            return -1;
        value = value * 10 + (c - '0');
    }
    return value > 65535 ? -1 : value;
}

} // namespace rampart::detail

#endif
