#ifndef RAMPART_VALIDATION_SCHEMA_HPP
#define RAMPART_VALIDATION_SCHEMA_HPP

#include <rampart/errors/http_error.hpp>
#include <rampart/validation/document.hpp>
#include <rampart/validation/field.hpp>
#include <rampart/validation/json_schema.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/mp11/algorithm.hpp>

#include <array>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rampart::validation {

/// What a schema does with keys it does not declare.
enum class unknown_fields {
    /// Skip them (the default, as DRF does): clients may send more than a version reads.
    ignore,
    /// Report each one as a field error with code `unknown_field`.
    reject,
};

namespace detail {

template <class T, class F>
struct object_check_traits {
    using result = std::invoke_result_t<const F&, const T&, field_errors&>;
    static constexpr bool is_async = is_awaitable<result>::value;
    static_assert(std::same_as<result, void> || std::same_as<result, boost::asio::awaitable<void>>,
                  "an object validator is void(const T&, field_errors&) or "
                  "asio::awaitable<void>(const T&, field_errors&)");
};

} // namespace detail

/** A write schema: how a JSON object becomes a `T`, field by field, with every error at once.

    Made by schema<T>(fields...). Validation binds every declared field (all of them, so that
    every failing field is reported together), then, only when all fields passed (as in DRF),
    runs the object validators added with validate_with() in the order they were added. An object
    validator sees the complete `T` and adds errors to fields (`errors.add("quantity", "...")`)
    or to `non_field_errors`.

    A schema is immutable once built and may be shared by any number of concurrent requests.
*/
template <class T, class Fields, class Checks>
class schema_def;

template <class T, class... Fields, class... Checks>
class schema_def<T, std::tuple<Fields...>, std::tuple<Checks...>> {
    static_assert(std::is_default_constructible_v<T>,
                  "a schema fills a default-constructed T; give T a default constructor");

public:
    using value_type = T;

    /// Whether validating needs a coroutine (an asynchronous field or object validator).
    static constexpr bool has_async =
        (Fields::has_async || ...) || (detail::object_check_traits<T, Checks>::is_async || ...);

    explicit schema_def(std::tuple<Fields...> fields, std::tuple<Checks...> checks = {},
                        unknown_fields policy = unknown_fields::ignore,
                        std::string unknown_message = {})
        : fields_(std::move(fields)), checks_(std::move(checks)), policy_(policy),
          unknown_message_(std::move(unknown_message)) {}

    /// Reports keys the schema does not declare as errors (code `unknown_field`): the first 20
    /// of them, each name cut to at most 64 bytes (on a UTF-8 character boundary).
    schema_def&& reject_unknown(std::string message = "Unknown field.") && {
        policy_ = unknown_fields::reject;
        unknown_message_ = std::move(message);
        return std::move(*this);
    }
    schema_def&& ignore_unknown() && {
        policy_ = unknown_fields::ignore;
        return std::move(*this);
    }
    unknown_fields unknown_policy() const noexcept { return policy_; }

    /// Adds an object validator: `void(const T&, field_errors&)`, or
    /// `asio::awaitable<void>(const T&, field_errors&)` when it needs I/O.
    template <class F>
    auto validate_with(F check) && {
        (void)detail::object_check_traits<T, F>{};
        return schema_def<T, std::tuple<Fields...>, std::tuple<Checks..., F>>(
            std::move(fields_), std::tuple_cat(std::move(checks_), std::tuple<F>(std::move(check))),
            policy_, std::move(unknown_message_));
    }

    /// Validates a parsed document into a `T`. Only for schemas without asynchronous
    /// validators (use validate_async for those: calling this one does not compile).
    /// Throws: validation_error (400, the client's) with every field error; whatever a
    /// synchronous validator throws, as is.
    T validate(const document& doc) const { return validate_root(doc.root(), &doc); }
    /// Validates an already-built JSON value (decimals then come from doubles' shortest text).
    /// Throws: as validate(const document&).
    T validate(const boost::json::value& jv) const { return validate_root(jv, nullptr); }

