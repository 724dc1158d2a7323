#ifndef RAMPART_VALIDATION_DOCUMENT_HPP
#define RAMPART_VALIDATION_DOCUMENT_HPP

#include <rampart/errors/http_error.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::validation {

/// Limits applied to a body before any validation runs.
struct parse_limits {
    /// Largest body accepted, in bytes; larger gets 413 payload_too_large.
    std::size_t max_size = 64 * 1024;
    /// Deepest nesting of arrays and objects; deeper gets a 400 parse_error.
    std::size_t max_depth = 32;
};

/** A parsed JSON body, with the original text of every non-integer number.

    Boost.JSON turns `0.1` into a double; a rampart::decimal field wants the digits the client
    wrote. The document keeps them, so decimal fields are exact whatever the client sends.
*/
class document {
public:
    document() = default;
    explicit document(boost::json::value root) : root_(std::move(root)) {}

    const boost::json::value& root() const noexcept { return root_; }

    /// The text a double in this document was written as, when it came from parse_json.
    std::optional<std::string_view> number_text(const boost::json::value& v) const noexcept {
        // Sorted by address: a body of thousands of decimals stays O(n log n), not O(n^2).
        auto it = std::lower_bound(numbers_.begin(), numbers_.end(), &v,
                                   [](const auto& entry, const boost::json::value* p) {
                                       return std::less<>{}(entry.first, p);
                                   });
        if (it != numbers_.end() && it->first == &v)
            return std::string_view{it->second};
        return std::nullopt;
    }

private:
    friend document parse_json(std::string_view, const parse_limits&, boost::json::storage_ptr);

    boost::json::value root_;
    std::vector<std::pair<const boost::json::value*, std::string>> numbers_;
};

namespace detail {

/// Builds the value like Boost.JSON's own parser, and also counts keys (to find duplicates) and
/// keeps the text of doubles.
struct document_handler {
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    boost::json::value_stack st;
    std::size_t keys = 0;
    std::vector<std::string> double_texts;
    std::string number_prefix;

    using ec_t = boost::json::error_code;
    using sv_t = boost::json::string_view;

    explicit document_handler(boost::json::storage_ptr sp) { st.reset(std::move(sp)); }

    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t n, ec_t&) {
        st.push_object(n);
        return true;
    }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t n, ec_t&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(sv_t s, std::size_t, ec_t&) {
        st.push_chars(s);
        return true;
    }
    bool on_key(sv_t s, std::size_t, ec_t&) {
        ++keys;
        st.push_key(s);
        return true;
    }
    bool on_string_part(sv_t s, std::size_t, ec_t&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(sv_t s, std::size_t, ec_t&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(sv_t s, ec_t&) {
        number_prefix.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, sv_t, ec_t&) {
        number_prefix.clear();
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, sv_t, ec_t&) {
        number_prefix.clear();
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, sv_t s, ec_t&) {
        number_prefix.append(s.data(), s.size());
        double_texts.push_back(std::move(number_prefix));
        number_prefix.clear();
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, ec_t&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(ec_t&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(sv_t, ec_t&) { return true; }
    bool on_comment(sv_t, ec_t&) { return true; }
};

/// Walks `v` in document order: sums object sizes and lists the doubles.
inline void survey(const boost::json::value& v, std::size_t& members,
                   std::vector<const boost::json::value*>& doubles) {
    switch (v.kind()) {
    case boost::json::kind::object:
        members += v.get_object().size();
        for (const auto& kv : v.get_object())
            survey(kv.value(), members, doubles);
        break;
    case boost::json::kind::array:
        for (const auto& item : v.get_array())
            survey(item, members, doubles);
        break;
    case boost::json::kind::double_:
        doubles.push_back(&v);
        break;
    default:
        break;
    }
}

} // namespace detail

/** Parses a request body strictly, before any validation.

    - Larger than `limits.max_size`: throws payload_too_large (413).
    - Not JSON (including comments, trailing commas, invalid UTF-8 in strings, trailing data),
      nested deeper than `limits.max_depth`, or an object with the same key twice: throws
      parse_error (400). Duplicate keys are refused rather than resolved, because two parsers
      that pick different duplicates (a proxy, a logger, this service) can be made to disagree
      about what a request says.

    Memory for the value comes from `sp` (the default resource when null); the document must
    not outlive that resource.
*/
inline document parse_json(std::string_view text, const parse_limits& limits = {},
                           boost::json::storage_ptr sp = {}) {
    if (text.size() > limits.max_size)
        throw payload_too_large("Request body is too large (limit " +
                                std::to_string(limits.max_size) + " bytes).");
    boost::json::parse_options options;
    options.max_depth = limits.max_depth;
    boost::json::basic_parser<detail::document_handler> parser(options, sp);
    boost::json::error_code ec;
    std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && used != text.size())
        ec = boost::json::error::extra_data;
    if (ec) {
        if (ec == boost::json::error::too_deep)
            throw parse_error("JSON nesting is too deep (limit " +
                              std::to_string(limits.max_depth) + ").");
        if (text.empty())
            throw parse_error("Request body is empty; expected a JSON object.");
        throw parse_error("Malformed JSON: " + ec.message() + " at byte " + std::to_string(used) +
                          ".");
    }
    auto& h = parser.handler();
    document doc{h.st.release()};
    std::size_t members = 0;
    std::vector<const boost::json::value*> doubles;
    detail::survey(doc.root_, members, doubles);
    if (members != h.keys)
        throw parse_error("Malformed JSON: an object has the same key more than once.");
    if (doubles.size() == h.double_texts.size()) {
        doc.numbers_.reserve(doubles.size());
        for (std::size_t i = 0; i < doubles.size(); ++i)
            doc.numbers_.emplace_back(doubles[i], std::move(h.double_texts[i]));
        std::sort(doc.numbers_.begin(), doc.numbers_.end(),
                  [](const auto& a, const auto& b) { return std::less<>{}(a.first, b.first); });
    }
    return doc;
}

} // namespace rampart::validation

#endif
