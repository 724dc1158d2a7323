#ifndef RAMPART_JWT_IMPL_KEY_HPP
#define RAMPART_JWT_IMPL_KEY_HPP

#include <rampart/detail/base64url.hpp>
#include <rampart/detail/hmac.hpp>
#include <rampart/jwt/detail/openssl.hpp>

#include <boost/json/string.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>
#include <optional>
#include <vector>

namespace rampart::jwt {
namespace detail {

struct key_material {
    algorithm alg{};
    std::string kid;
    std::string secret;                       // HMAC only; wiped in the destructor
    std::optional<rampart::detail::hmac> mac; // HMAC: inner/outer states prepared once
    pkey_ptr pkey;                            // asymmetric only
    md_ptr md;                                // the digest (null for EdDSA and HMAC)
    md_ctx_ptr verify_template; // RSA/ECDSA: a verify context set up once, copied per use
    bool has_private = false;

    key_material() = default;
    key_material(const key_material&) = delete;
    ~key_material() {
        if (!secret.empty())
            OPENSSL_cleanse(secret.data(), secret.size());
    }
};

inline const char* digest_name(algorithm alg) noexcept {
    switch (hash_size(alg)) {
    case 32:
        return "SHA256";
    case 48:
        return "SHA384";
    case 64:
        return "SHA512";
    default:
        return nullptr;
    }
}

/// Bytes of one ECDSA coordinate (and half the raw signature) for an ES algorithm.
inline std::size_t ec_coordinate_size(algorithm alg) noexcept {
    switch (alg) {
    case algorithm::es256:
        return 32;
    case algorithm::es384:
        return 48;
    case algorithm::es512:
        return 66;
    default:
        return 0;
    }
}

inline const char* ec_group_name(algorithm alg) noexcept {
    switch (alg) {
    case algorithm::es256:
        return "prime256v1";
    case algorithm::es384:
        return "secp384r1";
    case algorithm::es512:
        return "secp521r1";
    default:
        return nullptr;
    }
}

inline const char* jwk_curve_name(algorithm alg) noexcept {
    switch (alg) {
    case algorithm::es256:
        return "P-256";
    case algorithm::es384:
        return "P-384";
    case algorithm::es512:
        return "P-521";
    case algorithm::eddsa:
        return "Ed25519";
    default:
        return nullptr;
    }
}

inline bool is_pss(algorithm alg) noexcept {
    return alg == algorithm::ps256 || alg == algorithm::ps384 || alg == algorithm::ps512;
}

inline bool init_digest(EVP_MD_CTX* ctx, const key_material& m, bool signing) noexcept;

/// Checks that `pkey` suits `alg` (family, curve, size) and fills the material around it.
inline std::shared_ptr<key_material> make_asymmetric(algorithm alg, pkey_ptr pkey, bool priv,
                                                     std::string kid) {
    if (!pkey)
        throw key_error("rampart::jwt: no key");
    switch (family(alg)) {
    case key_family::hmac:
        throw key_error("rampart::jwt: an HMAC algorithm cannot use a public/private key pair");
    case key_family::rsa:
        if (!EVP_PKEY_is_a(pkey.get(), "RSA") &&
            !(is_pss(alg) && EVP_PKEY_is_a(pkey.get(), "RSA-PSS")))
            throw key_error("rampart::jwt: " + std::string(name(alg)) + " needs an RSA key");
        if (EVP_PKEY_get_bits(pkey.get()) < 2048)
            throw key_error("rampart::jwt: RSA keys must have at least 2048 bits");
        break;
    case key_family::ec: {
        if (!EVP_PKEY_is_a(pkey.get(), "EC"))
            throw key_error("rampart::jwt: " + std::string(name(alg)) + " needs an EC key");
        char group[64] = {};
        std::size_t len = 0;
        if (!EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                            sizeof group, &len) ||
            std::strcmp(group, ec_group_name(alg)) != 0)
            throw key_error("rampart::jwt: " + std::string(name(alg)) + " needs a " +
                            jwk_curve_name(alg) + " key");
        break;
    }
    case key_family::okp:
        if (!EVP_PKEY_is_a(pkey.get(), "ED25519"))
            throw key_error("rampart::jwt: EdDSA needs an Ed25519 key");
        break;
    }
    auto m = std::make_shared<key_material>();
    m->alg = alg;
    m->kid = std::move(kid);
    m->pkey = std::move(pkey);
    m->has_private = priv;
    if (const char* dn = digest_name(alg); dn && family(alg) != key_family::okp) {
        m->md.reset(EVP_MD_fetch(nullptr, dn, nullptr));
        if (!m->md)
            throw_key_error("cannot fetch digest");
    }
    if (m->md) {
        m->verify_template.reset(EVP_MD_CTX_new());
        if (!m->verify_template || !init_digest(m->verify_template.get(), *m, false))
            throw_key_error("cannot set up verification");
    }
    return m;
}

inline int refuse_passphrase(char*, int, int, void*) {
    return -1;
}

inline std::string bn_bytes(const BIGNUM* bn, std::size_t pad = 0) {
    std::size_t n = static_cast<std::size_t>(BN_num_bytes(bn));
    std::string out(pad > n ? pad : n, '\0');
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()),
                     static_cast<int>(out.size())) < 0)
        throw_key_error("cannot encode a number");
    return out;
}

