#ifndef RAMPART_CORE_RESPONSE_HPP
#define RAMPART_CORE_RESPONSE_HPP

#include <rampart/core/types.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace rampart {

/// A JSON response with the given status, `Content-Type: application/json` and a length.
inline response json_response(http::status status, const boost::json::value& body) {
    response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

/// A plain-text response.
inline response text_response(http::status status, std::string body) {
    response res{status, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

} // namespace rampart

#endif
