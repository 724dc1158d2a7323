#ifndef RAMPART_REDIS_SCRIPT_HPP
#define RAMPART_REDIS_SCRIPT_HPP

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rampart::redis {

/** A Lua script and its SHA-1, for `EVALSHA`.

    client::eval sends `EVALSHA` and, when the server answers `NOSCRIPT` (it restarted, or
    `SCRIPT FLUSH` ran), sends the source once with `EVAL`, which also caches it again. Cheap
    to copy: copies share the text.
*/
class script {
public:
    explicit script(std::string source)
        : state_(std::make_shared<const state>(state{sha1_hex(source), std::move(source)})) {}

    const std::string& source() const noexcept { return state_->source; }
    /// The lowercase hex SHA-1 of the source, as `SCRIPT LOAD` returns it.
    const std::string& sha1() const noexcept { return state_->sha1; }

private:
    struct state {
        std::string sha1;
        std::string source;
    };

    static std::string sha1_hex(std::string_view text) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr) != 1)
            throw std::runtime_error("rampart: SHA-1 unavailable for a Redis script");
        static constexpr char hex[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < size; ++i) {
            out += hex[digest[i] >> 4];
            out += hex[digest[i] & 15];
        }
        return out;
    }

    std::shared_ptr<const state> state_;
};

} // namespace rampart::redis

#endif
