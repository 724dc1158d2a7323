// libFuzzer target for the JWT token layer: compact JWS parsing and verification, claim
// checks behind a valid signature, JWKS parsing, and base64url canonicality.
//
// The first byte picks the mode:
//   0: the rest is a token, verified against HS256, ES256 and EdDSA keys;
//   1: the rest is "header\npayload", signed here with the HS256 key, so the fuzzer reaches
//      the header and claim checks behind a good signature;
//   2: the rest is a JWKS document;
//   3: the rest is base64url text: when it decodes, encoding the bytes must give it back.

#include <rampart/detail/base64url.hpp>
#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/jwks.hpp>
#include <rampart/jwt/verifier.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace jwt = rampart::jwt;

namespace {

struct keys {
    jwt::key hs = jwt::key::hs256(std::string(32, 'f'), "hs");
    jwt::key es = jwt::key::generate(jwt::algorithm::es256, "es");
    jwt::key ed = jwt::key::generate(jwt::algorithm::eddsa);
    rampart::manual_clock clock{};
    jwt::verifier_options options = [] {
        jwt::verifier_options o;
        o.issuer = "https://auth.example";
        o.audiences = {"api"};
        o.required_claims = {"exp", "jti"};
        o.token_type = "access";
        o.leeway = std::chrono::seconds{5};
        return o;
    }();
    jwt::verifier<rampart::clock_ref<rampart::manual_clock>> verifier{
        jwt::key_set{hs, es, ed}, options, rampart::clock_ref{clock}};
};

const keys& fixture() {
    static const keys k;
    return k;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const auto& k = fixture();
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: {
        auto r = k.verifier.try_verify(input);
        if (r.ok() && r.value().claims.empty())
            std::abort(); // exp and jti are required: a verified token has claims
        (void)jwt::peek_kid(input);
        break;
    }
    case 1: {
        auto nl = input.find('\n');
        if (nl == std::string_view::npos)
            return 0;
        std::string signing_input = rampart::detail::base64url_encode(input.substr(0, nl)) + "." +
                                    rampart::detail::base64url_encode(input.substr(nl + 1));
        std::string token =
            signing_input + "." + rampart::detail::base64url_encode(k.hs.sign(signing_input));
        auto r = k.verifier.try_verify(token);
        // Our own encoding can never be what is wrong with the token.
        if (!r.ok() && r.reason() == jwt::error::bad_base64)
            std::abort();
        break;
    }
    case 2: {
        try {
            auto set = jwt::parse_jwks(input);
            (void)jwt::to_jwks(set);
        } catch (const jwt::jwks_error&) {
        }
        break;
    }
    case 3: {
        std::string bytes;
        if (rampart::detail::base64url_decode(input, bytes) &&
            rampart::detail::base64url_encode(bytes) != input)
            std::abort(); // decoding accepted a non-canonical encoding
        break;
    }
    }
    return 0;
}
