#ifndef RAMPART_PAGINATION_CURSOR_HPP
#define RAMPART_PAGINATION_CURSOR_HPP

#include <rampart/core/clock.hpp>
#include <rampart/detail/base64url.hpp>
#include <rampart/detail/hmac.hpp>
#include <rampart/pagination/ordering.hpp>

#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::pagination {

/// Where a page starts: a row's position, and which way to walk from it.
struct cursor {
    /// The boundary row's sort-key values.
    key position;
    /// Walk toward the start of the list (a "previous" link) instead of toward its end.
    bool backward = false;
    /// Include the row at `position` itself (used when the boundary row has gone away).
    bool inclusive = false;

    friend bool operator==(const cursor&, const cursor&) = default;
};

/// How cursors are signed and checked.
struct cursor_options {
    /** HMAC-SHA256 keys, each at least 16 bytes. New cursors are signed with the first; a cursor
        signed with any of them is accepted, so a key can be rotated in (put first) while
        cursors signed with the old one (kept second) keep working until removed. */
    std::vector<std::string> keys;
    /// How long a cursor stays valid; nullopt: no expiry.
    std::optional<std::chrono::seconds> max_age = std::nullopt;
    /// Longer cursors are refused before any decoding.
    std::size_t max_length = 512;
};

/** Encodes cursors as opaque, authenticated base64url tokens, and decodes them strictly.

    A token is `base64url(payload || HMAC-SHA256(key, scope || payload))`. The scope is not in
    the token but is part of what the tag covers: a cursor made for one scope (list, ordering,
    filters) fails verification in any other. The payload is a small binary record (format
    version, flags, optional expiry, the position's typed values); nothing in it is trusted
    until the tag has been checked in constant time.
*/
template <clock_source Clock = system_clock>
class cursor_codec {
public:
    /// Throws `std::invalid_argument` without a key or with one under 16 bytes (configuration).
    explicit cursor_codec(const cursor_options& options, Clock clock = {})
        : clock_(std::move(clock)), max_age_(options.max_age), max_length_(options.max_length) {
        if (options.keys.empty())
            throw std::invalid_argument("pagination: cursors need at least one key");
        for (const auto& k : options.keys) {
            if (k.size() < 16)
                throw std::invalid_argument("pagination: a cursor key needs at least 16 bytes");
            keys_.emplace_back(k);
        }
    }

    /// The token for `c` in `scope`, signed with the first key.
    /// Throws `std::invalid_argument` for a position of more than 8 values, a text value over
    /// 1 KiB, or a token over `max_length`: the list's keys do not suit cursors (a programming
    /// error; a paginator's client sees a 500).
    std::string encode(const cursor& c, std::string_view scope) const {
        std::string payload;
        payload.reserve(32);
        payload += static_cast<char>(format_version);
        unsigned flags = (c.backward ? flag_backward : 0u) | (c.inclusive ? flag_inclusive : 0u) |
                         (max_age_ ? flag_expires : 0u);
        payload += static_cast<char>(flags);
        if (max_age_) {
            auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                               clock_.now().time_since_epoch() + *max_age_)
                               .count();
            put_u64(payload, static_cast<std::uint64_t>(expires));
        }
        if (c.position.size() > ordering::max_keys)
            throw std::invalid_argument("pagination: too many key values in a cursor");
        payload += static_cast<char>(c.position.size());
        for (const auto& v : c.position) {
            if (std::holds_alternative<std::nullptr_t>(v)) {
                payload += static_cast<char>(tag_null);
            } else if (auto i = std::get_if<std::int64_t>(&v)) {
                payload += static_cast<char>(tag_integer);
                put_u64(payload, static_cast<std::uint64_t>(*i));
            } else if (auto d = std::get_if<double>(&v)) {
                payload += static_cast<char>(tag_real);
                put_u64(payload, std::bit_cast<std::uint64_t>(*d));
            } else {
                const auto& s = std::get<std::string>(v);
                if (s.size() > max_text)
                    throw std::invalid_argument(
                        "pagination: a text key value is too long for a cursor");
                payload += static_cast<char>(tag_text);
                payload += static_cast<char>(s.size() >> 8);
                payload += static_cast<char>(s.size() & 0xff);
                payload += s;
            }
        }
        auto prefix = scope_prefix(scope);
        auto t = keys_.front().sign({{prefix.data(), prefix.size()}, scope, payload});
        payload.append(reinterpret_cast<const char*>(t.data()), t.size());
        std::string token = rampart::detail::base64url_encode(payload);
        if (token.size() > max_length_)
            throw std::invalid_argument("pagination: cursor longer than max_length");
        return token;
    }

    /// The cursor in `token`, or nullopt when the token is oversize, malformed, signed for
    /// another scope or with an unknown key, altered in any bit, or expired. Never throws for
    /// any token: bad input is the caller's 400 to give.
    std::optional<cursor> decode(std::string_view token, std::string_view scope) const {
        if (token.size() > max_length_ || token.size() < min_token_length)
            return std::nullopt;
        auto raw = rampart::detail::base64url_decode(token);
        if (!raw || raw->size() < min_payload + rampart::detail::hmac_sha256::size)
            return std::nullopt;
        std::string_view bytes(*raw);
        std::string_view payload =
            bytes.substr(0, bytes.size() - rampart::detail::hmac_sha256::size);
        auto presented = reinterpret_cast<const unsigned char*>(bytes.data() + payload.size());
        auto prefix = scope_prefix(scope);
        bool verified = false;
        for (const auto& k : keys_) {
            auto expected = k.sign({{prefix.data(), prefix.size()}, scope, payload});
            verified |= rampart::detail::tags_equal(expected.data(), presented, expected.size());
        }
        if (!verified)
            return std::nullopt;
        return parse(payload);
    }

    const Clock& clock() const noexcept { return clock_; }

