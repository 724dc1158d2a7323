#include <rampart/jwt/jwks.hpp>

#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/remote_jwks.hpp>

#include "support/run.hpp"
#include "support/tls.hpp"
#include "tokens_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

namespace jwt = rampart::jwt;
namespace asio = boost::asio;
using namespace rampart::test::jwt;

namespace {

constexpr std::int64_t now_s = 1'700'000'000;

jwt::key jwk(std::string_view text, jwt::jwk_options o = {}) {
    return jwt::key::from_jwk(boost::json::parse(text).as_object(), o);
}

/// Runs `body` (a coroutine) on `io` with `server` answering, and rethrows what it threw.
template <class F>
void run_with_server(asio::io_context& io, rampart::test::https_server& server, F body) {
    server.start();
    std::exception_ptr failure;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
        failure = e;
        server.stop();
    });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
}

asio::ssl::context trusting(const std::string& cert_pem) {
    asio::ssl::context tls{asio::ssl::context::tls_client};
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (!cert_pem.empty())
        tls.add_certificate_authority(asio::buffer(cert_pem));
    return tls;
}

} // namespace

TEST_CASE("JWKS export and import round trip every asymmetric algorithm", "[jwt][jwks]") {
    rampart::manual_clock clock{at(now_s)};
    jwt::key_set signing;
    const jwt::algorithm algs[] = {jwt::algorithm::rs256, jwt::algorithm::ps384,
                                   jwt::algorithm::es256, jwt::algorithm::es384,
                                   jwt::algorithm::es512, jwt::algorithm::eddsa};
    int n = 0;
    for (auto alg : algs)
        signing.add(jwt::key::generate(alg, "k" + std::to_string(n++)));
    signing.add(jwt::key::hs256(std::string(32, 's'), "secret"));

    auto doc = jwt::to_jwks(signing);
    std::string text = boost::json::serialize(doc);
    CHECK(text.find("secret") == std::string::npos); // HMAC keys are never published
    CHECK(text.find("\"d\"") == std::string::npos);  // nor private members
    REQUIRE(doc.at("keys").as_array().size() == 6);
    for (const auto& entry : doc.at("keys").as_array()) {
        CHECK(entry.at("use") == "sig");
        CHECK(entry.as_object().contains("alg"));
        CHECK(entry.as_object().contains("kid"));
    }

    auto imported = jwt::parse_jwks(text);
    REQUIRE(imported.size() == 6);
    jwt::verifier v{imported, {}, rampart::clock_ref{clock}};
    for (const auto& k : signing) {
        if (k.symmetric())
            continue;
        INFO(k.kid());
        jwt::issuer iss{k, {}, rampart::clock_ref{clock}};
        auto t = v.verify(iss.access(1).token);
        CHECK(t.kid == k.kid());
        CHECK(t.alg == k.alg());
        CHECK_FALSE(imported.find(k.kid())->can_sign());
        // Export of the import is the same document entry.
        CHECK(imported.find(k.kid())->public_jwk() == k.public_jwk());
    }
}

