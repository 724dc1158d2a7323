#include <rampart/detail/percent.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace d = rampart::detail;
using namespace std::string_literals;

TEST_CASE("percent_decode decodes escapes in either case and leaves the rest", "[detail]") {
    CHECK(d::percent_decode("a%20b") == "a b");
    CHECK(d::percent_decode("%7e%7E") == "~~");
    CHECK(d::percent_decode("") == "");
    CHECK(d::percent_decode("%C3%A9") == "\xC3\xA9");
    CHECK(d::percent_decode("a+b") == "a+b"); // `+` is a space only for forms
    CHECK(d::percent_decode("a+b", {.plus_is_space = true}) == "a b");
    CHECK(d::percent_decode("%2B", {.plus_is_space = true}) == "+"); // an escaped + stays +
}

TEST_CASE("percent_decode refuses every bad escape: one policy", "[detail]") {
    for (std::string_view bad :
         {"%", "%2", "a%", "ab%4", "%zz", "%g0", "%0g", "%%41", "%-1", "%+1", "% 1", "100%"}) {
        INFO(bad);
        CHECK_FALSE(d::percent_decode(bad));
        char out[16];
        std::size_t n = 99;
        CHECK(d::percent_decode_into(bad, out, n) == d::percent_error::bad_escape);
        CHECK(n == 99); // untouched on failure
    }
}

TEST_CASE("percent_decode refuses %00 unless told to allow it", "[detail]") {
    char out[8];
    std::size_t n = 0;
    CHECK(d::percent_decode_into("a%00b", out, n) == d::percent_error::nul_byte);
    CHECK_FALSE(d::percent_decode("%00"));
    CHECK(d::percent_decode("a%00b", {.allow_nul = true}) == "a\0b"s);
    // A bad escape after a NUL is still a bad escape.
    CHECK_FALSE(d::percent_decode("%00%zz", {.allow_nul = true}));
}

TEST_CASE("percent_decode_into writes at most the input's length", "[detail]") {
    std::string in = "%41%42%43xyz";
    std::string out(in.size(), '#');
    std::size_t n = 0;
    REQUIRE(d::percent_decode_into(in, out.data(), n) == d::percent_error::none);
    CHECK(out.substr(0, n) == "ABCxyz");
    CHECK(out.substr(n) == std::string(in.size() - n, '#'));
}

TEST_CASE("percent_encode_append keeps what the predicate keeps, upper-case hex", "[detail]") {
    std::string out = "x=";
    d::percent_encode_append(out, "a b/?#%&=\xff~", d::is_unreserved);
    CHECK(out == "x=a%20b%2F%3F%23%25%26%3D%FF~");
    std::string safe;
    d::percent_encode_append(safe, "a=1&b=%41 \"<>\r\n", d::is_url_safe);
    CHECK(safe == "a=1&b=%41%20%22%3C%3E%0D%0A");
}

TEST_CASE("percent encoding round-trips every byte", "[detail]") {
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    std::string encoded;
    d::percent_encode_append(encoded, all, d::is_unreserved);
    CHECK(d::percent_decode(encoded, {.allow_nul = true}) == all);
    CHECK_FALSE(d::percent_decode(encoded)); // it has %00
}
