#ifndef RAMPART_THROTTLE_RULE_HPP
#define RAMPART_THROTTLE_RULE_HPP

#include <rampart/core/context.hpp>
#include <rampart/throttle/rate.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace rampart::throttle {

/** One limit a route applies: a name, a rate, a cost per request and whom it counts.

    The name identifies the limit in the store (each rule's buckets are its own) and in the
    `RateLimit-Policy` and `RateLimit` headers, so it is restricted to 1 to 64 characters among
    letters, digits, `_`, `-`, `.` and `:`. `Key` decides whom a request counts against: it
    appends an identity (`"ip:203.0.113.7"`, `"user:42"`) to the key and returns true, or
    returns false when the rule does not apply to the request (an anonymous-only rule and an
    authenticated request, say). Build rules with anonymous, user, scoped, per_ip and keyed.
*/
template <class Key>
class rule {
public:
    /// Throws rate_error for a bad rate, or a name or cost that cannot be used.
    rule(std::string name, rate limit, Key key)
        : name_(std::move(name)), rate_(limit), key_(std::move(key)) {
        validate_rate(rate_);
        if (name_.empty() || name_.size() > 64)
            throw rate_error("invalid throttle name \"" + name_.substr(0, 64) +
                             "\": it must have 1 to 64 characters");
        for (char c : name_) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.' || c == ':';
            if (!ok)
                throw rate_error("invalid throttle name: use only letters, digits, '_', '-', '.' "
                                 "and ':'");
        }
    }

    /// The same rule where each request costs `n` tokens (1 by default). Throws rate_error
    /// when `n` is 0 or more than the bucket holds (such a request could never pass).
    rule with_cost(std::uint64_t n) const {
        if (n == 0)
            throw rate_error("invalid cost for throttle \"" + name_ + "\": it must be at least 1");
        if (n > rate_.tokens)
            throw rate_error("invalid cost for throttle \"" + name_ + "\": " + std::to_string(n) +
                             " tokens is more than its rate " + to_string(rate_) + " ever holds");
        rule copy = *this;
        copy.cost_ = n;
        return copy;
    }

    const std::string& name() const noexcept { return name_; }
    const rate& limit() const noexcept { return rate_; }
    std::uint64_t cost() const noexcept { return cost_; }

    /// Appends whom `ctx` counts against to `out`; false when the rule does not apply.
    bool key(const context& ctx, std::string& out) const { return key_(ctx, out); }

private:
    std::string name_;
    rate rate_;
    std::uint64_t cost_ = 1;
    [[no_unique_address]] Key key_;
};

/// What the limiter needs of a rule (any rule<Key> is one).
template <class R>
concept throttle_rule = requires(const R& r, const context& ctx, std::string& out) {
    { r.name() } -> std::convertible_to<std::string_view>;
    { r.limit() } -> std::convertible_to<rate>;
    { r.cost() } -> std::convertible_to<std::uint64_t>;
    { r.key(ctx, out) } -> std::same_as<bool>;
};

/// The identities the built-in rules count against.
namespace keys {

/// The client's address key (`ctx.client_key()`, set by the limiter), for every request.
struct client_ip {
    bool operator()(const context& ctx, std::string& out) const {
        out += ctx.client_key();
        return true;
    }
};

/// The client's address key, only while the request is anonymous.
struct anonymous_client_ip {
    bool operator()(const context& ctx, std::string& out) const {
        if (ctx.principal().authenticated())
            return false;
        out += ctx.client_key();
        return true;
    }
};

/// `user:<id>`, only for authenticated requests.
struct user_id {
    bool operator()(const context& ctx, std::string& out) const {
        if (!ctx.principal().authenticated())
            return false;
        out += "user:";
        out += ctx.principal().user_id;
        return true;
    }
};

/// `user:<id>` when authenticated, else the client's address key.
struct user_or_client_ip {
    bool operator()(const context& ctx, std::string& out) const {
        return user_id{}(ctx, out) || client_ip{}(ctx, out);
    }
};

/// Adapts `std::optional<std::string>(const context&)`: nullopt means the rule does not apply.
template <class F>
struct custom {
    F f;
    bool operator()(const context& ctx, std::string& out) const {
        std::optional<std::string> k = f(ctx);
        if (!k)
            return false;
        out += "custom:";
        out += *k;
        return true;
    }
};

} // namespace keys

/// Anonymous requests, counted per client address (`"anon"`: DRF's AnonRateThrottle).
/// Requests whose credentials failed are anonymous here too, so failed logins and bad tokens
/// spend their address's tokens.
/// Throws rate_error for a bad rate or name (a configuration error, never the client's).
inline rule<keys::anonymous_client_ip> anonymous(rate limit, std::string name = "anon") {
    return {std::move(name), limit, {}};
}

/// Authenticated requests, counted per user id (`"user"`: DRF's UserRateThrottle, without
/// the anonymous half; pair it with anonymous).
/// Throws rate_error for a bad rate or name (a configuration error, never the client's).
inline rule<keys::user_id> user(rate limit, std::string name = "user") {
    return {std::move(name), limit, {}};
}

/// Every request, counted per user when authenticated and per client address otherwise: a
/// limit for one route group (DRF's ScopedRateThrottle).
/// Throws rate_error for a bad rate or name (a configuration error, never the client's).
inline rule<keys::user_or_client_ip> scoped(std::string name, rate limit) {
    return {std::move(name), limit, {}};
}

/// Every request, counted per client address whoever is logged in: a login form's limit.
/// Throws rate_error for a bad rate or name (a configuration error, never the client's).
inline rule<keys::client_ip> per_ip(std::string name, rate limit) {
    return {std::move(name), limit, {}};
}

/// Every request for which `f(ctx)` (returning `std::optional<std::string>`) gives a key,
/// counted per that key (an API key header, a tenant, ...). Keys of different rules never
/// collide: each rule's buckets are apart.
/// Throws rate_error for a bad rate or name (a configuration error, never the client's).
template <class F>
requires std::is_invocable_r_v < std::optional<std::string>,
const F&, const context& > rule<keys::custom<F>> keyed(std::string name, rate limit, F f) {
    return {std::move(name), limit, keys::custom<F>{std::move(f)}};
}

static_assert(throttle_rule<rule<keys::client_ip>>);

} // namespace rampart::throttle

#endif
