#ifndef RAMPART_VALIDATION_DOCUMENT_HPP
#define RAMPART_VALIDATION_DOCUMENT_HPP

#include <rampart/errors/http_error.hpp>

#include <rampart/detail/strict_json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

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

/// Lists the doubles of `v` in document order.
inline void collect_doubles(const boost::json::value& v,
                            std::vector<const boost::json::value*>& doubles) {
    switch (v.kind()) {
    case boost::json::kind::object:
        for (const auto& kv : v.get_object())
            collect_doubles(kv.value(), doubles);
        break;
    case boost::json::kind::array:
        for (const auto& item : v.get_array())
            collect_doubles(item, doubles);
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
    auto r = rampart::detail::parse_strict_json(text, limits.max_depth, std::move(sp), true);
    if (r.ec) {
        if (r.ec == boost::json::error::too_deep)
            throw parse_error("JSON nesting is too deep (limit " +
                              std::to_string(limits.max_depth) + ").");
        if (text.empty())
            throw parse_error("Request body is empty; expected a JSON object.");
        throw parse_error("Malformed JSON: " + r.ec.message() + " at byte " +
                          std::to_string(r.used) + ".");
    }
    if (r.duplicate_key)
        throw parse_error("Malformed JSON: an object has the same key more than once.");
    document doc{std::move(r.value)};
    std::vector<const boost::json::value*> doubles;
    detail::collect_doubles(doc.root_, doubles);
    if (doubles.size() == r.double_texts.size()) {
        doc.numbers_.reserve(doubles.size());
        for (std::size_t i = 0; i < doubles.size(); ++i)
            doc.numbers_.emplace_back(doubles[i], std::move(r.double_texts[i]));
        std::sort(doc.numbers_.begin(), doc.numbers_.end(),
                  [](const auto& a, const auto& b) { return std::less<>{}(a.first, b.first); });
    }
    return doc;
}

} // namespace rampart::validation

#endif
