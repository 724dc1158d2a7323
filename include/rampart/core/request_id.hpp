#ifndef RAMPART_CORE_REQUEST_ID_HPP
#define RAMPART_CORE_REQUEST_ID_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rampart {

/** The id of one request, as sent and echoed in `X-Request-ID` and written in the access log.

    A value is sane when it is 1 to 128 bytes, each a letter, a digit, or one of `-._:` (a
    UUID, a hex or base32 id, `service:1234.5` all are). Only a sane value is ever held, so an
    id can be copied into a response header or a log line as is: it cannot split either, and
    it cannot grow a log without bound. Held in place (no allocation): the server makes one
    per request.
*/
class request_id {
public:
    static constexpr std::size_t max_size = 128;

    /// The header that carries it, in requests and responses.
    static constexpr std::string_view header = "X-Request-ID";

    /// No id (empty): outside a server, or with request ids turned off.
    request_id() noexcept = default;

    /// Whether `text` is a sane id (see the class comment).
    static constexpr bool is_sane(std::string_view text) noexcept {
        if (text.empty() || text.size() > max_size)
            return false;
        return std::all_of(text.begin(), text.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '.' || c == '_' || c == ':';
        });
    }

    /// `text` as an id when it is sane, else nullopt.
    static std::optional<request_id> parse(std::string_view text) noexcept {
        if (!is_sane(text))
            return std::nullopt;
        request_id id;
        std::copy(text.begin(), text.end(), id.chars_.begin());
        id.size_ = static_cast<std::uint8_t>(text.size());
        return id;
    }

    std::string_view view() const noexcept { return {chars_.data(), size_}; }
    bool empty() const noexcept { return size_ == 0; }

    friend bool operator==(const request_id& a, const request_id& b) noexcept {
        return a.view() == b.view();
    }

private:
    std::array<char, max_size> chars_{};
    std::uint8_t size_ = 0;
};

} // namespace rampart

#endif
