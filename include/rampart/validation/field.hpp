#ifndef RAMPART_VALIDATION_FIELD_HPP
#define RAMPART_VALIDATION_FIELD_HPP

#include <rampart/errors/field_errors.hpp>
#include <rampart/validation/decimal.hpp>
#include <rampart/validation/detail/text.hpp>
#include <rampart/validation/document.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart::validation {

/// The key object validators use for errors that belong to no single field.
inline constexpr std::string_view non_field_errors = "non_field_errors";

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

/// Whether `F` is a coroutine validator (returns an asio::awaitable).
template <class R>
struct is_awaitable : std::false_type {};
template <class R>
struct is_awaitable<boost::asio::awaitable<R>> : std::true_type {};

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

template <class N>
boost::json::value number_json(const N& n) {
    if constexpr (std::same_as<N, decimal>)
        return boost::json::value(n.to_string());
    else
        return boost::json::value(n);
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

template <class N>
struct bound_rule {
    N value;
    std::string message;
};

struct count_rule {
    std::size_t value;
    std::string message;
};

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

} // namespace detail

/// Rules a field of type `B` can carry; the DSL fills them in.
template <class B>
struct rules {};

/// Integer, floating-point and decimal rules.
template <detail::number B>
struct rules<B> {
    std::optional<detail::bound_rule<B>> min, max;
    std::vector<B> choices;
    std::string choice_message;
    std::optional<detail::count_rule> places;     // decimal only
    std::optional<detail::count_rule> max_digits; // decimal only
};

/// String rules.
template <>
struct rules<std::string> {
    enum class format_kind { none, email, url };
    bool trim = false;
    bool allow_blank = true;
    std::string blank_message;
    std::optional<detail::count_rule> min_length, max_length;
    std::vector<std::string> choices;
    std::string choice_message;
    format_kind format = format_kind::none;
    std::string format_message;
    bool allow_null_characters = false;
    struct pattern_rule {
        std::string source;
        /// Compiled once; RE2 matching is const and thread-safe, so all requests share it.
        std::shared_ptr<const re2::RE2> regex;
        std::string message;
    };
    std::optional<pattern_rule> pattern;
};

/// Array rules.
template <class U, class A>
struct rules<std::vector<U, A>> {
    std::optional<detail::count_rule> min_items, max_items;
};

/// What binding needs besides the value: the document, for numbers' original text.
struct bind_context {
    const document* doc = nullptr;
};

template <class Owner, class V, class Extra, class... Checks>
class def;

namespace detail {

struct no_owner {};

/// The item definition an array field uses when none is given.
/// The Extra of a definition that needs none.
struct no_extra {};

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

template <class T>
struct is_schema : std::false_type {};

struct rebuild_tag {};

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
enum class presence { required, optional, defaulted };

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

    // ---- messages of the type checks ---------------------------------------------------------

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
    /// Replaces the wrong-JSON-type message ("A valid integer is required.", ...).
    def&& type_message(std::string m) && {
        type_message_ = std::move(m);
        return std::move(*this);
    }

    // ---- numbers -----------------------------------------------------------------------------

    /// Smallest accepted value (inclusive). Code `min_value`.
    template <class B>
        def&& min(const B& bound, std::string message = {}) && requires detail::number<base_type> {
        rules_.min =
            detail::bound_rule<base_type>{detail::to_bound<base_type>(bound), std::move(message)};
        return std::move(*this);
    }
    /// Largest accepted value (inclusive). Code `max_value`.
    template <class B>
        def&& max(const B& bound, std::string message = {}) && requires detail::number<base_type> {
        rules_.max =
            detail::bound_rule<base_type>{detail::to_bound<base_type>(bound), std::move(message)};
        return std::move(*this);
    }
    /// Decimal: at most `n` places, and the value is stored with exactly `n`.
    /// Code `max_decimal_places`.
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
        re2::RE2::Options options;
        options.set_encoding(re2::RE2::Options::EncodingUTF8);
        options.set_log_errors(false);
        auto compiled = std::make_shared<const re2::RE2>(regex, options);
        if (!compiled->ok())
            throw std::invalid_argument("rampart::validation: invalid pattern \"" + regex +
                                        "\": " + compiled->error());
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
    /// The rules for each item: an `item<U>()` definition, or a schema for objects.
    template <class ItemDef>
        auto each(ItemDef item_def) && requires detail::vector_traits<base_type>::is_vector {
        using U = typename detail::vector_traits<base_type>::item;
        if constexpr (detail::is_schema<ItemDef>::value) {
            using item_t = def<void, U, ItemDef>;
            return rebuild<item_t>(item_t{std::string{}, std::move(item_def)});
        } else {
            static_assert(std::same_as<typename ItemDef::value_type, U>,
                          "each(): the item definition's type must be the array's item type");
            return rebuild<ItemDef>(std::move(item_def));
        }
    }

