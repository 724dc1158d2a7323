#ifndef RAMPART_PAGINATION_DETAIL_QUERY_HPP
#define RAMPART_PAGINATION_DETAIL_QUERY_HPP

#include <rampart/detail/percent.hpp>
#include <rampart/errors/http_error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::pagination::detail {

/// The 400 message for a page size, limit or offset that is not a whole number.
inline constexpr std::string_view not_an_integer = "A valid integer is required.";

/// One `name=value` of a query string: raw (as sent) and the decoded name.
struct query_param {
    std::string_view raw;
    std::string name;
    std::string_view raw_value;
};

/// application/x-www-form-urlencoded decoding (`+` is a space); nullopt on a bad escape or
/// `%00`, which no page parameter can contain.
inline std::optional<std::string> form_decode(std::string_view s) {
    return rampart::detail::percent_decode(s, {.plus_is_space = true});
}

/** The parameters of a query string, in order. A name that does not decode (a bad escape) is
    kept as sent: it then matches no page parameter, and is still copied into links as is. */
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
        auto decoded = form_decode(name);
        out.push_back({part, decoded ? std::move(*decoded) : std::string(name), value});
    }
    return out;
}

/** The decoded value of `name`, nullopt when absent. Throws validation_error on `field`: with
    `duplicate_message` when given more than once, with `invalid_message` when the value has a
    bad escape (the message the caller gives for an unparsable value, so a client sees the same
    400 as for any other malformed value). */
inline std::optional<std::string> single_value(const std::vector<query_param>& params,
                                               std::string_view name, std::string_view field,
                                               std::string_view duplicate_message,
                                               std::string_view invalid_message) {
    const query_param* found = nullptr;
    for (const auto& p : params) {
        if (p.name != name)
            continue;
        if (found)
            throw validation_error(field, std::string(duplicate_message));
        found = &p;
    }
    if (!found)
        return std::nullopt;
    auto value = form_decode(found->raw_value);
    if (!value)
        throw validation_error(field, std::string(invalid_message));
    return value;
}

/// Appends `s`, percent-encoding whatever is not URL-safe (so nothing a client sent can break
/// out of the URL, whatever the caller does with it).
inline void append_safe(std::string& out, std::string_view s) {
    rampart::detail::percent_encode_append(out, s, rampart::detail::is_url_safe);
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
        throw validation_error(field, std::string(not_an_integer));
    std::size_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            throw validation_error(field, std::string(not_an_integer));
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
