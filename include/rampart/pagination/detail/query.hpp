#ifndef RAMPART_PAGINATION_DETAIL_QUERY_HPP
#define RAMPART_PAGINATION_DETAIL_QUERY_HPP

#include <rampart/errors/http_error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::pagination::detail {

/// One `name=value` of a query string: raw (as sent) and the decoded name.
struct query_param {
    std::string_view raw;
    std::string name;
    std::string_view raw_value;
};

inline int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// application/x-www-form-urlencoded decoding; a malformed `%` escape is kept literally.
inline std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
                   hex_digit(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

inline std::vector<query_param> parse_query(std::string_view query) {
    std::vector<query_param> out;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty())
            continue;
        auto eq = part.find('=');
        auto name = part.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
        out.push_back({part, form_decode(name), value});
    }
    return out;
}

/// The decoded value of `name`, nullopt when absent; 400 on `field` when given more than once.
inline std::optional<std::string> single_value(const std::vector<query_param>& params,
                                               std::string_view name, std::string_view field,
                                               std::string_view duplicate_message) {
    std::optional<std::string> found;
    for (const auto& p : params) {
        if (p.name != name)
            continue;
        if (found)
            throw validation_error(field, std::string(duplicate_message));
        found = form_decode(p.raw_value);
    }
    return found;
}

/// Whether `c` may stand unescaped in a URL's path or query.
inline bool url_safe(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("-._~!$&'()*+,;=:@/?%").find(c) != std::string_view::npos;
}

/// Appends `s`, percent-encoding whatever is not URL-safe (so nothing a client sent can break
/// out of the URL, whatever the caller does with it).
inline void append_safe(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : s) {
        if (url_safe(c)) {
            out += c;
        } else {
            auto b = static_cast<unsigned char>(c);
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 15];
        }
    }
}

/** `base` with the request's query, every `name` parameter removed, and `name=value` appended
    when a value is given. Other parameters keep their order and their encoding. */
inline std::string link_with(std::string_view base, const std::vector<query_param>& params,
                             std::string_view name, std::optional<std::string_view> value) {
    std::string out(base);
    char sep = base.find('?') == std::string_view::npos ? '?' : '&';
    for (const auto& p : params) {
        if (p.name == name)
            continue;
        out += sep;
        append_safe(out, p.raw);
        sep = '&';
    }
    if (value) {
        out += sep;
        append_safe(out, name);
        out += '=';
        append_safe(out, *value);
    }
    return out;
}

/// A whole number in 1..max, or a 400 on `field` with a message a client can act on.
inline std::size_t parse_bounded(std::string_view field, std::string_view text, std::size_t min,
                                 std::size_t max) {
    if (text.empty() || text.size() > 18)
        throw validation_error(field, "A valid integer is required.");
    std::size_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            throw validation_error(field, "A valid integer is required.");
        v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    if (v < min || v > max)
        throw validation_error(field,
                               "Ensure this value is between " + std::to_string(min) + " and " +
                                   std::to_string(max) + ".",
                               v < min ? "min_value" : "max_value");
    return v;
}

} // namespace rampart::pagination::detail

#endif
