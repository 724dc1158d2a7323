#include <rampart/detail/ascii.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>

namespace d = rampart::detail;

namespace {

// An exactly sized heap copy, so that AddressSanitizer sees any read past its end.
struct exact_copy {
    explicit exact_copy(std::string_view s) : bytes(new char[s.size()]), size(s.size()) {
        std::copy(s.begin(), s.end(), bytes.get());
    }
    std::string_view view() const { return {bytes.get(), size}; }
    std::unique_ptr<char[]> bytes;
    std::size_t size;
};

} // namespace

TEST_CASE("iequals ignores ASCII case and nothing else", "[detail]") {
    CHECK(d::iequals("Content-Length", "content-length"));
    CHECK(d::iequals("", ""));
    CHECK_FALSE(d::iequals("chunked", "chunke"));
    CHECK_FALSE(d::iequals("chunked", "chunkee"));
    CHECK_FALSE(d::iequals("\xC3\x89", "\xC3\xA9")); // non-ASCII letters are compared as bytes
    CHECK_FALSE(d::iequals("[", "{"));               // '[' is 'Z'+1: no arithmetic folding
    static_assert(d::iequals("HTTP", "http"));
}

TEST_CASE("iequals reads only inside both strings, with a case difference anywhere", "[detail]") {
    // Boost 1.81's beast::iequals read one byte past both ends here (fuzz_router found it).
    exact_copy upper("Http://"), lower("http://"), last("http:/X"), other("http:/x");
    CHECK(d::iequals(upper.view(), lower.view()));
    CHECK(d::iequals(last.view(), other.view()));
    CHECK(d::istarts_with(upper.view(), "http://"));
    CHECK(d::iends_with(last.view(), "/x"));
    CHECK_FALSE(d::iequals(upper.view(), last.view()));
}

TEST_CASE("trim_ows and trim_space strip only their own characters", "[detail]") {
    CHECK(d::trim_ows(" \t a b \t") == "a b");
    CHECK(d::trim_ows("\r\na\r\n") == "\r\na\r\n"); // CR and LF are not optional white space
    CHECK(d::trim_space(" \t\r\n a \n") == "a");
    CHECK(d::trim_ows("") == "");
    CHECK(d::trim_ows("   ") == "");
}

TEST_CASE("hex_value and parse_integer accept exactly their digits", "[detail]") {
    CHECK(d::hex_value('0') == 0);
    CHECK(d::hex_value('f') == 15);
    CHECK(d::hex_value('F') == 15);
    CHECK(d::hex_value('g') == -1);
    CHECK(d::parse_integer<std::int64_t>("42") == 42);
    CHECK(d::parse_integer<std::int64_t>("-7") == -7);
    CHECK_FALSE(d::parse_integer<std::int64_t>("4 2"));
    CHECK_FALSE(d::parse_integer<std::int64_t>("+4"));
    CHECK_FALSE(d::parse_integer<std::int64_t>(""));
    CHECK_FALSE(d::parse_integer<std::uint8_t>("256"));
    CHECK_FALSE(d::parse_integer<std::uint8_t>("-1"));
}
