// libFuzzer target: cursor decoding must refuse junk cleanly, never crash, and accept only what
// round-trips. Also drives the query-string parsing the paginator does before decoding.

#include <rampart/detail/base64url.hpp>
#include <rampart/pagination/cursor.hpp>
#include <rampart/pagination/detail/query.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace pg = rampart::pagination;

namespace {

const pg::cursor_codec<>& codec() {
    static const pg::cursor_codec<> c(
        {.keys = {"fuzz-key-0123456789abcdef", "older-key-0123456789abcdef"}});
    return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    auto decoded = codec().decode(input, "items");
    if (decoded) {
        // Only a cursor this codec signed can decode; then it must survive a round trip.
        auto again = codec().decode(codec().encode(*decoded, "items"), "items");
        if (!again || !(*again == *decoded))
            std::abort();
    }

    // Unsigned payloads reach the parser only after the tag check; exercise the strict base64
    // decoder and the query parser directly too.
    if (auto raw = rampart::detail::base64url_decode(input)) {
        if (rampart::detail::base64url_encode(*raw) != input)
            std::abort();
    }
    auto params = pg::detail::parse_query(input);
    try {
        auto v = pg::detail::single_value(params, "cursor", "cursor", "Invalid cursor.",
                                          "Invalid cursor.");
        if (v)
            (void)codec().decode(*v, "items");
        auto size_text = pg::detail::single_value(params, "page_size", "page_size", "dup",
                                                  pg::detail::not_an_integer);
        if (size_text)
            (void)pg::detail::parse_bounded("page_size", *size_text, 1, 100);
    } catch (const rampart::validation_error&) {
    }
    std::string link = pg::detail::link_with("http://h/p/", params, "cursor", "abc");
    for (char c : link)
        if (c == '\r' || c == '\n' || c == '"' || c == ' ' || c == '\0')
            std::abort();
    return 0;
}
