#ifndef RAMPART_DETAIL_ERROR_CATEGORY_HPP
#define RAMPART_DETAIL_ERROR_CATEGORY_HPP

#include <boost/system/error_category.hpp>

#include <string>

namespace rampart::detail {

/** The boost::system category of one rampart error-code enum.

    `Text` names the category and words its codes: `static constexpr const char* name` (the
    category's name, `"rampart.<component>"`) and `static std::string message(int)`. Each
    component then needs only its enum, its wording, `make_error_code` and the
    `is_error_code_enum` specialisation; the category object itself is written once, here.
*/
template <class Text>
class error_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return Text::name; }
    std::string message(int ev) const override { return Text::message(ev); }

    /// The one instance; codes compare equal only within it.
    static const boost::system::error_category& instance() noexcept {
        static const error_category category;
        return category;
    }
};

} // namespace rampart::detail

#endif
