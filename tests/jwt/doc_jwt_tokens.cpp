// The token-layer examples of docs/jwt.md, compiled and run.

#include <rampart/jwt.hpp>

#include "support/run.hpp"
#include "support/tls.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
#include <sstream>
#include <string>

namespace {
const std::string secret(48, 'k');
}

TEST_CASE("docs/jwt.md: issue and verify", "[jwt][docs]") {
    // docs: issue and verify
    auto key = rampart::jwt::key::hs256(secret); // at least 32 bytes for HS256
    rampart::jwt::issuer issuer{key};
    rampart::jwt::issued_token access = issuer.access(42);

    rampart::jwt::verifier_options options;
    options.token_type = "access";
    options.leeway = std::chrono::seconds{30};
    rampart::jwt::verifier verifier{rampart::jwt::key_set{key}, options};
    rampart::jwt::verified_token token = verifier.verify(access.token); // throws token_error (401)
    std::string user = token.user_id();                                 // "42"
    // end

    CHECK(user == "42");
    CHECK(token.jti() == access.jti);

    {
        // docs: caller's memory
        unsigned char buffer[2048];
        boost::json::monotonic_resource arena(buffer, sizeof buffer);
        rampart::jwt::verify_result checked = verifier.try_verify(access.token, &arena);
        // checked->claims lives in `arena`: use it before the arena goes out of scope
        // end
        REQUIRE(checked.has_value());
        CHECK(checked->user_id() == "42");
        CHECK(checked->claims.storage().get() == &arena);
    }

    std::string request_token = issuer.refresh(42).token;
    std::ostringstream logged;
    auto* old = std::clog.rdbuf(logged.rdbuf());
    // docs: reasons
    rampart::jwt::verify_result result = verifier.try_verify(request_token);
    if (!result.has_value()) {
        boost::system::error_code why = result.error(); // rampart::jwt::error, "rampart.jwt"
        std::clog << "token refused: " << why.message() << '\n'; // "wrong_token_type", ...
    }
    // end
    std::clog.rdbuf(old);
    CHECK(logged.str() == "token refused: wrong_token_type\n");
    CHECK(result.error() == rampart::jwt::error::wrong_token_type);
    CHECK(result.reason() == rampart::jwt::error::wrong_token_type); // the older spelling
}

TEST_CASE("docs/jwt.md: a key read at run time, without throwing", "[jwt][docs]") {
    rampart::jwt::key_set keys{rampart::jwt::key::generate(rampart::jwt::algorithm::es256, "a")};
    std::ostringstream logged;
    auto* old = std::clog.rdbuf(logged.rdbuf());
    int added = 0;
    for (std::string pem_text :
         {rampart::jwt::key::generate(rampart::jwt::algorithm::es256).private_pem(),
          std::string("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")}) {
        // docs: try_from_pem
        rampart::jwt::key::result next =
            rampart::jwt::key::try_from_pem(rampart::jwt::algorithm::es256, pem_text, "2026-12");
        if (next.has_value())
            keys.add(*next);
        else
            std::clog << "new signing key refused: " << next.error().message << '\n';
        // end
        if (keys.find("2026-12")) {
            ++added;
            keys.remove("2026-12");
        }
    }
    std::clog.rdbuf(old);
    CHECK(added == 1);
    CHECK(keys.size() == 1);
    CHECK(logged.str().starts_with("new signing key refused: rampart::jwt: no usable PEM key"));
}

TEST_CASE("docs/jwt.md: asymmetric keys, rotation and JWKS", "[jwt][docs]") {
    auto current_pem = rampart::jwt::key::generate(rampart::jwt::algorithm::es256).private_pem();
    auto previous_public_pem =
        rampart::jwt::key::generate(rampart::jwt::algorithm::es256).public_pem();

    // docs: rotation
    using rampart::jwt::algorithm;
    rampart::jwt::key_set keys;
    keys.add(rampart::jwt::key::from_pem(algorithm::es256, current_pem, "2026-11"));
    keys.add(rampart::jwt::key::from_pem(algorithm::es256, previous_public_pem, "2026-10"));
    rampart::jwt::issuer signer{*keys.find("2026-11")}; // signs with kid "2026-11"
    rampart::jwt::verifier verifier{keys};              // accepts both kids
    auto jwks = rampart::jwt::jwks_handler{keys};       // GET /.well-known/jwks.json
    // end

    auto token = signer.access("alice").token;
    CHECK(verifier.verify(token).kid == "2026-11");
    auto res = rampart::test::call(
        jwks, rampart::test::make_request(rampart::http::verb::get, "/.well-known/jwks.json"));
    CHECK(rampart::jwt::parse_jwks(res.body()).size() == 2);
}

TEST_CASE("docs/jwt.md: another issuer's keys over HTTPS", "[jwt][docs]") {
    auto identity = rampart::test::make_self_signed("localhost", "127.0.0.1");
    rampart::asio::io_context io;
    rampart::test::https_server server{io, identity};
    auto their_key = rampart::jwt::key::generate(rampart::jwt::algorithm::rs256, "them-1");
    server.body = boost::json::serialize(rampart::jwt::to_jwks(rampart::jwt::key_set{their_key}));
    std::string url = server.url("localhost", "/.well-known/jwks.json");
    std::string token = rampart::jwt::issuer{their_key}.access(7).token;

    // docs: remote setup
    rampart::asio::ssl::context tls{rampart::asio::ssl::context::tls_client};
    tls.set_default_verify_paths(); // trust what the system trusts
    tls.set_verify_mode(rampart::asio::ssl::verify_peer);
    rampart::jwt::remote_jwks their_keys{io.get_executor(), tls, url};
    rampart::jwt::verifier verifier{rampart::jwt::key_set{}}; // options only: keys come from them
    // end
    tls.add_certificate_authority(rampart::asio::buffer(identity.cert_pem)); // the test's CA

    std::string user;
    server.start();
    rampart::asio::co_spawn(
        io,
        [&]() -> rampart::asio::awaitable<void> {
            // docs: remote verify
            rampart::jwt::verified_token t = co_await their_keys.verify(verifier, token);
            // end
            user = t.user_id();
        },
        [&](std::exception_ptr e) {
            server.stop();
            if (e)
                std::rethrow_exception(e);
        });
    io.run();
    CHECK(user == "7");
    CHECK(server.requests == 1);
}
