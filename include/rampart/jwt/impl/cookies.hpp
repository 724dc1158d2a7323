#ifndef RAMPART_JWT_IMPL_COOKIES_HPP
#define RAMPART_JWT_IMPL_COOKIES_HPP

#include <rampart/detail/ascii.hpp>
#include <rampart/detail/base64url.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace rampart::jwt::detail {

inline std::optional<std::string_view> find_cookie(const request& req, std::string_view name,
                                                   std::size_t* count) {
    std::optional<std::string_view> found;
    if (count)
        *count = 0;
    auto range = req.equal_range(http::field::cookie);
    for (auto it = range.first; it != range.second; ++it) {
        std::string_view header{it->value().data(), it->value().size()};
        while (!header.empty()) {
            auto semi = header.find(';');
            std::string_view pair = rampart::detail::trim_ows(header.substr(0, semi));
            header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
            auto eq = pair.find('=');
            if (eq == std::string_view::npos ||
                rampart::detail::trim_ows(pair.substr(0, eq)) != name)
                continue;
            std::string_view value = rampart::detail::trim_ows(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (!found)
                found = value;
            if (!count)
                return found;
            ++*count;
        }
    }
    return found;
}

inline bool safe_method(http::verb m) noexcept {
    return m == http::verb::get || m == http::verb::head || m == http::verb::options ||
           m == http::verb::trace;
}

inline std::optional<std::string> csrf_problem(const request& req, const cookie_options& c) {
    std::size_t cookies = 0;
    auto cookie = find_cookie(req, c.csrf_cookie, &cookies);
    auto header = req.find(c.csrf_header);
    if (!cookie || cookie->empty() || header == req.end() || header->value().empty())
        return std::string("CSRF Failed: CSRF token missing.");
    // Two CSRF cookies: one may have been planted by a sibling subdomain (cookie tossing).
    if (cookies > 1 || req.count(c.csrf_header) > 1)
        return std::string("CSRF Failed: CSRF token sent more than once.");
    std::string_view sent{header->value().data(), header->value().size()};
    if (sent.size() != cookie->size() ||
        CRYPTO_memcmp(sent.data(), cookie->data(), sent.size()) != 0)
        return std::string("CSRF Failed: CSRF token incorrect.");
    return std::nullopt;
}

inline std::string random_csrf_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("rampart: no randomness for a CSRF token");
    std::string out;
    rampart::detail::base64url_encode(
        std::string_view{reinterpret_cast<const char*>(bytes), sizeof bytes}, out);
    return out;
}

inline void check_cookie_text(std::string_view what, std::string_view text, bool allow_empty) {
    if (!allow_empty && text.empty())
        throw std::invalid_argument("rampart::jwt: empty cookie " + std::string(what));
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == ';' || c == ',' || c == '"' || c == '\\' ||
            (c == '=' && what == "name"))
            throw std::invalid_argument("rampart::jwt: invalid character in cookie " +
                                        std::string(what));
    }
}

inline void check_cookie_options(const cookie_options& c) {
    for (auto* name : {&c.access_cookie, &c.refresh_cookie, &c.csrf_cookie, &c.csrf_header})
        check_cookie_text("name", *name, false);
    check_cookie_text("path", c.path, false);
    check_cookie_text("path", c.refresh_path, false);
    check_cookie_text("domain", c.domain, true);
    if (c.same_site != "Strict" && c.same_site != "Lax" && c.same_site != "None")
        throw std::invalid_argument("rampart::jwt: SameSite must be Strict, Lax or None");
    if (c.same_site == "None" && !c.secure)
        throw std::invalid_argument("rampart::jwt: SameSite=None needs Secure");
}

inline std::string set_cookie(const cookie_options& c, std::string_view name,
                              std::string_view value, std::string_view path,
                              std::chrono::seconds max_age, bool http_only) {
    std::string out{name};
    out += '=';
    out += value;
    out += "; Path=";
    out += path;
    if (!c.domain.empty()) {
        out += "; Domain=";
        out += c.domain;
    }
    out += "; Max-Age=";
    out += std::to_string(max_age.count() < 0 ? 0 : max_age.count());
    if (http_only)
        out += "; HttpOnly";
    if (c.secure)
        out += "; Secure";
    out += "; SameSite=";
    out += c.same_site;
    return out;
}

} // namespace rampart::jwt::detail

#endif
