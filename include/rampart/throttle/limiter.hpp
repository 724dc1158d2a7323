#ifndef RAMPART_THROTTLE_LIMITER_HPP
#define RAMPART_THROTTLE_LIMITER_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/event_observer.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/detail/wide_math.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/throttle/client_ip.hpp>
#include <rampart/throttle/rule.hpp>
#include <rampart/throttle/store.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace rampart::throttle {

/// The limit a response reports: the tightest of those applied to the request so far.
struct limit_status {
    std::string name;
    rate limit;
    std::uint64_t cost;
    bucket_decision decision;
};

/// Whole seconds, rounded up (a wait rounded down would be dishonest), at least `floor`.
inline std::chrono::seconds seconds_up(std::chrono::nanoseconds d,
                                       std::chrono::seconds floor = std::chrono::seconds{0}) {
    using rep = std::chrono::seconds::rep;
    rep s = d.count() / 1'000'000'000 + (d.count() % 1'000'000'000 > 0 ? 1 : 0);
    return std::chrono::seconds{s < floor.count() ? floor.count() : s};
}

/// `"anon";q=100;w=3600`: the `RateLimit-Policy` member for a limit (draft-ietf-httpapi-
/// ratelimit-headers-11, section 3). The window is the rate's period in whole seconds, rounded
/// up. Names are checked by rule, so they need no escaping.
inline std::string policy_field(std::string_view name, const rate& r) {
    std::string out;
    out.reserve(name.size() + 40);
    out += '"';
    out += name;
    out += "\";q=";
    out += std::to_string(r.tokens);
    out += ";w=";
    out += std::to_string(seconds_up(r.period, std::chrono::seconds{1}).count());
    return out;
}

/** The time within which a client can use no more than `d.remaining` tokens: until the next
    token is back. This is the draft's effective window `t` for a token bucket (section 4.1.2):
    the bucket refills continuously, so "until full" would let a client use more than
    `remaining` within `t`. A full bucket gets one token's refill time. Never shorter than the
    truth (every rounding is up), so a client that waits `t` finds one more token.
*/
inline std::chrono::nanoseconds next_token_in(const rate& r, const bucket_decision& d) {
    using rampart::detail::u128;
    const auto period = static_cast<std::uint64_t>(r.period.count());
    auto ceil_div = [](u128 a, u128 b) { return a / b + (a % b != 0 ? 1 : 0); };
    if (d.remaining >= r.tokens)
        return std::chrono::nanoseconds{static_cast<std::int64_t>(ceil_div(period, r.tokens))};
    // reset - (tokens - remaining - 1) * period / tokens, the second term rounded down.
    const u128 later = u128{r.tokens - d.remaining - 1} * period / r.tokens;
    const u128 reset = static_cast<std::uint64_t>(d.reset.count());
    return std::chrono::nanoseconds{reset > later ? static_cast<std::int64_t>(reset - later) : 0};
}

/// `"anon";r=42;t=17`: the `RateLimit` member for a decision (draft-ietf-httpapi-ratelimit-
/// headers-11, section 4). `t` is next_token_in, in whole seconds rounded up.
inline std::string limit_field(std::string_view name, const rate& r, const bucket_decision& d) {
    std::string out;
    out.reserve(name.size() + 48);
    out += '"';
    out += name;
    out += "\";r=";
    out += std::to_string(d.remaining);
    out += ";t=";
    out += std::to_string(seconds_up(next_token_in(r, d)).count());
    return out;
}

namespace detail {

/// Tokens a limiter took for the current request, so a later refusal (in this limiter or a
/// limiter further in) can give them back.
struct taken_tokens {
    asio::awaitable<void> (*refund)(void* store, std::string_view key, const rate& r,
                                    std::uint64_t cost);
    void* store;
    std::string key;
    rate limit;
    std::uint64_t cost;
};

/// What the limiters of one request share, in a context slot.
struct limit_state {
    std::vector<taken_tokens> taken;
    std::optional<limit_status> tightest;

