#ifndef RAMPART_VALIDATION_CONCEPTS_HPP
#define RAMPART_VALIDATION_CONCEPTS_HPP

/// The named requirements of the field DSL. field(), item(), each() and schema<T>() are
/// constrained with them, so a wrong member type or a field of another struct is reported at
/// the line that declares it; they are public so a user's own templates can say the same.

#include <rampart/validation/detail/field_traits.hpp>

#include <boost/json/value_to.hpp>

#include <concepts>
#include <type_traits>

namespace rampart::validation {

/// One of the built-in value families: bool, an integer, a floating-point type,
/// rampart::decimal or std::string.
template <class T>
concept builtin_value = detail::scalar<T>;

/** A user type a field can hold through Boost.JSON's conversion: a `tag_invoke` overload for
    `boost::json::value_to_tag<T>` (or `try_value_to_tag<T>`) found by argument-dependent
    lookup, or a conversion Boost.JSON provides itself (a described struct or enum, a map,
    ...). Not a built-in value, not std::optional or std::vector (the DSL handles those), and
    default-constructible, since a schema fills a default-constructed struct.
*/
template <class T>
concept json_convertible = !builtin_value<T> && !detail::optional_traits<T>::is_optional &&
                           !detail::vector_traits<T>::is_vector && std::default_initializable<T> &&
                           std::movable<T> && boost::json::has_value_to<T>::value;

/// What a field or an array item may hold without a nested schema: a built-in value, a user's
/// json_convertible type, a std::vector (its items described by each()), or std::optional of
/// any of them (null then binds as nullopt).
template <class T>
concept field_value = builtin_value<typename detail::optional_traits<T>::type> ||
    detail::vector_traits<typename detail::optional_traits<T>::type>::is_vector ||
    json_convertible<typename detail::optional_traits<T>::type>;

/// A write schema: what schema<T>(...) and described_schema<T>() return.
template <class S>
concept write_schema = detail::is_schema<std::remove_cvref_t<S>>::value;

/// A write schema whose result is a `T`.
template <class S, class T>
concept schema_for =
    write_schema<S> && std::same_as<typename std::remove_cvref_t<S>::value_type, T>;

/// A field declaration (field(&T::m, "m") with its rules) of the struct `T`.
template <class F, class T>
concept field_of = requires {
    typename F::owner_type;
    typename F::value_type;
}
&&F::is_field&& std::same_as<typename F::owner_type, T>;

/// An array item declaration (item<U>() with its rules) for items of type `U`.
template <class D, class U>
concept item_of = requires {
    typename D::owner_type;
    typename D::value_type;
}
&&!D::is_field && std::same_as<typename D::value_type, U>;

} // namespace rampart::validation

#endif
