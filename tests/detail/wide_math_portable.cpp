// The tests of wide_math.cpp with the portable 128-bit types (what MSVC gets), in a binary of
// their own: the token bucket and decimal below then use them too, and must agree bit for bit.
#define RAMPART_PORTABLE_WIDE_MATH 1
#include "wide_math.cpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <type_traits>

static_assert(std::is_same_v<rampart::detail::u128, boost::multiprecision::uint128_t>);
static_assert(std::is_same_v<rampart::detail::i128, boost::multiprecision::int128_t>);