    /// Keeps `candidate` when it leaves fewer requests than the current one (ties: the one
    /// that takes longer to refill).
    void consider(std::string_view name, const rate& r, std::uint64_t cost,
                  const bucket_decision& d) {
        if (tightest) {
            const auto& t = *tightest;
            auto left = d.remaining / cost;
            auto current = t.decision.remaining / t.cost;
            if (left > current || (left == current && d.reset <= t.decision.reset))
                return;
        }
        tightest = limit_status{std::string(name), r, cost, d};
    }
};

template <class Store>
asio::awaitable<void> refund_in(void* store, std::string_view key, const rate& r,
                                std::uint64_t cost) {
    auto& s = *static_cast<Store*>(store);
    if constexpr (sync_bucket_store<Store>)
        s.refund_now(key, r, cost);
    else
        co_await s.refund(key, r, cost);
}

/// Gives back every token taken for this request so far, newest first. A refund that fails
/// (a shared store that is down) leaves those tokens spent, which errs on the safe side; the
/// request is refused either way, so the failure is not the client's to see.
inline asio::awaitable<void> refund_all(limit_state& state) {
    while (!state.taken.empty()) {
        taken_tokens t = std::move(state.taken.back());
        state.taken.pop_back();
        try {
            co_await t.refund(t.store, t.key, t.limit, t.cost);
        } catch (...) {
        }
    }
}

} // namespace detail

/// A rule's decision on one request: `scope` is the rule's name (`anon`, `user`, `login`).
/// See limiter::observe.
struct decision_event {
    std::string_view scope;
    bool allowed = true;
};

/** Throttle middleware: applies its rules to every request, adds the rate-limit headers to
    every response.

    For each request it
    1. stores the client's address key in `ctx.client_key()` (unless a layer before did), with
       a client_ip_resolver built from `client_ip_options`;
    2. takes each applicable rule's tokens from `Store` (any bucket_store), in order. When a rule
       refuses, the tokens already taken for this request are given back, those taken by
       limiters further out included, and the answer is a 429 (`rampart::throttled`) whose
       `Retry-After` is the refusing bucket's wait in whole seconds, rounded up: a request sent
       that long after is admitted, if nothing else spends the tokens first;
    3. on the way out, whatever the response (success, 401, 404, this 429, ...), sets
       `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-11) to the
       tightest limit applied: the one leaving the fewest requests, or the one that refused.

    Limiters nest: one for the whole API and one more for a route group share the request's
    state, so the headers describe the tightest of all and a refusal anywhere refunds all.
    Rules are a compile-time list; a request allocates only its bucket keys.

    Place it after authentication (so authenticated requests count per user) and before the
    enforcement of authentication failures (so a flood of bad tokens spends the client
    address's tokens). `store` must outlive the limiter.
*/
template <bucket_store Store, throttle_rule... Rules>
class limiter {
public:
    static_assert(sizeof...(Rules) > 0, "a limiter needs at least one rule");

    /// Throws `std::invalid_argument` for `ip` options out of range (a configuration error).
    limiter(Store& store, client_ip_options ip, Rules... rules)
        : store_(&store), resolver_(ip), rules_(std::move(rules)...) {}

    limiter(Store& store, Rules... rules)
        : limiter(store, client_ip_options{}, std::move(rules)...) {}

    /// What goes wrong in here is answered here (below), so no guard goes outside it.
    static constexpr bool never_throws = true;

    /// The middleware step. A rule's refusal is answered with `rampart::throttled` (429, the
    /// client's: too many requests) rendered by `ctx.render_error`, not thrown: the same bytes.
    /// What the store throws (a Redis store under fail_policy::closed:
    /// `rampart::service_unavailable`, 503) is rendered too, after the refunds, as the guard a
    /// throwing layer gets outside it would render it. A sync_bucket_store is asked in this
    /// frame, without a coroutine of its own.
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        detail::limit_state* state = nullptr;
        std::array<std::string, sizeof...(Rules)> keys;
        std::array<bool, sizeof...(Rules)> applies{};
        std::optional<std::chrono::nanoseconds> refused;
        std::exception_ptr failure;
        bool taking = false;
        try {
            if (ctx.client_key().empty())
                ctx.client_key() = resolver_.key(ctx);
            state = ctx.find<detail::limit_state>();
            if (!state)
                state = &ctx.emplace<detail::limit_state>();
            collect_keys(ctx, keys, applies, std::index_sequence_for<Rules...>{});
            taking = true;
            if constexpr (sync_bucket_store<Store>)
                refused = take_now(*state, keys, applies);
            else
                refused = co_await take_all(*state, keys, applies);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (taking)
                co_await detail::refund_all(*state);
            co_return ctx.render_error(std::move(failure));
        }

