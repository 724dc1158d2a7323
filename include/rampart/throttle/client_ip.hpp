#ifndef RAMPART_THROTTLE_CLIENT_IP_HPP
#define RAMPART_THROTTLE_CLIENT_IP_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/detail/ascii.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::throttle {

/// How to find the client's address (see client_ip_resolver).
struct client_ip_options {
    /// How many reverse proxies in front append to `X-Forwarded-For`. 0: the socket peer is
    /// the client and the header is ignored. At most max_trusted_proxies.
    unsigned trusted_proxies = 0;
    /// IPv6 clients are grouped by this prefix length (1..128): one host usually owns a whole
    /// /64 and could rotate through it to escape a per-address limit.
    unsigned ipv6_prefix = 64;
    /// IPv4 clients are grouped by this prefix length (1..32); 32 keeps each address apart.
    unsigned ipv4_prefix = 32;

    static constexpr unsigned max_trusted_proxies = 32;
};

/** Finds the client's address and turns it into the key anonymous throttles count against.

    - With no trusted proxy, the client is the socket peer; `X-Forwarded-For` is ignored, since
      anyone can send it.
    - With `N` trusted proxies, each of which appends the address it received the request from,
      the client is the `N`-th address from the right of `X-Forwarded-For` (every header line
      of it, joined in order, as HTTP lists are). Addresses further left were written by the
      client and are never read. Empty list members are skipped (RFC 9110 section 5.6.1).
    - When that address is missing (fewer than `N` addresses: the request did not come through
      all the proxies) or is not a plain IP address (`unknown`, a host name, garbage, an
      address with a zone), the resolver falls back to the socket peer. This never lets a
      client choose its key: everything it can write lies left of what the proxies appended,
      and a fallback key is the nearest proxy's, shared by all such requests, which limits
      them together rather than separately. Only the rightmost `N` members are examined, so
      a huge header costs no more than a small one.
    - A member may carry a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`) or brackets; they
      are ignored. IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`) are IPv4 clients.
    - IPv6 addresses are masked to `ipv6_prefix` bits, IPv4 ones to `ipv4_prefix`.

    Only configure proxies when every request really passes through them: a client that can
    reach the service directly can write any `X-Forwarded-For` it likes.
*/
class client_ip_resolver {
public:
    /// Throws std::invalid_argument when an option is out of range.
    explicit client_ip_resolver(client_ip_options options = {}) : options_(options) {
        if (options_.trusted_proxies > client_ip_options::max_trusted_proxies)
            throw std::invalid_argument("trusted proxies must be between 0 and " +
                                        std::to_string(client_ip_options::max_trusted_proxies));
        if (options_.ipv6_prefix < 1 || options_.ipv6_prefix > 128)
            throw std::invalid_argument("the IPv6 prefix length must be between 1 and 128");
        if (options_.ipv4_prefix < 1 || options_.ipv4_prefix > 32)
            throw std::invalid_argument("the IPv4 prefix length must be between 1 and 32");
    }

    const client_ip_options& options() const noexcept { return options_; }

    /// The client's address, masked to its group (see the class comment).
    asio::ip::address address(const context& ctx) const {
        asio::ip::address a = ctx.peer().address();
        if (options_.trusted_proxies > 0)
            if (auto forwarded = forwarded_client(ctx.req()))
                a = *forwarded;
        return mask(a);
    }

    /// `"ip:203.0.113.7"`, `"ip:2001:db8:1:2::/64"`: the key of the client's group. The prefix
    /// length is written when it groups more than one address.
    std::string key(const context& ctx) const {
        asio::ip::address a = address(ctx);
        std::string out = "ip:" + a.to_string();
        if (a.is_v6() && options_.ipv6_prefix < 128)
            out += "/" + std::to_string(options_.ipv6_prefix);
        else if (a.is_v4() && options_.ipv4_prefix < 32)
            out += "/" + std::to_string(options_.ipv4_prefix);
        return out;
    }

