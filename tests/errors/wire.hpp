#ifndef RAMPART_TESTS_ERRORS_WIRE_HPP
#define RAMPART_TESTS_ERRORS_WIRE_HPP

// What a client receives of a response, as one string to compare byte for byte.

#include <rampart/core/types.hpp>

#include <string>

namespace rampart::test {

/// The status, every header in order, and the body.
inline std::string wire(const response& res) {
    std::string out = std::to_string(res.result_int()) + "\n";
    for (const auto& f : res)
        out.append(f.name_string()).append(": ").append(f.value()).append("\n");
    return out + "\n" + res.body();
}

} // namespace rampart::test

#endif
