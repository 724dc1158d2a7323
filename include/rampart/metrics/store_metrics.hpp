#ifndef RAMPART_METRICS_STORE_METRICS_HPP
#define RAMPART_METRICS_STORE_METRICS_HPP

#include <rampart/core/event_observer.hpp>
#include <rampart/metrics/registry.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// An event of a store's operation: redis::command_event, sqlite::call_event, or yours.
template <class E>
concept store_event = requires(const E& e) {
    { e.failed() } -> std::convertible_to<bool>;
    { e.latency } -> std::convertible_to<std::chrono::steady_clock::duration>;
};

/** The operations of the stores behind a service, by store: how many and how they ended
    (`rampart_store_operations_total{store,outcome="ok"|"error"}`) and how long they took
    (`rampart_store_operation_duration_seconds{store}`).

    Each store is fed by the observer `listener<Event>(store)` gives, set in its options once:

    @code
    redis_options.on_command = stores.listener<rampart::redis::command_event>("redis");
    database_options.on_call = stores.listener<rampart::sqlite::call_event>("sqlite");
    @endcode

    It must outlive the stores it listens to, and is neither copied nor moved.
*/
class store_metrics {
public:
    /// Throws: std::invalid_argument when the registry has these families already.
    explicit store_metrics(registry& reg, std::vector<std::string> stores = {"redis", "sqlite"},
                           std::vector<double> buckets = latency_buckets())
        : stores_(stores) {
        operations_ = &reg.add_counter(
            "rampart_store_operations_total",
            "Operations of the stores (Redis commands, database calls), by how they ended.",
            {{"store", stores}, {"outcome", {"ok", "error"}}});
        durations_ = &reg.add_histogram("rampart_store_operation_duration_seconds",
                                        "Time the stores' operations took, errors included.",
                                        std::move(buckets), {{"store", std::move(stores)}});
        bindings_.reserve(stores_.size()); // never reallocated: observers point into it
        for (std::size_t i = 0; i < stores_.size(); ++i)
            bindings_.push_back({this, i});
    }

    store_metrics(const store_metrics&) = delete;
    store_metrics& operator=(const store_metrics&) = delete;

    /// The observer feeding `store`'s series. Throws: std::invalid_argument for a store not
    /// given to the constructor.
    template <store_event Event>
    event_observer<Event> listener(std::string_view store) {
        for (std::size_t i = 0; i < stores_.size(); ++i)
            if (stores_[i] == store)
                return event_observer<Event>(&record<Event>, &bindings_[i]);
        throw std::invalid_argument("rampart::metrics: no store named \"" + std::string(store) +
                                    "\"");
    }

private:
    struct binding {
        store_metrics* self;
        std::size_t store;
    };

    template <class Event>
    static void record(void* p, const Event& e) noexcept {
        const binding& b = *static_cast<const binding*>(p);
        b.self->operations_->add(b.store * 2 + (e.failed() ? 1 : 0));
        std::chrono::duration<double> seconds = e.latency;
        b.self->durations_->observe(b.store, seconds.count() < 0 ? 0.0 : seconds.count());
    }

    std::vector<std::string> stores_;
    std::vector<binding> bindings_;
    counter_family* operations_ = nullptr;
    histogram_family* durations_ = nullptr;
};

} // namespace rampart::metrics

#endif
