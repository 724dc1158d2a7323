#ifndef RAMPART_THROTTLE_HPP
#define RAMPART_THROTTLE_HPP

/// Throttling: token buckets per client address, user or route group, the rate-limit headers,
/// and the in-process store. The Redis store is in rampart/redis/.

#include <rampart/throttle/bucket.hpp>
#include <rampart/throttle/client_ip.hpp>
#include <rampart/throttle/limiter.hpp>
#include <rampart/throttle/memory_store.hpp>
#include <rampart/throttle/rate.hpp>
#include <rampart/throttle/rule.hpp>
#include <rampart/throttle/store.hpp>

#endif
