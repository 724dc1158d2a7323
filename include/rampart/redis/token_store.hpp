#ifndef RAMPART_REDIS_TOKEN_STORE_HPP
#define RAMPART_REDIS_TOKEN_STORE_HPP

#include <rampart/core/clock.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/redis/client.hpp>
#include <rampart/redis/detail/shared_store.hpp>
#include <rampart/redis/fail_policy.hpp>

#include <boost/system/system_error.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::redis {

namespace detail {

/// `SET KEYS[1] ARGV[1] NX PXAT ARGV[2]` unless Redis's clock has reached the deadline in
/// ARGV[3] (client::eval_with_deadline). Returns 1 (set), 0 (present) or -1 (too late: the
/// caller gave up on this call, so nothing may be written).
inline const char* insert_script_source() noexcept {
    return R"lua(-- rampart token store insert (see rampart/redis/token_store.hpp)
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
if tonumber(t[1]) * 1000000 + tonumber(t[2]) >= tonumber(ARGV[3]) then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', ARGV[2]) then return 1 end
return 0
)lua";
}

} // namespace detail

/// How a redis::token_store names its keys and what it does when Redis cannot answer.
struct token_store_options {
    /// Put before every key (`rampart:jwt:used:<jti>`).
    std::string prefix = "rampart:jwt:";
    /// `closed` (default): throw rampart::service_unavailable (503), so that no refresh token
    /// can be reused and no revoked token accepted while the shared blacklist is out of reach.
    /// `open`: keep working from the in-process fallback store (see token_store).
    fail_policy on_failure = fail_policy::closed;
    /// Where the outage and recovery records go (source "redis"; empty: stderr_sink).
    log_sink log{};
};

/** The JWT token store (blacklist, rotation, revocation) in Redis; a jwt::token_store.

    `insert` is `SET key value NX PXAT expires`, atomic on the server: of any number of
    concurrent inserts of one key, from any number of instances, exactly one returns true. It
    runs in a script with a deadline (client::eval_with_deadline): an insert that reaches
    Redis after the call timed out does nothing. Rotation depends on it: a refresh answered
    503 because Redis stalled must not have used up its token once Redis wakes, or the user's
    retry would be taken for a reuse and the family revoked.
    `put` is `SET key value PXAT expires`, `get` is `GET`. Entries expire on the server at
    `expires` (millisecond resolution), so the blacklist never grows beyond live tokens. An
    entry whose `expires` has already passed (by `Clock`) is never written, as in the
    in-process store.

    When Redis cannot answer the store follows `token_store_options::on_failure`. The default
    is fail-closed: the token endpoints answer 503 until Redis is back, because a blacklist
    that silently forgets would let a stolen refresh token be used again. With
    fail_policy::open the store writes to and reads from an in-process
    jwt::memory_token_store during the outage; entries written then keep counting on this
    instance after the recovery (`get` consults them, `insert` refuses keys they hold), but
    other instances never saw them. The outage is logged once and the recovery once.

    Thread-safe; the client must outlive the store.
*/
template <clock_source Clock = system_clock>
class token_store {
public:
    using time_point = std::chrono::system_clock::time_point;

    explicit token_store(client& c, token_store_options opts = {}, Clock clock = {})
        : client_(c), prefix_(std::move(opts.prefix)), policy_(opts.on_failure),
          monitor_("redis::token_store", std::move(opts.log)), clock_(clock), fallback_(clock),
          insert_script_(detail::insert_script_source()) {}

    token_store(const token_store&) = delete;
    token_store& operator=(const token_store&) = delete;

    /// Sets `key` when absent; true when this call set it.
    asio::awaitable<bool> insert(std::string_view key, std::int64_t value, time_point expires) {
        if (expires <= clock_.now())
            co_return false;
        if (policy_ == fail_policy::open && fallback_.find(key))
            co_return false; // inserted here during an outage
        std::optional<bool> inserted;
        std::string why;
        try {
            reply r = co_await client_.eval_with_deadline(insert_script_, 1, redis_key(key), value,
                                                          epoch_ms(expires));
            if (r.is_error())
                why = r.str();
            else if (r.integer() < 0)
                why = "the insert reached Redis after its deadline; nothing was written";
            else
                inserted = r.integer() == 1;
        } catch (const boost::system::system_error& e) {
            why = e.code().message();
        } catch (const unexpected_reply& e) {
            why = e.what();
        }
        if (inserted) {
            monitor_.succeeded();
            co_return *inserted;
        }
        failed(why);
        co_return fallback_.try_insert(key, value, expires);
    }

    /// The value of `key`, or nullopt when absent or expired.
    asio::awaitable<std::optional<std::int64_t>> get(std::string_view key) {
        std::optional<std::optional<std::int64_t>> found;
        std::string why;
        try {
            reply r = co_await client_.execute("GET", redis_key(key));
            if (r.is_error())
                why = r.str();
            else if (r.is_nil())
                found.emplace(std::nullopt);
            else
                found.emplace(parse(r.str()));
        } catch (const boost::system::system_error& e) {
            why = e.code().message();
        } catch (const unexpected_reply& e) {
            why = e.what();
        }
        if (found) {
            monitor_.succeeded();
            if (!*found && policy_ == fail_policy::open)
                co_return fallback_.find(key);
            co_return *found;
        }
        failed(why);
        co_return fallback_.find(key);
    }

    /// Sets or overwrites `key`.
    asio::awaitable<void> put(std::string_view key, std::int64_t value, time_point expires) {
        std::string why;
        bool done = false;
        try {
            reply r;
            if (expires <= clock_.now())
                r = co_await client_.execute("DEL", redis_key(key));
            else
                r = co_await client_.execute("SET", redis_key(key), value, "PXAT",
                                             epoch_ms(expires));
            if (r.is_error())
                why = r.str();
            else
                done = true;
        } catch (const boost::system::system_error& e) {
            why = e.code().message();
        }
        if (done) {
            monitor_.succeeded();
            co_return;
        }
        failed(why);
        fallback_.assign(key, value, expires);
    }

    /// The in-process store used during an outage (fail_policy::open).
    jwt::memory_token_store<Clock>& fallback() noexcept { return fallback_; }

    /// Whether the last call found Redis unavailable.
    bool degraded() const noexcept { return monitor_.down(); }

    /// The Redis key of `key`.
    std::string redis_key(std::string_view key) const { return detail::prefixed_key(prefix_, key); }

private:
    // Milliseconds since the epoch, rounded up so an entry never expires early; at least 1
    // (Redis refuses PXAT 0).
    static std::int64_t epoch_ms(time_point t) {
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count();
        return ms < 1 ? 1 : ms;
    }

    static std::int64_t parse(const std::string& text) {
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size())
            throw unexpected_reply("redis: a token store value is not an integer");
        return v;
    }

    void failed(const std::string& why) {
        detail::on_outage(monitor_, policy_, why,
                          {"Token service temporarily unavailable.",
                           "token requests are refused with 503 until it is back",
                           "using per-instance token state in memory until it is back"});
    }

    client& client_;
    std::string prefix_;
    fail_policy policy_;
    detail::outage_monitor monitor_;
    [[no_unique_address]] Clock clock_;
    jwt::memory_token_store<Clock> fallback_;
    script insert_script_;
};

static_assert(jwt::token_store<token_store<>>);

} // namespace rampart::redis

#endif