private:
    static constexpr unsigned char format_version = 1;
    static constexpr unsigned flag_backward = 1, flag_inclusive = 2, flag_expires = 4;
    static constexpr unsigned char tag_null = 0, tag_integer = 1, tag_real = 2, tag_text = 3;
    static constexpr std::size_t max_text = 1024;
    static constexpr std::size_t min_payload = 4;       // version, flags, count, one NULL value
    static constexpr std::size_t min_token_length = 48; // base64url of 36 bytes

    static void put_u64(std::string& out, std::uint64_t v) {
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((v >> shift) & 0xff);
    }

    /// The scope's length, so that scope and payload cannot be re-split to forge a match.
    static std::array<char, 8> scope_prefix(std::string_view scope) noexcept {
        std::array<char, 8> out{};
        auto n = static_cast<std::uint64_t>(scope.size());
        for (int i = 0; i < 8; ++i)
            out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (56 - 8 * i)) & 0xff);
        return out;
    }

    std::optional<cursor> parse(std::string_view p) const {
        std::size_t at = 0;
        auto take = [&](std::size_t n) -> std::optional<std::string_view> {
            if (p.size() - at < n)
                return std::nullopt;
            auto s = p.substr(at, n);
            at += n;
            return s;
        };
        auto u64 = [&]() -> std::optional<std::uint64_t> {
            auto s = take(8);
            if (!s)
                return std::nullopt;
            std::uint64_t v = 0;
            for (char c : *s)
                v = (v << 8) | static_cast<unsigned char>(c);
            return v;
        };
        auto head = take(2);
        if (!head || static_cast<unsigned char>((*head)[0]) != format_version)
            return std::nullopt;
        unsigned flags = static_cast<unsigned char>((*head)[1]);
        if (flags & ~(flag_backward | flag_inclusive | flag_expires))
            return std::nullopt;
        if (flags & flag_expires) {
            auto expires = u64();
            if (!expires)
                return std::nullopt;
            auto now =
                std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch())
                    .count();
            if (static_cast<std::int64_t>(*expires) <= now)
                return std::nullopt;
        } else if (max_age_) {
            return std::nullopt; // expiry is required now: an older, unexpiring cursor is refused
        }
        auto count = take(1);
        if (!count)
            return std::nullopt;
        std::size_t n = static_cast<unsigned char>((*count)[0]);
        if (n == 0 || n > ordering::max_keys)
            return std::nullopt;
        cursor c;
        c.backward = flags & flag_backward;
        c.inclusive = flags & flag_inclusive;
        c.position.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto tag = take(1);
            if (!tag)
                return std::nullopt;
            switch (static_cast<unsigned char>((*tag)[0])) {
            case tag_null:
                c.position.emplace_back(nullptr);
                break;
            case tag_integer: {
                auto v = u64();
                if (!v)
                    return std::nullopt;
                c.position.emplace_back(static_cast<std::int64_t>(*v));
                break;
            }
            case tag_real: {
                auto v = u64();
                if (!v || std::isnan(std::bit_cast<double>(*v)))
                    return std::nullopt;
                c.position.emplace_back(std::bit_cast<double>(*v));
                break;
            }
            case tag_text: {
                auto len = take(2);
                if (!len)
                    return std::nullopt;
                std::size_t size = static_cast<std::size_t>(static_cast<unsigned char>((*len)[0]))
                                       << 8 |
                                   static_cast<unsigned char>((*len)[1]);
                auto s = size <= max_text ? take(size) : std::nullopt;
                if (!s)
                    return std::nullopt;
                c.position.emplace_back(std::string(*s));
                break;
            }
            default:
                return std::nullopt;
            }
        }
        if (at != p.size())
            return std::nullopt;
        return c;
    }

    Clock clock_;
    std::vector<rampart::detail::hmac_sha256> keys_;
    std::optional<std::chrono::seconds> max_age_;
    std::size_t max_length_;
};

} // namespace rampart::pagination

#endif