inline std::string jwk_member(const boost::json::object& jwk, std::string_view member) {
    auto it = jwk.find(member);
    if (it == jwk.end() || !it->value().is_string())
        throw key_error("rampart::jwt: JWK member \"" + std::string(member) +
                        "\" is missing or not a string");
    const auto& s = it->value().get_string();
    std::string out;
    if (!rampart::detail::base64url_decode({s.data(), s.size()}, out) || out.empty())
        throw key_error("rampart::jwt: JWK member \"" + std::string(member) +
                        "\" is not base64url");
    return out;
}

inline std::string pem_of(EVP_PKEY* pkey, bool priv) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio)
        throw_key_error("cannot allocate");
    int ok = priv ? PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), pkey);
    if (!ok)
        throw_key_error("cannot write PEM");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

inline pkey_ptr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
    params_ptr params(OSSL_PARAM_BLD_to_param(bld));
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        throw_key_error("JWK is not a valid public key");
    pkey_ptr pkey(raw);
    pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1)
        throw_key_error("JWK is not a valid public key");
    return pkey;
}

} // namespace detail

inline key key::hmac(algorithm alg, std::string_view secret, std::string kid,
                     secret_policy policy) {
    if (family(alg) != key_family::hmac)
        throw key_error("rampart::jwt: " + std::string(name(alg)) +
                        " is not an HMAC algorithm; a secret cannot be its key");
    if (secret.empty())
        throw key_error("rampart::jwt: an HMAC secret must not be empty");
    if (policy == secret_policy::require_hash_size && secret.size() < hash_size(alg))
        throw key_error("rampart::jwt: an " + std::string(name(alg)) + " secret needs at least " +
                        std::to_string(hash_size(alg)) +
                        " bytes (RFC 7518 section 3.2); see secret_policy::allow_short");
    auto m = std::make_shared<detail::key_material>();
    m->alg = alg;
    m->kid = std::move(kid);
    m->secret.assign(secret);
    try {
        m->mac.emplace(detail::digest_name(alg), m->secret);
    } catch (const std::runtime_error&) {
        detail::throw_key_error("cannot key HMAC");
    }
    m->has_private = true;
    return key{std::move(m)};
}