        response res;
        if (refused) {
            co_await detail::refund_all(*state);
            res = refusal(ctx, *refused);
        } else {
            res = co_await next(ctx);
        }
        if (state->tightest) {
            try {
                const limit_status& t = *state->tightest;
                res.set("RateLimit-Policy", policy_field(t.name, t.limit));
                res.set("RateLimit", limit_field(t.name, t.limit, t.decision));
            } catch (...) {
                co_return ctx.render_error(std::current_exception());
            }
        }
        co_return res;
    }

    const client_ip_resolver& resolver() const noexcept { return resolver_; }

    /// Tells `o` each rule's decision (rampart::metrics::throttle_metrics makes one), on the
    /// request's thread. Set it at start-up, before the limiter is copied into a stack.
    void observe(event_observer<decision_event> o) noexcept { on_decision_ = o; }

    /// Documents the routes it throttles (route_doc): 429 and the rate-limit headers.
    template <class Doc>
    void describe(Doc& doc) const {
        doc.throttled = true;
    }

private:
    template <std::size_t... I>
    void collect_keys(const context& ctx, std::array<std::string, sizeof...(Rules)>& keys,
                      std::array<bool, sizeof...(Rules)>& applies,
                      std::index_sequence<I...>) const {
        ((keys[I] = std::string(std::get<I>(rules_).name()) + '|',
          applies[I] = std::get<I>(rules_).key(ctx, keys[I])),
         ...);
    }

    /// The 429 for a refusal whose bucket refills in `wait`, rendered without a throw.
    static response refusal(const context& ctx, std::chrono::nanoseconds wait) noexcept {
        try {
            return ctx.render_error(throttled(seconds_up(wait, std::chrono::seconds{1})));
        } catch (...) { // building the error ran out of memory
            return ctx.render_error(std::current_exception());
        }
    }

    /// Each rule's name, limit and cost, by position.
    struct rule_table {
        std::array<std::string_view, sizeof...(Rules)> names;
        std::array<rate, sizeof...(Rules)> limits;
        std::array<std::uint64_t, sizeof...(Rules)> costs;
    };
    template <std::size_t... I>
    rule_table table(std::index_sequence<I...>) const {
        return {{std::get<I>(rules_).name()...},
                {std::get<I>(rules_).limit()...},
                {std::get<I>(rules_).cost()...}};
    }

    /// Records rule `i`'s decision `d`: a refusal's wait, or nullopt once the tokens taken are
    /// kept for a later refund.
    std::optional<std::chrono::nanoseconds> settle(detail::limit_state& state, const rule_table& t,
                                                   std::string& key, std::size_t i,
                                                   const bucket_decision& d) {
        on_decision_({t.names[i], d.allowed});
        if (!d.allowed) {
            state.tightest = limit_status{std::string(t.names[i]), t.limits[i], t.costs[i], d};
            return d.retry_after;
        }
        state.consider(t.names[i], t.limits[i], t.costs[i], d);
        state.taken.push_back(
            {&detail::refund_in<Store>, store_, std::move(key), t.limits[i], t.costs[i]});
        return std::nullopt;
    }

    /// Takes each applicable rule's tokens from a sync_bucket_store, in the caller's frame;
    /// returns the refusing bucket's wait, if any.
    std::optional<std::chrono::nanoseconds>
    take_now(detail::limit_state& state, std::array<std::string, sizeof...(Rules)>& keys,
             const std::array<bool, sizeof...(Rules)>& applies) {
        const rule_table t = table(std::index_sequence_for<Rules...>{});
        for (std::size_t i = 0; i < sizeof...(Rules); ++i)
            if (applies[i])
                if (auto wait = settle(state, t, keys[i], i,
                                       store_->try_take(keys[i], t.limits[i], t.costs[i])))
                    return wait;
        return std::nullopt;
    }

    /// take_now for a store whose operations are awaited.
    asio::awaitable<std::optional<std::chrono::nanoseconds>>
    take_all(detail::limit_state& state, std::array<std::string, sizeof...(Rules)>& keys,
             const std::array<bool, sizeof...(Rules)>& applies) {
        const rule_table t = table(std::index_sequence_for<Rules...>{});
        for (std::size_t i = 0; i < sizeof...(Rules); ++i) {
            if (!applies[i])
                continue;
            bucket_decision d = co_await store_->take(keys[i], t.limits[i], t.costs[i]);
            if (auto wait = settle(state, t, keys[i], i, d))
                co_return wait;
        }
        co_return std::nullopt;
    }

    Store* store_;
    client_ip_resolver resolver_;
    std::tuple<Rules...> rules_;
    event_observer<decision_event> on_decision_;
};

template <class Store, throttle_rule... Rules>
limiter(Store&, client_ip_options, Rules...) -> limiter<Store, Rules...>;
template <class Store, throttle_rule... Rules>
limiter(Store&, Rules...) -> limiter<Store, Rules...>;

} // namespace rampart::throttle

#endif
