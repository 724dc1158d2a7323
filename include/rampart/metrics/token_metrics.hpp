#ifndef RAMPART_METRICS_TOKEN_METRICS_HPP
#define RAMPART_METRICS_TOKEN_METRICS_HPP

#include <rampart/core/event_observer.hpp>
#include <rampart/jwt/token_service.hpp>
#include <rampart/metrics/registry.hpp>

#include <cstddef>

namespace rampart::metrics {

/** The token endpoints' events, `rampart_token_events_total{event}`: `obtained`, `refreshed`,
    `reuse_detected`, `blacklisted` (jwt::token_event). Fed by `listener()`, set in
    jwt::token_service_options::on_event. It must outlive the service.
*/
class token_metrics {
public:
    /// Throws: std::invalid_argument when the registry has this family already.
    explicit token_metrics(registry& reg)
        : events_(&reg.add_counter(
              "rampart_token_events_total",
              "Token endpoint events: logins, refreshes, refresh-token reuse, logouts.",
              {{"event", {"obtained", "refreshed", "reuse_detected", "blacklisted"}}})) {}

    event_observer<jwt::token_event> listener() noexcept {
        return event_observer<jwt::token_event>(&record, events_);
    }

private:
    static void record(void* family, const jwt::token_event& e) noexcept {
        static_cast<counter_family*>(family)->add(static_cast<std::size_t>(e));
    }

    counter_family* events_;
};

} // namespace rampart::metrics

#endif
