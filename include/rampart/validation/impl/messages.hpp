#ifndef RAMPART_VALIDATION_IMPL_MESSAGES_HPP
#define RAMPART_VALIDATION_IMPL_MESSAGES_HPP

#include <string>
#include <string_view>

namespace rampart::validation::messages {

inline std::string message_template::operator()(std::string_view value) const {
    std::string s;
    s.reserve(head.size() + value.size() + tail.size());
    s.append(head).append(value).append(tail);
    return s;
}

inline std::string message_template::operator()(std::size_t n) const {
    return (*this)(std::string_view(std::to_string(n)));
}

} // namespace rampart::validation::messages

#endif
