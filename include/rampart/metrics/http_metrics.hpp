#ifndef RAMPART_METRICS_HTTP_METRICS_HPP
#define RAMPART_METRICS_HTTP_METRICS_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/metrics/registry.hpp>
#include <rampart/router/route_declarations.hpp>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// The route label of a request no route matched (a 404, a refused Host, a preflight).
inline constexpr std::string_view unmatched_route = "(unmatched)";
/// The route label of a route template that was not declared to http_metrics.
inline constexpr std::string_view other_route = "(other)";

/// Every distinct route pattern of a router (`router.declarations()`), in registration
/// order: what http_metrics labels requests by.
inline std::vector<std::string> route_templates(const route_declarations& routes) {
    std::vector<std::string> out;
    for (const declared_operation& op : routes.operations()) {
        bool seen = false;
        for (const auto& t : out)
            seen = seen || t == op.pattern;
        if (!seen)
            out.push_back(op.pattern);
    }
    return out;
}

/// What http_metrics names its families and how it buckets latencies.
struct http_metrics_options {
    /// `<prefix>_requests_total` and `<prefix>_request_duration_seconds`.
    std::string prefix = "http";
    /// Latency bucket bounds, seconds.
    std::vector<double> buckets = latency_buckets();
};

namespace detail {

inline constexpr std::array<std::string_view, 8> method_values{
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};

inline std::size_t method_index(http::verb m) noexcept {
    switch (m) {
    case http::verb::get:
        return 0;
    case http::verb::head:
        return 1;
    case http::verb::post:
        return 2;
    case http::verb::put:
        return 3;
    case http::verb::patch:
        return 4;
    case http::verb::delete_:
        return 5;
    case http::verb::options:
        return 6;
    default:
        return 7;
    }
}

/// The statuses labelled by their code; any other is `code="other"`.
inline constexpr std::array<std::uint16_t, 55> status_codes{
    100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308, 400, 401, 402,
    403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424,
    425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511};

/// Status code to its position in status_codes (status_codes.size(): `other`).
struct status_table {
    std::array<std::uint8_t, 600> index{};
    constexpr status_table() {
        for (auto& i : index)
            i = static_cast<std::uint8_t>(status_codes.size());
        for (std::size_t i = 0; i < status_codes.size(); ++i)
            index[status_codes[i]] = static_cast<std::uint8_t>(i);
    }
    constexpr std::size_t operator[](unsigned code) const noexcept {
        return code < index.size() ? index[code] : status_codes.size();
    }
};
inline constexpr status_table status_index{};

/// Route templates to their label index: open addressing, built once, read-only after.
class route_table {
public:
    explicit route_table(const std::vector<std::string>& templates) : names_(templates) {
        std::size_t size = 16;
        while (size < templates.size() * 2)
            size *= 2;
        slots_.assign(size, 0);
        for (std::uint32_t i = 0; i < names_.size(); ++i) {
            std::size_t at = hash(names_[i]) & (size - 1);
            while (slots_[at] != 0)
                at = (at + 1) & (size - 1);
            slots_[at] = i + 1;
        }
    }

    /// The template's index, or `absent`.
    std::size_t find(std::string_view t) const noexcept {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t at = hash(t) & mask;; at = (at + 1) & mask) {
            std::uint32_t slot = slots_[at];
            if (slot == 0)
                return absent;
            if (names_[slot - 1] == t)
                return slot - 1;
        }
    }

    static constexpr std::size_t absent = static_cast<std::size_t>(-1);

private:
    /// The length and the first and last eight bytes, mixed: two independent multiplies
    /// instead of one per byte (templates differ there; a collision costs one more compare).
    static std::size_t hash(std::string_view s) noexcept {
        std::uint64_t head = 0;
        std::uint64_t tail = 0;
        if (s.size() >= 8) {
            std::memcpy(&head, s.data(), 8);
            std::memcpy(&tail, s.data() + s.size() - 8, 8);
        } else if (!s.empty()) {
            std::memcpy(&head, s.data(), s.size());
        }
        std::uint64_t h = head * 0x9E3779B97F4A7C15ull ^ (tail + s.size()) * 0xC2B2AE3D27D4EB4Full;
        return static_cast<std::size_t>(h ^ (h >> 32));
    }

    std::vector<std::string> names_;
    std::vector<std::uint32_t> slots_;
};

} // namespace detail

