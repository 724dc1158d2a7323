#include <rampart/detail/base64url.hpp>

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace d = rampart::detail;

TEST_CASE("base64url matches RFC 4648's vectors without padding", "[detail]") {
    CHECK(d::base64url_encode("") == "");
    CHECK(d::base64url_encode("f") == "Zg");
    CHECK(d::base64url_encode("fo") == "Zm8");
    CHECK(d::base64url_encode("foo") == "Zm9v");
    CHECK(d::base64url_encode("foobar") == "Zm9vYmFy");
    CHECK(d::base64url_encode("\xfb\xff") == "-_8"); // the URL alphabet, not + and /
    std::string appended = "x.";
    d::base64url_encode("foo", appended);
    CHECK(appended == "x.Zm9v");
}

TEST_CASE("base64url round-trips every length and byte", "[detail]") {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        CHECK(d::base64url_decode(d::base64url_encode(bytes)) == bytes);
        bytes += static_cast<char>(i * 37);
    }
}

TEST_CASE("base64url decoding is strict", "[detail]") {
    for (std::string_view bad : std::initializer_list<std::string_view>{
             "Zg==", "Zm9v=", "Zm9v+", "Zm9v/", "Zm9 v", "Zm9v\n", "Z", "Zm9vY", "Zh",
             "Zm8=", std::string_view("Zm\0v", 4), "Zm9\xc3\xa9"}) {
        INFO(bad);
        CHECK_FALSE(d::base64url_decode(bad));
    }
    CHECK(d::base64url_decode("Zm9") == std::nullopt); // non-zero unused bits
    CHECK(d::base64url_decode("Zg") == "f");
    CHECK(d::base64url_decode("") == "");
    std::string out = "keep";
    CHECK(d::base64url_decode("Zm8", out));
    CHECK(out == "keepfo"); // appends
}
