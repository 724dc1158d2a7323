#ifndef RAMPART_VALIDATION_FIELD_HPP
#define RAMPART_VALIDATION_FIELD_HPP

/// The field DSL: `field(&T::m, "m")` and `item<U>()` with their rules, messages and
/// validators. A schema (schema.hpp) is a list of these. The rule records are in rules.hpp,
/// the default messages in messages.hpp, the type requirements in concepts.hpp and the JSON
/// Schema writer in json_schema.hpp; this header includes them all.

#include <rampart/errors/field_errors.hpp>
#include <rampart/validation/concepts.hpp>
#include <rampart/validation/decimal.hpp>
#include <rampart/validation/detail/field_traits.hpp>
#include <rampart/validation/document.hpp>
#include <rampart/validation/json_schema.hpp>
#include <rampart/validation/messages.hpp>
#include <rampart/validation/rules.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rampart::validation {

/// The key object validators use for errors that belong to no single field.
inline constexpr std::string_view non_field_errors = "non_field_errors";

template <class Owner, class V, class Extra, class... Checks>
class def;

namespace detail {

/// The item definition an array field uses when none is given.
template <class U>
struct default_extra {
    using type = no_extra;
};
template <class U, class A>
struct default_extra<std::vector<U, A>> {
    using type = def<void, U, typename default_extra<U>::type>;
};
template <class U>
struct default_extra<std::optional<U>> {
    using type = typename default_extra<U>::type;
};

/// Compiles a pattern() for RE2 (UTF-8, no logging).
/// Throws: std::invalid_argument when RE2 refuses it (a programming error).
std::shared_ptr<const re2::RE2> compile_pattern(const std::string& regex);

} // namespace detail

/** One value's declaration: its type, rules, messages and validators.

    `Owner` is the struct a field belongs to (void for an array item), `V` the C++ type,
    `Extra` the item definition of an array or the schema of a nested object, and `Checks` the
    validators added with `.validate(f)`. Everything is a template parameter, so validating runs
    no virtual call and no std::function: the compiler sees each rule.

    Builders take `&&` and return the definition, so declarations chain:
    `field(&order::quantity, "quantity").min(1).max(100)`.
*/
template <class Owner, class V, class Extra, class... Checks>
class def {
public:
    using value_type = V;
    using base_type = typename detail::optional_traits<V>::type;
    using owner_type = Owner;
    static constexpr bool nullable = detail::optional_traits<V>::is_optional;
    static constexpr bool is_field = !std::is_void_v<Owner>;
    using member_owner = std::conditional_t<is_field, Owner, detail::no_owner>;
    static constexpr bool has_async =
        (detail::is_awaitable<std::invoke_result_t<const Checks&, const base_type&>>::value || ...);

    def() requires(!is_field) = default;
    explicit def(std::string name, Extra extra = {},
                 std::tuple<Checks...> checks = {}) requires(!is_field)
        : name_(std::move(name)), extra_(std::move(extra)), checks_(std::move(checks)) {}

    def(V member_owner::*member, std::string name, Extra extra = {},
        std::tuple<Checks...> checks = {}) requires is_field : member_(member),
                                                               name_(std::move(name)),
                                                               extra_(std::move(extra)),
                                                               checks_(std::move(checks)) {}

    /// The JSON name.
    const std::string& name() const noexcept { return name_; }
    bool required() const noexcept { return presence_ == presence::required; }

    // ---- presence ---------------------------------------------------------------------------

    /// The field may be absent; the struct's own default member value is then kept.
    def&& optional() && {
        presence_ = presence::optional;
        return std::move(*this);
    }
    /// The field may be absent, and then takes `value`.
    def&& default_value(V value) && {
        presence_ = presence::defaulted;
        default_ = std::move(value);
        return std::move(*this);
    }

    // ---- messages of the type checks (defaults in messages.hpp) --------------------------------

    /// Replaces "This field is required.".
    def&& required_message(std::string m) && {
        required_message_ = std::move(m);
        return std::move(*this);
    }
    /// Replaces "This field may not be null.".
    def&& null_message(std::string m) && {
        null_message_ = std::move(m);
        return std::move(*this);
    }
    /// Replaces the wrong-JSON-type message ("A valid integer is required.", ...), and the
    /// "Invalid value." of a user's type whose conversion failed.
    def&& type_message(std::string m) && {
        type_message_ = std::move(m);
        return std::move(*this);
    }

    // ---- numbers -----------------------------------------------------------------------------

