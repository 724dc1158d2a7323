#ifndef RAMPART_METRICS_LABEL_HPP
#define RAMPART_METRICS_LABEL_HPP

#include <string>
#include <vector>

namespace rampart::metrics {

/** A label and every value it may take, declared when its family is made. A family's series
    are the combinations of its labels' values, so their number is known at start-up and no
    request can add one (a raw path or a user id as a label would grow without bound).
*/
struct label {
    std::string name;
    std::vector<std::string> values;
};

/// Which series a family writes in a scrape.
enum class series_shown {
    /// Every declared combination, zeros included (Prometheus then sees a series start at 0).
    all,
    /// Only those recorded at least once: for large label spaces of which few are used (the
    /// HTTP middleware's route, method and status).
    recorded,
};

} // namespace rampart::metrics

#endif