    // ---- validators --------------------------------------------------------------------------

    /** Adds a validator: `check_result(const T&)` or
        `asio::awaitable<check_result>(const T&)` when it needs I/O. It runs only when the value
        passed the type check and every rule, and never on null. A message it returns is added
        with code `invalid`; return coded_check_result (std::optional<error_detail>) instead to
        choose the code. Asynchronous validators run after all fields are bound, and only
        through validate_async / read.
    */
    template <class F>
    auto validate(F check) && {
        using R = std::invoke_result_t<const F&, const base_type&>;
        static_assert(std::is_convertible_v<R, check_result> ||
                          std::same_as<R, coded_check_result> ||
                          std::same_as<R, boost::asio::awaitable<check_result>> ||
                          std::same_as<R, boost::asio::awaitable<coded_check_result>>,
                      "a field validator returns check_result (std::optional<std::string>) or "
                      "coded_check_result, or an asio::awaitable of one");
        return def<Owner, V, Extra, Checks..., F>(
            std::move(*this), std::tuple_cat(std::move(checks_), std::tuple<F>(std::move(check))));
    }

    /** Adds an asynchronous validator, `asio::awaitable<check_result>(const T&)` (or of
        coded_check_result): a field rule that needs I/O. Same as validate(), with the promise
        checked at compile time. It runs through validate_async / read, after every field is
        bound, for this field only when its type check, rules and synchronous validators passed,
        and whether or not other fields failed; its error joins the other field errors.
    */
    template <class F>
    auto validate_async(F check) && {
        using R = std::invoke_result_t<const F&, const base_type&>;
        static_assert(std::same_as<R, boost::asio::awaitable<check_result>> ||
                          std::same_as<R, boost::asio::awaitable<coded_check_result>>,
                      "validate_async takes asio::awaitable<check_result>(const T&) or "
                      "asio::awaitable<coded_check_result>(const T&)");
        return std::move(*this).validate(std::move(check));
    }

    /** The value must name an existing object (DRF's PrimaryKeyRelatedField):
        `lookup` is `asio::awaitable<bool>(const T&)`, true when the object exists; when it
        answers false the field gets `message` with code `code`. In `message`, `{value}` stands
        for the value of an integer field. Runs as validate_async() does.

        Throws: std::invalid_argument when `message` holds `{value}` on a string field (the
        client's text is not echoed in messages).
    */
    template <class Lookup>
        auto exists(Lookup lookup,
                    std::string message = "Invalid pk \"{value}\" - object does not exist.",
                    std::string code = "does_not_exist") &&
        requires(detail::integer<base_type> || std::same_as<base_type, std::string>) {
        static_assert(std::same_as<std::invoke_result_t<const Lookup&, const base_type&>,
                                   boost::asio::awaitable<bool>>,
                      "exists() takes asio::awaitable<bool>(const T&)");
        if constexpr (std::same_as<base_type, std::string>)
            if (message.find("{value}") != std::string::npos)
                throw std::invalid_argument(
                    "rampart::validation: exists() on a string field cannot echo {value}");
        return std::move(*this).validate(
            detail::exists_check<Lookup>{std::move(lookup), std::move(message), std::move(code)});
    }