    /// Smallest accepted value (inclusive). Code `min_value`.
    /// Throws: std::invalid_argument when the field's type cannot hold `bound` (a programming
    /// error, seen when the schema is built).
    template <class B>
        def&& min(const B& bound, std::string message = {}) && requires detail::number<base_type> {
        rules_.min =
            detail::bound_rule<base_type>{detail::to_bound<base_type>(bound), std::move(message)};
        return std::move(*this);
    }
    /// Largest accepted value (inclusive). Code `max_value`.
    /// Throws: std::invalid_argument as min() does.
    template <class B>
        def&& max(const B& bound, std::string message = {}) && requires detail::number<base_type> {
        rules_.max =
            detail::bound_rule<base_type>{detail::to_bound<base_type>(bound), std::move(message)};
        return std::move(*this);
    }
    /// Decimal: at most `n` places, and the value is stored with exactly `n`.
    /// Code `max_decimal_places`.
    /// Throws: std::invalid_argument when `n` is over 18 (a programming error).
    def&& places(std::size_t n, std::string message = {}) && requires
        std::same_as<base_type, decimal> {
        if (n > decimal::max_scale)
            throw std::invalid_argument("rampart::validation: at most 18 decimal places");
        rules_.places = detail::count_rule{n, std::move(message)};
        return std::move(*this);
    }
    /// Decimal: at most `n` significant digits in all. Code `max_digits`.
    def&& max_digits(std::size_t n, std::string message = {}) && requires
        std::same_as<base_type, decimal> {
        rules_.max_digits = detail::count_rule{n, std::move(message)};
        return std::move(*this);
    }

    /// Only these values are accepted. Code `choice`.
    /// Throws: std::invalid_argument as min() does, for a number choice the type cannot hold.
    template <class C>
        def&& one_of(std::initializer_list<C> choices, std::string message = {}) &&
        requires(detail::number<base_type> || std::same_as<base_type, std::string>) {
        rules_.choices.clear();
        for (const auto& c : choices) {
            if constexpr (std::same_as<base_type, std::string>)
                rules_.choices.emplace_back(c);
            else
                rules_.choices.push_back(detail::to_bound<base_type>(c));
        }
        rules_.choice_message = std::move(message);
        return std::move(*this);
    }

    // ---- strings -----------------------------------------------------------------------------

    /// Fewest code points (not bytes). Code `min_length`.
    def&& min_length(std::size_t n, std::string message = {}) && requires
        std::same_as<base_type, std::string> {
        rules_.min_length = detail::count_rule{n, std::move(message)};
        return std::move(*this);
    }
    /// Most code points (not bytes). Code `max_length`.
    def&& max_length(std::size_t n, std::string message = {}) && requires
        std::same_as<base_type, std::string> {
        rules_.max_length = detail::count_rule{n, std::move(message)};
        return std::move(*this);
    }
    /// Refuses an empty or all-white-space string. Code `blank`. When blank, no other rule of
    /// the field runs.
    def&& not_blank(std::string message = {}) && requires std::same_as<base_type, std::string> {
        rules_.allow_blank = false;
        rules_.blank_message = std::move(message);
        return std::move(*this);
    }
    /// Stores the string without leading and trailing white space (rules see the trimmed text).
    def&& trim() && requires std::same_as<base_type, std::string> {
        rules_.trim = true;
        return std::move(*this);
    }
    /** A regular expression (RE2 syntax, UTF-8) the string must contain a match of: search
        semantics, as JSON Schema's `pattern`, so anchor with `^...$` to match the whole value.
        Code `pattern`.

        RE2 matches in time linear in the input and without recursion, so a pattern is safe on
        untrusted input of any length (no input cap). The pattern is compiled here, once.
        RE2 has no backreferences or look-around.

        Throws: std::invalid_argument when RE2 cannot compile `regex` (a programming error,
        seen when the schema is built).
    */
    def&& pattern(std::string regex, std::string message = {}) && requires
        std::same_as<base_type, std::string> {
        auto compiled = detail::compile_pattern(regex);
        rules_.pattern = typename rules<std::string>::pattern_rule{
            std::move(regex), std::move(compiled), std::move(message)};
        return std::move(*this);
    }
    /** Accepts U+0000 in the string. By default a string holding a NUL character is refused
        with "Null characters are not allowed." (code `null_characters_not_allowed`), as DRF's
        CharField does: NUL truncates the value in C APIs, logs and some databases, so what is
        stored would not be what was checked. Other control characters are accepted.
    */
    def&& allow_null_characters() && requires std::same_as<base_type, std::string> {
        rules_.allow_null_characters = true;
        return std::move(*this);
    }
    /// An e-mail address (see detail::is_email for exactly what passes). Code `email`.
    def&& email(std::string message = {}) && requires std::same_as<base_type, std::string> {
        rules_.format = rules<std::string>::format_kind::email;
        rules_.format_message = std::move(message);
        return std::move(*this);
    }
    /// An absolute http(s) URL (see detail::is_url). Code `url`.
    def&& url(std::string message = {}) && requires std::same_as<base_type, std::string> {
        rules_.format = rules<std::string>::format_kind::url;
        rules_.format_message = std::move(message);
        return std::move(*this);
    }

    // ---- arrays ------------------------------------------------------------------------------

    /// Fewest items. Code `min_items`.
    def&& min_items(std::size_t n, std::string message = {}) && requires
        detail::vector_traits<base_type>::is_vector {
        rules_.min_items = detail::count_rule{n, std::move(message)};
        return std::move(*this);
    }
    /// Most items. Code `max_items`. A longer array is refused without looking at its items.
    def&& max_items(std::size_t n, std::string message = {}) && requires
        detail::vector_traits<base_type>::is_vector {
        rules_.max_items = detail::count_rule{n, std::move(message)};
        return std::move(*this);
    }
    /// The rules for each item: an `item<U>()` definition, or a schema of `U` for objects.
    template <class ItemDef>
        auto each(ItemDef item_def) && requires detail::vector_traits<base_type>::is_vector &&
        (item_of<ItemDef, typename detail::vector_traits<base_type>::item> ||
         schema_for<ItemDef, typename detail::vector_traits<base_type>::item>);

