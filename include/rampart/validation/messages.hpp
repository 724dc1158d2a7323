#ifndef RAMPART_VALIDATION_MESSAGES_HPP
#define RAMPART_VALIDATION_MESSAGES_HPP

/// The default messages of field errors, in one place: DRF's wording, so that clients written
/// against a DRF service read the same text. Each rule's `message` argument (and `.type_message`,
/// `.null_message`, `.required_message`) replaces the one here for that field; the error's code
/// never changes.

#include <cstddef>
#include <string>
#include <string_view>

namespace rampart::validation::messages {

/// Code `required`: a required key is absent.
inline constexpr std::string_view required = "This field is required.";
/// Code `null`: null where the field is not std::optional.
inline constexpr std::string_view null = "This field may not be null.";
/// Code `blank`: not_blank() refused an empty or all-white-space string.
inline constexpr std::string_view blank = "This field may not be blank.";

/// Code `invalid_type`, one per JSON type a field expects.
inline constexpr std::string_view invalid_boolean = "Must be a valid boolean.";
inline constexpr std::string_view invalid_integer = "A valid integer is required.";
inline constexpr std::string_view invalid_number = "A valid number is required.";
inline constexpr std::string_view invalid_string = "Not a valid string.";
inline constexpr std::string_view invalid_list = "Expected a list of items.";
inline constexpr std::string_view invalid_object = "Expected an object.";

/// Code `invalid`: a decimal too precise or too large for rampart::decimal.
inline constexpr std::string_view invalid_decimal =
    "A valid number is required (at most 18 digits after the point, and within 64-bit range).";
/// Code `invalid`: a string that is not UTF-8.
inline constexpr std::string_view invalid_utf8 = "Not valid UTF-8.";
/// Code `invalid`: a field of a user type (see "Your own field types") whose conversion failed.
inline constexpr std::string_view invalid_value = "Invalid value.";

/// Code `null_characters_not_allowed` (not replaceable: see allow_null_characters()).
inline constexpr std::string_view null_characters = "Null characters are not allowed.";
/// Code `email`.
inline constexpr std::string_view email = "Enter a valid email address.";
/// Code `url`.
inline constexpr std::string_view url = "Enter a valid URL.";
/// Code `pattern`.
inline constexpr std::string_view pattern = "This value does not match the required pattern.";

/** A message with one hole: `head`, the value (a bound as messages write it, or a count),
    `tail`. Called like a function: `messages::max_length(20)`.
*/
struct message_template {
    std::string_view head;
    std::string_view tail;

    std::string operator()(std::string_view value) const;
    std::string operator()(std::size_t n) const;
};

/// Code `min_value`; called with the bound as written in messages ("1", "0.01").
inline constexpr message_template min_value{"Ensure this value is greater than or equal to ", "."};
/// Code `max_value`.
inline constexpr message_template max_value{"Ensure this value is less than or equal to ", "."};
/// Code `min_length` (code points).
inline constexpr message_template min_length{"Ensure this field has at least ", " characters."};
/// Code `max_length` (code points).
inline constexpr message_template max_length{"Ensure this field has no more than ", " characters."};
/// Code `min_items`.
inline constexpr message_template min_items{"Ensure this field has at least ", " items."};
/// Code `max_items`.
inline constexpr message_template max_items{"Ensure this field has no more than ", " items."};
/// Code `max_digits`.
inline constexpr message_template max_digits{"Ensure that there are no more than ",
                                             " digits in total."};
/// Code `max_decimal_places`.
inline constexpr message_template max_decimal_places{"Ensure that there are no more than ",
                                                     " decimal places."};
/// Code `choice`; called with the choices as shown, already joined ("a, b, c").
inline constexpr message_template choice{"Must be one of: ", "."};

} // namespace rampart::validation::messages

#include <rampart/validation/impl/messages.hpp>

#endif