inline key key::from_pem(algorithm alg, std::string_view pem, std::string kid) {
    if (family(alg) == key_family::hmac)
        throw key_error("rampart::jwt: an HMAC algorithm takes a secret, not a PEM key");
    auto read = [&](auto&& reader) -> EVP_PKEY* {
        detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        if (!bio)
            return nullptr;
        EVP_PKEY* k = reader(bio.get());
        if (!k)
            ERR_clear_error();
        return k;
    };
    if (EVP_PKEY* k = read([](BIO* b) {
            return PEM_read_bio_PrivateKey(b, nullptr, &detail::refuse_passphrase, nullptr);
        }))
        return key{detail::make_asymmetric(alg, detail::pkey_ptr(k), true, std::move(kid))};
    if (EVP_PKEY* k = read([](BIO* b) {
            return PEM_read_bio_PUBKEY(b, nullptr, &detail::refuse_passphrase, nullptr);
        }))
        return key{detail::make_asymmetric(alg, detail::pkey_ptr(k), false, std::move(kid))};
    if (EVP_PKEY* k = read([](BIO* b) -> EVP_PKEY* {
            detail::x509_ptr cert(
                PEM_read_bio_X509(b, nullptr, &detail::refuse_passphrase, nullptr));
            return cert ? X509_get_pubkey(cert.get()) : nullptr;
        }))
        return key{detail::make_asymmetric(alg, detail::pkey_ptr(k), false, std::move(kid))};
    throw key_error("rampart::jwt: no usable PEM key (private key, public key or certificate)");
}

inline key key::from_jwk(const boost::json::object& jwk, const jwk_options& options) {
    auto text = [&](std::string_view member) -> std::optional<std::string_view> {
        auto it = jwk.find(member);
        if (it == jwk.end())
            return std::nullopt;
        if (!it->value().is_string())
            throw key_error("rampart::jwt: JWK member \"" + std::string(member) +
                            "\" must be a string");
        const auto& s = it->value().get_string();
        return std::string_view{s.data(), s.size()};
    };
    auto kty = text("kty");
    if (!kty)
        throw key_error("rampart::jwt: JWK has no \"kty\"");
    if (auto use = text("use"); use && *use != "sig")
        throw key_error("rampart::jwt: JWK \"use\" is not \"sig\"");
    if (auto it = jwk.find("key_ops"); it != jwk.end()) {
        bool verify = false;
        if (it->value().is_array())
            for (const auto& op : it->value().get_array())
                verify = verify || (op.is_string() && op.get_string() == "verify");
        if (!verify)
            throw key_error("rampart::jwt: JWK \"key_ops\" does not allow \"verify\"");
    }
    std::string kid(text("kid").value_or(""));
    std::optional<algorithm> alg;
    if (auto a = text("alg")) {
        alg = algorithm_from_name(*a);
        if (!alg)
            throw key_error("rampart::jwt: JWK \"alg\" is not a supported JWS algorithm");
    }
    auto require_family = [&](key_family f) {
        if (alg && family(*alg) != f)
            throw key_error("rampart::jwt: JWK \"alg\" " + std::string(name(*alg)) +
                            " does not match its \"kty\" " + std::string(*kty));
    };
    if (*kty == "oct") {
        require_family(key_family::hmac);
        if (!options.allow_symmetric)
            throw key_error("rampart::jwt: symmetric (oct) JWKs need jwk_options::allow_symmetric");
        if (!alg)
            throw key_error("rampart::jwt: an oct JWK must name its \"alg\"");
        std::string k = detail::jwk_member(jwk, "k");
        key out = hmac(*alg, k, std::move(kid));
        OPENSSL_cleanse(k.data(), k.size());
        return out;
    }
    if (*kty == "RSA") {
        require_family(key_family::rsa);
        if (!alg && family(options.rsa_default) != key_family::rsa)
            throw key_error("rampart::jwt: jwk_options::rsa_default is not an RSA algorithm");
        std::string n = detail::jwk_member(jwk, "n"), e = detail::jwk_member(jwk, "e");
        detail::bn_ptr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                      static_cast<int>(n.size()), nullptr));
        detail::bn_ptr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                      static_cast<int>(e.size()), nullptr));
        detail::param_bld_ptr bld(OSSL_PARAM_BLD_new());
        if (!bn_n || !bn_e || !bld ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
            detail::throw_key_error("cannot build an RSA key");
        return key{detail::make_asymmetric(alg.value_or(options.rsa_default),
                                           detail::pkey_from_params("RSA", bld.get()), false,
                                           std::move(kid))};
    }
    if (*kty == "EC") {
        require_family(key_family::ec);
        auto crv = text("crv");
        algorithm implied;
        if (crv == "P-256")
            implied = algorithm::es256;
        else if (crv == "P-384")
            implied = algorithm::es384;
        else if (crv == "P-521")
            implied = algorithm::es512;
        else
            throw key_error("rampart::jwt: EC JWK \"crv\" must be P-256, P-384 or P-521");
        if (alg && *alg != implied)
            throw key_error("rampart::jwt: EC JWK \"alg\" does not match its \"crv\"");
        std::string x = detail::jwk_member(jwk, "x"), y = detail::jwk_member(jwk, "y");
        std::size_t size = detail::ec_coordinate_size(implied);
        if (x.size() != size || y.size() != size)
            throw key_error("rampart::jwt: EC JWK coordinates have the wrong length");
        std::string point = "\x04" + x + y;
        detail::param_bld_ptr bld(OSSL_PARAM_BLD_new());
        if (!bld ||
            !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                             detail::ec_group_name(implied), 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                              point.size()))
            detail::throw_key_error("cannot build an EC key");
        return key{detail::make_asymmetric(implied, detail::pkey_from_params("EC", bld.get()),
                                           false, std::move(kid))};
    }
    if (*kty == "OKP") {
        require_family(key_family::okp);
        if (text("crv") != "Ed25519")
            throw key_error("rampart::jwt: OKP JWK \"crv\" must be Ed25519");
        std::string x = detail::jwk_member(jwk, "x");
        if (x.size() != 32)
            throw key_error("rampart::jwt: Ed25519 JWK \"x\" must be 32 bytes");
        detail::pkey_ptr pkey(EVP_PKEY_new_raw_public_key_ex(
            nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x.data()),
            x.size()));
        if (!pkey)
            detail::throw_key_error("JWK is not a valid Ed25519 key");
        return key{
            detail::make_asymmetric(algorithm::eddsa, std::move(pkey), false, std::move(kid))};
    }
    throw key_error("rampart::jwt: unsupported JWK \"kty\"");
}

