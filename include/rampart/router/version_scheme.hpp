#ifndef RAMPART_ROUTER_VERSION_SCHEME_HPP
#define RAMPART_ROUTER_VERSION_SCHEME_HPP

#include <string>
#include <utility>

namespace rampart {

/** Where a request names the API version it wants. One scheme per router.

    | scheme          | request                                   | version name | unknown version |
    |-----------------|-------------------------------------------|--------------|-----------------|
    | `url_path`      | `/api/v1/products/`                       | `v1`         | 404             |
    | `accept_header` | `Accept: application/json; version=2`     | `2`          | 406             |
    | `header`        | `X-API-Version: 2`                        | `2`          | 406             |
    | `query_param`   | `/products/?version=2`                    | `2`          | 404             |
    | `host_name`     | `Host: v1.api.example.com`                | `v1`         | 404             |

    A version's name is exactly what the client writes. With every scheme but `url_path`, a
    request that names no version gets the router's default version (406/404 when there is none).
*/
struct version_scheme {
    enum class kind { url_path, accept_header, header, query_param, host_name };

    kind type = kind::url_path;
    /// The path prefix before the version segment, the header name, the query parameter name,
    /// or the base domain, depending on the scheme.
    std::string value = "/api";

    /// `/api/v1/...`: the version is the path segment after `prefix` ("" for `/v1/...`).
    static version_scheme url_path(std::string prefix = "/api") {
        while (!prefix.empty() && prefix.back() == '/')
            prefix.pop_back();
        return {kind::url_path, std::move(prefix)};
    }
    /// `Accept: application/json; version=2`: the `version` parameter of any media range.
    static version_scheme accept_header() { return {kind::accept_header, "version"}; }
    /// A header of its own, `X-API-Version: 2` by default.
    static version_scheme header(std::string name = "X-API-Version") {
        return {kind::header, std::move(name)};
    }
    /// A query parameter, `?version=2` by default.
    static version_scheme query_param(std::string name = "version") {
        return {kind::query_param, std::move(name)};
    }
    /// The first label of the host under `base_domain`: `v1.api.example.com` for
    /// `host_name("api.example.com")`. The bare base domain gets the default version.
    static version_scheme host_name(std::string base_domain) {
        return {kind::host_name, std::move(base_domain)};
    }
};

} // namespace rampart

#endif
