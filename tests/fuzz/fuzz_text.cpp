// libFuzzer target: the shared text layer (include/rampart/detail/). Every parser must refuse
// junk cleanly and never crash; where an encoder exists, what decodes must encode back to the
// same text and what is encoded must decode back to the same bytes. A broken invariant aborts.
// Also drives the callers' adapters: the router's segment decoder, the Redis URL, the
// validator's URL rule.

#include <rampart/detail/ascii.hpp>
#include <rampart/detail/authority.hpp>
#include <rampart/detail/base64url.hpp>
#include <rampart/detail/hmac.hpp>
#include <rampart/detail/http_date.hpp>
#include <rampart/detail/percent.hpp>
#include <rampart/detail/strict_json.hpp>
#include <rampart/detail/utf8.hpp>
#include <rampart/redis/options.hpp>
#include <rampart/router/uri.hpp>
#include <rampart/validation/detail/text.hpp>

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace d = rampart::detail;

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

void fuzz_percent(std::string_view in) {
    // Decoding: what decodes re-encodes (all but unreserved escaped) to text that decodes to the
    // same bytes; a refusal names a reason and leaves nothing half-decoded behind.
    for (d::percent_rules rules : {d::percent_rules{}, d::percent_rules{true, true}}) {
        auto decoded = d::percent_decode(in, rules);
        std::string out(in.size(), '\0');
        std::size_t n = 0;
        auto status = d::percent_decode_into(in, out.data(), n, rules);
        check(decoded.has_value() == (status == d::percent_error::none));
        if (!decoded)
            continue;
        check(decoded->size() <= in.size() && *decoded == out.substr(0, n));
        std::string again;
        d::percent_encode_append(again, *decoded, d::is_unreserved);
        check(d::percent_decode(again, {.allow_nul = true}) == *decoded);
        if (in.find('%') == std::string_view::npos && !rules.plus_is_space)
            check(*decoded == in);
    }
    // Encoding: any bytes, either character set, come back unchanged and contain no byte that
    // could end a header or a URL.
    std::string encoded;
    d::percent_encode_append(encoded, in, d::is_unreserved);
    for (char c : encoded)
        check(d::is_unreserved(c) || c == '%');
    check(d::percent_decode(encoded, {.allow_nul = true}) == in);
    std::string safe;
    d::percent_encode_append(safe, in, d::is_url_safe);
    for (char c : safe)
        check(c != '\r' && c != '\n' && c != ' ' && c != '"' && c != '\0' && c != '#');
    // The router's adapter agrees with the one decoder.
    rampart::detail::segment_error error = rampart::detail::segment_error::none;
    std::string buffer(in.size(), '\0');
    std::size_t len = rampart::detail::percent_decode(in, buffer.data(), error);
    auto plain = d::percent_decode(in);
    check((error == rampart::detail::segment_error::none) == plain.has_value());
    if (plain)
        check(buffer.substr(0, len) == *plain);
}

void fuzz_base64url(std::string_view in) {
    if (auto raw = d::base64url_decode(in))
        check(d::base64url_encode(*raw) == in); // one spelling per byte string
    auto encoded = d::base64url_encode(in);
    check(encoded.size() == (in.size() * 4 + 2) / 3);
    check(d::base64url_decode(encoded) == in);
}

/// Whether `v` holds a double out of range (Boost.JSON reads 1e999 as infinity, which no JSON
/// text can spell, so such a value cannot round-trip).
bool has_infinity(const boost::json::value& v) {
    if (const auto* d = v.if_double())
        return !std::isfinite(*d);
    if (const auto* o = v.if_object()) {
        for (const auto& m : *o)
            if (has_infinity(m.value()))
                return true;
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (has_infinity(e))
                return true;
    }
    return false;
}

/// Equal values, but doubles only to within rounding: Boost.JSON 1.81's default number
/// parsing is not always correctly rounded, so a double may come back one ulp away.
bool same(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        double x = a.get_double(), y = b.get_double();
        return std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind())
        return a == b;
    if (const auto* o = a.if_object()) {
        const auto& p = b.get_object();
        if (o->size() != p.size())
            return false;
        for (const auto& m : *o) {
            const auto* other = p.if_contains(m.key());
            if (!other || !same(m.value(), *other))
                return false;
        }
        return true;
    }
    if (const auto* v = a.if_array()) {
        const auto& w = b.get_array();
        if (v->size() != w.size())
            return false;
        for (std::size_t i = 0; i < v->size(); ++i)
            if (!same((*v)[i], w[i]))
                return false;
        return true;
    }
    return a == b;
}

void fuzz_json(std::string_view in) {
    auto r = d::parse_strict_json(in, 16, {}, true);
    if (r.ec)
        return;
    if (r.duplicate_key) {
        check(d::count_members(r.value) > 0);
        return;
    }
    // A strict document serializes to text that parses again to an equal value.
    if (!has_infinity(r.value)) {
        auto text = boost::json::serialize(r.value);
        auto again = d::parse_strict_json(text, 16);
        check(again.ok() && same(again.value, r.value));
    }
    boost::json::object object;
    auto status = d::parse_object(in, object);
    check((status == d::json_status::ok) == r.value.is_object());
}

void fuzz_hmac_and_date(std::string_view in) {
    static const d::hmac mac("SHA256", "fuzz-key");
    unsigned char whole[d::hmac::max_size], split[d::hmac::max_size];
    std::size_t cut = in.empty() ? 0 : static_cast<unsigned char>(in[0]) % (in.size() + 1);
    check(mac.sign({in}, whole) && mac.sign({in.substr(0, cut), in.substr(cut)}, split));
    check(d::tags_equal(whole, split, mac.size()));

    std::int64_t seconds = 0;
    std::memcpy(&seconds, in.data(), std::min(in.size(), sizeof seconds));
    constexpr std::int64_t first = -62'135'596'800; // 0001-01-01
    constexpr std::int64_t last = 253'402'300'799;  // 9999-12-31T23:59:59
    seconds = first + static_cast<std::int64_t>(static_cast<std::uint64_t>(seconds) %
                                                static_cast<std::uint64_t>(last - first + 1));
    auto date = d::http_date(std::chrono::sys_seconds{std::chrono::seconds{seconds}});
    check(date.size() == d::http_date_size && date[3] == ',' && date.substr(25) == " GMT");
}

void fuzz_callers(std::string_view in) {
    d::host_port parts;
    if (d::split_host_port(in, parts)) {
        check(parts.host.size() + parts.port.size() < in.size() + 1);
        long port = d::port_value(parts.port);
        check(port >= -1 && port <= 65535);
    }
    (void)rampart::is_valid_host(in);
    if (auto length = d::utf8_length(in)) {
        bool ascii = true;
        for (char c : in)
            ascii = ascii && static_cast<unsigned char>(c) < 0x80;
        check(*length <= in.size() && (*length == in.size()) == ascii);
    }
    try {
        (void)rampart::redis::parse_url(in);
    } catch (const rampart::redis::url_error&) {
    }
    (void)rampart::validation::detail::is_url(in);
    auto trimmed = d::trim_ows(in);
    check(d::trim_ows(trimmed) == trimmed);
    check(d::iequals(in, in));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    fuzz_percent(input);
    fuzz_base64url(input);
    fuzz_json(input);
    fuzz_hmac_and_date(input);
    fuzz_callers(input);
    return 0;
}
