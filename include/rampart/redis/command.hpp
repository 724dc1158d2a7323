#ifndef RAMPART_REDIS_COMMAND_HPP
#define RAMPART_REDIS_COMMAND_HPP

#include <charconv>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace rampart::redis {

/** One command, already encoded as RESP bulk strings, ready to be pipelined.

    Arguments are binary-safe text or integers (written in decimal):
    `command{"SET", key, 42, "NX", "PXAT", deadline_ms}`. Encoding happens as arguments are
    added, so a command holds no references to the caller's data.
*/
class command {
public:
    command() = default;

    /// A command from its name and arguments.
    template <class... Args>
    explicit command(std::string_view name, const Args&... args) {
        arg(name);
        (arg(args), ...);
    }

    /// Appends a text argument.
    command& arg(std::string_view a) {
        append_length('$', a.size());
        body_.append(a);
        body_.append("\r\n");
        ++count_;
        return *this;
    }
    command& arg(const char* a) { return arg(std::string_view{a}); }
    command& arg(const std::string& a) { return arg(std::string_view{a}); }

    /// Appends an integer argument, in decimal.
    template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>) command& arg(I value) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
        (void)ec; // 24 characters hold any 64-bit integer
        return arg(std::string_view{digits, static_cast<std::size_t>(end - digits)});
    }

    /// Appends every argument of `other` after this command's.
    command& append(const command& other) {
        body_.append(other.body_);
        count_ += other.count_;
        return *this;
    }

    /// How many arguments (the name included).
    std::size_t size() const noexcept { return count_; }

    /// Appends the whole RESP encoding (`*N\r\n` and the arguments) to `out`.
    void encode_to(std::string& out) const {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, count_);
        (void)ec;
        out += '*';
        out.append(digits, end);
        out.append("\r\n");
        out.append(body_);
    }

    /// The RESP encoding, for tests and logs.
    std::string encoded() const {
        std::string out;
        encode_to(out);
        return out;
    }

    /// Bytes of the encoded arguments.
    std::size_t encoded_size() const noexcept { return body_.size() + 24; }

private:
    void append_length(char kind, std::size_t n) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
        (void)ec;
        body_ += kind;
        body_.append(digits, end);
        body_.append("\r\n");
    }

    std::string body_;
    std::size_t count_ = 0;
};

} // namespace rampart::redis

#endif