inline key::result key::try_from_pem(algorithm alg, std::string_view pem, std::string kid) {
    try {
        return from_pem(alg, pem, std::move(kid));
    } catch (const key_error& e) {
        return key_problem{e.what()};
    }
}

inline key::result key::try_from_jwk(const boost::json::object& jwk, const jwk_options& options) {
    try {
        return from_jwk(jwk, options);
    } catch (const key_error& e) {
        return key_problem{e.what()};
    }
}

inline key key::generate(algorithm alg, std::string kid) {
    EVP_PKEY* raw = nullptr;
    switch (family(alg)) {
    case key_family::hmac: {
        unsigned char secret[64];
        if (RAND_bytes(secret, sizeof secret) != 1)
            detail::throw_key_error("no randomness");
        key out = hmac(alg, {reinterpret_cast<const char*>(secret), sizeof secret}, std::move(kid));
        OPENSSL_cleanse(secret, sizeof secret);
        return out;
    }
    case key_family::rsa:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
        break;
    case key_family::ec:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", detail::jwk_curve_name(alg));
        break;
    case key_family::okp:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
        break;
    }
    if (!raw)
        detail::throw_key_error("key generation failed");
    return key{detail::make_asymmetric(alg, detail::pkey_ptr(raw), true, std::move(kid))};
}

inline algorithm key::alg() const noexcept {
    return m_->alg;
}
inline const std::string& key::kid() const noexcept {
    return m_->kid;
}
inline bool key::can_sign() const noexcept {
    return m_->has_private;
}
inline EVP_PKEY* key::native_handle() const noexcept {
    return m_->pkey.get();
}

