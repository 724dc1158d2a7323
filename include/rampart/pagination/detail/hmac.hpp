#ifndef RAMPART_PAGINATION_DETAIL_HMAC_HPP
#define RAMPART_PAGINATION_DETAIL_HMAC_HPP

// Forwarder: HMAC lives in rampart/detail/hmac.hpp (kept until every branch uses it).
#include <rampart/detail/hmac.hpp>

namespace rampart::pagination::detail {
using rampart::detail::hmac_sha256;
using rampart::detail::tags_equal;
} // namespace rampart::pagination::detail

#endif
