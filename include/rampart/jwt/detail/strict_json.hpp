#ifndef RAMPART_JWT_DETAIL_STRICT_JSON_HPP
#define RAMPART_JWT_DETAIL_STRICT_JSON_HPP

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <string_view>

namespace rampart::jwt::detail {

enum class json_status { ok, bad_json, duplicate_key };

/** Builds a value like Boost.JSON's own parser while counting the members it was given.
    Boost.JSON keeps only the last of duplicate keys, so a tree with fewer members than the
    text had means the text repeated a key.
*/
struct counting_handler {
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    explicit counting_handler(boost::json::storage_ptr sp) : st(std::move(sp)) {}

    boost::json::value_stack st;
    std::size_t members = 0;

    using ec_t = boost::json::error_code;
    using sv = boost::json::string_view;
    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t n, ec_t&) {
        members += n;
        st.push_object(n);
        return true;
    }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t n, ec_t&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(sv s, std::size_t, ec_t&) {
        st.push_chars(s);
        return true;
    }
    bool on_key(sv s, std::size_t, ec_t&) {
        st.push_key(s);
        return true;
    }
    bool on_string_part(sv s, std::size_t, ec_t&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(sv s, std::size_t, ec_t&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(sv, ec_t&) { return true; }
    bool on_int64(std::int64_t i, sv, ec_t&) {
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, sv, ec_t&) {
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, sv, ec_t&) {
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
    bool on_comment_part(sv, ec_t&) { return true; }
    bool on_comment(sv, ec_t&) { return true; }
};

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

/** Parses `text` as one strict JSON object (RFC 8259: no comments, no trailing commas, valid
    UTF-8, nesting at most 16 deep) with no repeated member names at any depth.
*/
inline json_status parse_object(std::string_view text, boost::json::object& out) {
    boost::json::parse_options opts;
    opts.max_depth = 16;
    boost::json::basic_parser<counting_handler> p(opts, boost::json::storage_ptr{});
    p.handler().st.reset();
    boost::json::error_code ec;
    std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    if (ec || n != text.size() || !p.done())
        return json_status::bad_json;
    boost::json::value v = p.handler().st.release();
    if (!v.is_object())
        return json_status::bad_json;
    if (count_members(v) != p.handler().members)
        return json_status::duplicate_key;
    out = std::move(v.get_object());
    return json_status::ok;
}

} // namespace rampart::jwt::detail

#endif
