#include <rampart/pagination/cursor.hpp>

#include <rampart/errors/format.hpp>
#include <rampart/pagination/cursor_paginator.hpp>

#include "support/run.hpp"
#include "walk.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace pg = rampart::pagination;
using rampart::context;
using rampart::manual_clock;
using rampart::test::item;

namespace {

const std::string key_a = "key-A-0123456789abcdef0123456789";
const std::string key_b = "key-B-0123456789abcdef0123456789";

pg::key sample_key() {
    return {pg::key_value(std::int64_t{-42}), pg::key_value(1.5), pg::key_value(nullptr),
            pg::key_value(std::string("2026-11-27T14:55:07Z\xe2\x9c\x93"))};
}

} // namespace

TEST_CASE("base64url is strict: one encoding per byte string", "[pagination]") {
    using rampart::detail::base64url_decode;
    using rampart::detail::base64url_encode;
    for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                  std::string("\0\xff\xfe", 3)})
        CHECK(base64url_decode(base64url_encode(s)) == s);
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK_FALSE(base64url_decode("Zm9v=")); // padding
    CHECK_FALSE(base64url_decode("Zm9v+")); // the other alphabet
    CHECK_FALSE(base64url_decode("Zm9 v")); // white space
    CHECK_FALSE(base64url_decode("Zm9vY")); // impossible length
    CHECK_FALSE(base64url_decode("Zh"));    // non-zero unused bits ("Zg" is canonical)
    CHECK(base64url_decode("Zg") == "f");
}