inline key key::with_kid(std::string kid) const {
    if (symmetric())
        return hmac(m_->alg, m_->secret, std::move(kid), secret_policy::allow_short);
    EVP_PKEY_up_ref(m_->pkey.get());
    return key{detail::make_asymmetric(m_->alg, detail::pkey_ptr(m_->pkey.get()), m_->has_private,
                                       std::move(kid))};
}

inline boost::json::object key::public_jwk() const {
    if (symmetric())
        throw key_error("rampart::jwt: an HMAC secret has no public JWK");
    boost::json::object jwk;
    EVP_PKEY* pk = m_->pkey.get();
    auto b64 = [](const std::string& bytes) { return rampart::detail::base64url_encode(bytes); };
    switch (family(m_->alg)) {
    case key_family::rsa: {
        BIGNUM* n = nullptr;
        BIGNUM* e = nullptr;
        if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
            !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e)) {
            BN_free(n);
            detail::throw_key_error("cannot read the RSA key");
        }
        detail::bn_ptr bn_n(n), bn_e(e);
        jwk["kty"] = "RSA";
        jwk["n"] = b64(detail::bn_bytes(n));
        jwk["e"] = b64(detail::bn_bytes(e));
        break;
    }
    case key_family::ec: {
        BIGNUM* x = nullptr;
        BIGNUM* y = nullptr;
        if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
            !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
            BN_free(x);
            detail::throw_key_error("cannot read the EC key");
        }
        detail::bn_ptr bn_x(x), bn_y(y);
        std::size_t size = detail::ec_coordinate_size(m_->alg);
        jwk["kty"] = "EC";
        jwk["crv"] = detail::jwk_curve_name(m_->alg);
        jwk["x"] = b64(detail::bn_bytes(x, size));
        jwk["y"] = b64(detail::bn_bytes(y, size));
        break;
    }
    case key_family::okp: {
        std::string raw(32, '\0');
        std::size_t len = raw.size();
        if (!EVP_PKEY_get_raw_public_key(pk, reinterpret_cast<unsigned char*>(raw.data()), &len))
            detail::throw_key_error("cannot read the Ed25519 key");
        raw.resize(len);
        jwk["kty"] = "OKP";
        jwk["crv"] = "Ed25519";
        jwk["x"] = b64(raw);
        break;
    }
    case key_family::hmac:
        break;
    }
    if (!m_->kid.empty())
        jwk["kid"] = m_->kid;
    jwk["use"] = "sig";
    jwk["alg"] = name(m_->alg);
    return jwk;
}

inline std::string key::public_pem() const {
    if (symmetric())
        throw key_error("rampart::jwt: an HMAC secret has no public PEM");
    return detail::pem_of(m_->pkey.get(), false);
}

inline std::string key::private_pem() const {
    if (symmetric() || !m_->has_private)
        throw key_error("rampart::jwt: not a private key");
    return detail::pem_of(m_->pkey.get(), true);
}

