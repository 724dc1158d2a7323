#ifndef RAMPART_DETAIL_HTTP_DATE_HPP
#define RAMPART_DETAIL_HTTP_DATE_HPP

// HTTP-date (RFC 9110 section 5.6.7), written once for the server's `Date` header and the
// router's `Sunset` header. The public names are in rampart/server/http_date.hpp.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace rampart::detail {

/// The length of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
inline constexpr std::size_t http_date_size = 29;

/// Writes `t` as an IMF-fixdate (RFC 9110 section 5.6.7), the form of the `Date` header, into
/// `out`. Exact for every date from year 1 to 9999 that the time point's type can hold (a
/// `sys_seconds` holds them all; a nanosecond `system_clock::time_point` ends in 2262); never
/// allocates.
template <class Duration>
void format_http_date(std::chrono::time_point<std::chrono::system_clock, Duration> t,
                      std::array<char, http_date_size>& out) noexcept {
    using namespace std::chrono;
    auto secs = floor<seconds>(t).time_since_epoch().count();
    std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    std::int64_t rem = secs - days * 86400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    std::int64_t z = days + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t year = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    if (month <= 2)
        ++year;
    std::int64_t weekday = (days % 7 + 7 + 4) % 7; // 1970-01-01 was a Thursday

    static constexpr std::string_view names = "SunMonTueWedThuFriSat";
    static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    auto two = [&](std::size_t at, std::int64_t v) {
        out[at] = static_cast<char>('0' + v / 10);
        out[at + 1] = static_cast<char>('0' + v % 10);
    };
    for (std::size_t i = 0; i < 3; ++i) {
        out[i] = names[static_cast<std::size_t>(weekday) * 3 + i];
        out[8 + i] = months[static_cast<std::size_t>(month - 1) * 3 + i];
    }
    out[3] = ',';
    out[4] = ' ';
    two(5, day);
    out[7] = ' ';
    out[11] = ' ';
    two(12, year / 100 % 100);
    two(14, year % 100);
    out[16] = ' ';
    two(17, rem / 3600);
    out[19] = ':';
    two(20, rem / 60 % 60);
    out[22] = ':';
    two(23, rem % 60);
    out[25] = ' ';
    out[26] = 'G';
    out[27] = 'M';
    out[28] = 'T';
}

/// `t` as an IMF-fixdate string.
template <class Duration>
std::string http_date(std::chrono::time_point<std::chrono::system_clock, Duration> t) {
    std::array<char, http_date_size> text;
    format_http_date(t, text);
    return {text.data(), text.size()};
}

} // namespace rampart::detail

#endif
