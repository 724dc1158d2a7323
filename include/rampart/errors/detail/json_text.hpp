#ifndef RAMPART_ERRORS_DETAIL_JSON_TEXT_HPP
#define RAMPART_ERRORS_DETAIL_JSON_TEXT_HPP

// Error bodies written straight into the response's string: the bytes boost::json::serialize
// gives for the same object, without building a boost::json::value first (no allocation but
// the body's own). Strings are escaped by Boost.JSON's serializer, so escaping is written once.

#include <rampart/errors/field_errors.hpp>

#include <boost/json/serializer.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::detail {

/// Appends JSON text to a string. Structure (braces, commas, keys' colons) is the caller's.
class json_text {
public:
    explicit json_text(std::string& out) noexcept : out_(out) {}

    json_text& raw(std::string_view text) {
        out_.append(text);
        return *this;
    }

    /// `text` quoted and escaped exactly as boost::json::serialize writes a string. Text with
    /// nothing to escape (no control byte, `"` or `\`; Boost.JSON escapes nothing else) is
    /// copied as is; any other goes through Boost.JSON's serializer.
    json_text& string(std::string_view text) {
        if (std::none_of(text.begin(), text.end(), [](char c) {
                return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
            })) {
            out_.push_back('"');
            out_.append(text);
            out_.push_back('"');
            return *this;
        }
        serializer_.reset(text);
        while (!serializer_.done()) {
            std::size_t at = out_.size();
            std::size_t room = std::max<std::size_t>(out_.capacity() - at, text.size() + 16);
            out_.resize(at + room);
            auto written = serializer_.read(out_.data() + at, room);
            out_.resize(at + written.size());
        }
        return *this;
    }

    json_text& number(unsigned value) {
        char digits[16];
        auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        out_.append(digits, end);
        return *this;
    }

    /// `"key":`
    json_text& key(std::string_view name) { return string(name).raw(":"); }

private:
    std::string& out_;
    boost::json::serializer serializer_;
};

/// Writes field_errors as field_errors::to_json() serializes, member for member.
struct field_errors_json {
    static void write(json_text& out, const field_errors& errors) { write(out, errors, nullptr); }

private:
    using messages = std::vector<error_detail>;

    static void write_messages(json_text& out, const messages& list) {
        out.raw("[");
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (i > 0)
                out.raw(",");
            out.string(list[i].message);
        }
        out.raw("]");
    }

    /// `own`: the messages of the field this object is nested under. to_json() assigns them to
    /// `non_field_errors`, which replaces a nested field of that name where it stands, or is
    /// added last.
    static void write(json_text& out, const field_errors& errors, const messages* own) {
        out.raw("{");
        bool first = true;
        auto next_member = [&](std::string_view name) {
            if (!first)
                out.raw(",");
            first = false;
            out.key(name);
        };
        for (const auto& e : errors.entries_) {
            bool has_children = e.children && !e.children->empty();
            if (!has_children && e.messages.empty())
                continue;
            next_member(e.name);
            if (own && e.name == "non_field_errors") {
                write_messages(out, *own);
                own = nullptr;
            } else if (has_children) {
                write(out, *e.children, e.messages.empty() ? nullptr : &e.messages);
            } else {
                write_messages(out, e.messages);
            }
        }
        if (own) {
            next_member("non_field_errors");
            write_messages(out, *own);
        }
        out.raw("}");
    }
};

} // namespace rampart::detail

#endif
