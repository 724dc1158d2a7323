#ifndef RAMPART_VALIDATION_IMPL_JSON_SCHEMA_HPP
#define RAMPART_VALIDATION_IMPL_JSON_SCHEMA_HPP

#include <rampart/validation/decimal.hpp>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <limits>
#include <string>
#include <vector>

namespace rampart::validation {

template <class S>
boost::json::object json_schema(const S& s) {
    boost::json::object out;
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema";
    for (auto& kv : s.json_schema_object())
        out[kv.key()] = kv.value();
    return out;
}

namespace detail {

/// A decimal bound as a JSON number: exact as a double when it is one, else its text as a
/// double (a JSON Schema consumer reads doubles anyway).
inline boost::json::value decimal_json_number(const decimal& d) {
    if (d.significant_places() == 0)
        return boost::json::value(d.rounded(0).units());
    return boost::json::value(std::stod(d.to_string()));
}

template <class C>
boost::json::array enum_json(const std::vector<C>& choices) {
    boost::json::array e;
    for (const auto& c : choices)
        e.push_back(boost::json::value(c));
    return e;
}

template <class B, class Extra>
boost::json::object value_schema(const rules<B>& r, const Extra& extra) {
    namespace json = boost::json;
    json::object s;
    if constexpr (std::same_as<B, bool>) {
        s["type"] = "boolean";
    } else if constexpr (integer<B> || std::floating_point<B>) {
        s["type"] = integer<B> ? "integer" : "number";
        if constexpr (integer<B>) {
            s["minimum"] = r.min ? r.min->value : std::numeric_limits<B>::min();
            s["maximum"] = r.max ? r.max->value : std::numeric_limits<B>::max();
        } else {
            if (r.min)
                s["minimum"] = r.min->value;
            if (r.max)
                s["maximum"] = r.max->value;
        }
        if (!r.choices.empty())
            s["enum"] = enum_json(r.choices);
    } else if constexpr (std::same_as<B, decimal>) {
        // Accepted as a JSON number or a string of digits; bounds apply to numbers only in
        // JSON Schema, so the string form carries the pattern.
        s["type"] = json::array{"number", "string"};
        s["pattern"] = "^-?[0-9]+(\\.[0-9]+)?$";
        if (r.min)
            s["minimum"] = decimal_json_number(r.min->value);
        if (r.max)
            s["maximum"] = decimal_json_number(r.max->value);
        if (r.places)
            s["multipleOf"] = decimal_json_number(decimal{1, static_cast<int>(r.places->value)});
    } else if constexpr (std::same_as<B, std::string>) {
        s["type"] = "string";
        if (r.min_length)
            s["minLength"] = r.min_length->value;
        else if (!r.allow_blank)
            s["minLength"] = 1;
        if (r.max_length)
            s["maxLength"] = r.max_length->value;
        if (r.pattern)
            s["pattern"] = r.pattern->source;
        else if (!r.allow_blank)
            s["pattern"] = "\\S";
        if (r.format == rules<std::string>::format_kind::email)
            s["format"] = "email";
        if (r.format == rules<std::string>::format_kind::url)
            s["format"] = "uri";
        if (!r.choices.empty())
            s["enum"] = enum_json(r.choices);
    } else if constexpr (vector_traits<B>::is_vector) {
        s["type"] = "array";
        s["items"] = extra.json_schema();
        if (r.min_items)
            s["minItems"] = r.min_items->value;
        if (r.max_items)
            s["maxItems"] = r.max_items->value;
    } else if constexpr (is_schema<Extra>::value) {
        s = extra.json_schema_object();
    } else if constexpr (has_json_schema<B>) {
        s = tag_invoke(json_schema_tag<B>{});
    }
    // Otherwise a user's type without json_schema_tag: `{}`, any JSON value.
    return s;
}

} // namespace detail
} // namespace rampart::validation

#endif
