#ifndef RAMPART_ROUTER_OPTIONS_HPP
#define RAMPART_ROUTER_OPTIONS_HPP

#include <rampart/router/version_scheme.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace rampart {

/** How a router reads requests and writes URLs. Every field has a safe default.

    Limits: a path longer than `max_path_length` or a query longer than `max_query_length`
    is answered 414 URI Too Long; a path with more than 64 segments is answered 404 (no route can
    be that deep). basic_router's constructor checks the options (see there for what it throws).
*/
struct router_options {
    /// Where requests name their version.
    version_scheme versioning = version_scheme::url_path();
    /// The version for requests that name none (every scheme but url_path). Empty: none.
    std::string default_version = {};
    /// When not empty, only these versions are served; others answer as unknown.
    std::vector<std::string> allowed_versions = {};
    std::size_t max_path_length = 2048;
    std::size_t max_query_length = 4096;
    /// The public origin for absolute URLs, e.g. `https://shop.example.com` (checked by
    /// normalize_public_url when the router is made). When set, the request's Host is never
    /// consulted. Set it in production.
    std::string public_base_url = {};
    /// Otherwise absolute URLs use this scheme (`http` or `https`) and the Host that
    /// rampart::allowed_hosts accepted for the request; without one (no allowed_hosts in the
    /// stack, or HTTP/1.0 without Host) URLs are path-only (`/api/v1/orders/5/`).
    std::string url_scheme = "http";
};

} // namespace rampart

#endif
