#ifndef RAMPART_OPENAPI_DESCRIBE_HPP
#define RAMPART_OPENAPI_DESCRIBE_HPP

// route_doc parts from the declarations a service already has: its write schemas, read shapes
// and paginators, so the document and the code cannot disagree.

#include <rampart/router/route_doc.hpp>

#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

namespace rampart::openapi {

/// A write schema's JSON Schema (validation::schema), for route_doc::body: its fields, required
/// ones, lengths, ranges, patterns and unknown-field policy.
template <class Schema>
boost::json::object body_of(const Schema& schema) {
    return schema.json_schema_object();
}

/** The success body of a route, for route_doc::result: one read shape (every version) or a
    validation::versioned_shape (each version its own shape).
*/
template <class Shape>
std::vector<std::pair<std::string, boost::json::object>> results(const Shape& shape) {
    std::vector<std::pair<std::string, boost::json::object>> out;
    if constexpr (requires { shape.json_schemas(); }) {
        for (auto& kv : shape.json_schemas()) {
            boost::json::object schema = kv.value().as_object();
            schema.erase("$schema"); // the document's dialect is 2020-12 already
            out.emplace_back(std::string(kv.key()), std::move(schema));
        }
    } else {
        out.emplace_back(std::string(), shape.json_schema_object());
    }
    return out;
}

/// How a paginator (pagination::cursor_paginator) pages, for route_doc::pages.
template <class Paginator>
page_doc pages_of(const Paginator& paginator) {
    const auto& o = paginator.options();
    return {o.cursor_param, o.page_size_param, o.default_page_size, o.max_page_size, o.results_key};
}

} // namespace rampart::openapi

#endif
