#ifndef RAMPART_SERVER_HEALTH_HPP
#define RAMPART_SERVER_HEALTH_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/response.hpp>
#include <rampart/errors/http_error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart {

/** A readiness check: called with nothing, it answers (asynchronously) whether a dependency
    can serve now. `true`: ready; `false` or an exception: not ready. It is called for every
    `/readyz`, possibly from several threads at once, and should cost one cheap round trip
    (`sqlite::readiness`: a read; `redis::readiness`: a PING). It need not bound itself:
    `health` answers within its timeout whatever the check does.
*/
template <class C>
concept readiness_check =
    std::invocable<const C&> && std::same_as<std::invoke_result_t<const C&>, asio::awaitable<bool>>;

/// A readiness check with the name a 503 reports it by (`"database"`, `"redis"`).
template <readiness_check C>
struct named_check {
    std::string name;
    C check;
};

/// Names `check` for health: `rampart::ready_check("database", sqlite::readiness{db})`.
template <readiness_check C>
named_check<C> ready_check(std::string name, C check) {
    return {std::move(name), std::move(check)};
}

/// Where health answers and how long readiness may take.
struct health_options {
    /// Liveness: 200 while the process serves requests.
    std::string live_path = "/healthz";
    /// Readiness: 200 when every check answers ready within `timeout`, else 503.
    std::string ready_path = "/readyz";
    /// The longest `/readyz` waits for its checks (they run at once, side by side); a check
    /// still running then counts as not ready. Checks left running finish in the background.
    std::chrono::milliseconds timeout{1000};
};

/** Middleware answering liveness and readiness probes before the rest of the pipeline.

    - `GET /healthz` (or HEAD): 200 `{"status":"ok"}` while the process serves requests. It
      checks nothing else: a process that answers is alive.
    - `GET /readyz`: runs every check at once, each bounded by `options.timeout`; 200
      `{"status":"ok","checks":{"database":"ok",...}}` when all answer ready, else 503 in the
      error format (`{"status":"error","code":503,"errors":{"detail":"Not ready: redis."}}`),
      naming each check that failed or did not answer in time. Never waits longer than the
      timeout (plus the time to schedule it).
    - Other methods on those paths: 405 with `Allow: GET, HEAD`. Any other path goes on to
      the rest untouched, for two string compares and no coroutine frame of its own.

    Both answers carry `Cache-Control: no-store`, and set the context's route template to their
    path, so access lines and metrics label them by it. Place it where probes need no token,
    throttle or allowed Host (orchestrators probe by IP address): after the error envelope and
    the access log, before the rest. The checks are composed at compile time (`Checks...`),
    held by value, and called concurrently from every serving thread.
*/
template <readiness_check... Checks>
class health {
public:
    static constexpr bool never_throws = true;

    explicit health(named_check<Checks>... checks) : checks_(std::move(checks)...) {}
    explicit health(health_options options, named_check<Checks>... checks)
        : options_(std::move(options)), checks_(std::move(checks)...) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) const {
        std::string_view path = ctx.path();
        if (path == options_.live_path)
            return answer(ctx, false);
        if (path == options_.ready_path)
            return answer(ctx, true);
        return next(ctx); // not a coroutine: no frame of its own on every other request
    }

    /** Runs every check at once and waits for them, at most `options.timeout`: the names of the
        checks that answered not ready, failed or did not answer in time (empty: ready). Runs
        on the calling coroutine's executor.
    */
    asio::awaitable<std::vector<std::string>> not_ready() const {
        auto executor = co_await asio::this_coro::executor;
        auto round = std::make_shared<probe>(executor);
        start_all(executor, round, std::index_sequence_for<Checks...>{});
        // The checks may all have answered already (a spawned coroutine can run at once);
        // else the last one to answer cancels the timer, and the timeout bounds the rest.
        if (round->pending != 0) {
            round->timer.expires_after(options_.timeout);
            co_await round->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        std::vector<std::string> down;
        for (std::size_t i = 0; i < sizeof...(Checks); ++i)
            if (round->outcome[i] != ready)
                down.push_back(name_of(i));
        co_return down;
    }

    const health_options& options() const noexcept { return options_; }

private:
    enum state : unsigned char { waiting, ready, failed };

    /// One /readyz round, shared by its checks: they may outlive the answer (a timeout).
    struct probe {
        explicit probe(const asio::any_io_executor& executor) : timer(executor) {}
        asio::steady_timer timer;
        std::array<state, sizeof...(Checks)> outcome{};
        std::size_t pending = sizeof...(Checks);
    };

    template <std::size_t... I>
    void start_all(const asio::any_io_executor& executor, const std::shared_ptr<probe>& round,
                   std::index_sequence<I...>) const {
        (asio::co_spawn(executor, run_one<I>(round), asio::detached), ...);
    }

    template <std::size_t I>
    asio::awaitable<void> run_one(std::shared_ptr<probe> round) const {
        bool ok = false;
        try {
            ok = co_await std::get<I>(checks_).check();
        } catch (...) {
        }
        round->outcome[I] = ok ? ready : failed;
        if (--round->pending == 0)
            round->timer.cancel();
    }

    std::string name_of(std::size_t i) const {
        std::string name;
        std::size_t at = 0;
        std::apply([&](const auto&... c) { ((at++ == i ? (void)(name = c.name) : (void)0), ...); },
                   checks_);
        return name;
    }

    asio::awaitable<response> answer(context& ctx, bool readiness) const {
        try {
            const std::string& path = readiness ? options_.ready_path : options_.live_path;
            ctx.set_route_template(path);
            http::verb method = ctx.req().method();
            if (method != http::verb::get && method != http::verb::head)
                co_return ctx.render_error(
                    method_not_allowed(ctx.req().method_string(), {"GET", "HEAD"}));
            boost::json::object body{{"status", "ok"}};
            if (readiness) {
                std::vector<std::string> down = co_await not_ready();
                if (!down.empty()) {
                    std::string detail = "Not ready:";
                    for (std::size_t i = 0; i < down.size(); ++i)
                        detail += (i == 0 ? " " : ", ") + down[i];
                    detail += '.';
                    response refused = ctx.render_error(service_unavailable(std::move(detail)));
                    refused.set(http::field::cache_control, "no-store");
                    co_return refused;
                }
                boost::json::object checks;
                std::apply([&](const auto&... c) { ((checks[c.name] = "ok"), ...); }, checks_);
                body["checks"] = std::move(checks);
            }
            response res = json_response(http::status::ok, body);
            res.set(http::field::cache_control, "no-store");
            co_return res;
        } catch (...) {
            co_return ctx.render_error(std::current_exception());
        }
    }

    health_options options_;
    std::tuple<named_check<Checks>...> checks_;
};

} // namespace rampart

#endif
