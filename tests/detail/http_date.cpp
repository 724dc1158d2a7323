#include <rampart/detail/http_date.hpp>

#include <rampart/router/deprecation.hpp>
#include <rampart/server/http_date.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace d = rampart::detail;
using namespace std::chrono;

TEST_CASE("http_date writes IMF-fixdate across eras", "[detail]") {
    using tp = system_clock::time_point;
    CHECK(d::http_date(tp{seconds{0}}) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(d::http_date(tp{seconds{784111777}}) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(d::http_date(tp{seconds{951'782'400}}) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(d::http_date(tp{seconds{-1}}) == "Wed, 31 Dec 1969 23:59:59 GMT");
    // Seconds reach every year the format can show (nanoseconds end in 2262).
    CHECK(d::http_date(sys_seconds{253'402'300'799s}) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(d::http_date(sys_seconds{-62'135'596'800s}) == "Mon, 01 Jan 0001 00:00:00 GMT");
    CHECK(d::http_date(tp{seconds{1} + milliseconds{999}}) == "Thu, 01 Jan 1970 00:00:01 GMT");
    std::array<char, d::http_date_size> out{};
    d::format_http_date(tp{seconds{4'102'444'799}}, out);
    CHECK(std::string(out.data(), out.size()) == "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST_CASE("the server's and the router's http_date are the detail one", "[detail]") {
    // A sys_seconds (the router's Sunset) and a system_clock time point (the Date header).
    CHECK(rampart::http_date(sys_seconds{784111777s}) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(rampart::http_date(system_clock::time_point{0s}) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(rampart::http_date_size == 29);
}
