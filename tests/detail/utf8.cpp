#include <rampart/detail/utf8.hpp>

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string_view>

namespace d = rampart::detail;
using namespace std::string_view_literals;

TEST_CASE("utf8_length counts code points of valid UTF-8", "[detail]") {
    CHECK(d::utf8_length("") == 0u);
    CHECK(d::utf8_length("abc") == 3u);
    CHECK(d::utf8_length("\xC3\xA9t\xC3\xA9") == 3u); // été
    CHECK(d::utf8_length("\xE2\x9C\x93") == 1u);      // U+2713
    CHECK(d::utf8_length("\xF0\x9F\x98\x80") == 1u);  // U+1F600
    CHECK(d::utf8_length("\xF4\x8F\xBF\xBF") == 1u);  // U+10FFFF, the last
    CHECK(d::utf8_length("\xED\x9F\xBF") == 1u);      // U+D7FF, just below surrogates
    CHECK(d::utf8_length("a\0b"sv) == 3u);            // NUL is valid UTF-8
}

TEST_CASE("utf8_length refuses overlongs, surrogates, truncation and out-of-range", "[detail]") {
    for (std::string_view bad : std::initializer_list<std::string_view>{
             "\xC0\xAF",                             // overlong '/'
             "\xC1\xBF",                             // overlong
             "\xE0\x80\xAF",                         // overlong, three bytes
             "\xF0\x80\x80\xAF",                     // overlong, four bytes
             "\xED\xA0\x80",                         // U+D800, a surrogate
             "\xED\xBF\xBF",                         // U+DFFF
             "\xF4\x90\x80\x80",                     // past U+10FFFF
             "\xF5\x80\x80\x80",                     // no such lead byte
             "\xFF", "\x80",                         // a lone continuation byte
             "\xC3",                                 // truncated
             "\xE2\x9C", "\xF0\x9F\x98", "\xC3\x28", // bad continuation
         }) {
        INFO(bad.size());
        CHECK_FALSE(d::utf8_length(bad));
    }
}
