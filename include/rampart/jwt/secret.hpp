#ifndef RAMPART_JWT_SECRET_HPP
#define RAMPART_JWT_SECRET_HPP

// Shared secrets for a service that has none configured: made from the system's random
// generator, kept in a file only its owner can read, and turned into separate keys per purpose.

#include <rampart/detail/base64url.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::jwt {

/** A new secret: `bytes` bytes from the system's cryptographic generator, as unpadded
    base64url text (64 characters for the default 48 bytes, 288 bits), so that it can be kept
    in a text file or an environment variable and used as an HS256 key as it is.
    Throws: std::runtime_error when the random generator fails.
*/
inline std::string generate_secret(std::size_t bytes = 48) {
    std::vector<unsigned char> random(bytes);
    if (bytes > 0 && RAND_bytes(random.data(), static_cast<int>(bytes)) != 1)
        throw std::runtime_error("rampart: the random generator failed");
    return rampart::detail::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
}

/** A key for one `purpose` derived from `secret`: HMAC-SHA256(secret, purpose), 32 bytes.
    One configured secret can then key several things (token signatures, pagination cursors)
    without a leak of one key exposing another or the secret.

    Throws: std::runtime_error when OpenSSL's HMAC fails (a server fault).
*/
inline std::string derive_key(std::string_view secret, std::string_view purpose) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), out, &length))
        throw std::runtime_error("rampart: HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(out), length);
}

/// A secret file that cannot be used; the message names the file.
class secret_file_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What load_or_create_secret_file found.
struct secret_file {
    std::string secret;
    /// This call made the file (false: it was there, or another process made it first).
    bool created = false;
    /// The file grants read access to its group or to others: say so, e.g. "chmod 600".
    bool readable_by_others = false;
};

namespace detail {

[[noreturn]] inline void secret_file_fail(const std::filesystem::path& path, const char* what,
                                          int err) {
    throw secret_file_error(path.string() + ": " + what + ": " + std::strerror(err));
}

/// The kept secret (first line), or nullopt when `path` does not exist.
inline std::optional<secret_file> read_secret_file(const std::filesystem::path& path,
                                                   std::size_t min_size) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::nullopt;
        secret_file_fail(path, "cannot open the secret file", errno);
    }
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        secret_file_fail(path, "cannot stat the secret file", errno);
    if (!S_ISREG(st.st_mode))
        throw secret_file_error(path.string() + ": the secret file is not a regular file");
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            secret_file_fail(path, "cannot read the secret file", errno);
        if (n == 0 || text.size() > 64 * 1024)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    secret_file found;
    found.secret = text.substr(0, text.find('\n'));
    if (!found.secret.empty() && found.secret.back() == '\r')
        found.secret.pop_back();
    if (found.secret.size() < min_size)
        throw secret_file_error(path.string() + ": the kept secret is too short (" +
                                std::to_string(found.secret.size()) + " bytes, at least " +
                                std::to_string(min_size) + " needed)");
    found.readable_by_others = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
    return found;
}

} // namespace detail

/** The secret kept in `path` (its first line); when there is no such file, a new one from
    generate_secret(), kept there for the next start.

    The file is made with mode 0600 from the first byte: the secret is written and synced to a
    temporary file (O_CREAT | O_EXCL, mode 0600) beside `path`, which is then linked into place,
    so `path` never holds a partial secret and never exists with wider permissions. When two
    processes start at once, one links its file first and the other reads that one: both use
    the same secret. An existing file readable by its group or others is used, and reported in
    `readable_by_others` for the caller to warn about.
    Throws: secret_file_error, naming the file, when it cannot be read or written, is not a
    regular file, or holds a secret shorter than `min_size` bytes; std::runtime_error when the
    random generator fails.
*/
inline secret_file load_or_create_secret_file(const std::filesystem::path& path,
                                              std::size_t min_size = 32) {
    if (auto found = detail::read_secret_file(path, min_size))
        return *found;
    secret_file made;
    made.secret = generate_secret();
    std::filesystem::path temporary = path;
    temporary += ".tmp-" + generate_secret(6);
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        detail::secret_file_fail(path, "cannot create the secret file", errno);
    struct remover {
        const std::filesystem::path& file;
        ~remover() { ::unlink(file.c_str()); }
    } cleanup{temporary};
    std::string line = made.secret + '\n';
    std::size_t written = 0;
    int err = 0;
    while (written < line.size()) {
        ssize_t n = ::write(fd, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            break;
        }
        written += static_cast<std::size_t>(n);
    }
    if (err == 0 && ::fsync(fd) != 0)
        err = errno;
    ::close(fd);
    if (err != 0)
        detail::secret_file_fail(path, "cannot write the secret file", err);
    if (::link(temporary.c_str(), path.c_str()) != 0) {
        if (errno != EEXIST)
            detail::secret_file_fail(path, "cannot create the secret file", errno);
        // Another process made it first: use its secret.
        if (auto theirs = detail::read_secret_file(path, min_size))
            return *theirs;
        throw secret_file_error(path.string() + ": the secret file vanished while being made");
    }
    // Make the new directory entry durable too (best effort: the secret itself is synced).
    std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
    if (int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    made.created = true;
    return made;
}

} // namespace rampart::jwt

#endif
