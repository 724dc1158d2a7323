#ifndef RAMPART_PAGINATION_DETAIL_BASE64URL_HPP
#define RAMPART_PAGINATION_DETAIL_BASE64URL_HPP

// Forwarder: base64url lives in rampart/detail/base64url.hpp (kept until every branch uses it).
#include <rampart/detail/base64url.hpp>

namespace rampart::pagination::detail {
using rampart::detail::base64url_decode;
using rampart::detail::base64url_encode;
} // namespace rampart::pagination::detail

#endif
