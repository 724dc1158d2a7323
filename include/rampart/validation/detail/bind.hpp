#ifndef RAMPART_VALIDATION_DETAIL_BIND_HPP
#define RAMPART_VALIDATION_DETAIL_BIND_HPP

// The binders: how a JSON value becomes a field's C++ value, one function per type family
// (bool, integer, floating point, decimal, string, array, nested object, a user's
// json_convertible type), with the failures reported under the field's key. Used by def::bind.

#include <rampart/errors/field_errors.hpp>
#include <rampart/validation/concepts.hpp>
#include <rampart/validation/decimal.hpp>
#include <rampart/validation/detail/field_traits.hpp>
#include <rampart/validation/detail/text.hpp>
#include <rampart/validation/document.hpp>
#include <rampart/validation/messages.hpp>
#include <rampart/validation/rules.hpp>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rampart::validation::detail {

/// Binds one value of type `B` (never null: the caller handles null) under `key`.
template <class B, class Extra>
class binder {
public:
    binder(const rules<B>& r, const Extra& extra, const std::string& type_message,
           field_errors& errors, std::string_view key, const bind_context& bc)
        : rules_(r), extra_(extra), type_message_(type_message), errors_(errors), key_(key),
          bc_(bc) {}

    /// Converts and checks `jv` into `out`; returns whether everything passed.
    bool operator()(const boost::json::value& jv, B& out) const {
        if constexpr (std::same_as<B, bool>)
            return bind_bool(jv, out);
        else if constexpr (integer<B>)
            return bind_integer(jv, out);
        else if constexpr (std::floating_point<B>)
            return bind_floating(jv, out);
        else if constexpr (std::same_as<B, decimal>)
            return bind_decimal(jv, out);
        else if constexpr (std::same_as<B, std::string>)
            return bind_string(jv, out);
        else if constexpr (vector_traits<B>::is_vector)
            return bind_array(jv, out);
        else if constexpr (is_schema<Extra>::value)
            return bind_object(jv, out);
        else if constexpr (json_convertible<B>)
            return bind_converted(jv, out);
        else
            static_assert(is_schema<Extra>::value,
                          "a field of a struct type needs its schema: field(&T::m, \"m\", "
                          "schema<M>(...)), or a Boost.JSON conversion (tag_invoke)");
    }

private:
    /// Adds an error under the key (the user's message when declared); returns false.
    bool fail(const std::string& custom, std::string_view fallback, const char* code) const {
        errors_.add(key_, pick(custom, fallback), code);
        return false;
    }
    bool type_error(std::string_view fallback) const {
        return fail(type_message_, fallback, "invalid_type");
    }

    /// A count rule (length, items, digits, places): `ok` is whether the value respects `r`.
    bool count(const std::optional<count_rule>& r, bool ok,
               const messages::message_template& fallback, const char* code) const {
        return !r || ok || fail(r->message, fallback(r->value), code);
    }

    /// The one_of() rule of numbers and strings.
    template <class C>
    bool choice(const C& value) const {
        if (rules_.choices.empty())
            return true;
        std::string shown;
        bool first = true;
        for (const auto& c : rules_.choices) {
            if (c == value)
                return true;
            if (!first)
                shown += ", ";
            first = false;
            if constexpr (std::same_as<B, std::string>)
                shown += c;
            else
                shown += number_text(c);
        }
        return fail(rules_.choice_message, messages::choice(shown), "choice");
    }

    /// min(), max() and one_of() of a number.
    bool bounds(const B& v) const {
        bool ok = true;
        if (rules_.min && v < rules_.min->value)
            ok = fail(rules_.min->message, messages::min_value(number_text(rules_.min->value)),
                      "min_value");
        if (rules_.max && rules_.max->value < v)
            ok = fail(rules_.max->message, messages::max_value(number_text(rules_.max->value)),
                      "max_value");
        return choice(v) && ok;
    }

    /// An integer beyond the target type: the user's own bound message when one is declared.
    bool out_of_range(bool too_big) const {
        const auto& rule = too_big ? rules_.max : rules_.min;
        const B limit =
            rule ? rule->value
                 : (too_big ? std::numeric_limits<B>::max() : std::numeric_limits<B>::min());
        return fail(rule ? rule->message : std::string(),
                    too_big ? messages::max_value(number_text(limit))
                            : messages::min_value(number_text(limit)),
                    too_big ? "max_value" : "min_value");
    }

    bool bind_bool(const boost::json::value& jv, B& out) const {
        if (!jv.is_bool())
            return type_error(messages::invalid_boolean);
        out = jv.get_bool();
        return true;
    }

    bool bind_integer(const boost::json::value& jv, B& out) const {
        switch (jv.kind()) {
        case boost::json::kind::int64: {
            std::int64_t i = jv.get_int64();
            if (!std::in_range<B>(i))
                return out_of_range(i > 0);
            out = static_cast<B>(i);
            return bounds(out);
        }
        case boost::json::kind::uint64: {
            std::uint64_t u = jv.get_uint64();
            if (!std::in_range<B>(u))
                return out_of_range(true);
            out = static_cast<B>(u);
            return bounds(out);
        }
        case boost::json::kind::double_:
            // A number written without fraction or exponent that Boost.JSON could only hold as
            // a double is an integer beyond 64 bits: out of range, not mistyped.
            if (bc_.doc) {
                if (auto text = bc_.doc->number_text(jv);
                    text && text->find_first_of(".eE") == std::string_view::npos)
                    return out_of_range(text->front() != '-');
            }
            return type_error(messages::invalid_integer);
        default:
            return type_error(messages::invalid_integer);
        }
    }

