#ifndef RAMPART_METRICS_HPP
#define RAMPART_METRICS_HPP

// Prometheus metrics: a registry owned by the application, lock-free counters, gauges and
// histograms with bounded labels, the text exposition format 0.0.4 and its endpoint, HTTP
// request metrics by route template, and feeds from the throttle, the token endpoints and the
// stores. See docs/metrics.md.

#include <rampart/metrics/counter.hpp>
#include <rampart/metrics/endpoint.hpp>
#include <rampart/metrics/gauge.hpp>
#include <rampart/metrics/histogram.hpp>
#include <rampart/metrics/http_metrics.hpp>
#include <rampart/metrics/label.hpp>
#include <rampart/metrics/registry.hpp>
#include <rampart/metrics/store_metrics.hpp>
#include <rampart/metrics/throttle_metrics.hpp>
#include <rampart/metrics/token_metrics.hpp>

#endif
