#ifndef RAMPART_VALIDATION_SHAPE_HPP
#define RAMPART_VALIDATION_SHAPE_HPP

#include <rampart/validation/decimal.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::validation {

template <class T, class... Outs>
class shape_def;

namespace detail {

template <class S>
struct is_shape : std::false_type {};
template <class T, class... Outs>
struct is_shape<shape_def<T, Outs...>> : std::true_type {};

/// No nested shape: the value renders by its type.
struct plain {};

template <class V>
struct render_traits {
    static constexpr int kind = 0;
};

/// `2026-11-27T14:55:07Z`: RFC 3339, UTC, whole seconds.
inline std::string rfc3339(std::chrono::system_clock::time_point tp) {
    using namespace std::chrono;
    auto secs = floor<seconds>(tp);
    auto days = floor<std::chrono::days>(secs);
    year_month_day ymd{days};
    hh_mm_ss<seconds> hms{secs - days};
    char buf[32];
    int y = static_cast<int>(ymd.year());
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

template <class V, class Nested>
boost::json::value render_value(const V& v, const Nested& nested) {
    if constexpr (is_shape<Nested>::value && requires { nested.render(v); }) {
        return nested.render(v);
    } else if constexpr (requires {
                             typename V::value_type;
                             v.has_value();
                             *v;
                         } &&
                         !std::is_same_v<V, std::string>) { // std::optional
        if (!v)
            return nullptr;
        return render_value(*v, nested);
    } else if constexpr (std::same_as<V, std::string> || std::same_as<V, std::string_view> ||
                         std::same_as<std::decay_t<V>, const char*>) {
        return boost::json::value(boost::json::string_view(std::string_view(v)));
    } else if constexpr (std::same_as<V, bool>) {
        return v;
    } else if constexpr (std::integral<V> || std::floating_point<V>) {
        return boost::json::value(v);
    } else if constexpr (std::same_as<V, decimal>) {
        return boost::json::value(v.to_string());
    } else if constexpr (std::same_as<V, std::chrono::system_clock::time_point>) {
        return boost::json::value(rfc3339(v));
    } else if constexpr (std::same_as<V, boost::json::value>) {
        return v;
    } else if constexpr (requires {
                             v.begin();
                             v.end();
                         }) {
        boost::json::array a;
        for (const auto& item : v)
            a.push_back(render_value(item, nested));
        return a;
    } else {
        static_assert(is_shape<Nested>::value,
                      "out(): a struct value needs its shape: out(\"name\", getter, shape)");
        return nullptr;
    }
}

template <class V, class Nested>
boost::json::object schema_of(const Nested& nested) {
    namespace json = boost::json;
    if constexpr (is_shape<Nested>::value && requires(const V& v) { nested.render(v); }) {
        return nested.json_schema_object();
    } else if constexpr (requires(const V& v) {
                             typename V::value_type;
                             v.has_value();
                             *v;
                         } &&
                         !std::is_same_v<V, std::string>) {
        json::object inner = schema_of<typename V::value_type>(nested);
        if (auto it = inner.find("type"); it != inner.end() && it->value().is_string()) {
            it->value() = json::array{it->value(), "null"};
            return inner;
        }
        return json::object{
            {"anyOf", json::array{std::move(inner), json::object{{"type", "null"}}}}};
    } else if constexpr (std::same_as<V, std::string> || std::same_as<V, std::string_view> ||
                         std::same_as<std::decay_t<V>, const char*>) {
        return {{"type", "string"}};
    } else if constexpr (std::same_as<V, bool>) {
        return {{"type", "boolean"}};
    } else if constexpr (std::integral<V>) {
        return {{"type", "integer"}};
    } else if constexpr (std::floating_point<V>) {
        return {{"type", "number"}};
    } else if constexpr (std::same_as<V, decimal>) {
        return {{"type", "string"}, {"pattern", "^-?[0-9]+(\\.[0-9]+)?$"}};
    } else if constexpr (std::same_as<V, std::chrono::system_clock::time_point>) {
        return {{"type", "string"}, {"format", "date-time"}};
    } else if constexpr (std::same_as<V, boost::json::value>) {
        return {};
    } else {
        using item = std::remove_cvref_t<decltype(*std::declval<const V&>().begin())>;
        return {{"type", "array"}, {"items", schema_of<item>(nested)}};
    }
}

} // namespace detail

/// One output member of a read shape: a JSON name and how to get its value from `T`.
template <class Getter, class Nested>
struct out_def {
    std::string name;
    Getter get;
    [[no_unique_address]] Nested nested;
};

/** An output member. `getter` is a data member pointer (`&product::name`) or a callable
    `(const T&) -> value` for computed members (`[](const product& p) { return p.stock > 0; }`).
    Values render by type: integers, floating point, bool, strings, rampart::decimal (a string
    with its fixed places), `system_clock::time_point` (RFC 3339 UTC), std::optional (null when
    empty), ranges (arrays), boost::json::value as is; a struct needs its shape as `nested`.
*/
template <class Getter>
auto out(std::string name, Getter getter) {
    return out_def<Getter, detail::plain>{std::move(name), std::move(getter), {}};
}
template <class Getter, class Nested>
auto out(std::string name, Getter getter, Nested nested) {
    static_assert(detail::is_shape<Nested>::value, "out(): the third argument is a shape");
    return out_def<Getter, Nested>{std::move(name), std::move(getter), std::move(nested)};
}

/** A read shape: how a `T` renders as a JSON object, member by member.

    Declared apart from the write schema, so a field the client may send never leaks into a
    response because it was declared for input, and an output-only member (an id, a computed
    flag) can never be written by a client.
*/
template <class T, class... Outs>
class shape_def {
public:
    using value_type = T;

