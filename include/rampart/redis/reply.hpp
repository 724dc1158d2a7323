#ifndef RAMPART_REDIS_REPLY_HPP
#define RAMPART_REDIS_REPLY_HPP

#include <rampart/redis/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::redis {

/// The kinds of RESP2 reply.
enum class reply_kind { nil, integer, string, array, status, error };

/** One reply from the server; owns all its data (nothing points into a network buffer).

    A status (`+OK`) and an error (`-ERR ...`) carry their text, read with `str()`. An error
    reply is a normal reply, not an exception: the call reached the server and was answered.
*/
class reply {
public:
    /// A nil reply.
    reply() = default;

    static reply make_nil() { return reply{}; }
    static reply make_integer(std::int64_t v) {
        reply r{reply_kind::integer};
        r.integer_ = v;
        return r;
    }
    static reply make_string(std::string s) { return reply{reply_kind::string, std::move(s)}; }
    static reply make_status(std::string s) { return reply{reply_kind::status, std::move(s)}; }
    static reply make_error(std::string s) { return reply{reply_kind::error, std::move(s)}; }
    static reply make_array(std::vector<reply> elements) {
        reply r{reply_kind::array};
        r.elements_ = std::move(elements);
        return r;
    }

    reply_kind kind() const noexcept { return kind_; }
    bool is_nil() const noexcept { return kind_ == reply_kind::nil; }
    bool is_integer() const noexcept { return kind_ == reply_kind::integer; }
    bool is_string() const noexcept { return kind_ == reply_kind::string; }
    bool is_array() const noexcept { return kind_ == reply_kind::array; }
    bool is_status() const noexcept { return kind_ == reply_kind::status; }
    bool is_error() const noexcept { return kind_ == reply_kind::error; }

    /// The value of an integer reply; throws unexpected_reply for any other kind.
    std::int64_t integer() const {
        if (kind_ != reply_kind::integer)
            throw unexpected_reply("redis: expected an integer reply, got " + describe());
        return integer_;
    }

    /// The text of a string, status or error reply; throws unexpected_reply for other kinds.
    const std::string& str() const {
        if (kind_ != reply_kind::string && kind_ != reply_kind::status &&
            kind_ != reply_kind::error)
            throw unexpected_reply("redis: expected a string reply, got " + describe());
        return text_;
    }

    /// The elements of an array reply; throws unexpected_reply for other kinds.
    const std::vector<reply>& elements() const {
        if (kind_ != reply_kind::array)
            throw unexpected_reply("redis: expected an array reply, got " + describe());
        return elements_;
    }

    /// A short description for messages: the kind, and an error's text.
    std::string describe() const {
        switch (kind_) {
        case reply_kind::nil:
            return "nil";
        case reply_kind::integer:
            return "integer";
        case reply_kind::string:
            return "string";
        case reply_kind::array:
            return "array";
        case reply_kind::status:
            return "status";
        case reply_kind::error:
            return "error \"" + text_.substr(0, 200) + "\"";
        }
        return "unknown";
    }

    friend bool operator==(const reply& a, const reply& b) {
        return a.kind_ == b.kind_ && a.integer_ == b.integer_ && a.text_ == b.text_ &&
               a.elements_ == b.elements_;
    }

private:
    explicit reply(reply_kind k, std::string text = {}) : kind_(k), text_(std::move(text)) {}

    reply_kind kind_ = reply_kind::nil;
    std::int64_t integer_ = 0;
    std::string text_;
    std::vector<reply> elements_;
};

} // namespace rampart::redis

#endif