    // ---- binding (used by schemas) -------------------------------------------------------------

    /// Converts and checks `jv` into `out`, adding failures to `errors[key]`. Runs the
    /// synchronous validators; returns whether everything passed.
    bool bind(const boost::json::value& jv, V& out, field_errors& errors, std::string_view key,
              const bind_context& bc) const {
        if (jv.is_null()) {
            if constexpr (nullable) {
                out.reset();
                return true;
            } else {
                errors.add(key, pick(null_message_, "This field may not be null."), "null");
                return false;
            }
        }
        base_type* target;
        if constexpr (nullable)
            target = &out.emplace();
        else
            target = &out;
        if (!bind_base(jv, *target, errors, key, bc))
            return false;
        bool ok = true;
        std::apply(
            [&](const auto&... check) {
                (
                    [&](const auto& c) {
                        using R = std::invoke_result_t<decltype(c), const base_type&>;
                        if constexpr (!detail::is_awaitable<R>::value) {
                            if (!detail::report(errors, key, c(*target)))
                                ok = false;
                        }
                    }(check),
                    ...);
            },
            checks_);
        return ok;
    }

    /// Runs the asynchronous validators on a value that bound successfully.
    boost::asio::awaitable<void> run_async(const V& value, field_errors& errors,
                                           std::string_view key) const {
        const base_type* target;
        if constexpr (nullable) {
            if (!value)
                co_return;
            target = &*value;
        } else {
            target = &value;
        }
        co_await run_async_from<0>(*target, errors, key);
    }

    /// Binds this field of `obj` into `out` (fields only).
    bool bind_field(const boost::json::object& obj, member_owner& out, field_errors& errors,
                    const bind_context& bc) const requires is_field {
        auto it = obj.find(name_);
        if (it == obj.end()) {
            switch (presence_) {
            case presence::required:
                errors.add(name_, pick(required_message_, "This field is required."), "required");
                return false;
            case presence::defaulted:
                out.*member_ = *default_;
                return true;
            case presence::optional:
                return true;
            }
        }
        return bind(it->value(), out.*member_, errors, name_, bc);
    }

    V& member_of(member_owner& o) const requires is_field { return o.*member_; }
    const V& member_of(const member_owner& o) const requires is_field { return o.*member_; }

    /// This value's JSON Schema (draft 2020-12).
    boost::json::object json_schema() const {
        boost::json::object s = base_schema();
        if constexpr (nullable) {
            if (auto it = s.find("type"); it != s.end()) {
                boost::json::array types;
                if (it->value().is_array())
                    types = it->value().get_array();
                else
                    types.push_back(it->value());
                types.push_back("null");
                it->value() = std::move(types);
            } else {
                boost::json::object either;
                either["anyOf"] =
                    boost::json::array{std::move(s), boost::json::object{{"type", "null"}}};
                s = std::move(either);
            }
        }
        if (presence_ == presence::defaulted && default_) {
            if constexpr (detail::scalar<base_type>)
                s["default"] = detail::scalar_json(*default_);
        }
        return s;
    }

private:
    template <class, class, class, class...>
    friend class def;

    using presence = detail::presence;

    using member_type = V member_owner::*;

    template <class OldExtra, class... OldChecks>
    def(def<Owner, V, OldExtra, OldChecks...>&& other, std::tuple<Checks...> checks)
        : member_(other.member_), name_(std::move(other.name_)), presence_(other.presence_),
          default_(std::move(other.default_)),
          required_message_(std::move(other.required_message_)),
          null_message_(std::move(other.null_message_)),
          type_message_(std::move(other.type_message_)), rules_(std::move(other.rules_)),
          extra_(std::move(other.extra_)), checks_(std::move(checks)) {}

