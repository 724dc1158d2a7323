#ifndef RAMPART_VALIDATION_DECIMAL_HPP
#define RAMPART_VALIDATION_DECIMAL_HPP

#include <rampart/detail/wide_math.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <charconv>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart {

/** An exact fixed-point decimal number: a 64-bit integer count of units and a scale.

    The value is `units / 10^scale`, with `scale` in 0..18. Prices and other money go through
    this type so that they never pass through binary floating point: `"1.25"` parses to 125
    units at scale 2 and renders back as `"1.25"`, always with `scale` places.

    Every operation is exact or fails: parsing text that does not fit 64 bits, arithmetic that
    overflows and rescaling that would drop non-zero digits all report the failure (parse
    returns nullopt, the operators throw std::overflow_error) instead of rounding or wrapping.
    Comparison is by value: `1.5 == 1.50`.
*/
class decimal {
public:
    /// The largest scale: 10^18 still fits a signed 64-bit integer.
    static constexpr int max_scale = 18;

    /// Zero at scale 0.
    constexpr decimal() noexcept = default;

    /// `units / 10^scale`.
    /// Throws: std::invalid_argument when scale is outside 0..18 (a programming error).
    constexpr decimal(std::int64_t units, int scale) : units_(units), scale_(checked(scale)) {}

    /// A whole number at scale 0.
    static constexpr decimal from_integer(std::int64_t value) noexcept {
        decimal d;
        d.units_ = value;
        return d;
    }

