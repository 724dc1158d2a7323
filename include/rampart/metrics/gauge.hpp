#ifndef RAMPART_METRICS_GAUGE_HPP
#define RAMPART_METRICS_GAUGE_HPP

#include <rampart/metrics/detail/family.hpp>
#include <rampart/metrics/label.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// One series of a gauge family: a value that goes up and down (one atomic, not sharded:
/// `set` must see one value). Cheap to copy; valid while its registry lives.
class gauge {
public:
    explicit gauge(std::atomic<double>& cell) noexcept : cell_(&cell) {}

    void set(double v) noexcept { cell_->store(v, std::memory_order_relaxed); }
    void add(double v) noexcept { cell_->fetch_add(v, std::memory_order_relaxed); }
    void sub(double v) noexcept { cell_->fetch_sub(v, std::memory_order_relaxed); }
    double value() const noexcept { return cell_->load(std::memory_order_relaxed); }

private:
    std::atomic<double>* cell_;
};

/// A gauge family (Prometheus type `gauge`). Made by registry::add_gauge.
class gauge_family : public detail::family {
public:
    gauge_family(std::string name, std::string help, std::vector<label> labels = {})
        : family(std::move(name), std::move(help), std::move(labels)),
          cells_(std::make_unique<std::atomic<double>[]>(series_count())) {}

    /// Throws: std::invalid_argument for values not declared.
    metrics::gauge at(std::initializer_list<std::string_view> values = {}) {
        return metrics::gauge{cells_[series_of(values)]};
    }

    void write(std::string& out) const override {
        write_header(out, "gauge");
        for (std::size_t s = 0; s < series_count(); ++s) {
            write_sample_name(out, "", s);
            detail::append_number(out, cells_[s].load(std::memory_order_relaxed));
            out += '\n';
        }
    }

private:
    std::unique_ptr<std::atomic<double>[]> cells_;
};

/** A gauge read when scraped: `read()` is called once per scrape, on the scraping thread (the
    open connections of a server, a queue's length). It must be safe to call from there and
    must not throw. Made by registry::add_callback_gauge.
*/
class callback_gauge : public detail::family {
public:
    callback_gauge(std::string name, std::string help, std::function<double()> read)
        : family(std::move(name), std::move(help), {}), read_(std::move(read)) {}

    void write(std::string& out) const override {
        write_header(out, "gauge");
        write_sample_name(out, "", 0);
        detail::append_number(out, read_());
        out += '\n';
    }

private:
    std::function<double()> read_;
};

} // namespace rampart::metrics

#endif
