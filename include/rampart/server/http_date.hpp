#ifndef RAMPART_SERVER_HTTP_DATE_HPP
#define RAMPART_SERVER_HTTP_DATE_HPP

// The public face of HTTP-date formatting (the implementation is rampart/detail/http_date.hpp):
// rampart::http_date, rampart::format_http_date and rampart::http_date_size.

#include <rampart/detail/http_date.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace rampart {

/// The length of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`): 29.
using detail::http_date_size;
/// Writes a time as an IMF-fixdate (RFC 9110 section 5.6.7), the form of the `Date` header,
/// into a `std::array<char, http_date_size>`. Exact from year 1 to 9999 for a `sys_seconds`
/// (a nanosecond `system_clock::time_point` ends in 2262); never allocates.
using detail::format_http_date;
/// A time as an IMF-fixdate string.
using detail::http_date;

namespace detail {

/// The `Date` header text, formatted again only when the second changes. One per connection,
/// so it is never shared between threads.
class date_cache {
public:
    std::string_view get(std::chrono::system_clock::time_point now) noexcept {
        auto second = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
        if (second != second_) {
            format_http_date(now, text_);
            second_ = second;
        }
        return {text_.data(), text_.size()};
    }

private:
    std::int64_t second_ = INT64_MIN;
    std::array<char, http_date_size> text_{};
};

} // namespace detail

} // namespace rampart

#endif