    // ---- validators --------------------------------------------------------------------------

    /** Adds a validator: `check_result(const T&)` or
        `asio::awaitable<check_result>(const T&)` when it needs I/O. It runs only when the value
        passed the type check and every rule, and never on null. A message it returns is added
        with code `invalid`; return coded_check_result (std::optional<error_detail>) instead to
        choose the code. Asynchronous validators run after all fields are bound, and only
        through validate_async / read.
    */
    template <class F>
    auto validate(F check) &&;

    /** Adds an asynchronous validator, `asio::awaitable<check_result>(const T&)` (or of
        coded_check_result): a field rule that needs I/O. Same as validate(), with the promise
        checked at compile time. It runs through validate_async / read, after every field is
        bound, for this field only when its type check, rules and synchronous validators passed,
        and whether or not other fields failed; its error joins the other field errors.
    */
    template <class F>
    auto validate_async(F check) &&;

    /** The value must name an existing object (DRF's PrimaryKeyRelatedField):
        `lookup` is `asio::awaitable<bool>(const T&)`, true when the object exists; when it
        answers false the field gets `message` with code `code`. In `message`, `{value}` stands
        for the value of an integer field. Runs as validate_async() does.

        Throws: std::invalid_argument when `message` holds `{value}` on a string field (a
        programming error: the client's text is not echoed in messages).
    */
    template <class Lookup>
        auto exists(Lookup lookup,
                    std::string message = "Invalid pk \"{value}\" - object does not exist.",
                    std::string code = "does_not_exist") &&
        requires(detail::integer<base_type> || std::same_as<base_type, std::string>);

    // ---- binding (used by schemas) -------------------------------------------------------------

    /// Converts and checks `jv` into `out`, adding failures to `errors[key]`. Runs the
    /// synchronous validators; returns whether everything passed.
    bool bind(const boost::json::value& jv, V& out, field_errors& errors, std::string_view key,
              const bind_context& bc) const;

    /// Runs the asynchronous validators on a value that bound successfully.
    boost::asio::awaitable<void> run_async(const V& value, field_errors& errors,
                                           std::string_view key) const;

    /// Binds this field of `obj` into `out` (fields only).
    bool bind_field(const boost::json::object& obj, member_owner& out, field_errors& errors,
                    const bind_context& bc) const requires is_field {
        auto it = obj.find(name_);
        if (it != obj.end())
            return bind(it->value(), out.*member_, errors, name_, bc);
        return bind_absent(out, errors);
    }

    V& member_of(member_owner& o) const requires is_field { return o.*member_; }
    const V& member_of(const member_owner& o) const requires is_field { return o.*member_; }

    /// This value's JSON Schema (draft 2020-12).
    boost::json::object json_schema() const;

private:
    template <class, class, class, class...>
    friend class def;

    using presence = detail::presence;
    using member_type = V member_owner::*;

    template <class OldExtra, class... OldChecks>
    def(def<Owner, V, OldExtra, OldChecks...>&& other, Extra extra, std::tuple<Checks...> checks);

    bool bind_absent(member_owner& out, field_errors& errors) const;

    template <std::size_t I>
    boost::asio::awaitable<void> run_async_from(const base_type& value, field_errors& errors,
                                                std::string_view key) const;

    member_type member_{};
    std::string name_;
    presence presence_ = presence::required;
    std::optional<V> default_;
    std::string required_message_;
    std::string null_message_;
    std::string type_message_;
    rules<base_type> rules_;
    // Not [[no_unique_address]]: with it, clang 16 emits a negative `.zero` for some
    // constant-initialized schemas ("invalid number of bytes", doc_validation_types.cpp).
    Extra extra_;
    [[no_unique_address]] std::tuple<Checks...> checks_;
};

/// Declares a field of struct `T`: its member and JSON name. Chain rules onto it.
/// `M` must be a field_value (a struct member needs the overload with its schema).
template <class T, class M>
requires field_value<M>
auto field(M T::*member, std::string name) {
    return def<T, M, typename detail::default_extra<M>::type>(member, std::move(name));
}

/// Declares a field holding a nested object (or an optional one), with the nested schema.
template <class T, class M, class Schema>
requires schema_for<Schema, typename detail::optional_traits<M>::type>
auto field(M T::*member, std::string name, Schema nested) {
    return def<T, M, Schema>(member, std::move(name), std::move(nested));
}

/// Declares the rules of an array's items: `field(&T::tags, "tags").each(item<std::string>()
/// .max_length(20))`.
template <class U>
requires field_value<U>
auto item() {
    return def<void, U, typename detail::default_extra<U>::type>();
}

} // namespace rampart::validation

#include <rampart/validation/impl/field.hpp>

#endif