    /** Parses `[-]digits[.digits][(e|E)[+|-]digits]` exactly.

        Returns nullopt for anything else (white space, `+1`, `.5`, `1.`, `NaN`, an empty string)
        and for values that need more than 18 places or more than 64 bits of units. Leading zeros
        are accepted (`007.50`). With `allow_exponent` false (the default for text a client sent
        as a JSON string), an exponent is refused too.
    */
    static std::optional<decimal> parse(std::string_view text, bool allow_exponent = false) {
        std::size_t i = 0;
        bool negative = false;
        if (i < text.size() && text[i] == '-') {
            negative = true;
            ++i;
        }
        // Accumulate digits as a negative number so that INT64_MIN stays representable.
        std::int64_t acc = 0;
        int scale = 0;
        bool any_digit = false;
        bool seen_nonzero = false;
        auto push_digit = [&](char c, bool fraction) -> bool {
            int digit = c - '0';
            if (fraction)
                ++scale;
            if (!seen_nonzero && digit == 0) // leading zeros never overflow
                return !fraction || scale <= max_scale;
            seen_nonzero = true;
            if (acc < (std::numeric_limits<std::int64_t>::min() + digit) / 10)
                return false;
            acc = acc * 10 - digit;
            return scale <= max_scale;
        };
        std::size_t int_start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (!push_digit(text[i], false))
                return std::nullopt;
            ++i;
        }
        if (i == int_start)
            return std::nullopt;
        any_digit = true;
        if (i < text.size() && text[i] == '.') {
            ++i;
            std::size_t frac_start = i;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
                if (!push_digit(text[i], true))
                    return std::nullopt;
                ++i;
            }
            if (i == frac_start)
                return std::nullopt;
        }
        long long exponent = 0;
        if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
            if (!allow_exponent)
                return std::nullopt;
            ++i;
            bool exp_negative = false;
            if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
                exp_negative = text[i] == '-';
                ++i;
            }
            std::size_t exp_start = i;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
                if (exponent < 100000)
                    exponent = exponent * 10 + (text[i] - '0');
                ++i;
            }
            if (i == exp_start)
                return std::nullopt;
            if (exp_negative)
                exponent = -exponent;
        }
        if (i != text.size() || !any_digit)
            return std::nullopt;
        if (!negative) {
            if (acc == std::numeric_limits<std::int64_t>::min())
                return std::nullopt;
            acc = -acc;
        }
        // Apply the exponent: a negative one adds places, a positive one removes them (or
        // multiplies the units when there are no places left to remove).
        long long new_scale = static_cast<long long>(scale) - exponent;
        if (new_scale > max_scale)
            return std::nullopt;
        decimal d;
        d.units_ = acc;
        d.scale_ = static_cast<std::int8_t>(scale);
        if (new_scale >= 0) { // the same units, the point moved
            d.scale_ = static_cast<std::int8_t>(new_scale);
            return d;
        }
        // Whole number times 10^-new_scale.
        d.scale_ = 0;
        for (long long k = 0; k < -new_scale; ++k) {
            if (acc == 0)
                break;
            if (!mul_overflows(d.units_, 10, d.units_))
                continue;
            return std::nullopt;
        }
        return d;
    }

    /// Like parse, for literals in code.
    /// Throws: std::invalid_argument on bad text (a programming error; parse client text with
    /// parse()).
    static decimal from_string(std::string_view text) {
        if (auto d = parse(text, true))
            return *d;
        throw std::invalid_argument("rampart::decimal: not an exact decimal: " +
                                    std::string(text.substr(0, 64)));
    }

    /// The integer count of units: the value times 10^scale.
    constexpr std::int64_t units() const noexcept { return units_; }
    /// Places after the decimal point.
    constexpr int scale() const noexcept { return scale_; }

    /// The same value with exactly `places` places, or nullopt when that would drop a non-zero
    /// digit or overflow.
    std::optional<decimal> rescaled_exact(int places) const {
        checked(places);
        decimal d;
        d.scale_ = static_cast<std::int8_t>(places);
        d.units_ = units_;
        if (places >= scale_) {
            for (int k = scale_; k < places; ++k)
                if (mul_overflows(d.units_, 10, d.units_))
                    return std::nullopt;
        } else {
            std::int64_t divisor = pow10(scale_ - places);
            if (units_ % divisor != 0)
                return std::nullopt;
            d.units_ = units_ / divisor;
        }
        return d;
    }

    /// The value rounded to `places` places, halves away from zero (commercial rounding).
    /// Throws: std::overflow_error when the result does not fit; std::invalid_argument when
    /// `places` is outside 0..18.
    decimal rounded(int places) const {
        checked(places);
        if (places >= scale_) {
            if (auto d = rescaled_exact(places))
                return *d;
            throw std::overflow_error("rampart::decimal: overflow");
        }
        std::int64_t divisor = pow10(scale_ - places);
        std::int64_t q = units_ / divisor;
        std::int64_t r = units_ % divisor;
        // |r| >= divisor/2, written without overflow.
        std::int64_t abs_r = r < 0 ? -r : r;
        if (abs_r >= divisor - abs_r)
            q += units_ < 0 ? -1 : 1;
        return decimal{q, places};
    }

    /// Places needed to write the value without trailing zeros (`1.50` -> 1).
    int significant_places() const noexcept {
        int s = scale_;
        std::int64_t u = units_;
        while (s > 0 && u % 10 == 0) {
            u /= 10;
            --s;
        }
        return s;
    }

    /// Significant digits without trailing fractional zeros (`12.340` -> 4, `0.05` -> 2).
    int digits() const noexcept {
        int s = scale_;
        std::int64_t u = units_;
        while (s > 0 && u % 10 == 0) {
            u /= 10;
            --s;
        }
        int n = 0;
        do {
            ++n;
            u /= 10;
        } while (u != 0);
        return n < s ? s : n; // 0.05 has two digits, as in Python's Decimal
    }

    /// `"-12.50"`: always `scale` places, a leading `0` before the point, no exponent.
    std::string to_string() const {
        char buf[48];
        char* end = write(buf);
        return std::string(buf, end);
    }

    /// Arithmetic is exact, at the larger scale of the operands.
    /// Throws: std::overflow_error when the result does not fit.
    friend decimal operator-(const decimal& a) {
        if (a.units_ == std::numeric_limits<std::int64_t>::min())
            throw std::overflow_error("rampart::decimal: overflow");
        decimal d = a;
        d.units_ = -a.units_;
        return d;
    }
    friend decimal operator+(const decimal& a, const decimal& b) {
        auto [x, y] = aligned(a, b);
        std::int64_t r;
        if (rampart::detail::add_overflows(x.units_, y.units_, r))
            throw std::overflow_error("rampart::decimal: overflow");
        return decimal{r, x.scale_};
    }
    friend decimal operator-(const decimal& a, const decimal& b) {
        auto [x, y] = aligned(a, b);
        std::int64_t r;
        if (rampart::detail::sub_overflows(x.units_, y.units_, r))
            throw std::overflow_error("rampart::decimal: overflow");
        return decimal{r, x.scale_};
    }
    /// Multiplies by a whole number (a price times a quantity); the scale is kept.
    /// Throws: std::overflow_error when the result does not fit.
    friend decimal operator*(const decimal& a, std::int64_t n) {
        std::int64_t r;
        if (rampart::detail::mul_overflows(a.units_, n, r))
            throw std::overflow_error("rampart::decimal: overflow");
        return decimal{r, a.scale_};
    }
    friend decimal operator*(std::int64_t n, const decimal& a) { return a * n; }

    friend bool operator==(const decimal& a, const decimal& b) noexcept {
        return compare(a, b) == 0;
    }
    friend std::strong_ordering operator<=>(const decimal& a, const decimal& b) noexcept {
        int c = compare(a, b);
        return c < 0   ? std::strong_ordering::less
               : c > 0 ? std::strong_ordering::greater
                       : std::strong_ordering::equal;
    }

    /// Boost.JSON: a decimal converts to its string form.
    friend void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv,
                           const decimal& d) {
        char buf[48];
        char* end = d.write(buf);
        jv = boost::json::string_view(buf, static_cast<std::size_t>(end - buf));
    }

    /** Boost.JSON: from a string (`"1.25"`, no exponent) or a number.

        An integer converts exactly. A JSON number already parsed to a double converts through
        its shortest round-trip text, which is exact for every number written with at most 15
        significant digits; use rampart::validation's parser (which keeps a number's original
        text) where longer numbers must be exact too.

        Throws: std::invalid_argument when `jv` is not an exact decimal (boost::json::value_to;
        try_value_to answers the error instead).
    */
    friend decimal tag_invoke(const boost::json::value_to_tag<decimal>&,
                              const boost::json::value& jv) {
        std::optional<decimal> d = from_json(jv);
        if (!d)
            throw std::invalid_argument("rampart::decimal: not an exact decimal");
        return *d;
    }

    /// The conversion tag_invoke uses, without exceptions: nullopt when `jv` is not a decimal.
    static std::optional<decimal> from_json(const boost::json::value& jv) {
        switch (jv.kind()) {
        case boost::json::kind::int64:
            return from_integer(jv.get_int64());
        case boost::json::kind::uint64:
            if (jv.get_uint64() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return std::nullopt;
            return from_integer(static_cast<std::int64_t>(jv.get_uint64()));
        case boost::json::kind::double_: {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, jv.get_double());
            if (r.ec != std::errc{})
                return std::nullopt;
            return parse(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), true);
        }
        case boost::json::kind::string:
            return parse(jv.get_string(), false);
        default:
            return std::nullopt;
        }
    }

