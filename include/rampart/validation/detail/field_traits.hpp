#ifndef RAMPART_VALIDATION_DETAIL_FIELD_TRAITS_HPP
#define RAMPART_VALIDATION_DETAIL_FIELD_TRAITS_HPP

// What the field DSL knows about types: the built-in families, the rule records and the small
// helpers every binder shares. Not for users: the public names are in validation/concepts.hpp.

#include <rampart/errors/field_errors.hpp>
#include <rampart/validation/decimal.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::validation {

/// What a field validator returns: nullopt when the value is fine, else the message.
using check_result = std::optional<std::string>;

/// What a field validator returns when its failures need their own code (`{"Taken.", "unique"}`).
using coded_check_result = std::optional<error_detail>;

namespace detail {

template <class V>
struct optional_traits {
    static constexpr bool is_optional = false;
    using type = V;
};
template <class U>
struct optional_traits<std::optional<U>> {
    static constexpr bool is_optional = true;
    using type = U;
};

template <class V>
struct vector_traits {
    static constexpr bool is_vector = false;
    using item = void; // so each()'s constraint is well-formed for every field (clang 14)
};
template <class U, class A>
struct vector_traits<std::vector<U, A>> {
    static constexpr bool is_vector = true;
    using item = U;
};

template <class V>
concept integer = std::integral<V> && !std::same_as<V, bool>;
template <class V>
concept number = integer<V> || std::floating_point<V> || std::same_as<V, decimal>;
template <class V>
concept scalar = number<V> || std::same_as<V, bool> || std::same_as<V, std::string>;

/// Whether a validator's result is a coroutine (an asio::awaitable).
template <class R>
struct is_awaitable : std::false_type {};
template <class R>
struct is_awaitable<boost::asio::awaitable<R>> : std::true_type {};

/// Whether `T` is a write schema (specialised by schema.hpp).
template <class T>
struct is_schema : std::false_type {};

struct no_owner {};
/// The Extra of a definition that needs none.
struct no_extra {};
struct rebuild_tag {};

enum class presence { required, optional, defaulted };

template <class N>
struct bound_rule {
    N value;
    std::string message;
};

struct count_rule {
    std::size_t value;
    std::string message;
};

/// A number as messages show it.
template <class N>
std::string number_text(const N& n) {
    if constexpr (std::same_as<N, decimal>) {
        return n.to_string();
    } else if constexpr (std::floating_point<N>) {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof buf, n);
        return std::string(buf, r.ptr);
    } else {
        return std::to_string(n);
    }
}

/// Converts a bound written in code (`.min(1)`, `.min("0.01")`) to the field's type, refusing
/// (at schema construction) a bound the type cannot hold.
template <class N, class B>
N to_bound(const B& b) {
    if constexpr (std::same_as<N, decimal>) {
        if constexpr (std::same_as<B, decimal>)
            return b;
        else if constexpr (std::is_integral_v<B>)
            return decimal::from_integer(static_cast<std::int64_t>(b));
        else if constexpr (std::is_floating_point_v<B>)
            static_assert(!std::is_floating_point_v<B>,
                          "write decimal bounds as strings (\"0.01\") or rampart::decimal");
        else
            return decimal::from_string(std::string_view(b));
    } else if constexpr (integer<N>) {
        static_assert(std::is_integral_v<B>, "integer bounds must be integers");
        if (!std::in_range<N>(b))
            throw std::invalid_argument("rampart::validation: bound outside the field's type");
        return static_cast<N>(b);
    } else {
        return static_cast<N>(b);
    }
}

/// The user's message when one was declared, else the catalogue's.
inline std::string pick(const std::string& custom, std::string_view fallback) {
    return custom.empty() ? std::string(fallback) : custom;
}

/// Adds a validator's failure, if any; returns whether it passed.
inline bool report(field_errors& errors, std::string_view key, check_result r) {
    if (!r)
        return true;
    errors.add(key, std::move(*r), "invalid");
    return false;
}
inline bool report(field_errors& errors, std::string_view key, coded_check_result r) {
    if (!r)
        return true;
    errors.add(key, std::move(r->message), std::move(r->code));
    return false;
}

/// The validator exists() adds: awaits the lookup, reports `message` when it answers false.
template <class Lookup>
struct exists_check {
    Lookup lookup;
    std::string message;
    std::string code;

    template <class B>
    boost::asio::awaitable<coded_check_result> operator()(const B& value) const {
        const bool found = co_await lookup(value);
        if (found)
            co_return std::nullopt;
        std::string text = message;
        if constexpr (integer<B>) {
            const std::string shown = std::to_string(value);
            for (auto at = text.find("{value}"); at != std::string::npos;
                 at = text.find("{value}", at + shown.size()))
                text.replace(at, 7, shown);
        }
        co_return error_detail{std::move(text), code};
    }
};

/// A scalar default value as JSON (decimals as their exact text).
template <class V>
boost::json::value scalar_json(const V& v) {
    if constexpr (optional_traits<V>::is_optional) {
        if (!v)
            return nullptr;
        return scalar_json(*v);
    } else if constexpr (std::same_as<V, decimal>) {
        return boost::json::value(v.to_string());
    } else {
        return boost::json::value(v);
    }
}

} // namespace detail
} // namespace rampart::validation

#endif
