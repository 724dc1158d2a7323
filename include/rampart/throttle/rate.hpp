#ifndef RAMPART_THROTTLE_RATE_HPP
#define RAMPART_THROTTLE_RATE_HPP

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::throttle {

/** A limit: `tokens` requests per `period`, as a token bucket.

    The bucket holds at most `tokens` and refills continuously at `tokens` per `period`, so a
    client may burst `tokens` requests at once and then sustain one request every
    `period / tokens`. Build one with parse_rate (`"100/hour"`) or directly
    (`rate{10, std::chrono::minutes{1}}`); check a hand-built one with validate_rate.
*/
struct rate {
    std::uint64_t tokens;
    std::chrono::nanoseconds period;

    friend bool operator==(const rate&, const rate&) = default;
};

/// The longest period a rate may have. Bucket arithmetic multiplies a period by a token count
/// in 128 bits; this bound keeps every product exact.
inline constexpr std::chrono::nanoseconds max_rate_period =
    std::chrono::nanoseconds{std::int64_t{1} << 62};

/// Thrown for a rate that cannot be used; `what()` names the problem and the offending text.
class rate_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Throws rate_error unless `r` has at least one token and a period in (0, max_rate_period].
inline void validate_rate(const rate& r) {
    if (r.tokens == 0)
        throw rate_error("invalid rate: the number of requests must be at least 1");
    if (r.period <= std::chrono::nanoseconds::zero())
        throw rate_error("invalid rate: the period must be positive");
    if (r.period > max_rate_period)
        throw rate_error("invalid rate: the period is too long");
}

namespace detail {

inline std::string quote_rate_spec(std::string_view spec) {
    std::string out = "\"";
    for (char c : spec.substr(0, 64)) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    if (spec.size() > 64)
        out += "...";
    out += '"';
    return out;
}

/// Whether `unit` names `word` (`"m"`, `"min"`, `"mins"`, `"minute"`, `"minutes"` all name
/// minute). A plural `s` is dropped only from three letters on, so `"ms"` is not minutes.
inline bool names_unit(std::string_view unit, std::string_view word) noexcept {
    if (unit.size() >= 4 && unit.back() == 's')
        unit.remove_suffix(1);
    return !unit.empty() && unit.size() <= word.size() && word.substr(0, unit.size()) == unit;
}

} // namespace detail

/** Parses `N/second`, `N/minute`, `N/hour` or `N/day`.

    The unit may be shortened to any prefix of its name (`10/m`, `10/min`) or written plural
    (`10/minutes`); case does not matter; spaces and tabs around the whole text are ignored.
    `N` is a decimal count of at least 1 that fits in 64 bits. Anything else (a sign, a
    fraction, an unknown unit, a missing part) throws rate_error with a message that names the
    problem, so a bad configuration stops start-up instead of silently throttling nothing.

    Throws rate_error (a configuration error, never the client's).
*/
inline rate parse_rate(std::string_view spec) {
    std::string_view text = spec;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    auto fail = [&](std::string_view why) -> rate {
        throw rate_error("invalid rate " + detail::quote_rate_spec(spec) + ": " + std::string(why) +
                         " (expected N/second, N/minute, N/hour or N/day, e.g. \"100/hour\")");
    };
    if (text.empty())
        return fail("it is empty");
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return fail("the '/' between the count and the unit is missing");
    std::string_view count = text.substr(0, slash);
    std::string_view unit_text = text.substr(slash + 1);
    if (count.empty())
        return fail("the count before '/' is missing");
    std::uint64_t tokens = 0;
    for (char c : count) {
        if (c < '0' || c > '9')
            return fail("the count must be a whole number of digits");
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (tokens > (UINT64_MAX - digit) / 10)
            return fail("the count is too large");
        tokens = tokens * 10 + digit;
    }
    if (tokens == 0)
        return fail("the count must be at least 1");
    if (unit_text.empty())
        return fail("the unit after '/' is missing");
    if (unit_text.size() > 8)
        return fail("unknown unit");
    std::string unit;
    for (char c : unit_text)
        unit += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    using namespace std::chrono;
    if (detail::names_unit(unit, "second"))
        return {tokens, seconds{1}};
    if (detail::names_unit(unit, "minute"))
        return {tokens, minutes{1}};
    if (detail::names_unit(unit, "hour"))
        return {tokens, hours{1}};
    if (detail::names_unit(unit, "day"))
        return {tokens, hours{24}};
    return fail("unknown unit");
}

/// `"100/hour"` for the four units parse_rate reads, else `"5/90s"` (count / period in
/// seconds, or `ns` when the period is not whole seconds).
inline std::string to_string(const rate& r) {
    using namespace std::chrono;
    std::string out = std::to_string(r.tokens) + "/";
    if (r.period == seconds{1})
        return out + "second";
    if (r.period == minutes{1})
        return out + "minute";
    if (r.period == hours{1})
        return out + "hour";
    if (r.period == hours{24})
        return out + "day";
    if (r.period % seconds{1} == nanoseconds::zero())
        return out + std::to_string(duration_cast<seconds>(r.period).count()) + "s";
    return out + std::to_string(r.period.count()) + "ns";
}

} // namespace rampart::throttle

#endif
