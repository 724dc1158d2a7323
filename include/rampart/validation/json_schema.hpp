#ifndef RAMPART_VALIDATION_JSON_SCHEMA_HPP
#define RAMPART_VALIDATION_JSON_SCHEMA_HPP

/// The JSON Schema (draft 2020-12) writer: what a write schema or a read shape accepts or
/// produces, as a document clients and API tools read. Built-in field types are described
/// from their rules; a user's own field type (a json_convertible one) is described by its
/// json_schema_tag overload when it has one, else as `{}` (any JSON value).

#include <rampart/validation/concepts.hpp>
#include <rampart/validation/rules.hpp>

#include <boost/json/object.hpp>

#include <concepts>

namespace rampart::validation {

/** The tag of the JSON Schema customisation point of a user's field type `T`.

    Declare, in `T`'s namespace (found by argument-dependent lookup, as Boost.JSON's own
    `tag_invoke` overloads are):

    @code
    boost::json::object tag_invoke(rampart::validation::json_schema_tag<T>);
    @endcode
*/
template <class T>
struct json_schema_tag {};

/// Whether `T` describes its own JSON Schema through json_schema_tag.
template <class T>
concept has_json_schema = requires {
    { tag_invoke(json_schema_tag<T>{}) } -> std::convertible_to<boost::json::object>;
};

/// The draft 2020-12 JSON Schema document of a write schema (or a read shape): its
/// `json_schema_object()` with `$schema` first.
template <class S>
boost::json::object json_schema(const S& s);

namespace detail {

/// The schema of one non-null value of type `B` with rules `r` (`extra` is the item definition
/// of an array, the schema of a nested object).
template <class B, class Extra>
boost::json::object value_schema(const rules<B>& r, const Extra& extra);

} // namespace detail

} // namespace rampart::validation

#include <rampart/validation/impl/json_schema.hpp>

#endif
