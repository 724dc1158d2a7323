#ifndef RAMPART_ROUTER_DEPRECATION_HPP
#define RAMPART_ROUTER_DEPRECATION_HPP

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace rampart {

/** How an API version is being retired; see basic_router::deprecate.

    While the version is served, each of its responses (errors included) carries
    `Deprecation` (RFC 9745: `@<unix seconds>` when `since` is known, else `true`, the form
    earlier drafts used), `Sunset` (RFC 8594, an HTTP-date) when `sunset` is set, and
    `Link: <successor>; rel="successor-version"` when `successor` is set.
*/
struct deprecation {
    /// When the version was deprecated.
    std::optional<std::chrono::sys_seconds> since;
    /// When it stops being served.
    std::optional<std::chrono::sys_seconds> sunset;
    /// The version that replaces it (a version name of this router: the link then points at
    /// the same route in that version when it has one, else at that version's root), or a
    /// URL (`https://...`, or a path beginning with `/`) used as is.
    std::string successor;
    /// Opt-in: from `sunset` on, every request to the version is answered 410 Gone.
    bool gone_after_sunset = false;
};

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate).
inline std::string http_date(std::chrono::sys_seconds t) {
    using namespace std::chrono;
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto day = floor<std::chrono::days>(t);
    year_month_day ymd{day};
    weekday wd{day};
    hh_mm_ss<seconds> hms{t - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", days[wd.c_encoding()],
                  static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

} // namespace rampart

#endif
