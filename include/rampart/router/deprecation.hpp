#ifndef RAMPART_ROUTER_DEPRECATION_HPP
#define RAMPART_ROUTER_DEPRECATION_HPP

#include <rampart/detail/http_date.hpp>

#include <chrono>
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

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate), as the `Sunset` header wants it.
using detail::http_date;

} // namespace rampart

#endif
