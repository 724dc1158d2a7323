#ifndef RAMPART_VALIDATION_RULES_HPP
#define RAMPART_VALIDATION_RULES_HPP

/// The rules a field declaration records (`.min(1)`, `.max_length(20)`, ...), one record per
/// type family. The DSL in field.hpp fills them in; the binders and the JSON Schema writer read
/// them, with the bind_context binding passes along.

#include <rampart/validation/decimal.hpp>
#include <rampart/validation/detail/field_traits.hpp>
#include <rampart/validation/document.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace re2 {
class RE2;
} // namespace re2

namespace rampart::validation {

/// Rules a field of type `B` can carry: none for bool and for a user's own types.
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

/// What binding needs besides the value and its rules: the document, for numbers' original
/// text (null when validating a boost::json::value built in code).
struct bind_context {
    const document* doc = nullptr;
};

} // namespace rampart::validation

#endif
