#include <rampart/jwt/verifier.hpp>

#include <rampart/jwt/issuer.hpp>

#include "tokens_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

// PyJWT interoperability, both ways: tokens PyJWT made (committed fixtures, see
// data/make_fixtures.py) verify here, and tokens made here verify in PyJWT.

namespace jwt = rampart::jwt;
using namespace rampart::test::jwt;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string write_temp(const std::string& content) {
    char name[] = "/tmp/rampart_jwt_XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
    return name;
}

/// Runs a shell command; returns its exit status and standard output.
std::pair<int, std::string> run(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE(p);
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        out.append(buf.data(), n);
    int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// A python3 that can `import jwt`, or empty.
std::string python_with_pyjwt() {
    for (const char* candidate : {"/usr/bin/python3", "python3"})
        if (run(std::string(candidate) + " -c 'import jwt' 2>/dev/null").first == 0)
            return candidate;
    return {};
}

} // namespace

TEST_CASE("tokens made by PyJWT verify here with the claims PyJWT signed", "[jwt][pyjwt]") {
    auto doc = boost::json::parse(read_file(RAMPART_JWT_DATA_DIR "/pyjwt_tokens.json")).as_object();
    CHECK(doc.at("generator").as_string().starts_with("PyJWT "));
    const auto& cases = doc.at("cases").as_array();
    REQUIRE(cases.size() >= 16);
    // After the fixtures' iat, long before their exp (2100).
    rampart::manual_clock clock{at(1'700'000'100)};
    for (const auto& entry : cases) {
        const auto& c = entry.as_object();
        INFO(c.at("name").as_string().c_str());
        auto alg = jwt::algorithm_from_name(c.at("alg").as_string());
        REQUIRE(alg);
        std::string kid = c.contains("kid") ? std::string(c.at("kid").as_string()) : "";
        jwt::verifier_options o;
        o.required_claims = {"exp", "iat", "jti", "token_type"};
        o.token_type = std::string(c.at("claims").at("token_type").as_string());
        if (auto it = c.find("options"); it != c.end()) {
            o.issuer = std::string(it->value().at("issuer").as_string());
            o.audiences = {std::string(it->value().at("audience").as_string())};
        }
        std::vector<jwt::key> keys;
        if (auto s = c.find("secret"); s != c.end())
            keys.push_back(jwt::key::hmac(*alg, s->value().as_string(), kid));
        else
            keys.push_back(jwt::key::from_pem(*alg, c.at("pem").as_string(), kid));
        if (auto j = c.find("jwk"); j != c.end()) {
            // PyJWT's exported JWK carries no alg: it takes ours.
            auto obj = j->value().as_object();
            obj["alg"] = c.at("alg");
            if (!kid.empty())
                obj["kid"] = kid;
            keys.push_back(jwt::key::from_jwk(obj));
        }
        for (const auto& k : keys) {
            jwt::verifier v{jwt::key_set{k}, o, rampart::clock_ref{clock}};
            auto r = v.try_verify(c.at("token").as_string());
            INFO("reason " << jwt::to_string(r.reason()));
            REQUIRE(r.ok());
            CHECK(r.value().claims == c.at("claims").as_object());
            CHECK(r.value().alg == *alg);
        }
        // And every one of them is refused once expired, or with a flipped signature bit.
        jwt::verifier v{jwt::key_set{keys.front()}, o, rampart::clock_ref{clock}};
        std::string token(c.at("token").as_string());
        token[token.size() - 2] = token[token.size() - 2] == 'A' ? 'B' : 'A';
        CHECK(v.try_verify(token).reason() == jwt::error::bad_signature);
        rampart::manual_clock later{at(4102444800)};
        jwt::verifier expired{jwt::key_set{keys.front()}, o, rampart::clock_ref{later}};
        CHECK(expired.try_verify(c.at("token").as_string()).reason() == jwt::error::expired);
    }
}

TEST_CASE("tokens made here verify in PyJWT", "[jwt][pyjwt]") {
    std::string python = python_with_pyjwt();
    if (python.empty()) {
        WARN("python3 with PyJWT (Debian python3-jwt) not found: skipping the PyJWT direction");
        return;
    }
    const std::string script =
        "import sys, json, jwt\n"
        "token = open(sys.argv[1]).read()\n"
        "key = open(sys.argv[2]).read()\n"
        "claims = jwt.decode(token, key, algorithms=[sys.argv[3]],\n"
        "                    options={'require': ['exp', 'iat', 'jti']})\n"
        "print(json.dumps({'header': jwt.get_unverified_header(token), 'claims': claims}))\n";
    std::string script_path = write_temp(script);

    struct signer {
        jwt::key key;
        std::string verify_key; // what PyJWT verifies with
    };
    std::vector<signer> signers;
    auto secret = std::string("django-insecure-") + std::string(40, 'q');
    signers.push_back({jwt::key::hs256(secret), secret});
    for (auto alg : {jwt::algorithm::hs512})
        signers.push_back({jwt::key::hmac(alg, std::string(64, 'w')), std::string(64, 'w')});
    for (auto alg : {jwt::algorithm::rs256, jwt::algorithm::ps384, jwt::algorithm::es256,
                     jwt::algorithm::es384, jwt::algorithm::es512, jwt::algorithm::eddsa}) {
        auto k = jwt::key::generate(alg, "k-" + std::string(jwt::name(alg)));
        signers.push_back({k, k.public_pem()});
    }
    for (const auto& s : signers) {
        INFO(jwt::name(s.key.alg()));
        jwt::issuer iss{s.key}; // the real clock: PyJWT checks exp against its own
        auto issued = iss.access(42, {{"scope", "read"}, {"ratio", 0.25}});
        std::string token_path = write_temp(issued.token);
        std::string key_path = write_temp(s.verify_key);
        auto [status, out] = run(python + " " + script_path + " " + token_path + " " + key_path +
                                 " " + std::string(jwt::name(s.key.alg())) + " 2>&1");
        std::remove(token_path.c_str());
        std::remove(key_path.c_str());
        INFO(out);
        REQUIRE(status == 0);
        auto decoded = boost::json::parse(out).as_object();
        auto& claims = decoded.at("claims").as_object();
        CHECK(claims.at("user_id") == 42);
        CHECK(claims.at("token_type") == "access");
        CHECK(claims.at("jti").as_string() == issued.jti);
        CHECK(claims.at("scope") == "read");
        CHECK(claims.at("ratio") == 0.25);
        CHECK(decoded.at("header").at("alg").as_string() == jwt::name(s.key.alg()));
        CHECK(decoded.at("header").at("typ") == "JWT");
        if (!s.key.kid().empty())
            CHECK(decoded.at("header").at("kid").as_string() == s.key.kid());
    }

    // And PyJWT refuses what it should: a token signed with another secret.
    jwt::issuer wrong{jwt::key::hs256(std::string(32, 'x'))};
    std::string token_path = write_temp(wrong.access(1).token);
    std::string key_path = write_temp(secret);
    auto [status, out] =
        run(python + " " + script_path + " " + token_path + " " + key_path + " HS256 2>&1");
    CHECK(status != 0);
    CHECK_THAT(out, Catch::Contains("Signature verification failed"));
    std::remove(token_path.c_str());
    std::remove(key_path.c_str());
    std::remove(script_path.c_str());
}