    bool bind_floating(const boost::json::value& jv, B& out) const {
        double d;
        switch (jv.kind()) {
        case boost::json::kind::int64:
            d = static_cast<double>(jv.get_int64());
            break;
        case boost::json::kind::uint64:
            d = static_cast<double>(jv.get_uint64());
            break;
        case boost::json::kind::double_:
            d = jv.get_double();
            break;
        default:
            return type_error(messages::invalid_number);
        }
        if (!std::isfinite(d) ||
            (std::same_as<B, float> && std::fabs(d) > std::numeric_limits<float>::max()))
            return type_error(messages::invalid_number);
        out = static_cast<B>(d);
        return bounds(out);
    }

    bool bind_decimal(const boost::json::value& jv, B& out) const {
        std::optional<decimal> d;
        if (jv.is_double() && bc_.doc) {
            if (auto text = bc_.doc->number_text(jv))
                d = decimal::parse(*text, true);
            else
                d = decimal::from_json(jv);
        } else if (jv.is_number() || jv.is_string()) {
            d = decimal::from_json(jv);
        } else {
            return type_error(messages::invalid_number);
        }
        if (!d)
            return fail(type_message_, messages::invalid_decimal, "invalid");
        bool ok = count(rules_.max_digits,
                        !rules_.max_digits ||
                            static_cast<std::size_t>(d->digits()) <= rules_.max_digits->value,
                        messages::max_digits, "max_digits");
        if (rules_.places) {
            if (auto exact = d->rescaled_exact(static_cast<int>(rules_.places->value)))
                d = exact;
            else
                ok =
                    count(rules_.places, false, messages::max_decimal_places, "max_decimal_places");
        }
        out = *d;
        return bounds(out) && ok;
    }

    bool bind_string(const boost::json::value& jv, B& out) const {
        if (!jv.is_string())
            return type_error(messages::invalid_string);
        const boost::json::string& s = jv.get_string();
        std::string_view text(s.data(), s.size());
        auto length = utf8_length(text);
        if (!length)
            return fail(type_message_, messages::invalid_utf8, "invalid");
        if (rules_.trim) {
            std::string_view trimmed = rampart::detail::trim_space(text);
            *length -= text.size() - trimmed.size(); // white space is ASCII: one byte each
            text = trimmed;
        }
        if (!rules_.allow_blank && is_blank(text))
            return fail(rules_.blank_message, messages::blank, "blank");
        out.assign(text.data(), text.size());
        bool ok = true;
        if (!rules_.allow_null_characters && text.find('\0') != std::string_view::npos)
            ok = fail({}, messages::null_characters, "null_characters_not_allowed");
        ok = count(rules_.min_length, !rules_.min_length || *length >= rules_.min_length->value,
                   messages::min_length, "min_length") &&
             ok;
        ok = count(rules_.max_length, !rules_.max_length || *length <= rules_.max_length->value,
                   messages::max_length, "max_length") &&
             ok;
        ok = choice(text) && ok;
        using format = typename rules<std::string>::format_kind;
        if (rules_.format == format::email && !is_email(text))
            ok = fail(rules_.format_message, messages::email, "email");
        if (rules_.format == format::url && !is_url(text))
            ok = fail(rules_.format_message, messages::url, "url");
        if (rules_.pattern && !re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()),
                                                      *rules_.pattern->regex))
            ok = fail(rules_.pattern->message, messages::pattern, "pattern");
        return ok;
    }

    bool bind_array(const boost::json::value& jv, B& out) const {
        if (!jv.is_array())
            return type_error(messages::invalid_list);
        const boost::json::array& a = jv.get_array();
        if (!count(rules_.max_items, !rules_.max_items || a.size() <= rules_.max_items->value,
                   messages::max_items, "max_items"))
            return false;
        bool ok = count(rules_.min_items, !rules_.min_items || a.size() >= rules_.min_items->value,
                        messages::min_items, "min_items");
        out.clear();
        out.resize(a.size());
        field_errors item_errors;
        char index[24];
        for (std::size_t i = 0; i < a.size(); ++i) {
            auto r = std::to_chars(index, index + sizeof index, i);
            extra_.bind(a[i], out[i], item_errors, std::string_view(index, r.ptr), bc_);
        }
        return merged(item_errors) && ok;
    }

    bool bind_object(const boost::json::value& jv, B& out) const {
        if (!jv.is_object())
            return type_error(messages::invalid_object);
        field_errors nested;
        extra_.bind_object(jv.get_object(), out, nested, bc_);
        return merged(nested);
    }

    /// A user's type: Boost.JSON's conversion decides; any failure is this field's error.
    bool bind_converted(const boost::json::value& jv, B& out) const {
        auto r = boost::json::try_value_to<B>(jv);
        if (!r)
            return fail(type_message_, messages::invalid_value, "invalid");
        out = std::move(*r);
        return true;
    }

    /// Nests the errors of items or members under the key; returns whether there were none.
    bool merged(const field_errors& inner) const {
        if (inner.empty())
            return true;
        errors_.merge(key_, inner);
        return false;
    }

    const rules<B>& rules_;
    const Extra& extra_;
    const std::string& type_message_;
    field_errors& errors_;
    std::string_view key_;
    const bind_context& bc_;
};

} // namespace rampart::validation::detail

#endif