TEST_CASE("the prepared HMAC-SHA256 matches RFC 4231", "[pagination]") {
    auto hex = [](const rampart::detail::hmac_sha256::tag& t) {
        std::string out;
        for (unsigned char c : t) {
            out += "0123456789abcdef"[c >> 4];
            out += "0123456789abcdef"[c & 15];
        }
        return out;
    };
    rampart::detail::hmac_sha256 jefe("Jefe");
    CHECK(hex(jefe.sign({"what do ya want ", "for nothing?"})) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    rampart::detail::hmac_sha256 long_key(std::string(131, '\xaa'));
    CHECK(hex(long_key.sign({"Test Using Larger Than Block-Size Key - Hash Key First"})) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("cursors round-trip every kind of key value", "[pagination]") {
    pg::cursor_codec<> codec({.keys = {key_a}});
    pg::cursor c{sample_key(), true, true};
    auto token = codec.encode(c, "scope");
    CHECK(token.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    CHECK(codec.decode(token, "scope") == c);
    pg::cursor forward{{pg::key_value(std::int64_t{7})}, false, false};
    CHECK(codec.decode(codec.encode(forward, "scope"), "scope") == forward);
}

TEST_CASE("every tampered cursor is refused", "[pagination]") {
    manual_clock clock;
    pg::cursor_codec<rampart::clock_ref<manual_clock>> codec(
        {.keys = {key_a}, .max_age = std::chrono::seconds{60}}, rampart::clock_ref(clock));
    pg::cursor c{sample_key(), false, false};
    const std::string token = codec.encode(c, "items");
    REQUIRE(codec.decode(token, "items") == c);

    SECTION("any character changed") {
        const std::string alphabet = rampart::detail::base64url_alphabet;
        for (std::size_t i = 0; i < token.size(); ++i)
            for (char replacement : {'A', 'B', 'f', '_', '9'}) {
                if (token[i] == replacement)
                    continue;
                std::string t = token;
                t[i] = replacement;
                CHECK_FALSE(codec.decode(t, "items"));
            }
    }
    SECTION("any bit of the decoded bytes flipped") {
        auto raw = *rampart::detail::base64url_decode(token);
        for (std::size_t i = 0; i < raw.size() * 8; ++i) {
            std::string r = raw;
            r[i / 8] = static_cast<char>(r[i / 8] ^ (1 << (i % 8)));
            CHECK_FALSE(codec.decode(rampart::detail::base64url_encode(r), "items"));
        }
    }
    SECTION("truncated or extended") {
        for (std::size_t n = 0; n < token.size(); ++n)
            CHECK_FALSE(codec.decode(token.substr(0, n), "items"));
        CHECK_FALSE(codec.decode(token + "A", "items"));
        CHECK_FALSE(codec.decode(token + "AA", "items"));
    }
    SECTION("another scope") {
        CHECK_FALSE(codec.decode(token, "items2"));
        CHECK_FALSE(codec.decode(token, ""));
    }
    SECTION("expired") {
        clock.advance(std::chrono::seconds{59});
        CHECK(codec.decode(token, "items") == c);
        clock.advance(std::chrono::seconds{1});
        CHECK_FALSE(codec.decode(token, "items"));
    }
    SECTION("signed with another key") {
        pg::cursor_codec<rampart::clock_ref<manual_clock>> other(
            {.keys = {key_b}, .max_age = std::chrono::seconds{60}}, rampart::clock_ref(clock));
        CHECK_FALSE(other.decode(token, "items"));
        CHECK_FALSE(codec.decode(other.encode(c, "items"), "items"));
    }
    SECTION("made up") {
        for (std::string junk : std::vector<std::string>{"", "A", "abc", "!!!!", "%00", "null",
                                                         "eyJpZCI6MX0", std::string(48, 'A'),
                                                         std::string(64, '_'), "\xc3\xa9\xc3\xa9"})
            CHECK_FALSE(codec.decode(junk, "items"));
        // Well-formed payload, no valid tag.
        std::string payload("\x01\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x07", 12);
        payload += std::string(32, '\0');
        CHECK_FALSE(codec.decode(rampart::detail::base64url_encode(payload), "items"));
    }
    SECTION("oversize, refused before decoding") {
        CHECK_FALSE(codec.decode(std::string(513, 'A'), "items"));
        CHECK_FALSE(codec.decode(std::string(1 << 20, 'A'), "items"));
    }
}

TEST_CASE("without an expiry configured, a cursor made with one is still checked, and the "
          "reverse is refused",
          "[pagination]") {
    manual_clock clock;
    pg::cursor_codec<rampart::clock_ref<manual_clock>> expiring(
        {.keys = {key_a}, .max_age = std::chrono::seconds{10}}, rampart::clock_ref(clock));
    pg::cursor_codec<rampart::clock_ref<manual_clock>> plain({.keys = {key_a}},
                                                             rampart::clock_ref(clock));
    pg::cursor c{{pg::key_value(std::int64_t{1})}, false, false};
    auto old_token = plain.encode(c, "s");
    CHECK_FALSE(expiring.decode(old_token, "s")); // expiry now required
    auto new_token = expiring.encode(c, "s");
    CHECK(plain.decode(new_token, "s") == c);
    clock.advance(std::chrono::seconds{11});
    CHECK_FALSE(plain.decode(new_token, "s"));
}

TEST_CASE("key rotation: sign with the first key, accept any", "[pagination]") {
    pg::cursor_codec<> old_only({.keys = {key_a}});
    pg::cursor_codec<> rotated({.keys = {key_b, key_a}});
    pg::cursor_codec<> new_only({.keys = {key_b}});
    pg::cursor c{{pg::key_value(std::int64_t{3})}, false, false};
    auto from_old = old_only.encode(c, "s");
    auto from_rotated = rotated.encode(c, "s");
    CHECK(rotated.decode(from_old, "s") == c);
    CHECK(new_only.decode(from_rotated, "s") == c);
    CHECK_FALSE(old_only.decode(from_rotated, "s"));
    CHECK_FALSE(new_only.decode(from_old, "s"));
    CHECK_THROWS_AS(pg::cursor_codec<>({.keys = {}}), std::invalid_argument);
    CHECK_THROWS_AS(pg::cursor_codec<>({.keys = {"short"}}), std::invalid_argument);
}

namespace {

std::vector<item> rows = rampart::test::make_items(30);

template <class Clock = rampart::system_clock>
pg::page<item> list(const pg::cursor_paginator<Clock>& p, const std::string& target,
                    std::string filters = {}) {
    context ctx{rampart::test::list_request(target)};
    auto key_of = [&](const item& r) { return rampart::test::key_for(p.ordering(), r); };
    return p.paginate_now(
        ctx, [&](const pg::page_query& q) { return pg::select_page(rows, key_of, q); }, key_of,
        std::move(filters));
}

std::string cursor_param(const std::string& url) {
    auto at = url.find("cursor=");
    REQUIRE(at != std::string::npos);
    return url.substr(at + 7);
}

/// The error body a request gets, through the envelope format.
template <class F>
std::string error_body(F&& f) {
    try {
        f();
    } catch (const rampart::http_error& e) {
        auto res = rampart::envelope_format{}(e);
        CHECK(res.result_int() == 400);
        return boost::json::serialize(boost::json::parse(res.body()).at("errors"));
    }
    return "no error";
}

} // namespace

TEST_CASE("the paginator refuses foreign and tampered cursors with a 400 on cursor",
          "[pagination]") {
    pg::cursor_paginator<> items({.endpoint = "items",
                                  .ordering = {{"id"}},
                                  .cursors = {.keys = {key_a}},
                                  .default_page_size = 5});
    auto first = list(items, "/api/v1/items/");
    REQUIRE(first.next);
    const std::string next = rampart::test::target_of(*first.next);
    const std::string token = cursor_param(*first.next);
    REQUIRE(list(items, next).results.front().id == 6);
    const std::string invalid = R"({"cursor":["Invalid cursor."]})";

    SECTION("from another endpoint") {
        pg::cursor_paginator<> orders(
            {.endpoint = "orders", .ordering = {{"id"}}, .cursors = {.keys = {key_a}}});
        CHECK(error_body([&] { list(orders, next); }) == invalid);
    }
    SECTION("for another ordering") {
        pg::cursor_paginator<> by_id_desc({.endpoint = "items",
                                           .ordering = {{"id", pg::order::descending}},
                                           .cursors = {.keys = {key_a}}});
        CHECK(error_body([&] { list(by_id_desc, next); }) == invalid);
    }
    SECTION("under other filters") {
        auto mine = list(items, "/api/v1/items/", "user=1");
        CHECK(error_body([&] { list(items, rampart::test::target_of(*mine.next), "user=2"); }) ==
              invalid);
        CHECK(list(items, rampart::test::target_of(*mine.next), "user=1").results.size() == 5);
    }
    SECTION("signed with an unknown key") {
        pg::cursor_paginator<> other(
            {.endpoint = "items", .ordering = {{"id"}}, .cursors = {.keys = {key_b}}});
        CHECK(error_body([&] { list(other, next); }) == invalid);
    }
    SECTION("expired") {
        manual_clock clock;
        pg::cursor_paginator<rampart::clock_ref<manual_clock>> expiring(
            {.endpoint = "items",
             .ordering = {{"id"}},
             .cursors = {.keys = {key_a}, .max_age = std::chrono::minutes{5}},
             .default_page_size = 5},
            rampart::clock_ref(clock));
        auto page = list(expiring, "/api/v1/items/");
        auto later = rampart::test::target_of(*page.next);
        clock.advance(std::chrono::minutes{4});
        CHECK(list(expiring, later).results.size() == 5);
        clock.advance(std::chrono::minutes{1});
        CHECK(error_body([&] { list(expiring, later); }) == invalid);
    }
    SECTION("altered, truncated, made up, oversize, duplicated") {
        std::string flipped = token;
        flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
        for (std::string bad : std::vector<std::string>{
                 "/api/v1/items/?cursor=" + flipped,
                 "/api/v1/items/?cursor=" + token.substr(0, token.size() - 1),
                 "/api/v1/items/?cursor=" + token.substr(0, 20),
                 std::string("/api/v1/items/?cursor="), std::string("/api/v1/items/?cursor=abc"),
                 std::string("/api/v1/items/?cursor=%ff%00"),
                 "/api/v1/items/?cursor=" + std::string(600, 'A'),
                 "/api/v1/items/?cursor=" + token + "&cursor=" + token}) {
            INFO(bad);
            CHECK(error_body([&] { list(items, bad); }) == invalid);
        }
    }
}

TEST_CASE("a cursor whose key count or NULLs do not fit the ordering is refused", "[pagination]") {
    pg::cursor_paginator<> items(
        {.endpoint = "items", .ordering = {{"id"}}, .cursors = {.keys = {key_a}}});
    // Signed correctly for this scope, but shaped wrong: only a forger with the key could make
    // these; the paginator still refuses rather than index out of range.
    std::string scope = "5:items" + std::to_string(items.ordering().signature().size()) + ":" +
                        items.ordering().signature() + "0:";
    auto two = items.codec().encode(
        {{pg::key_value(std::int64_t{1}), pg::key_value(std::int64_t{2})}}, scope);
    auto null = items.codec().encode({{pg::key_value(nullptr)}}, scope);
    auto good = items.codec().encode({{pg::key_value(std::int64_t{2})}}, scope);
    CHECK(list(items, "/i/?cursor=" + good).results.front().id == 3);
    CHECK_THROWS_AS(list(items, "/i/?cursor=" + two), rampart::validation_error);
    CHECK_THROWS_AS(list(items, "/i/?cursor=" + null), rampart::validation_error);
}
