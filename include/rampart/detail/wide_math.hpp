#ifndef RAMPART_DETAIL_WIDE_MATH_HPP
#define RAMPART_DETAIL_WIDE_MATH_HPP

// 128-bit integers and overflow-checked 64-bit arithmetic, the one place rampart needs more
// than ISO C++ gives: the token buckets keep exact 128-bit debts, decimal compares across
// scales in 128 bits.
//
// u128 and i128 are the compiler's __int128 types where it has them (g++ and clang define
// __SIZEOF_INT128__), and Boost.Multiprecision's fixed 128-bit integers elsewhere (MSVC).
// Both wrap modulo 2^128 and divide exactly, so every result is the same bit for bit. Define
// RAMPART_PORTABLE_WIDE_MATH to take the Boost types everywhere (tests/detail does).

#include <cstdint>
#include <limits>

#if defined(__SIZEOF_INT128__) && !defined(RAMPART_PORTABLE_WIDE_MATH)
#define RAMPART_DETAIL_NATIVE_INT128 1
#else
#include <boost/multiprecision/cpp_int.hpp>
#endif

namespace rampart::detail {

#ifdef RAMPART_DETAIL_NATIVE_INT128
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

/// A u128 kept at 8-byte alignment: a token bucket is 24 bytes rather than 32 (more of them
/// per cache line). Only compilers with __int128 align it to 16, and they all take this form.
struct __attribute__((packed, aligned(8))) u128_cell {
    u128 value;
};
#else
using u128 = boost::multiprecision::uint128_t;
using i128 = boost::multiprecision::int128_t;

/// A u128 in a struct, as above (Boost's integers are 8-byte aligned already).
struct u128_cell {
    u128 value;
};
#endif

/// `a + b` into `out` when it fits; true (and `out` unchanged) when it does not.
constexpr bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t& out) noexcept {
    using limits = std::numeric_limits<std::int64_t>;
    if (b > 0 ? a > limits::max() - b : a < limits::min() - b)
        return true;
    out = a + b;
    return false;
}

/// `a - b` into `out` when it fits; true (and `out` unchanged) when it does not.
constexpr bool sub_overflows(std::int64_t a, std::int64_t b, std::int64_t& out) noexcept {
    using limits = std::numeric_limits<std::int64_t>;
    if (b < 0 ? a > limits::max() + b : a < limits::min() + b)
        return true;
    out = a - b;
    return false;
}

/// `a * b` into `out` when it fits; true (and `out` unchanged) when it does not.
inline bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t& out) noexcept {
    using limits = std::numeric_limits<std::int64_t>;
    const i128 r = static_cast<i128>(a) * b;
    if (r < limits::min() || r > limits::max())
        return true;
    out = static_cast<std::int64_t>(r);
    return false;
}

} // namespace rampart::detail

#endif
