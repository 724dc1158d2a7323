#ifndef RAMPART_DETAIL_STRICT_JSON_HPP
#define RAMPART_DETAIL_STRICT_JSON_HPP

// The one strict JSON parse behind request bodies, JWT headers and claims, and JWK sets:
// RFC 8259 only (no comments, no trailing commas, valid UTF-8, no trailing data), a nesting
// limit, and no object that repeats a member name at any depth. Duplicates are refused rather
// than resolved, because two parsers that pick different duplicates (a proxy, a logger, this
// service) can be made to disagree about what a message says.

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::detail {

/** Builds a value like Boost.JSON's own parser while counting the keys it was given (Boost.JSON
    keeps only the last of duplicate keys, so a tree with fewer members than the text had keys
    means the text repeated one) and, when asked, keeping the text of every double.
*/
struct strict_json_handler {
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    boost::json::value_stack st;
    std::size_t keys = 0;
    bool keep_double_texts = false;
    std::vector<std::string> double_texts; // in document order
    std::string number_prefix;

    using ec_t = boost::json::error_code;
    using sv_t = boost::json::string_view;

    /// `temp`: `temp_size` bytes for the value stack's scratch space (the heap beyond them).
    strict_json_handler(boost::json::storage_ptr sp, bool keep_doubles, unsigned char* temp,
                        std::size_t temp_size)
        : st({}, temp, temp_size), keep_double_texts(keep_doubles) {
        st.reset(std::move(sp));
    }

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
        if (keep_double_texts)
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
        if (keep_double_texts) {
            number_prefix.append(s.data(), s.size());
            double_texts.push_back(std::move(number_prefix));
            number_prefix.clear();
        }
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

/// The members of every object in `v`, at every depth.
inline std::size_t count_members(const boost::json::value& v) noexcept {
    std::size_t n = 0;
    if (const auto* o = v.if_object()) {
        n += o->size();
        for (const auto& m : *o)
            n += count_members(m.value());
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            n += count_members(e);
    }
    return n;
}

/// What parse_strict_json found.
struct strict_json_result {
    boost::json::value value;              // null when `ec` is set
    boost::json::error_code ec;            // malformed, too deep (error::too_deep) or trailing data
    std::size_t used = 0;                  // bytes read before `ec`
    bool duplicate_key = false;            // well-formed, but an object repeats a member name
    std::vector<std::string> double_texts; // the text of each double, in document order

    bool ok() const noexcept { return !ec && !duplicate_key; }
};

/// Parses into `r`, whose (null) value already has the resource the result is to be in.
inline void parse_strict_json_into(strict_json_result& r, std::string_view text,
                                   std::size_t max_depth, boost::json::storage_ptr sp,
                                   bool keep_double_texts) {
    boost::json::parse_options options;
    options.max_depth = max_depth;
    // Scratch space for the value stack on this frame, as boost::json::parse has it.
    unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
    boost::json::basic_parser<strict_json_handler> parser(options, std::move(sp), keep_double_texts,
                                                          temp, sizeof temp);
    r.used = parser.write_some(false, text.data(), text.size(), r.ec);
    if (!r.ec && r.used != text.size())
        r.ec = boost::json::error::extra_data;
    if (!r.ec && !parser.done())
        r.ec = boost::json::error::incomplete;
    if (r.ec)
        return;
    auto& h = parser.handler();
    r.value = h.st.release(); // a move when r.value has the same resource, else a copy
    r.duplicate_key = count_members(r.value) != h.keys;
    r.double_texts = std::move(h.double_texts);
}

/** Parses `text` as one strict JSON value (see the top of this file), nesting at most
    `max_depth` deep. The tree is built in `sp` (the default resource when null) and the
    result's value is a copy of it on the default resource, which callers may keep after `sp`
    is gone. `keep_double_texts` also records how each non-integer number was written. Never
    throws for bad input; only std::bad_alloc.
*/
inline strict_json_result parse_strict_json(std::string_view text, std::size_t max_depth,
                                            boost::json::storage_ptr sp = {},
                                            bool keep_double_texts = false) {
    strict_json_result r;
    parse_strict_json_into(r, text, max_depth, std::move(sp), keep_double_texts);
    return r;
}

/// As parse_strict_json, but the result's value stays in `sp` (no copy): it must not outlive
/// `sp`'s memory resource.
inline strict_json_result parse_strict_json_in(std::string_view text, std::size_t max_depth,
                                               boost::json::storage_ptr sp) {
    strict_json_result r{boost::json::value(sp), {}, 0, false, {}};
    parse_strict_json_into(r, text, max_depth, std::move(sp), false);
    return r;
}

/// The outcome of parse_object.
enum class json_status { ok, bad_json, duplicate_key };

/// Parses `text` as one strict JSON object (parse_strict_json, nesting at most `max_depth`;
/// JOSE headers, claims and JWK sets are shallow, hence 16) into `out`.
inline json_status parse_object(std::string_view text, boost::json::object& out,
                                std::size_t max_depth = 16) {
    auto r = parse_strict_json(text, max_depth);
    if (r.ec || !r.value.is_object())
        return json_status::bad_json;
    if (r.duplicate_key)
        return json_status::duplicate_key;
    out = std::move(r.value.get_object());
    return json_status::ok;
}

} // namespace rampart::detail

#endif
