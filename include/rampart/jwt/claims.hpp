#ifndef RAMPART_JWT_CLAIMS_HPP
#define RAMPART_JWT_CLAIMS_HPP

#include <rampart/jwt/algorithm.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::jwt {

/** A NumericDate (RFC 7519 section 2) as seconds since the epoch: an integer or a finite
    number (fractions kept). Nullopt for anything else, including booleans and strings.
*/
inline std::optional<double> numeric_date(const boost::json::value& v) noexcept {
    switch (v.kind()) {
    case boost::json::kind::int64:
        return static_cast<double>(v.get_int64());
    case boost::json::kind::uint64:
        return static_cast<double>(v.get_uint64());
    case boost::json::kind::double_:
        if (std::isfinite(v.get_double()))
            return v.get_double();
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

/** A token whose signature and claims were checked: its header and claims as JSON.

    The accessors read common claims without throwing: a claim absent or of another type reads
    as nullopt (or empty).
*/
struct verified_token {
    boost::json::object header;
    boost::json::object claims;
    /// The algorithm the token was verified with (the key's).
    jwt::algorithm alg{};
    /// The kid of the key that verified it (empty when the key has none).
    std::string kid;

    /// A string claim, or nullopt.
    std::optional<std::string_view> string_claim(std::string_view name) const noexcept {
        auto it = claims.find(name);
        if (it == claims.end() || !it->value().is_string())
            return std::nullopt;
        const auto& s = it->value().get_string();
        return std::string_view{s.data(), s.size()};
    }

    /// An integer claim (a JSON integer that fits in int64), or nullopt.
    std::optional<std::int64_t> integer_claim(std::string_view name) const noexcept {
        auto it = claims.find(name);
        if (it == claims.end())
            return std::nullopt;
        if (it->value().is_int64())
            return it->value().get_int64();
        if (it->value().is_uint64() && it->value().get_uint64() <= INT64_MAX)
            return static_cast<std::int64_t>(it->value().get_uint64());
        return std::nullopt;
    }

    /// A NumericDate claim (`exp`, `iat`, `nbf`) as a time point (whole seconds), or nullopt.
    std::optional<std::chrono::system_clock::time_point> time_claim(std::string_view name) const {
        auto it = claims.find(name);
        if (it == claims.end())
            return std::nullopt;
        auto d = numeric_date(it->value());
        if (!d || *d > 1e11 || *d < -1e11)
            return std::nullopt;
        return std::chrono::system_clock::time_point{
            std::chrono::seconds{static_cast<std::int64_t>(std::floor(*d))}};
    }

    std::optional<std::string_view> jti() const noexcept { return string_claim("jti"); }
    std::optional<std::string_view>
    token_type(std::string_view claim = "token_type") const noexcept {
        return string_claim(claim);
    }
    std::optional<std::chrono::system_clock::time_point> expires_at() const {
        return time_claim("exp");
    }
    std::optional<std::chrono::system_clock::time_point> issued_at() const {
        return time_claim("iat");
    }

    /** The user id claim as text: a string as is, an integer in decimal (simplejwt writes
        integer ids as JSON numbers). Empty when absent or of another type.
    */
    std::string user_id(std::string_view claim = "user_id") const {
        auto it = claims.find(claim);
        if (it == claims.end())
            return {};
        const auto& v = it->value();
        if (v.is_string())
            return std::string(v.get_string());
        if (v.is_int64())
            return std::to_string(v.get_int64());
        if (v.is_uint64())
            return std::to_string(v.get_uint64());
        return {};
    }
};

} // namespace rampart::jwt

#endif