    template <class NewExtra>
    def<Owner, V, NewExtra, Checks...> rebuild(NewExtra extra) {
        def<Owner, V, NewExtra, Checks...> out(detail::rebuild_tag{}, std::move(extra));
        out.member_ = member_;
        out.name_ = std::move(name_);
        out.presence_ = presence_;
        out.default_ = std::move(default_);
        out.required_message_ = std::move(required_message_);
        out.null_message_ = std::move(null_message_);
        out.type_message_ = std::move(type_message_);
        out.rules_ = std::move(rules_);
        out.checks_ = std::move(checks_);
        return out;
    }

    template <class E>
    def(detail::rebuild_tag, E extra) : extra_(std::move(extra)) {}

    static std::string pick(const std::string& custom, std::string_view fallback) {
        return custom.empty() ? std::string(fallback) : custom;
    }

    template <std::size_t I>
    boost::asio::awaitable<void> run_async_from(const base_type& value, field_errors& errors,
                                                std::string_view key) const {
        if constexpr (I < sizeof...(Checks)) {
            const auto& c = std::get<I>(checks_);
            using R = std::invoke_result_t<decltype(c), const base_type&>;
            if constexpr (detail::is_awaitable<R>::value) {
                detail::report(errors, key, co_await c(value));
            }
            co_await run_async_from<I + 1>(value, errors, key);
        }
    }

    void type_error(field_errors& errors, std::string_view key, std::string_view fallback) const {
        errors.add(key, pick(type_message_, fallback), "invalid_type");
    }

    template <class N>
    bool check_bounds(const N& v, field_errors& errors, std::string_view key) const {
        bool ok = true;
        if (rules_.min && v < rules_.min->value) {
            errors.add(key,
                       pick(rules_.min->message, "Ensure this value is greater than or equal to " +
                                                     detail::number_text(rules_.min->value) + "."),
                       "min_value");
            ok = false;
        }
        if (rules_.max && rules_.max->value < v) {
            errors.add(key,
                       pick(rules_.max->message, "Ensure this value is less than or equal to " +
                                                     detail::number_text(rules_.max->value) + "."),
                       "max_value");
            ok = false;
        }
        if (!rules_.choices.empty()) {
            bool found = false;
            for (const auto& c : rules_.choices)
                if (c == v)
                    found = true;
            if (!found) {
                errors.add(key, pick(rules_.choice_message, choices_text()), "choice");
                ok = false;
            }
        }
        return ok;
    }

    std::string choices_text() const {
        std::string s = "Must be one of: ";
        bool first = true;
        for (const auto& c : rules_.choices) {
            if (!first)
                s += ", ";
            first = false;
            if constexpr (std::same_as<base_type, std::string>)
                s += c;
            else
                s += detail::number_text(c);
        }
        return s + ".";
    }

    /// An integer beyond the target type: the user's own bound message when one is declared.
    bool out_of_range(bool too_big, field_errors& errors, std::string_view key) const {
        if (too_big) {
            std::string fallback =
                "Ensure this value is less than or equal to " +
                detail::number_text(rules_.max ? rules_.max->value
                                               : std::numeric_limits<base_type>::max()) +
                ".";
            errors.add(key, rules_.max ? pick(rules_.max->message, fallback) : fallback,
                       "max_value");
        } else {
            std::string fallback =
                "Ensure this value is greater than or equal to " +
                detail::number_text(rules_.min ? rules_.min->value
                                               : std::numeric_limits<base_type>::min()) +
                ".";
            errors.add(key, rules_.min ? pick(rules_.min->message, fallback) : fallback,
                       "min_value");
        }
        return false;
    }

