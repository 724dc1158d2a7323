#ifndef RAMPART_DETAIL_ASCII_HPP
#define RAMPART_DETAIL_ASCII_HPP

// The ASCII character helpers every parser in rampart shares. HTTP field names, media types,
// schemes and hex digits are ASCII by definition, so none of these look at the locale.

#include <charconv>
#include <concepts>
#include <optional>
#include <string_view>
#include <system_error>

namespace rampart::detail {

/// `c` in lower case when it is an ASCII capital, otherwise unchanged.
constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/** ASCII case-insensitive equality. Not beast::iequals: in Boost 1.81 its slow loop reads one
    byte past the end of both strings once a case difference is seen (found by fuzz_router with
    an exactly sized "Http://" target), so every caller in rampart uses this one.
*/
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/// Whether `s` begins with `prefix`, ignoring ASCII case.
inline bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// Whether `s` ends with `suffix`, ignoring ASCII case.
inline bool iends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

/// HTTP's optional white space (RFC 9110 section 5.6.3): space and horizontal tab.
constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

/// ASCII white space as JSON text and form input know it (space, \t, \n, \r, \f, \v).
constexpr bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// `s` without leading and trailing optional white space (space and tab): header values.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

/// `s` without leading and trailing ASCII white space: user-entered text.
constexpr std::string_view trim_space(std::string_view s) noexcept {
    while (!s.empty() && is_ascii_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back()))
        s.remove_suffix(1);
    return s;
}

/// The value of a hex digit (either case), or -1 when `c` is not one.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// Lower-case hex digits, indexed by value.
inline constexpr char hex_digits[] = "0123456789abcdef";

/// `text` as a `T` when it is all of one decimal integer that fits (an optional '-' for signed
/// types, then digits); nullopt for '+', spaces, other text or a value out of range.
template <std::integral T>
std::optional<T> parse_integer(std::string_view text) noexcept {
    const char* end = text.data() + text.size();
    T value{};
    auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc{} || stop != end)
        return std::nullopt;
    return value;
}

} // namespace rampart::detail

#endif
