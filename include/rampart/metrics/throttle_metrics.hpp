#ifndef RAMPART_METRICS_THROTTLE_METRICS_HPP
#define RAMPART_METRICS_THROTTLE_METRICS_HPP

#include <rampart/core/event_observer.hpp>
#include <rampart/metrics/registry.hpp>
#include <rampart/throttle/limiter.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// The scope label of a rule whose name was not given to throttle_metrics.
inline constexpr std::string_view other_scope = "(other)";

/** Throttle decisions, `rampart_throttle_decisions_total{scope,decision="allowed"|"throttled"}`,
    by rule name (`scope`): one per rule that applied to a request. Fed by `listener()`, given
    to each limiter's `observe`. It must outlive the limiters.
*/
class throttle_metrics {
public:
    /// `scopes`: the rules' names (`anon`, `user`, `login`); any other is counted as
    /// `(other)`. Throws: std::invalid_argument when the registry has this family already.
    throttle_metrics(registry& reg, std::vector<std::string> scopes) : scopes_(scopes) {
        scopes.emplace_back(other_scope);
        decisions_ = &reg.add_counter(
            "rampart_throttle_decisions_total",
            "Throttle rules applied to requests, by rule and decision.",
            {{"scope", std::move(scopes)}, {"decision", {"allowed", "throttled"}}});
    }

    throttle_metrics(const throttle_metrics&) = delete;
    throttle_metrics& operator=(const throttle_metrics&) = delete;

    event_observer<throttle::decision_event> listener() noexcept {
        return event_observer<throttle::decision_event>(&record, this);
    }

private:
    static void record(void* self, const throttle::decision_event& e) noexcept {
        auto& m = *static_cast<throttle_metrics*>(self);
        std::size_t scope = 0;
        while (scope < m.scopes_.size() && m.scopes_[scope] != e.scope)
            ++scope;
        m.decisions_->add(scope * 2 + (e.allowed ? 0 : 1));
    }

    std::vector<std::string> scopes_;
    counter_family* decisions_ = nullptr;
};

} // namespace rampart::metrics

#endif
