// Boost's assertion handler for rampart's test and fuzz binaries (BOOST_ENABLE_ASSERT_DEBUG_HANDLER
// is set for every one of their translation units; a build with NDEBUG never calls it).
//
// Every Boost assertion aborts, as without the handler, except one that is known to be wrong:
// Beast before Boost 1.86 asserts `n >= 5` in basic_parser::parse_chunk_header when a chunked
// body's last chunk `0\r\n` is followed by exactly one more byte in the next read, a split that
// any client can make. The code after the assertion handles it (it asks for more bytes), the
// assertion was corrected upstream (boostorg/beast#2861), and a build with NDEBUG never checks
// it; the tests and the fuzzers check that such requests are still served correctly.

#include <boost/assert.hpp>
#include <boost/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool known_wrong(const char* expr, const char* file) {
#if BOOST_VERSION < 108600
    return std::strcmp(expr, "n >= 5") == 0 &&
           std::strstr(file, "beast/http/impl/basic_parser.ipp") != nullptr;
#else
    (void)expr;
    (void)file;
    return false;
#endif
}

} // namespace

namespace boost {

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
    if (known_wrong(expr, file))
        return;
    std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
    std::abort();
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
    std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr,
                 msg);
    std::abort();
}

} // namespace boost
