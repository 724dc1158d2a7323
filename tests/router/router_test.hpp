#ifndef RAMPART_TESTS_ROUTER_ROUTER_TEST_HPP
#define RAMPART_TESTS_ROUTER_ROUTER_TEST_HPP

// Shared by the router tests: requests with headers, and a handler that reports what routing
// put on the context.

#include "support/run.hpp"

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>

#include <boost/json/parse.hpp>

#include <string>
#include <utility>
#include <vector>

namespace rampart::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Sends one request through `h` (a handler, e.g. a wrapped router).
template <class H>
response send(H& h, http::verb method, std::string target, header_list headers = {}) {
    request req = make_request(method, std::move(target));
    for (auto& [name, value] : headers)
        req.set(name, value);
    return call(h, std::move(req));
}

/// "version=v1 id=3": the version and every parameter the router set, in order.
inline response echo_route(context& ctx) {
    std::string out = "version=" + std::string(ctx.version());
    for (const auto& p : ctx.params())
        out += " " + p.name + "=" + p.value;
    return text_response(http::status::ok, out);
}

/// The envelope's `errors.detail`, after checking the envelope's shape and code.
inline std::string envelope_detail(const response& res) {
    auto body = boost::json::parse(res.body()).as_object();
    if (body.at("status").as_string() != "error" ||
        body.at("code").as_int64() != static_cast<int>(res.result_int()))
        return "<not an envelope>";
    auto& errors = body.at("errors").as_object();
    return errors.contains("detail") ? std::string(errors.at("detail").as_string()) : "";
}

inline bool is_envelope(const response& res) {
    return res[http::field::content_type] == "application/json" &&
           envelope_detail(res) != "<not an envelope>";
}

} // namespace rampart::test

#endif
