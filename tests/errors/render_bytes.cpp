// The formats write their bodies straight into the response. These tests hold them to the bytes
// the earlier renderer gave, which built a boost::json::value and serialized it: that renderer
// is kept here as the reference, and every format must match it byte for byte, headers and
// status included, for hand-picked cases and for thousands of random field-error trees.

#include <rampart/errors/format.hpp>

#include "errors/wire.hpp"

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace rampart;
using test::wire;

namespace {

// Status and headers are unchanged: the reference takes them from the same helper.
using rampart::detail::error_response_base;

// envelope_format as it was: a json::object, then boost::json::serialize.
response reference_envelope(const http_error& e) {
    boost::json::object errors;
    if (!e.fields().empty())
        errors = e.fields().to_json();
    else
        errors["detail"] = e.detail().empty() ? e.code() : e.detail();
    boost::json::object body;
    body["status"] = "error";
    body["code"] = e.status_code();
    body["errors"] = std::move(errors);
    response res = error_response_base(e, "application/json");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

// problem_format as it was.
response reference_problem(const http_error& e) {
    boost::json::object body;
    body["type"] = "about:blank";
    body["title"] = std::string(http::obsolete_reason(e.status()));
    body["status"] = e.status_code();
    body["code"] = e.code();
    if (!e.detail().empty())
        body["detail"] = e.detail();
    if (!e.fields().empty()) {
        boost::json::array list;
        e.fields().for_each([&](const std::vector<std::string_view>& path, const error_detail& d) {
            std::string pointer; // pointers are unchanged: the same helper writes them
            rampart::detail::assign_json_pointer(pointer, path);
            list.push_back(
                boost::json::object{{"pointer", pointer}, {"detail", d.message}, {"code", d.code}});
        });
        body["detail"] = "Request validation failed.";
        body["errors"] = std::move(list);
    }
    response res = error_response_base(e, "application/problem+json");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

void check_same(const http_error& e) {
    CHECK(wire(envelope_format{}(e)) == wire(reference_envelope(e)));
    CHECK(wire(problem_format{}(e)) == wire(reference_problem(e)));
}

// Text that needs every kind of escape, non-ASCII UTF-8, and bytes that are not UTF-8.
const std::vector<std::string> awkward_texts = {
    "",
    "plain",
    "quote \" and backslash \\ and slash /",
    std::string("controls \x01\x02\b\f\n\r\t\x1f and NUL ") + '\0' + " end",
    "DEL \x7f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "broken \xc3 \xff\xfe \xed\xa0\x80",
    std::string(300, 'x') + "\n" + std::string(5000, '"'),
};

} // namespace

TEST_CASE("every error type renders the reference bytes in both formats") {
    std::vector<http_error> errors{
        parse_error{},
        bad_request{},
        not_authenticated{},
        authentication_failed{"Token is expired.", "token_not_valid"},
        permission_denied{},
        not_found{},
        method_not_allowed{"DELETE", {"GET", "HEAD", "OPTIONS"}},
        not_acceptable{},
        gone{},
        payload_too_large{},
        unsupported_media_type{},
        throttled{std::chrono::seconds{7}},
        header_too_large{},
        internal_error{},
        service_unavailable{"Database unavailable.", std::chrono::seconds{5}},
        validation_error{"cursor", "Invalid cursor."},
        http_error{http::status::unauthorized, "x", ""}, // no detail: the code stands in
        http_error{static_cast<http::status>(299), "odd", "A status without a phrase."},
    };
    errors.back().with_header("WWW-Authenticate", "Bearer realm=\"a\"\r\nSet-Cookie: evil=1");
    for (const auto& e : errors) {
        INFO(e.code());
        check_same(e);
    }
}

TEST_CASE("escaping matches Boost.JSON's for every awkward text") {
    for (const auto& text : awkward_texts) {
        INFO(text.size());
        check_same(bad_request{text, text.empty() ? "empty" : text});
        check_same(validation_error{text, text, text});
        field_errors nested;
        nested.nested(text).add(text, text);
        check_same(validation_error{nested});
    }
}

TEST_CASE("field errors keep to_json's shape: order, nesting, skipped and merged members") {
    field_errors f;
    f.add("quantity", "Quantity must be at least 1.", "min_value");
    f.add("quantity", "A second message.");
    f.nested("address").add("city", "This field may not be blank.", "blank");
    f.add("address", "The address itself is wrong.");            // own messages and nested ones
    f.nested("empty_parent");                                    // no errors anywhere: skipped
    f.nested("items").nested("0").add("name", "Required.");      // array items by index
    f.nested("items").nested("1");                               // empty: skipped
    f.nested("collides").add("non_field_errors", "Nested one."); // replaced where it stands
    f.nested("collides").add("after", "After.");
    f.add("collides", "The field's own.");
    f.nested("unused").nested("non_field_errors"); // an empty member of that name: added last
    f.nested("unused").add("z", "Z.");
    f.add("unused", "Own.");
    f.add("last", "Last.");
    check_same(validation_error{f});
    CHECK(envelope_format{}(validation_error{f})
              .body()
              .find(R"("collides":{"non_field_errors":)"
                    R"(["The field's own."],"after")") != std::string::npos);
}

TEST_CASE("random field-error trees render the reference bytes") {
    std::mt19937 rng(20261203);
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n)(rng);
    };
    auto text = [&] {
        if (pick(3) == 0)
            return awkward_texts[pick(awkward_texts.size() - 1)];
        std::string s(pick(12), ' ');
        for (char& c : s)
            c = static_cast<char>(pick(255));
        return s;
    };
    const std::vector<std::string> names = {"a", "b", "non_field_errors", "0", "1", "x/y~z"};
    auto fill = [&](auto& self, field_errors& f, int depth) -> void {
        std::size_t members = pick(4);
        for (std::size_t i = 0; i < members; ++i) {
            const std::string& name = names[pick(names.size() - 1)];
            std::size_t messages = pick(2);
            for (std::size_t m = 0; m < messages; ++m)
                f.add(name, text(), text());
            if (depth < 3 && pick(2) == 0)
                self(self, f.nested(name), depth + 1);
        }
    };
    for (int round = 0; round < 3000; ++round) {
        field_errors f;
        fill(fill, f, 0);
        INFO("round " << round);
        if (f.empty())
            check_same(bad_request{text(), "bad_request"});
        else
            check_same(validation_error{f});
    }
}