    /// Parses one `X-Forwarded-For` member: an IPv4 or IPv6 address, optionally bracketed
    /// and/or with a port. nullopt for anything else.
    static std::optional<asio::ip::address> parse_member(std::string_view m) noexcept {
        if (m.empty() || m.size() > max_member_size)
            return std::nullopt;
        std::string_view host = m;
        if (host.front() == '[') {
            auto close = host.find(']');
            if (close == std::string_view::npos)
                return std::nullopt;
            std::string_view rest = host.substr(close + 1);
            if (!rest.empty() && !is_port_suffix(rest))
                return std::nullopt;
            host = host.substr(1, close - 1);
            return parse_plain(host, true);
        }
        auto colon = host.find(':');
        if (colon != std::string_view::npos &&
            host.find(':', colon + 1) == std::string_view::npos) {
            // One colon: IPv4 with a port.
            if (!is_port_suffix(host.substr(colon)))
                return std::nullopt;
            host = host.substr(0, colon);
            auto a = parse_plain(host, false);
            if (a && !a->is_v4())
                return std::nullopt;
            return a;
        }
        return parse_plain(host, colon != std::string_view::npos);
    }

private:
    static constexpr std::size_t max_member_size = 64;
    static constexpr std::size_t scan_window = 256;
    static constexpr std::string_view forwarded_for = "X-Forwarded-For";

    static bool is_port_suffix(std::string_view s) noexcept {
        if (s.size() < 2 || s.size() > 6 || s.front() != ':')
            return false;
        for (char c : s.substr(1))
            if (c < '0' || c > '9')
                return false;
        return true;
    }

    static std::optional<asio::ip::address> parse_plain(std::string_view s, bool v6) noexcept {
        if (s.empty() || s.size() > 45)
            return std::nullopt;
        // Only address characters: no zone (`%eth0`), no spaces, nothing a parser might skip.
        for (char c : s) {
            bool ok = (c >= '0' && c <= '9') || c == '.' ||
                      (v6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok)
                return std::nullopt;
        }
        std::array<char, 46> buf{};
        std::copy(s.begin(), s.end(), buf.begin());
        boost::system::error_code ec;
        asio::ip::address a;
        if (v6) {
            auto a6 = asio::ip::make_address_v6(buf.data(), ec);
            if (ec)
                return std::nullopt;
            a = a6;
        } else {
            auto a4 = asio::ip::make_address_v4(buf.data(), ec);
            if (ec)
                return std::nullopt;
            a = a4;
        }
        return a;
    }

    /// The `trusted_proxies`-th member from the right of all X-Forwarded-For lines, or nullopt
    /// when there are fewer members or that one is malformed.
    std::optional<asio::ip::address> forwarded_client(const request& req) const {
        // equal_range spans, in header order, the first to the last X-Forwarded-For line (with
        // any other fields between them); walk it backwards.
        auto [first, last] = req.equal_range(forwarded_for);
        unsigned wanted = options_.trusted_proxies;
        for (auto it = last; it != first;) {
            --it;
            if (!rampart::detail::iequals(it->name_string(), forwarded_for))
                continue;
            std::string_view v{it->value().data(), it->value().size()};
            while (true) {
                // A member longer than the scan window is malformed: never scan further.
                std::size_t window = v.size() > scan_window ? v.size() - scan_window : 0;
                std::size_t comma = v.substr(window).rfind(',');
                if (comma == std::string_view::npos && window > 0)
                    return std::nullopt;
                std::string_view member = rampart::detail::trim_ows(
                    comma == std::string_view::npos ? v : v.substr(window + comma + 1));
                if (!member.empty() && --wanted == 0)
                    return parse_member(member);
                if (comma == std::string_view::npos)
                    break;
                v = v.substr(0, window + comma);
            }
        }
        return std::nullopt; // fewer members than proxies
    }

    asio::ip::address mask(asio::ip::address a) const {
        if (a.is_v6()) {
            auto v6 = a.to_v6();
            if (v6.is_v4_mapped())
                a = asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
        }
        if (a.is_v4()) {
            auto bits = a.to_v4().to_uint();
            unsigned p = options_.ipv4_prefix;
            std::uint32_t m = p >= 32 ? 0xffffffffu : ~(0xffffffffu >> p);
            return asio::ip::address_v4(bits & m);
        }
        auto bytes = a.to_v6().to_bytes();
        unsigned p = options_.ipv6_prefix;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            unsigned from = static_cast<unsigned>(i) * 8;
            if (from >= p)
                bytes[i] = 0;
            else if (p - from < 8)
                bytes[i] = static_cast<unsigned char>(bytes[i] & (0xff << (8 - (p - from))));
        }
        return asio::ip::address_v6(bytes);
    }

    client_ip_options options_;
};

/// Middleware that stores the client's key (client_ip_resolver::key) in `ctx.client_key()`,
/// for layers that need it before the throttle (which otherwise resolves it itself).
class resolve_client_ip {
public:
    explicit resolve_client_ip(client_ip_options options = {}) : resolver_(options) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        ctx.client_key() = resolver_.key(ctx);
        co_return co_await next(ctx);
    }

private:
    client_ip_resolver resolver_;
};

static_assert(middleware<resolve_client_ip>);

} // namespace rampart::throttle

#endif