    /// Parses `body` (see parse_json for the limits and errors) and validates it.
    /// Throws: payload_too_large (413) and parse_error (400) from parse_json, then as
    /// validate(): all the client's errors, except what a validator throws.
    T parse(std::string_view body, const parse_limits& limits = {}) const {
        return validate(parse_json(body, limits));
    }

    /// Validates, running asynchronous validators too. Asynchronous field validators run after
    /// every field is bound, one at a time (never concurrently), in the order the fields are
    /// declared and, within a field, the order they were added; each runs for its field when
    /// that field passed, even when other fields failed, so one answer holds every field error.
    /// Object validators then run, in order, only when no field failed.
    /// Throws: validation_error (400, the client's) with every error found; an exception a
    /// validator throws (a database outage, a bug) propagates as is, and no later validator
    /// runs.
    boost::asio::awaitable<T> validate_async(const document& doc) const {
        return validate_root_async(doc.root(), &doc);
    }
    boost::asio::awaitable<T> validate_async(const boost::json::value& jv) const {
        return validate_root_async(jv, nullptr);
    }

private:
    T validate_root(const boost::json::value& root, const document* doc) const {
        static_assert(!has_async, "this schema has asynchronous validators: co_await "
                                  "validate_async() (or rampart::validation::read)");
        T out{};
        field_errors errors;
        std::array<bool, sizeof...(Fields)> passed{};
        bind_root(root, doc, out, errors, passed);
        if (errors.empty())
            run_sync_checks(out, errors);
        if (!errors.empty())
            throw validation_error(std::move(errors));
        return out;
    }

    boost::asio::awaitable<T> validate_root_async(const boost::json::value& root,
                                                  const document* doc) const {
        T out{};
        field_errors errors;
        std::array<bool, sizeof...(Fields)> passed{};
        bind_root(root, doc, out, errors, passed);
        if constexpr ((Fields::has_async || ...))
            co_await run_field_async<0>(out, errors, passed);
        if (errors.empty())
            co_await run_checks<0>(out, errors);
        if (!errors.empty())
            throw validation_error(std::move(errors));
        co_return out;
    }

public:
    /// Binds the fields of `obj` into `out` and, when they all pass, runs the synchronous object
    /// validators. Used for nested objects; errors go to `errors`.
    void bind_object(const boost::json::object& obj, T& out, field_errors& errors,
                     const bind_context& bc) const {
        static_assert(!has_async, "a nested schema cannot have asynchronous validators; attach "
                                  "them to the outermost schema");
        std::array<bool, sizeof...(Fields)> passed{};
        bind_fields(obj, out, errors, bc, passed);
        if (errors.empty())
            run_sync_checks(out, errors);
    }

    /// The draft 2020-12 JSON Schema of the object, without `$schema` (see json_schema()).
    boost::json::object json_schema_object() const {
        boost::json::object s;
        s["type"] = "object";
        boost::json::object properties;
        boost::json::array required;
        std::apply(
            [&](const auto&... f) {
                ((properties[f.name()] = f.json_schema(),
                  f.required() ? (void)required.push_back(boost::json::value(f.name())) : void()),
                 ...);
            },
            fields_);
        s["properties"] = std::move(properties);
        if (!required.empty())
            s["required"] = std::move(required);
        s["additionalProperties"] = policy_ == unknown_fields::ignore;
        return s;
    }

    const std::tuple<Fields...>& fields() const noexcept { return fields_; }

private:
    void bind_root(const boost::json::value& root, const document* doc, T& out,
                   field_errors& errors, std::array<bool, sizeof...(Fields)>& passed) const {
        if (!root.is_object()) {
            errors.add(non_field_errors, "Invalid data. Expected a JSON object.", "invalid_type");
            return;
        }
        bind_fields(root.get_object(), out, errors, bind_context{doc}, passed);
    }

