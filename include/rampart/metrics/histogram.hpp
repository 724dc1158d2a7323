#ifndef RAMPART_METRICS_HISTOGRAM_HPP
#define RAMPART_METRICS_HISTOGRAM_HPP

#include <rampart/metrics/detail/family.hpp>
#include <rampart/metrics/detail/sharded_cells.hpp>
#include <rampart/metrics/label.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// Upper bounds for request latencies, in seconds: 0.5 ms to 10 s.
inline std::vector<double> latency_buckets() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace detail {

/// Where a histogram's series keeps its cells: one per bound, one for +Inf, then the sum.
struct histogram_layout {
    std::vector<double> bounds;

    std::size_t stride() const noexcept { return bounds.size() + 2; }

    /// The cell of the first bucket whose bound is at least `v` (`le` is inclusive).
    std::size_t bucket_of(double v) const noexcept {
        std::size_t i = 0;
        while (i < bounds.size() && !(v <= bounds[i]))
            ++i;
        return i;
    }
};

} // namespace detail

/// One series of a histogram family. Cheap to copy; valid while its registry lives.
/// `observe` is two relaxed atomic operations on this CPU's cache lines.
class histogram {
public:
    histogram(detail::sharded_cells& cells, const detail::histogram_layout& layout,
              std::size_t series) noexcept
        : cells_(&cells), layout_(&layout), base_(series * layout.stride()) {}

    void observe(double v) noexcept {
        cells_->add(base_ + layout_->bucket_of(v));
        cells_->add_double(base_ + layout_->bounds.size() + 1, v);
    }

    /// How many values were observed.
    std::uint64_t count() const noexcept {
        std::uint64_t n = 0;
        for (std::size_t b = 0; b <= layout_->bounds.size(); ++b)
            n += cells_->sum(base_ + b);
        return n;
    }
    double sum() const noexcept { return cells_->sum_double(base_ + layout_->bounds.size() + 1); }

private:
    detail::sharded_cells* cells_;
    const detail::histogram_layout* layout_;
    std::size_t base_;
};

/** A histogram family (Prometheus type `histogram`): fixed buckets, written as cumulative
    `_bucket{le="..."}` series ending with `le="+Inf"`, then `_sum` and `_count`. Made by
    registry::add_histogram. A duration's name ends in `_seconds` and observes seconds.
*/
class histogram_family : public detail::family {
public:
    /// Throws: std::invalid_argument for bounds that are not finite and strictly increasing,
    /// or a label named `le`.
    histogram_family(std::string name, std::string help, std::vector<double> bounds,
                     std::vector<label> labels = {}, series_shown shown = series_shown::all)
        : family(std::move(name), std::move(help), std::move(labels)),
          shown_(shown), layout_{checked(std::move(bounds))},
          cells_(series_count() * layout_.stride()) {
        for (const label& l : this->labels())
            if (l.name == "le")
                throw std::invalid_argument("rampart::metrics: " + this->name() +
                                            ": a histogram cannot have a label named le");
    }

    /// Throws: std::invalid_argument for values not declared.
    metrics::histogram at(std::initializer_list<std::string_view> values = {}) {
        return {cells_, layout_, series_of(values)};
    }

    /// Observes `v` in series `series`: for code that computes the index.
    void observe(std::size_t series, double v) noexcept {
        observe_on(detail::current_cpu(), series, v);
    }
    /// The same with the CPU read once by the caller (detail::current_cpu()).
    void observe_on(unsigned cpu, std::size_t series, double v) noexcept {
        std::size_t base = series * layout_.stride();
        cells_.add(cpu, base + layout_.bucket_of(v), 1);
        cells_.add_double(cpu, base + layout_.bounds.size() + 1, v);
    }

    const std::vector<double>& bounds() const noexcept { return layout_.bounds; }

    void write(std::string& out) const override {
        write_header(out, "histogram");
        std::vector<std::string> le;
        for (double b : layout_.bounds) {
            std::string text;
            detail::append_number(text, b);
            le.push_back(std::move(text));
        }
        for (std::size_t s = 0; s < series_count(); ++s) {
            std::size_t base = s * layout_.stride();
            // Each bucket read once: the count written is the +Inf bucket's, as it must be,
            // even while other threads observe.
            std::vector<std::uint64_t> counts(layout_.bounds.size() + 1);
            std::uint64_t total = 0;
            for (std::size_t b = 0; b < counts.size(); ++b) {
                total += cells_.sum(base + b);
                counts[b] = total;
            }
            if (total == 0 && shown_ == series_shown::recorded)
                continue;
            for (std::size_t b = 0; b < counts.size(); ++b) {
                write_sample_name(out, "_bucket", s, "le",
                                  b < le.size() ? std::string_view(le[b]) : "+Inf");
                detail::append_number(out, counts[b]);
                out += '\n';
            }
            write_sample_name(out, "_sum", s);
            detail::append_number(out, cells_.sum_double(base + layout_.bounds.size() + 1));
            out += '\n';
            write_sample_name(out, "_count", s);
            detail::append_number(out, total);
            out += '\n';
        }
    }

private:
    static std::vector<double> checked(std::vector<double> bounds) {
        for (std::size_t i = 0; i < bounds.size(); ++i)
            if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i])))
                throw std::invalid_argument("rampart::metrics: histogram bounds must be finite "
                                            "and strictly increasing (+Inf is implied)");
        return bounds;
    }

    series_shown shown_;
    detail::histogram_layout layout_;
    detail::sharded_cells cells_;
};

} // namespace rampart::metrics

#endif
