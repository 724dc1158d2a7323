#ifndef RAMPART_METRICS_COUNTER_HPP
#define RAMPART_METRICS_COUNTER_HPP

#include <rampart/metrics/detail/family.hpp>
#include <rampart/metrics/detail/sharded_cells.hpp>
#include <rampart/metrics/label.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics {

/// One series of a counter family: a number that only goes up. Cheap to copy; valid while
/// its registry lives. `inc` is one relaxed atomic add on this CPU's cache line.
class counter {
public:
    counter(detail::sharded_cells& cells, std::size_t series) noexcept
        : cells_(&cells), series_(series) {}

    void inc(std::uint64_t n = 1) noexcept { cells_->add(series_, n); }

    /// The sum over every thread's additions so far.
    std::uint64_t value() const noexcept { return cells_->sum(series_); }

private:
    detail::sharded_cells* cells_;
    std::size_t series_;
};

/** A counter family (Prometheus type `counter`): one counter per combination of its labels'
    values. Made by registry::add_counter. Its name should end in `_total`.
*/
class counter_family : public detail::family {
public:
    counter_family(std::string name, std::string help, std::vector<label> labels = {},
                   series_shown shown = series_shown::all)
        : family(std::move(name), std::move(help), std::move(labels)), shown_(shown),
          cells_(series_count()) {}

    /// The counter of these label values (none for a family without labels).
    /// Throws: std::invalid_argument for values not declared.
    metrics::counter at(std::initializer_list<std::string_view> values = {}) {
        return {cells_, series_of(values)};
    }

    /// Adds `n` to series `series` (see family::series_of): for code that computes the index.
    void add(std::size_t series, std::uint64_t n = 1) noexcept { cells_.add(series, n); }
    /// The same with the CPU read once by the caller (detail::current_cpu()).
    void add_on(unsigned cpu, std::size_t series, std::uint64_t n = 1) noexcept {
        cells_.add(cpu, series, n);
    }
    std::uint64_t value(std::size_t series) const noexcept { return cells_.sum(series); }

    void write(std::string& out) const override {
        write_header(out, "counter");
        for (std::size_t s = 0; s < series_count(); ++s) {
            std::uint64_t v = cells_.sum(s);
            if (v == 0 && shown_ == series_shown::recorded)
                continue;
            write_sample_name(out, "", s);
            detail::append_number(out, v);
            out += '\n';
        }
    }

private:
    series_shown shown_;
    detail::sharded_cells cells_;
};

} // namespace rampart::metrics

#endif