    void bind_fields(const boost::json::object& obj, T& out, field_errors& errors,
                     const bind_context& bc, std::array<bool, sizeof...(Fields)>& passed) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((passed[I] = std::get<I>(fields_).bind_field(obj, out, errors, bc)), ...);
        }
        (std::index_sequence_for<Fields...>{});
        if (policy_ == unknown_fields::reject) {
            // The client's key names come back as error keys: report a bounded number of them,
            // each cut to a bounded length, so the error body cannot be made to mirror a body.
            std::size_t reported = 0;
            for (const auto& kv : obj) {
                std::string_view key(kv.key().data(), kv.key().size());
                bool known = std::apply(
                    [&](const auto&... f) { return ((f.name() == key) || ...); }, fields_);
                if (known)
                    continue;
                if (reported++ == max_unknown_reported)
                    break;
                // Control characters (NUL above all) are not echoed: a reader of the error
                // body that stops at NUL or obeys escapes must see what the others see.
                errors.add(
                    detail::without_controls(detail::utf8_prefix(key, max_unknown_key_bytes)),
                    unknown_message_, "unknown_field");
            }
        }
    }

    void run_sync_checks(const T& out, field_errors& errors) const {
        std::apply(
            [&](const auto&... check) {
                (
                    [&](const auto& c) {
                        if constexpr (!detail::object_check_traits<
                                          T, std::remove_cvref_t<decltype(c)>>::is_async)
                            if (errors.empty()) // each check sees a valid object so far
                                c(out, errors);
                    }(check),
                    ...);
            },
            checks_);
    }

    template <std::size_t I>
    boost::asio::awaitable<void>
    run_field_async(const T& out, field_errors& errors,
                    const std::array<bool, sizeof...(Fields)>& passed) const {
        if constexpr (I < sizeof...(Fields)) {
            const auto& f = std::get<I>(fields_);
            if constexpr (std::remove_cvref_t<decltype(f)>::has_async)
                if (passed[I])
                    co_await f.run_async(f.member_of(out), errors, f.name());
            co_await run_field_async<I + 1>(out, errors, passed);
        }
    }

    template <std::size_t I>
    boost::asio::awaitable<void> run_checks(const T& out, field_errors& errors) const {
        if constexpr (I < sizeof...(Checks)) {
            const auto& c = std::get<I>(checks_);
            if (errors.empty()) {
                if constexpr (detail::object_check_traits<
                                  T, std::remove_cvref_t<decltype(c)>>::is_async)
                    co_await c(out, errors);
                else
                    c(out, errors);
            }
            co_await run_checks<I + 1>(out, errors);
        }
    }

    static constexpr std::size_t max_unknown_reported = 20;
    static constexpr std::size_t max_unknown_key_bytes = 64;

    std::tuple<Fields...> fields_;
    std::tuple<Checks...> checks_;
    unknown_fields policy_ = unknown_fields::ignore;
    std::string unknown_message_ = "Unknown field.";
};

template <class T>
auto described_schema();

namespace detail {
template <class T, class F, class C>
struct is_schema<schema_def<T, F, C>> : std::true_type {};

template <class T, class D>
auto described_field() {
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;
    using base = typename optional_traits<M>::type;
    if constexpr (boost::describe::has_describe_members<base>::value)
        return field(D::pointer, D::name, described_schema<base>());
    else
        return field(D::pointer, D::name);
}
} // namespace detail

/** A schema for `T` from its fields' declarations, in the order given. Each must be a
    field_of<T> (a field of another struct is refused here, at the call).

    @code
    auto order_schema = schema<order_in>(
        field(&order_in::product_id, "product_id").min(1),
        field(&order_in::quantity, "quantity").min(1).max(100));
    @endcode
*/
template <class T, class... Fields>
requires(field_of<Fields, T>&&...) auto schema(Fields... fields) {
    return schema_def<T, std::tuple<Fields...>, std::tuple<>>(
        std::tuple<Fields...>(std::move(fields)...));
}

/** A schema made from a Boost.Describe'd struct: every described member is a required field
    named as the member, with no rules beyond its type; described struct members nest the same
    way. A starting point for internal endpoints and tests; public bodies deserve explicit rules.
*/
template <class T>
auto described_schema() {
    using members = boost::describe::describe_members<T, boost::describe::mod_public>;
    return [&]<class... D>(boost::mp11::mp_list<D...>) {
        return schema<T>(detail::described_field<T, D>()...);
    }(boost::mp11::mp_rename<members, boost::mp11::mp_list>{});
}

} // namespace rampart::validation

#endif