/** Hook middleware recording every request: a counter by route template, method and status
    (`<prefix>_requests_total{route,method,code}`) and a latency histogram by route template
    (`<prefix>_request_duration_seconds{route}`).

    Requests are labelled by the pattern of the route that served them (context::route_template,
    which the router sets), never by their path: a thousand product ids are one series. A
    request no route matched is `route="(unmatched)"`, a pattern not given to the constructor
    `route="(other)"`; methods other than the common seven are `method="other"`, statuses other
    than the registered ones `code="other"`. So the series are bounded at start-up. Only series
    that have counted something are written.

    Place it outside the router (the template is read after the rest ran) and outside the
    layers whose refusals should be counted, usually just inside the error envelope; latency
    is what runs inside it, from `before` (which sets context::started_at) to `after`.
    Recording is lock-free: a hash of the template, two relaxed atomic adds and one
    compare-and-swap on this CPU's cache lines; no allocation, no lock. Timing costs two reads
    of `Clock` on top (a system_clock read is 20 to 50 ns on virtual machines: most of the
    cost; bench/metrics measures both). On the system clock those reads are shared: inside an
    access_log (which times every request anyway) this layer takes the log's start and leaves
    its end for the log, so the two layers read the clock twice a request, not four times.

    `registry` must outlive it. `Clock` times requests (manual_clock in tests).
*/
template <clock_source Clock = system_clock>
class http_metrics {
public:
    /// `route_templates`: every pattern the router may set (metrics::route_templates(router.
    /// declarations())), plus any a layer sets (metrics::serve sets its path).
    /// Throws: std::invalid_argument when the registry has the families' names already.
    http_metrics(registry& reg, std::vector<std::string> templates,
                 http_metrics_options options = {}, Clock clock = {})
        : clock_(std::move(clock)) {
        templates = distinct(std::move(templates));
        routes_ = std::make_shared<const detail::route_table>(templates);
        route_count_ = templates.size();
        std::vector<std::string> route_values = std::move(templates);
        route_values.emplace_back(unmatched_route);
        route_values.emplace_back(other_route);
        std::vector<std::string> methods(detail::method_values.begin(),
                                         detail::method_values.end());
        std::vector<std::string> codes;
        for (auto c : detail::status_codes)
            codes.push_back(std::to_string(c));
        codes.emplace_back("other");
        requests_ = &reg.add_counter(
            options.prefix + "_requests_total",
            "HTTP requests answered, by route template, method and "
            "status code.",
            {{"route", route_values}, {"method", std::move(methods)}, {"code", std::move(codes)}},
            series_shown::recorded);
        durations_ = &reg.add_histogram(
            options.prefix + "_request_duration_seconds",
            "Time to answer HTTP requests, by route template.", std::move(options.buckets),
            {{"route", std::move(route_values)}}, series_shown::recorded);
    }

    void before(context& ctx) noexcept {
        // On the system clock, an outer layer's start (the access log's) is this one's too.
        if (!shares_clock || ctx.started_at() == std::chrono::system_clock::time_point{})
            ctx.set_started_at(clock_.now());
    }

    void after(context& ctx, response& res) noexcept {
        auto now = clock_.now();
        if constexpr (shares_clock)
            ctx.set_answered_at(now);
        std::chrono::duration<double> elapsed = now - ctx.started_at();
        std::size_t route = route_of(ctx.route_template());
        std::size_t series =
            (route * detail::method_values.size() + detail::method_index(ctx.req().method())) *
                (detail::status_codes.size() + 1) +
            detail::status_index[res.result_int()];
        const unsigned cpu = detail::current_cpu();
        requests_->add_on(cpu, series);
        durations_->observe_on(cpu, route, elapsed.count() < 0 ? 0.0 : elapsed.count());
    }

private:
    static constexpr bool shares_clock = std::same_as<Clock, system_clock>;

    static std::vector<std::string> distinct(std::vector<std::string> all) {
        std::vector<std::string> out;
        for (auto& t : all) {
            bool seen = false;
            for (const auto& u : out)
                seen = seen || u == t;
            if (!seen)
                out.push_back(std::move(t));
        }
        return out;
    }

    std::size_t route_of(std::string_view t) const noexcept {
        if (t.empty())
            return route_count_; // (unmatched)
        std::size_t i = routes_->find(t);
        return i == detail::route_table::absent ? route_count_ + 1 : i;
    }

    std::shared_ptr<const detail::route_table> routes_;
    std::size_t route_count_ = 0;
    counter_family* requests_ = nullptr;
    histogram_family* durations_ = nullptr;
    [[no_unique_address]] Clock clock_;
};

} // namespace rampart::metrics

#endif
