#ifndef RAMPART_JWT_DETAIL_STRICT_JSON_HPP
#define RAMPART_JWT_DETAIL_STRICT_JSON_HPP

// Forwarder: the strict parse lives in rampart/detail/strict_json.hpp (kept until every branch
// uses it).
#include <rampart/detail/strict_json.hpp>

namespace rampart::jwt::detail {
using rampart::detail::json_status;
using rampart::detail::parse_object;
} // namespace rampart::jwt::detail

#endif
