#ifndef RAMPART_ROUTER_ROUTE_DOC_HPP
#define RAMPART_ROUTER_ROUTE_DOC_HPP

// What a route says about itself for API documents (rampart::openapi reads it). Given at
// registration, kept beside the route table and never read while serving: it costs a request
// nothing.

#include <boost/json/object.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rampart {

/// A header of a route's success response, for documents (`Location` of a created object).
struct header_doc {
    std::string name;
    std::string description;
    /// JSON Schema of the value; empty: a string.
    boost::json::object schema = {};
    /// Every success response carries it (documents mark it `required`).
    bool required = false;
};

/// How a list route pages its results, for documents: its query parameters and the page's
/// results member (see openapi::pages_of, which fills it from a paginator).
struct page_doc {
    std::string cursor_param = "cursor";
    /// Empty: the page size is fixed.
    std::string page_size_param = "page_size";
    std::size_t default_page_size = 25;
    std::size_t max_page_size = 100;
    std::string results_key = "results";
};

/** A route's documentation: given to route_group::get (and the other verbs) as the argument
    after the name; the group's middleware adds what it knows (see describes_route).

    @code
    api.get("/products/{id:int}/", show_product, "product-detail",
            {.summary = "One product", .result = openapi::results(product_out), .errors = {404}});
    @endcode
*/
struct route_doc {
    std::string summary;
    std::string description;
    std::vector<std::string> tags;
    /// JSON Schema (draft 2020-12) of the JSON request body; none: the route reads no body.
    std::optional<boost::json::object> body;
    /// JSON Schema of the success body per API version name ("" applies to every version; one
    /// page's item when `pages` is set). Empty: the route declared no result.
    std::vector<std::pair<std::string, boost::json::object>> result;
    /// The success status; 0: 201 for POST, 200 otherwise.
    unsigned status = 0;
    /// Set when the result is one page of a paginated list.
    std::optional<page_doc> pages;
    /// Headers of the success response.
    std::vector<header_doc> headers;
    /// Error statuses the handler answers by itself (404 for an unknown id, 409, ...). Those that
    /// follow from the declaration (400 for a body, 401 for authentication, ...) are added by
    /// the document generator.
    std::vector<unsigned> errors;
    /// Set by an authentication middleware of the route's group: the route requires a caller.
    bool authenticated = false;
    /// Set by a throttle middleware of the route's group: 429 and the `RateLimit` headers.
    bool throttled = false;
    /// The route itself is deprecated (a deprecated version marks all of its routes).
    bool deprecated = false;
};

/** A middleware that documents what it does to the routes of a group it is in:

    @code
    template <class Doc>
    void describe(Doc& doc) const { doc.authenticated = true; }
    @endcode

    route_group calls it once per route, at registration (a template member, so the middleware's
    header need not include this one).
*/
template <class M>
concept describes_route = requires(const M& m, route_doc& d) {
    m.describe(d);
};

} // namespace rampart

#endif