private:
    static constexpr std::int8_t checked(int scale) {
        if (scale < 0 || scale > max_scale)
            throw std::invalid_argument("rampart::decimal: scale must be within 0..18");
        return static_cast<std::int8_t>(scale);
    }
    static constexpr std::int64_t pow10(int n) noexcept {
        std::int64_t p = 1;
        for (int k = 0; k < n; ++k)
            p *= 10;
        return p;
    }
    static bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t& out) noexcept {
        return rampart::detail::mul_overflows(a, b, out);
    }

    /// Both values at the larger scale; throws std::overflow_error when that does not fit.
    static std::pair<decimal, decimal> aligned(const decimal& a, const decimal& b) {
        int s = a.scale_ > b.scale_ ? a.scale_ : b.scale_;
        auto x = a.rescaled_exact(s);
        auto y = b.rescaled_exact(s);
        if (!x || !y)
            throw std::overflow_error("rampart::decimal: overflow");
        return {*x, *y};
    }

    /// Exact comparison across scales, in 128-bit arithmetic.
    static int compare(const decimal& a, const decimal& b) noexcept {
        using rampart::detail::i128;
        i128 x = a.units_;
        i128 y = b.units_;
        for (int k = a.scale_; k < b.scale_; ++k)
            x *= 10;
        for (int k = b.scale_; k < a.scale_; ++k)
            y *= 10;
        return x < y ? -1 : x > y ? 1 : 0;
    }

    char* write(char* out) const noexcept {
        std::uint64_t magnitude = units_ < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(units_)
                                             : static_cast<std::uint64_t>(units_);
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + magnitude % 10);
            magnitude /= 10;
        } while (magnitude != 0);
        while (n <= scale_) // at least one digit before the point
            digits[n++] = '0';
        if (units_ < 0)
            *out++ = '-';
        for (int k = n - 1; k >= 0; --k) {
            *out++ = digits[k];
            if (k == scale_ && k != 0)
                *out++ = '.';
        }
        return out;
    }

    std::int64_t units_ = 0;
    std::int8_t scale_ = 0;
};

} // namespace rampart

#endif