    bool bind_base(const boost::json::value& jv, base_type& out, field_errors& errors,
                   std::string_view key, const bind_context& bc) const {
        namespace json = boost::json;
        if constexpr (std::same_as<base_type, bool>) {
            if (!jv.is_bool()) {
                type_error(errors, key, "Must be a valid boolean.");
                return false;
            }
            out = jv.get_bool();
            return true;
        } else if constexpr (detail::integer<base_type>) {
            switch (jv.kind()) {
            case json::kind::int64: {
                std::int64_t i = jv.get_int64();
                if (!std::in_range<base_type>(i))
                    return out_of_range(i > 0, errors, key);
                out = static_cast<base_type>(i);
                break;
            }
            case json::kind::uint64: {
                std::uint64_t u = jv.get_uint64();
                if (!std::in_range<base_type>(u))
                    return out_of_range(true, errors, key);
                out = static_cast<base_type>(u);
                break;
            }
            case json::kind::double_: {
                // A number written without fraction or exponent that Boost.JSON could only
                // hold as a double is an integer beyond 64 bits: out of range, not mistyped.
                if (bc.doc) {
                    if (auto text = bc.doc->number_text(jv);
                        text && text->find_first_of(".eE") == std::string_view::npos)
                        return out_of_range(text->front() != '-', errors, key);
                }
                type_error(errors, key, "A valid integer is required.");
                return false;
            }
            default:
                type_error(errors, key, "A valid integer is required.");
                return false;
            }
            return check_bounds(out, errors, key);
        } else if constexpr (std::floating_point<base_type>) {
            double d;
            switch (jv.kind()) {
            case json::kind::int64:
                d = static_cast<double>(jv.get_int64());
                break;
            case json::kind::uint64:
                d = static_cast<double>(jv.get_uint64());
                break;
            case json::kind::double_:
                d = jv.get_double();
                break;
            default:
                type_error(errors, key, "A valid number is required.");
                return false;
            }
            if (!std::isfinite(d) || (std::same_as<base_type, float> &&
                                      std::fabs(d) > std::numeric_limits<float>::max())) {
                type_error(errors, key, "A valid number is required.");
                return false;
            }
            out = static_cast<base_type>(d);
            return check_bounds(out, errors, key);
        } else if constexpr (std::same_as<base_type, decimal>) {
            std::optional<decimal> d;
            if (jv.is_double() && bc.doc) {
                if (auto text = bc.doc->number_text(jv))
                    d = decimal::parse(*text, true);
                else
                    d = decimal::from_json(jv);
            } else if (jv.is_number() || jv.is_string()) {
                d = decimal::from_json(jv);
            } else {
                type_error(errors, key, "A valid number is required.");
                return false;
            }
            if (!d) {
                errors.add(key,
                           pick(type_message_, "A valid number is required (at most 18 digits "
                                               "after the point, and within 64-bit range)."),
                           "invalid");
                return false;
            }
            bool ok = true;
            if (rules_.max_digits &&
                static_cast<std::size_t>(d->digits()) > rules_.max_digits->value) {
                errors.add(key,
                           pick(rules_.max_digits->message,
                                "Ensure that there are no more than " +
                                    std::to_string(rules_.max_digits->value) + " digits in total."),
                           "max_digits");
                ok = false;
            }
            if (rules_.places) {
                auto exact = d->rescaled_exact(static_cast<int>(rules_.places->value));
                if (!exact) {
                    errors.add(key,
                               pick(rules_.places->message,
                                    "Ensure that there are no more than " +
                                        std::to_string(rules_.places->value) + " decimal places."),
                               "max_decimal_places");
                    ok = false;
                } else {
                    d = exact;
                }
            }
            out = *d;
            return check_bounds(out, errors, key) && ok;
        } else if constexpr (std::same_as<base_type, std::string>) {
            if (!jv.is_string()) {
                type_error(errors, key, "Not a valid string.");
                return false;
            }
            const json::string& s = jv.get_string();
            std::string_view text(s.data(), s.size());
            auto length = detail::utf8_length(text);
            if (!length) {
                errors.add(key, pick(type_message_, "Not valid UTF-8."), "invalid");
                return false;
            }
            if (rules_.trim) {
                std::string_view trimmed = detail::trim(text);
                *length -= text.size() - trimmed.size(); // white space is ASCII: one byte each
                text = trimmed;
            }
            if (!rules_.allow_blank && detail::is_blank(text)) {
                errors.add(key, pick(rules_.blank_message, "This field may not be blank."),
                           "blank");
                return false;
            }
            out.assign(text.data(), text.size());
            bool ok = true;
            if (!rules_.allow_null_characters && text.find('\0') != std::string_view::npos) {
                errors.add(key, "Null characters are not allowed.", "null_characters_not_allowed");
                ok = false;
            }
            if (rules_.min_length && *length < rules_.min_length->value) {
                errors.add(key,
                           pick(rules_.min_length->message,
                                "Ensure this field has at least " +
                                    std::to_string(rules_.min_length->value) + " characters."),
                           "min_length");
                ok = false;
            }
            if (rules_.max_length && *length > rules_.max_length->value) {
                errors.add(key,
                           pick(rules_.max_length->message,
                                "Ensure this field has no more than " +
                                    std::to_string(rules_.max_length->value) + " characters."),
                           "max_length");
                ok = false;
            }
            if (!rules_.choices.empty()) {
                bool found = false;
                for (const auto& c : rules_.choices)
                    if (c == text)
                        found = true;
                if (!found) {
                    errors.add(key, pick(rules_.choice_message, choices_text()), "choice");
                    ok = false;
                }
            }
            if (rules_.format == rules<std::string>::format_kind::email &&
                !detail::is_email(text)) {
                errors.add(key, pick(rules_.format_message, "Enter a valid email address."),
                           "email");
                ok = false;
            }
            if (rules_.format == rules<std::string>::format_kind::url && !detail::is_url(text)) {
                errors.add(key, pick(rules_.format_message, "Enter a valid URL."), "url");
                ok = false;
            }
            if (rules_.pattern) {
                const re2::StringPiece input(text.data(), text.size());
                if (!re2::RE2::PartialMatch(input, *rules_.pattern->regex)) {
                    errors.add(key,
                               pick(rules_.pattern->message,
                                    "This value does not match the required pattern."),
                               "pattern");
                    ok = false;
                }
            }
            return ok;
        } else if constexpr (detail::vector_traits<base_type>::is_vector) {
            if (!jv.is_array()) {
                type_error(errors, key, "Expected a list of items.");
                return false;
            }
            const json::array& a = jv.get_array();
            if (rules_.max_items && a.size() > rules_.max_items->value) {
                errors.add(key,
                           pick(rules_.max_items->message,
                                "Ensure this field has no more than " +
                                    std::to_string(rules_.max_items->value) + " items."),
                           "max_items");
                return false;
            }
            bool ok = true;
            if (rules_.min_items && a.size() < rules_.min_items->value) {
                errors.add(key,
                           pick(rules_.min_items->message,
                                "Ensure this field has at least " +
                                    std::to_string(rules_.min_items->value) + " items."),
                           "min_items");
                ok = false;
            }
            out.clear();
            out.resize(a.size());
            field_errors item_errors;
            char index[24];
            for (std::size_t i = 0; i < a.size(); ++i) {
                auto r = std::to_chars(index, index + sizeof index, i);
                extra_.bind(a[i], out[i], item_errors, std::string_view(index, r.ptr), bc);
            }
            if (!item_errors.empty()) {
                errors.merge(key, item_errors);
                ok = false;
            }
            return ok;
        } else {
            static_assert(detail::is_schema<Extra>::value,
                          "a field of a struct type needs its schema: field(&T::m, \"m\", "
                          "schema<M>(...))");
            if (!jv.is_object()) {
                type_error(errors, key, "Expected an object.");
                return false;
            }
            field_errors nested;
            extra_.bind_object(jv.get_object(), out, nested, bc);
            if (!nested.empty()) {
                errors.merge(key, nested);
                return false;
            }
            return true;
        }
    }

