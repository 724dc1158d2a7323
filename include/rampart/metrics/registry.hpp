#ifndef RAMPART_METRICS_REGISTRY_HPP
#define RAMPART_METRICS_REGISTRY_HPP

#include <rampart/metrics/counter.hpp>
#include <rampart/metrics/detail/family.hpp>
#include <rampart/metrics/gauge.hpp>
#include <rampart/metrics/histogram.hpp>
#include <rampart/metrics/label.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// `Content-Type` of the text exposition format 0.0.4.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/** The metrics of one application: families of counters, gauges and histograms, and the text
    a Prometheus server scrapes.

    The application owns it (there is no global registry) and it must outlive everything that
    records into it. Families are added at start-up, each with every value of its labels
    (label), so no request can add a series. Recording is lock-free (relaxed atomics on cells
    sharded by CPU); adding a family and scraping take a mutex, never the recording threads.

    `scrape()` writes every family in name order (stable from one scrape to the next), each as
    `# HELP`, `# TYPE`, then its samples.
*/
class registry {
public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    /// Throws (every add_): std::invalid_argument for a bad or taken name, a bad label, or an
    /// empty value list.
    counter_family& add_counter(std::string name, std::string help, std::vector<label> labels = {},
                                series_shown shown = series_shown::all) {
        return add(std::make_unique<counter_family>(std::move(name), std::move(help),
                                                    std::move(labels), shown));
    }

    gauge_family& add_gauge(std::string name, std::string help, std::vector<label> labels = {}) {
        return add(
            std::make_unique<gauge_family>(std::move(name), std::move(help), std::move(labels)));
    }

    /// A gauge whose value is `read()` at each scrape (see callback_gauge).
    callback_gauge& add_callback_gauge(std::string name, std::string help,
                                       std::function<double()> read) {
        return add(
            std::make_unique<callback_gauge>(std::move(name), std::move(help), std::move(read)));
    }

    /// `bounds`: the buckets' upper bounds, strictly increasing (`+Inf` is added).
    histogram_family& add_histogram(std::string name, std::string help, std::vector<double> bounds,
                                    std::vector<label> labels = {},
                                    series_shown shown = series_shown::all) {
        return add(std::make_unique<histogram_family>(std::move(name), std::move(help),
                                                      std::move(bounds), std::move(labels), shown));
    }

    /// The text exposition of every family (format 0.0.4, see content_type).
    std::string scrape() const {
        std::string out;
        std::lock_guard lock(mutex_);
        out.reserve(256 * families_.size());
        for (const auto& f : families_)
            f->write(out);
        return out;
    }

private:
    template <class F>
    F& add(std::unique_ptr<F> f) {
        std::lock_guard lock(mutex_);
        auto at = std::lower_bound(families_.begin(), families_.end(), f->name(),
                                   [](const std::unique_ptr<detail::family>& a,
                                      const std::string& n) { return a->name() < n; });
        if (at != families_.end() && (*at)->name() == f->name())
            throw std::invalid_argument("rampart::metrics: a metric named " + f->name() +
                                        " exists already");
        F& ref = *f;
        families_.insert(at, std::move(f));
        return ref;
    }

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<detail::family>> families_; // by name
};

} // namespace rampart::metrics

#endif
