#ifndef RAMPART_OPENAPI_DOCUMENT_HPP
#define RAMPART_OPENAPI_DOCUMENT_HPP

#include <rampart/openapi/options.hpp>
#include <rampart/router/route_declarations.hpp>

#include <boost/json/object.hpp>

namespace rampart::openapi {

/** The OpenAPI 3.1 document of a router's routes, from their declarations alone.

    Each operation gets its path parameters typed by their matchers (`{id:int}`: an integer),
    the cursor and page-size query parameters of a paginated list, the request body and
    success body its route_doc declares (per API version), and every error it can answer,
    each referring to the one error component (`Error`, in the chosen error_style): 400 for a
    body or a page, 401 with `WWW-Authenticate` for a protected route, 404 for a path with
    parameters, 405 with `Allow`, 413 and 415 for a body, 429 with `Retry-After` and the
    `RateLimit` headers for a throttled one, 500, plus the route's own and
    `document_options::common_errors`. A deprecated version's operations are
    `deprecated: true`, with their `Deprecation`/`Sunset`/`Link` headers and `x-sunset`.
    Operation ids are the route names (with the version, `product-list_v1`).

    Build it once at start-up (after the routes are added) and serve the result.

    Throws: std::invalid_argument (a programming error) for an `options.version` the router
    does not serve, for a document of every version under a version scheme that does not
    put the version in the path (give one version per document), and, with
    `require_declared`, for an operation without a result or a write without a body.
*/
boost::json::object generate(const route_declarations& routes,
                             const document_options& options = {});

} // namespace rampart::openapi

#include <rampart/openapi/impl/document.hpp>

#endif