    boost::json::object base_schema() const {
        namespace json = boost::json;
        json::object s;
        if constexpr (std::same_as<base_type, bool>) {
            s["type"] = "boolean";
        } else if constexpr (detail::integer<base_type> || std::floating_point<base_type>) {
            s["type"] = detail::integer<base_type> ? "integer" : "number";
            if constexpr (detail::integer<base_type>) {
                base_type lo =
                    rules_.min ? rules_.min->value : std::numeric_limits<base_type>::min();
                base_type hi =
                    rules_.max ? rules_.max->value : std::numeric_limits<base_type>::max();
                s["minimum"] = lo;
                s["maximum"] = hi;
            } else {
                if (rules_.min)
                    s["minimum"] = rules_.min->value;
                if (rules_.max)
                    s["maximum"] = rules_.max->value;
            }
            if (!rules_.choices.empty()) {
                json::array e;
                for (const auto& c : rules_.choices)
                    e.push_back(json::value(c));
                s["enum"] = std::move(e);
            }
        } else if constexpr (std::same_as<base_type, decimal>) {
            // Accepted as a JSON number or a string of digits; bounds apply to numbers only in
            // JSON Schema, so the string form carries the pattern.
            s["type"] = json::array{"number", "string"};
            s["pattern"] = "^-?[0-9]+(\\.[0-9]+)?$";
            if (rules_.min)
                s["minimum"] = decimal_json_number(rules_.min->value);
            if (rules_.max)
                s["maximum"] = decimal_json_number(rules_.max->value);
            if (rules_.places)
                s["multipleOf"] =
                    decimal_json_number(decimal{1, static_cast<int>(rules_.places->value)});
        } else if constexpr (std::same_as<base_type, std::string>) {
            s["type"] = "string";
            if (rules_.min_length)
                s["minLength"] = rules_.min_length->value;
            else if (!rules_.allow_blank)
                s["minLength"] = 1;
            if (rules_.max_length)
                s["maxLength"] = rules_.max_length->value;
            if (rules_.pattern)
                s["pattern"] = rules_.pattern->source;
            else if (!rules_.allow_blank)
                s["pattern"] = "\\S";
            if (rules_.format == rules<std::string>::format_kind::email)
                s["format"] = "email";
            if (rules_.format == rules<std::string>::format_kind::url)
                s["format"] = "uri";
            if (!rules_.choices.empty()) {
                json::array e;
                for (const auto& c : rules_.choices)
                    e.push_back(json::value(c));
                s["enum"] = std::move(e);
            }
        } else if constexpr (detail::vector_traits<base_type>::is_vector) {
            s["type"] = "array";
            s["items"] = extra_.json_schema();
            if (rules_.min_items)
                s["minItems"] = rules_.min_items->value;
            if (rules_.max_items)
                s["maxItems"] = rules_.max_items->value;
        } else {
            s = extra_.json_schema_object();
        }
        return s;
    }