TEST_CASE("JWK import: the key type must match the algorithm family", "[jwt][jwks]") {
    auto rsa = jwt::key::generate(jwt::algorithm::rs256, "r").public_jwk();
    auto ec = jwt::key::generate(jwt::algorithm::es256, "e").public_jwk();
    auto ed = jwt::key::generate(jwt::algorithm::eddsa, "o").public_jwk();

    SECTION("an RSA JWK can never become an HMAC secret") {
        auto bad = rsa;
        bad["alg"] = "HS256";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        jwt::jwk_options o;
        o.allow_symmetric = true;
        CHECK_THROWS_AS(jwt::key::from_jwk(bad, o), jwt::key_error);
        bad["alg"] = "ES256";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad["alg"] = "PS512";
        CHECK(jwt::key::from_jwk(bad).alg() == jwt::algorithm::ps512);
        bad.erase("alg");
        CHECK(jwt::key::from_jwk(bad).alg() == jwt::algorithm::rs256);
        o.rsa_default = jwt::algorithm::ps256;
        CHECK(jwt::key::from_jwk(bad, o).alg() == jwt::algorithm::ps256);
        o.rsa_default = jwt::algorithm::hs256;
        CHECK_THROWS_AS(jwt::key::from_jwk(bad, o), jwt::key_error);
    }
    SECTION("EC: the curve decides, alg must agree") {
        auto bad = ec;
        bad["alg"] = "ES384";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad["alg"] = "HS256";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad.erase("alg");
        CHECK(jwt::key::from_jwk(bad).alg() == jwt::algorithm::es256);
        bad["crv"] = "secp256k1";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        // Coordinates of the wrong length, or a point off the curve.
        auto shortx = ec;
        shortx["x"] = b64(b64_decode(ec.at("x").as_string()).substr(1));
        CHECK_THROWS_AS(jwt::key::from_jwk(shortx), jwt::key_error);
        auto off = ec;
        std::string y = b64_decode(ec.at("y").as_string());
        y.back() = static_cast<char>(y.back() ^ 1);
        off["y"] = b64(y);
        CHECK_THROWS_AS(jwt::key::from_jwk(off), jwt::key_error);
    }
    SECTION("OKP: Ed25519 only, 32 bytes") {
        auto bad = ed;
        bad["crv"] = "X25519";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad = ed;
        bad["alg"] = "RS256";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad = ed;
        bad["x"] = b64(std::string(31, 'x'));
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
    }
    SECTION("oct only by explicit opt-in, and never without alg") {
        std::string oct =
            R"({"kty":"oct","alg":"HS256","kid":"s","k":")" + b64(std::string(32, 'z')) + R"("})";
        CHECK_THROWS_AS(jwk(oct), jwt::key_error);
        jwt::jwk_options o;
        o.allow_symmetric = true;
        auto k = jwk(oct, o);
        CHECK(k.symmetric());
        CHECK(k.verify("m", jwt::key::hs256(std::string(32, 'z')).sign("m")));
        CHECK_THROWS_AS(
            jwk(R"({"kty":"oct","k":"enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6"})", o),
            jwt::key_error);
        CHECK_THROWS_AS(jwk(R"({"kty":"oct","alg":"HS256","k":"c2hvcnQ"})", o), jwt::key_error);
        CHECK_THROWS_AS(jwk(R"({"kty":"oct","alg":"RS256","k":"c2hvcnQ"})", o), jwt::key_error);
    }
    SECTION("use, key_ops, members") {
        auto bad = rsa;
        bad["use"] = "enc";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad = rsa;
        bad["key_ops"] = boost::json::array{"sign"};
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad["key_ops"] = boost::json::array{"sign", "verify"};
        CHECK_NOTHROW(jwt::key::from_jwk(bad));
        bad = rsa;
        bad.erase("n");
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad = rsa;
        bad["e"] = "AQAB=";
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        bad = rsa;
        bad["kty"] = 3;
        CHECK_THROWS_AS(jwt::key::from_jwk(bad), jwt::key_error);
        CHECK_THROWS_AS(jwk(R"({"kty":"EC2"})"), jwt::key_error);
        CHECK_THROWS_AS(jwk(R"({"n":"AQAB"})"), jwt::key_error);
    }
    SECTION("RSA under 2048 bits") {
        EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
        BIGNUM* n = nullptr;
        EVP_PKEY_get_bn_param(small, "n", &n);
        std::string bytes(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
        BN_bn2bin(n, reinterpret_cast<unsigned char*>(bytes.data()));
        BN_free(n);
        EVP_PKEY_free(small);
        auto weak = rsa;
        weak["n"] = b64(bytes);
        CHECK_THROWS_AS(jwt::key::from_jwk(weak), jwt::key_error);
    }
}

TEST_CASE("a JWKS document: unusable keys are skipped, a bad document is refused", "[jwt][jwks]") {
    auto good = jwt::key::generate(jwt::algorithm::es256, "good").public_jwk();
    auto enc = jwt::key::generate(jwt::algorithm::rs256, "enc").public_jwk();
    enc["use"] = "enc";
    boost::json::object doc{
        {"keys",
         boost::json::array{good, enc, boost::json::object{{"kty", "unknown"}}, 3,
                            boost::json::object{
                                {"kty", "oct"}, {"alg", "HS256"}, {"k", b64(std::string(32, 'q'))}},
                            good}}};
    auto keys = jwt::from_jwks(doc);
    CHECK(keys.size() == 1);
    CHECK(keys.find("good"));
    CHECK_THROWS_AS(jwt::parse_jwks("[]"), jwt::jwks_error);
    CHECK_THROWS_AS(jwt::parse_jwks(R"({"keys":{}})"), jwt::jwks_error);
    CHECK_THROWS_AS(jwt::parse_jwks(R"({"keys":[],"keys":[]})"), jwt::jwks_error);
    CHECK_THROWS_AS(jwt::parse_jwks("{"), jwt::jwks_error);
    CHECK(jwt::parse_jwks(R"({"keys":[]})").empty());
}

TEST_CASE("jwks_handler serves the public keys", "[jwt][jwks]") {
    jwt::key_set keys{jwt::key::generate(jwt::algorithm::eddsa, "ed"),
                      jwt::key::hs256(std::string(32, 'x'), "hidden")};
    jwt::jwks_handler h{keys, std::chrono::seconds{600}};
    auto res = rampart::test::call(
        h, rampart::test::make_request(rampart::http::verb::get, "/.well-known/jwks.json"));
    CHECK(res.result() == rampart::http::status::ok);
    CHECK(res[rampart::http::field::content_type] == "application/jwk-set+json");
    CHECK(res[rampart::http::field::cache_control] == "public, max-age=600");
    auto served = jwt::parse_jwks(res.body());
    CHECK(served.size() == 1);
    CHECK(served.find("ed"));
    CHECK(res.body().find("hidden") == std::string::npos);
}

TEST_CASE("remote_jwks fetches over verified HTTPS, caches by kid, refetches at a bounded rate",
          "[jwt][jwks]") {
    rampart::manual_clock clock{at(now_s)};
    auto identity = rampart::test::make_self_signed("localhost", "127.0.0.1");
    asio::io_context io;
    rampart::test::https_server server{io, identity};
    auto key_a = jwt::key::generate(jwt::algorithm::es256, "a");
    auto key_b = jwt::key::generate(jwt::algorithm::rs256, "b");
    server.body = boost::json::serialize(jwt::to_jwks(jwt::key_set{key_a}));

    auto tls = trusting(identity.cert_pem);
    jwt::remote_jwks_options o;
    o.min_refetch_interval = std::chrono::seconds{60};
    o.max_age = std::chrono::seconds{3600};
    jwt::remote_jwks remote{io.get_executor(), tls, server.url("localhost"), o,
                            rampart::clock_ref{clock}};
    jwt::verifier v{jwt::key_set{}, {}, rampart::clock_ref{clock}};
    jwt::issuer ia{key_a, {}, rampart::clock_ref{clock}};
    jwt::issuer ib{key_b, {}, rampart::clock_ref{clock}};

    run_with_server(io, server, [&]() -> asio::awaitable<void> {
        // Results leave co_await before CHECK: GCC evaluates a CHECK operand holding co_await
        // more than once.
        auto first = co_await remote.verify(v, ia.access(1).token);
        CHECK(first.kid == "a");
        CHECK(server.requests == 1);
        auto second = co_await remote.try_verify(v, ia.access(2).token);
        CHECK(second.ok());
        CHECK(server.requests == 1); // cached

        // The issuer rotates in key b. Within the interval an unknown kid does not refetch.
        server.body = boost::json::serialize(jwt::to_jwks(jwt::key_set{key_a, key_b}));
        std::string token_b = ib.access(3).token;
        auto early = co_await remote.try_verify(v, token_b);
        CHECK(early.reason() == jwt::error::unknown_kid);
        CHECK(server.requests == 1);
        clock.advance(std::chrono::seconds{59});
        auto still_early = co_await remote.try_verify(v, token_b);
        CHECK(still_early.reason() == jwt::error::unknown_kid);
        CHECK(server.requests == 1);
        clock.advance(std::chrono::seconds{1});
        auto rotated = co_await remote.verify(v, token_b);
        CHECK(rotated.kid == "b");
        CHECK(server.requests == 2);

        // A flood of made-up kids costs one fetch per interval.
        auto forged = jwt::key::generate(jwt::algorithm::es256);
        for (int i = 0; i < 20; ++i) {
            std::string t = make_token(R"({"alg":"ES256","kid":"x)" + std::to_string(i) + R"("})",
                                       R"({"exp":1800000000})", forged);
            auto r = co_await remote.try_verify(v, t);
            CHECK(r.reason() == jwt::error::unknown_kid);
        }
        CHECK(server.requests == 2);
        clock.advance(std::chrono::seconds{60});
        std::string t = make_token(R"({"alg":"ES256","kid":"y"})", R"({"exp":1800000000})", forged);
        auto after_interval = co_await remote.try_verify(v, t);
        CHECK(after_interval.reason() == jwt::error::unknown_kid);
        CHECK(server.requests == 3);

        // Old sets are refreshed after max_age; a failed refresh keeps the last good keys.
        server.status = rampart::http::status::internal_server_error;
        clock.advance(std::chrono::seconds{3600});
        auto stale = co_await remote.verify(v, ia.access(4).token);
        CHECK(stale.kid == "a");
        CHECK(server.requests == 4);
        auto again = co_await remote.verify(v, ia.access(5).token); // the failure is not retried
        CHECK(again.kid == "a");
        CHECK(server.requests == 4);
        bool threw = false;
        try {
            co_await remote.refresh();
        } catch (const jwt::jwks_error&) {
            threw = true;
        }
        CHECK(threw);
        CHECK(server.requests == 5);
        CHECK(remote.cached()->size() == 2);
        CHECK(remote.fetch_count() == 3);
    });
}

TEST_CASE("remote_jwks refuses untrusted or misnamed certificates and bad answers", "[jwt][jwks]") {
    rampart::manual_clock clock{at(now_s)};
    auto identity = rampart::test::make_self_signed("localhost", "127.0.0.1");
    auto key_a = jwt::key::generate(jwt::algorithm::es256, "a");
    auto expect_failure = [&](auto configure, asio::ssl::context& tls, std::string host) {
        asio::io_context io;
        rampart::test::https_server server{io, identity};
        server.body = boost::json::serialize(jwt::to_jwks(jwt::key_set{key_a}));
        configure(server);
        jwt::remote_jwks remote{
            io.get_executor(), tls, server.url(host), {}, rampart::clock_ref{clock}};
        std::string message;
        run_with_server(io, server, [&]() -> asio::awaitable<void> {
            try {
                co_await remote.keys_for("a");
            } catch (const jwt::jwks_error& e) {
                message = e.what();
            }
        });
        CHECK(remote.cached() == nullptr);
        return message;
    };
    auto unchanged = [](rampart::test::https_server&) {};

    SECTION("a certificate nobody vouched for") {
        auto tls = trusting("");
        CHECK_THAT(expect_failure(unchanged, tls, "localhost"), Catch::Contains("TLS handshake"));
    }
    SECTION("a trusted certificate for another name") {
        auto other = rampart::test::make_self_signed("other.example");
        auto tls = trusting(identity.cert_pem);
        tls.add_certificate_authority(asio::buffer(other.cert_pem));
        asio::io_context io;
        rampart::test::https_server server{io, other};
        server.body = "{}";
        jwt::remote_jwks remote{
            io.get_executor(), tls, server.url("localhost"), {}, rampart::clock_ref{clock}};
        std::string message;
        run_with_server(io, server, [&]() -> asio::awaitable<void> {
            try {
                co_await remote.refresh();
            } catch (const jwt::jwks_error& e) {
                message = e.what();
            }
        });
        CHECK_THAT(message, Catch::Contains("TLS handshake"));
        CHECK(server.requests == 0);
    }
    SECTION("an HTTP error, an oversized or invalid document") {
        auto tls = trusting(identity.cert_pem);
        CHECK_THAT(expect_failure([](auto& s) { s.status = rampart::http::status::not_found; }, tls,
                                  "127.0.0.1"),
                   Catch::Contains("HTTP 404"));
        CHECK_THAT(expect_failure([](auto& s) { s.body = std::string(300 * 1024, ' '); }, tls,
                                  "localhost"),
                   Catch::Contains("read"));
        CHECK_THAT(expect_failure([](auto& s) { s.body = "{\"keys\":"; }, tls, "localhost"),
                   Catch::Contains("JSON"));
    }
    SECTION("only https URLs") {
        asio::io_context io;
        auto tls = trusting("");
        CHECK_THROWS_AS(jwt::remote_jwks<>(io.get_executor(), tls, "http://example.com/jwks"),
                        jwt::jwks_error);
        CHECK_THROWS_AS(jwt::remote_jwks<>(io.get_executor(), tls, "https://:443/"),
                        jwt::jwks_error);
        CHECK_THROWS_AS(jwt::remote_jwks<>(io.get_executor(), tls, "https://a:99999/"),
                        jwt::jwks_error);
        CHECK_THROWS_AS(jwt::remote_jwks<>(io.get_executor(), tls, "https://u@a/"),
                        jwt::jwks_error);
        CHECK_THROWS_AS(jwt::remote_jwks<>(io.get_executor(), tls, "https://a/x y"),
                        jwt::jwks_error);
        CHECK_NOTHROW(jwt::remote_jwks<>(io.get_executor(), tls, "https://[::1]:8443/k"));
        CHECK_NOTHROW(jwt::remote_jwks<>(io.get_executor(), tls, "https://issuer.example"));
    }
}
