#ifndef RAMPART_JWT_DETAIL_CLEANSE_HPP
#define RAMPART_JWT_DETAIL_CLEANSE_HPP

#include <openssl/crypto.h>

#include <cstddef>

namespace rampart::jwt::detail {

/** Overwrites a buffer holding a secret (a password) with zeros when the scope ends, however
    it ends: a wipe written after a call is skipped when the call throws (a 503 from the
    hashing pool, a database error). The buffer must outlive the guard; declare the guard
    right after the buffer. A null or empty buffer is left alone.
*/
class cleanse_on_exit {
public:
    cleanse_on_exit(char* data, std::size_t size) noexcept : data_(data), size_(size) {}
    ~cleanse_on_exit() {
        if (data_ != nullptr && size_ != 0)
            OPENSSL_cleanse(data_, size_);
    }
    cleanse_on_exit(const cleanse_on_exit&) = delete;
    cleanse_on_exit& operator=(const cleanse_on_exit&) = delete;

private:
    char* data_;
    std::size_t size_;
};

} // namespace rampart::jwt::detail

#endif
