#ifndef RAMPART_METRICS_DETAIL_TEXT_HPP
#define RAMPART_METRICS_DETAIL_TEXT_HPP

// Pieces of the Prometheus text exposition format 0.0.4: names, escaping, numbers.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::metrics::detail {

inline bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool is_name_char(char c) noexcept {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
inline bool valid_metric_name(std::string_view s) noexcept {
    if (s.empty() || !(is_name_start(s[0]) || s[0] == ':'))
        return false;
    for (char c : s)
        if (!is_name_char(c) && c != ':')
            return false;
    return true;
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus itself).
inline bool valid_label_name(std::string_view s) noexcept {
    if (s.empty() || !is_name_start(s[0]) || s.starts_with("__"))
        return false;
    for (char c : s)
        if (!is_name_char(c))
            return false;
    return true;
}

/// HELP text: `\` and newline escaped.
inline void append_help(std::string& out, std::string_view text) {
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

/// A label value: `\`, `"` and newline escaped.
inline void append_label_value(std::string& out, std::string_view text) {
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

inline void append_number(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

/// A sample value as Prometheus reads it: the shortest text that reads back as `v`, `+Inf`,
/// `-Inf`, `NaN`.
inline void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    }
}

} // namespace rampart::metrics::detail

#endif
