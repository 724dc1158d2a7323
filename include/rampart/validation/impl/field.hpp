#ifndef RAMPART_VALIDATION_IMPL_FIELD_HPP
#define RAMPART_VALIDATION_IMPL_FIELD_HPP

#include <rampart/validation/detail/bind.hpp>

#include <boost/json/array.hpp>

#include <re2/re2.h>

namespace rampart::validation {

namespace detail {

inline std::shared_ptr<const re2::RE2> compile_pattern(const std::string& regex) {
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    options.set_log_errors(false);
    auto compiled = std::make_shared<const re2::RE2>(regex, options);
    if (!compiled->ok())
        throw std::invalid_argument("rampart::validation: invalid pattern \"" + regex +
                                    "\": " + compiled->error());
    return compiled;
}

} // namespace detail

template <class Owner, class V, class Extra, class... Checks>
template <class OldExtra, class... OldChecks>
def<Owner, V, Extra, Checks...>::def(def<Owner, V, OldExtra, OldChecks...>&& other, Extra extra,
                                     std::tuple<Checks...> checks)
    : member_(other.member_), name_(std::move(other.name_)), presence_(other.presence_),
      default_(std::move(other.default_)), required_message_(std::move(other.required_message_)),
      null_message_(std::move(other.null_message_)), type_message_(std::move(other.type_message_)),
      rules_(std::move(other.rules_)), extra_(std::move(extra)), checks_(std::move(checks)) {}

template <class Owner, class V, class Extra, class... Checks>
    template <class ItemDef>
    auto def<Owner, V, Extra, Checks...>::each(ItemDef item_def) && requires
    detail::vector_traits<base_type>::is_vector &&
    (item_of<ItemDef, typename detail::vector_traits<base_type>::item> ||
     schema_for<ItemDef, typename detail::vector_traits<base_type>::item>) {
    using U = typename detail::vector_traits<base_type>::item;
    if constexpr (write_schema<ItemDef>) {
        using item_t = def<void, U, ItemDef>;
        return def<Owner, V, item_t, Checks...>(
            std::move(*this), item_t{std::string{}, std::move(item_def)}, std::move(checks_));
    } else {
        return def<Owner, V, ItemDef, Checks...>(std::move(*this), std::move(item_def),
                                                 std::move(checks_));
    }
}

template <class Owner, class V, class Extra, class... Checks>
template <class F>
auto def<Owner, V, Extra, Checks...>::validate(F check) && {
    using R = std::invoke_result_t<const F&, const base_type&>;
    static_assert(std::is_convertible_v<R, check_result> || std::same_as<R, coded_check_result> ||
                      std::same_as<R, boost::asio::awaitable<check_result>> ||
                      std::same_as<R, boost::asio::awaitable<coded_check_result>>,
                  "a field validator returns check_result (std::optional<std::string>) or "
                  "coded_check_result, or an asio::awaitable of one");
    return def<Owner, V, Extra, Checks..., F>(
        std::move(*this), std::move(extra_),
        std::tuple_cat(std::move(checks_), std::tuple<F>(std::move(check))));
}

template <class Owner, class V, class Extra, class... Checks>
template <class F>
auto def<Owner, V, Extra, Checks...>::validate_async(F check) && {
    using R = std::invoke_result_t<const F&, const base_type&>;
    static_assert(std::same_as<R, boost::asio::awaitable<check_result>> ||
                      std::same_as<R, boost::asio::awaitable<coded_check_result>>,
                  "validate_async takes asio::awaitable<check_result>(const T&) or "
                  "asio::awaitable<coded_check_result>(const T&)");
    return std::move(*this).validate(std::move(check));
}

template <class Owner, class V, class Extra, class... Checks>
    template <class Lookup>
    auto def<Owner, V, Extra, Checks...>::exists(Lookup lookup, std::string message,
                                                 std::string code) &&
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

template <class Owner, class V, class Extra, class... Checks>
bool def<Owner, V, Extra, Checks...>::bind(const boost::json::value& jv, V& out,
                                           field_errors& errors, std::string_view key,
                                           const bind_context& bc) const {
    if (jv.is_null()) {
        if constexpr (nullable) {
            out.reset();
            return true;
        } else {
            errors.add(key, detail::pick(null_message_, messages::null), "null");
            return false;
        }
    }
    base_type* target;
    if constexpr (nullable)
        target = &out.emplace();
    else
        target = &out;
    if (!detail::binder<base_type, Extra>(rules_, extra_, type_message_, errors, key, bc)(jv,
                                                                                          *target))
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

template <class Owner, class V, class Extra, class... Checks>
bool def<Owner, V, Extra, Checks...>::bind_absent(member_owner& out, field_errors& errors) const {
    switch (presence_) {
    case presence::required:
        errors.add(name_, detail::pick(required_message_, messages::required), "required");
        return false;
    case presence::defaulted:
        if constexpr (is_field)
            out.*member_ = *default_;
        return true;
    case presence::optional:
        break;
    }
    return true;
}

template <class Owner, class V, class Extra, class... Checks>
boost::asio::awaitable<void>
def<Owner, V, Extra, Checks...>::run_async(const V& value, field_errors& errors,
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

template <class Owner, class V, class Extra, class... Checks>
template <std::size_t I>
boost::asio::awaitable<void>
def<Owner, V, Extra, Checks...>::run_async_from(const base_type& value, field_errors& errors,
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

template <class Owner, class V, class Extra, class... Checks>
boost::json::object def<Owner, V, Extra, Checks...>::json_schema() const {
    boost::json::object s = detail::value_schema(rules_, extra_);
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

} // namespace rampart::validation

#endif
