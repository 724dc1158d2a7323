#ifndef RAMPART_JWT_JWKS_HPP
#define RAMPART_JWT_JWKS_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/response.hpp>
#include <rampart/detail/strict_json.hpp>
#include <rampart/jwt/key_set.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace rampart::jwt {

/** The public keys of `keys` as a JWKS document (RFC 7517 section 5): `{"keys":[...]}`.
    HMAC secrets are never included.
*/
inline boost::json::object to_jwks(const key_set& keys) {
    boost::json::array list;
    for (const auto& k : keys)
        if (!k.symmetric())
            list.push_back(k.public_jwk());
    boost::json::object doc;
    doc["keys"] = std::move(list);
    return doc;
}

/** The verification keys of a JWKS document.

    Keys this library cannot use are skipped, as RFC 7517 section 5 asks: unknown `kty`,
    encryption keys (`use: enc`), unsupported curves or algorithms, a `kty` that does not match
    its `alg`, RSA keys under 2048 bits, `oct` secrets unless jwk_options::allow_symmetric,
    and a repeated `kid`.

    Throws: jwks_error when the document is not a JSON object with a `keys` array (the
    publisher's error, or a wrong URL in the configuration).
*/
inline key_set from_jwks(const boost::json::object& doc, const jwk_options& options = {}) {
    auto it = doc.find("keys");
    if (it == doc.end() || !it->value().is_array())
        throw jwks_error("rampart::jwt: a JWKS needs a \"keys\" array");
    key_set out;
    for (const auto& entry : it->value().get_array()) {
        if (!entry.is_object())
            continue;
        try {
            key k = key::from_jwk(entry.get_object(), options);
            if (k.kid().empty() || !out.find(k.kid()))
                out.add(std::move(k));
        } catch (const key_error&) {
        }
    }
    return out;
}

/// from_jwks over JSON text (strict: duplicate members refused).
/// Throws: jwks_error when the text is not such a document (as from_jwks).
inline key_set parse_jwks(std::string_view text, const jwk_options& options = {}) {
    boost::json::object doc;
    if (rampart::detail::parse_object(text, doc) != rampart::detail::json_status::ok)
        throw jwks_error("rampart::jwt: the JWKS is not a valid JSON object");
    return from_jwks(doc, options);
}

/// As parse_jwks, without throwing: the key set, or the problem (value() then throws the
/// jwks_error). Throws: std::bad_alloc only.
inline boost::system::result<key_set, jwks_problem>
try_parse_jwks(std::string_view text, const jwk_options& options = {}) {
    try {
        return parse_jwks(text, options);
    } catch (const jwks_error& e) {
        return jwks_problem{e.what()};
    }
}

/** A handler serving a key set's public keys as `application/jwk-set+json`, for a route such
    as `GET /.well-known/jwks.json`. The document is rendered once, at construction; it says
    `Cache-Control: public, max-age=<max_age>` so verifiers do not refetch on every request.
*/
class jwks_handler {
public:
    explicit jwks_handler(const key_set& keys,
                          std::chrono::seconds max_age = std::chrono::seconds{300})
        : body_(std::make_shared<const std::string>(boost::json::serialize(to_jwks(keys)))),
          cache_control_("public, max-age=" + std::to_string(max_age.count())) {}

    asio::awaitable<response> operator()(context&) const {
        response res{http::status::ok, 11};
        res.set(http::field::content_type, "application/jwk-set+json");
        res.set(http::field::cache_control, cache_control_);
        res.body() = *body_;
        res.prepare_payload();
        co_return res;
    }

private:
    std::shared_ptr<const std::string> body_;
    std::string cache_control_;
};

} // namespace rampart::jwt

#endif