namespace detail {

/// Writes the DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) for raw R||S halves of `size`
/// bytes into `out` (at least 2 * size + 9 bytes) and returns its length.
inline std::size_t ecdsa_raw_to_der(const unsigned char* raw, std::size_t size,
                                    unsigned char* out) noexcept {
    unsigned char body[2 * (66 + 3)];
    std::size_t body_len = 0;
    for (int half = 0; half < 2; ++half) {
        const unsigned char* p = raw + half * size;
        std::size_t n = size;
        while (n > 1 && *p == 0) { // minimal encoding: no leading zero bytes...
            ++p;
            --n;
        }
        bool pad = (*p & 0x80) != 0; // ...but one when the high bit would make it negative
        body[body_len++] = 0x02;
        body[body_len++] = static_cast<unsigned char>(n + (pad ? 1 : 0));
        if (pad)
            body[body_len++] = 0;
        std::memcpy(body + body_len, p, n);
        body_len += n;
    }
    std::size_t len = 0;
    out[len++] = 0x30;
    if (body_len >= 0x80)
        out[len++] = 0x81;
    out[len++] = static_cast<unsigned char>(body_len);
    std::memcpy(out + len, body, body_len);
    return len + body_len;
}

/// Starts a digest-sign or digest-verify operation for `m`'s algorithm.
inline bool init_digest(EVP_MD_CTX* ctx, const key_material& m, bool signing) noexcept {
    EVP_PKEY_CTX* pctx = nullptr;
    int ok = signing ? EVP_DigestSignInit(ctx, &pctx, m.md.get(), nullptr, m.pkey.get())
                     : EVP_DigestVerifyInit(ctx, &pctx, m.md.get(), nullptr, m.pkey.get());
    if (ok != 1)
        return false;
    if (is_pss(m.alg))
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    return true;
}

inline bool hmac_tag(const key_material& m, std::string_view input, unsigned char* out,
                     std::size_t& len) noexcept {
    len = m.mac->size();
    return m.mac->sign({input}, out);
}

} // namespace detail

inline std::string key::sign(std::string_view input) const {
    const auto& m = *m_;
    if (symmetric()) {
        unsigned char tag[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        if (!detail::hmac_tag(m, input, tag, len))
            detail::throw_key_error("HMAC failed");
        return std::string(reinterpret_cast<const char*>(tag), len);
    }
    if (!m.has_private)
        throw key_error("rampart::jwt: a public key cannot sign");
    detail::md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || !detail::init_digest(ctx.get(), m, true) ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        detail::throw_key_error("signing failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        detail::throw_key_error("signing failed");
    sig.resize(len);
    if (family(m.alg) != key_family::ec)
        return sig;
    // OpenSSL writes DER; JWS wants R and S as fixed-size big-endian halves.
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    detail::ecdsa_sig_ptr der(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    if (!der)
        detail::throw_key_error("cannot decode the ECDSA signature");
    std::size_t size = detail::ec_coordinate_size(m.alg);
    return detail::bn_bytes(ECDSA_SIG_get0_r(der.get()), size) +
           detail::bn_bytes(ECDSA_SIG_get0_s(der.get()), size);
}

inline bool key::verify(std::string_view input, std::string_view signature) const noexcept {
    const auto& m = *m_;
    if (symmetric()) {
        unsigned char tag[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        if (!detail::hmac_tag(m, input, tag, len)) {
            ERR_clear_error();
            return false;
        }
        // The length is public (it is the algorithm's); the bytes are compared in constant time.
        return signature.size() == len && CRYPTO_memcmp(tag, signature.data(), len) == 0;
    }
    const unsigned char* sig = reinterpret_cast<const unsigned char*>(signature.data());
    std::size_t sig_len = signature.size();
    unsigned char der[160];
    if (family(m.alg) == key_family::ec) {
        std::size_t size = detail::ec_coordinate_size(m.alg);
        if (signature.size() != 2 * size)
            return false;
        // JWS sends R||S; OpenSSL verifies DER. Encoded here directly: no allocations.
        sig_len = detail::ecdsa_raw_to_der(sig, size, der);
        sig = der;
    }
    detail::md_ctx_ptr ctx(EVP_MD_CTX_new());
    // Copying a context set up at key creation skips OpenSSL's per-use key setup.
    bool ready =
        ctx && (m.verify_template ? EVP_MD_CTX_copy_ex(ctx.get(), m.verify_template.get()) == 1
                                  : detail::init_digest(ctx.get(), m, false));
    bool ok = ready && EVP_DigestVerify(ctx.get(), sig, sig_len,
                                        reinterpret_cast<const unsigned char*>(input.data()),
                                        input.size()) == 1;
    if (!ok)
        ERR_clear_error();
    return ok;
}

} // namespace rampart::jwt

#endif