    /// A decimal bound as a JSON number: exact as a double when it is one, else its text as a
    /// double (a JSON Schema consumer reads doubles anyway).
    static boost::json::value decimal_json_number(const decimal& d) {
        if (d.significant_places() == 0)
            return boost::json::value(d.rounded(0).units());
        return boost::json::value(std::stod(d.to_string()));
    }

    member_type member_{};
    std::string name_;
    presence presence_ = presence::required;
    std::optional<V> default_;
    std::string required_message_;
    std::string null_message_;
    std::string type_message_;
    rules<base_type> rules_;
    [[no_unique_address]] Extra extra_;
    [[no_unique_address]] std::tuple<Checks...> checks_;
};

/// Declares a field of struct `T`: its member and JSON name. Chain rules onto it.
template <class T, class M>
auto field(M T::*member, std::string name) {
    return def<T, M, typename detail::default_extra<M>::type>(member, std::move(name));
}

/// Declares a field holding a nested object (or an optional one), with the nested schema.
template <class T, class M, class Schema>
requires detail::is_schema<Schema>::value auto field(M T::*member, std::string name,
                                                     Schema nested) {
    return def<T, M, Schema>(member, std::move(name), std::move(nested));
}

/// Declares the rules of an array's items: `field(&T::tags, "tags").each(item<std::string>()
/// .max_length(20))`.
template <class U>
auto item() {
    return def<void, U, typename detail::default_extra<U>::type>();
}

} // namespace rampart::validation

#endif
