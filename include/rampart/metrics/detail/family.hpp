#ifndef RAMPART_METRICS_DETAIL_FAMILY_HPP
#define RAMPART_METRICS_DETAIL_FAMILY_HPP

// What every metric family shares: its name, help and bounded label space.

#include <rampart/metrics/detail/text.hpp>
#include <rampart/metrics/label.hpp>

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::metrics::detail {

/// Families beyond this many series are refused at start-up: a label set that large is a bug.
inline constexpr std::size_t max_series = std::size_t{1} << 20;

/** A family's series are every combination of its labels' values, numbered in mixed radix
    (the first label's value slowest), so a series is an index and recording one is an add at
    that index: no map, no lock, no allocation.
*/
class family {
public:
    family(std::string name, std::string help, std::vector<label> labels)
        : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {
        if (!valid_metric_name(name_))
            throw std::invalid_argument("rampart::metrics: bad metric name \"" + name_ + "\"");
        for (std::size_t i = 0; i < labels_.size(); ++i) {
            const label& l = labels_[i];
            if (!valid_label_name(l.name))
                throw std::invalid_argument("rampart::metrics: " + name_ + ": bad label name \"" +
                                            l.name + "\"");
            if (l.values.empty())
                throw std::invalid_argument("rampart::metrics: " + name_ + ": label " + l.name +
                                            " has no values");
            for (std::size_t j = 0; j < i; ++j)
                if (labels_[j].name == l.name)
                    throw std::invalid_argument("rampart::metrics: " + name_ + ": label " + l.name +
                                                " given twice");
            for (std::size_t a = 0; a < l.values.size(); ++a)
                for (std::size_t b = 0; b < a; ++b)
                    if (l.values[a] == l.values[b])
                        throw std::invalid_argument("rampart::metrics: " + name_ + ": label " +
                                                    l.name + " has value \"" + l.values[a] +
                                                    "\" twice");
            if (series_ > max_series / l.values.size())
                throw std::invalid_argument("rampart::metrics: " + name_ +
                                            ": too many label combinations");
            series_ *= l.values.size();
        }
    }

    family(const family&) = delete;
    family& operator=(const family&) = delete;
    virtual ~family() = default;

    const std::string& name() const noexcept { return name_; }
    const std::vector<label>& labels() const noexcept { return labels_; }

    /// How many series: the product of the labels' value counts (1 without labels).
    std::size_t series_count() const noexcept { return series_; }

    /// The index of `value` among label `label_index`'s values, or `npos`.
    std::size_t value_index(std::size_t label_index, std::string_view value) const noexcept {
        const auto& values = labels_[label_index].values;
        for (std::size_t i = 0; i < values.size(); ++i)
            if (values[i] == value)
                return i;
        return npos;
    }

    /// The series of these label values, in label order.
    /// Throws: std::invalid_argument for a wrong count or an undeclared value.
    std::size_t series_of(std::initializer_list<std::string_view> values) const {
        if (values.size() != labels_.size())
            throw std::invalid_argument("rampart::metrics: " + name_ + " takes " +
                                        std::to_string(labels_.size()) + " label values");
        std::size_t series = 0;
        std::size_t i = 0;
        for (std::string_view v : values) {
            std::size_t at = value_index(i, v);
            if (at == npos)
                throw std::invalid_argument("rampart::metrics: " + name_ + ": \"" + std::string(v) +
                                            "\" is not a declared value of " + labels_[i].name);
            series = series * labels_[i].values.size() + at;
            ++i;
        }
        return series;
    }

    /// Appends the family's HELP, TYPE and samples.
    virtual void write(std::string& out) const = 0;

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

protected:
    void write_header(std::string& out, std::string_view type) const {
        out += "# HELP ";
        out += name_;
        out += ' ';
        append_help(out, help_);
        out += "\n# TYPE ";
        out += name_;
        out += ' ';
        out += type;
        out += '\n';
    }

    /// `name{a="x",b="y"} ` for `series`, with `extra="extra_value"` last when given (a
    /// histogram's `le`); no braces for a series without labels.
    void write_sample_name(std::string& out, std::string_view suffix, std::size_t series,
                           std::string_view extra = {}, std::string_view extra_value = {}) const {
        out += name_;
        out += suffix;
        if (!labels_.empty() || !extra.empty()) {
            out += '{';
            // The values' indices, last label first (mixed radix).
            std::size_t rest = series;
            std::vector<std::size_t> idx(labels_.size());
            for (std::size_t i = labels_.size(); i-- > 0;) {
                idx[i] = rest % labels_[i].values.size();
                rest /= labels_[i].values.size();
            }
            bool first = true;
            for (std::size_t i = 0; i < labels_.size(); ++i) {
                if (!first)
                    out += ',';
                first = false;
                out += labels_[i].name;
                out += "=\"";
                append_label_value(out, labels_[i].values[idx[i]]);
                out += '"';
            }
            if (!extra.empty()) {
                if (!first)
                    out += ',';
                out += extra;
                out += "=\"";
                append_label_value(out, extra_value);
                out += '"';
            }
            out += '}';
        }
        out += ' ';
    }

private:
    std::string name_;
    std::string help_;
    std::vector<label> labels_;
    std::size_t series_ = 1;
};

} // namespace rampart::metrics::detail

#endif
