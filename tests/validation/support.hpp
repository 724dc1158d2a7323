#ifndef RAMPART_TESTS_VALIDATION_SUPPORT_HPP
#define RAMPART_TESTS_VALIDATION_SUPPORT_HPP

// Helpers for the validation tests: catch a validation_error and look at its fields.

#include <rampart/errors/http_error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace rampart::test {

/// The field errors `f` throws as a validation_error (fails the test when it throws none).
template <class F>
rampart::field_errors field_errors_of(F&& f) {
    try {
        f();
    } catch (const rampart::validation_error& e) {
        return e.fields();
    }
    FAIL("expected a validation_error");
    return {};
}

/// The errors object as compact JSON text, for exact comparisons.
template <class F>
std::string errors_json(F&& f) {
    return boost::json::serialize(field_errors_of(std::forward<F>(f)).to_json());
}

/// The first code reported for `field`.
inline std::string first_code(const rampart::field_errors& e, std::string_view field) {
    const auto& ms = e.messages(field);
    return ms.empty() ? std::string("<none>") : ms.front().code;
}

} // namespace rampart::test

#endif