    explicit shape_def(Outs... outs) : outs_(std::move(outs)...) {}

    /// `T` as a JSON object with exactly the declared members, in order.
    boost::json::object render(const T& value) const {
        boost::json::object o;
        o.reserve(sizeof...(Outs));
        std::apply(
            [&](const auto&... m) {
                ((o[m.name] = detail::render_value(std::invoke(m.get, value), m.nested)), ...);
            },
            outs_);
        return o;
    }

    /// Each element of a range rendered, as an array.
    template <class Range>
    boost::json::array render_list(const Range& values) const {
        boost::json::array a;
        for (const auto& v : values)
            a.push_back(render(v));
        return a;
    }

    /// The draft 2020-12 JSON Schema of the rendered object, without `$schema`.
    boost::json::object json_schema_object() const {
        boost::json::object properties;
        boost::json::array required;
        std::apply(
            [&](const auto&... m) {
                ((properties[m.name] = detail::schema_of<
                      std::remove_cvref_t<std::invoke_result_t<decltype(m.get), const T&>>>(
                      m.nested),
                  required.push_back(boost::json::value(m.name))),
                 ...);
            },
            outs_);
        return {{"type", "object"},
                {"properties", std::move(properties)},
                {"required", std::move(required)},
                {"additionalProperties", false}};
    }

private:
    std::tuple<Outs...> outs_;
};

/// A read shape of `T`: `shape<product>(out("id", &product::id), ...)`.
template <class T, class... Outs>
shape_def<T, Outs...> shape(Outs... outs) {
    return shape_def<T, Outs...>(std::move(outs)...);
}

/// A shape tied to an API version name (as the router writes it: `"v1"`).
template <class Shape>
struct version_def {
    std::string name;
    Shape shape;
};

/// `version("v1", product_v1)`: see versions().
template <class Shape>
version_def<Shape> version(std::string name, Shape s) {
    static_assert(detail::is_shape<Shape>::value, "version(): the second argument is a shape");
    return {std::move(name), std::move(s)};
}

/** The shapes of one type across API versions; render picks by the request's version.

    @code
    auto product_out = versions(version("v1", product_v1), version("v2", product_v2));
    co_return json_response(http::status::ok, product_out.render(ctx.version(), p));
    @endcode
*/
template <class... Vs>
class versioned_shape {
public:
    explicit versioned_shape(Vs... vs) : versions_(std::move(vs)...) {}

    /// Whether a shape is declared for `version`.
    bool has(std::string_view version) const noexcept {
        return std::apply([&](const auto&... v) { return ((v.name == version) || ...); },
                          versions_);
    }

    /// `value` in the shape of `version`. An undeclared version is a programming error (the
    /// router only routes declared versions): it throws std::out_of_range, which renders as a
    /// 500 without its text.
    template <class T>
    boost::json::object render(std::string_view version, const T& value) const {
        boost::json::object out;
        bool found = false;
        std::apply(
            [&](const auto&... v) {
                ((!found && v.name == version ? (out = v.shape.render(value), found = true)
                                              : false),
                 ...);
            },
            versions_);
        if (!found)
            throw std::out_of_range("rampart: no read shape for API version " +
                                    std::string(version.substr(0, 32)));
        return out;
    }

    template <class Range>
    boost::json::array render_list(std::string_view version, const Range& values) const {
        boost::json::array a;
        for (const auto& v : values)
            a.push_back(render(version, v));
        return a;
    }

    /// `{"v1": <schema>, "v2": <schema>}`, each a complete draft 2020-12 document.
    boost::json::object json_schemas() const {
        boost::json::object out;
        std::apply(
            [&](const auto&... v) {
                ((out[v.name] = with_dialect(v.shape.json_schema_object())), ...);
            },
            versions_);
        return out;
    }

private:
    static boost::json::object with_dialect(boost::json::object s) {
        boost::json::object out;
        out["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        for (auto& kv : s)
            out[kv.key()] = std::move(kv.value());
        return out;
    }

    std::tuple<Vs...> versions_;
};

/// Groups the shapes of one type by API version.
template <class... Vs>
versioned_shape<Vs...> versions(Vs... vs) {
    return versioned_shape<Vs...>(std::move(vs)...);
}

} // namespace rampart::validation

#endif
