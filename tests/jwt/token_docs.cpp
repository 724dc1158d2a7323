// token_service's route_docs: what the endpoints read and write, as its options make them, and
// what an OpenAPI document generated from routes registered with them says.

#include <rampart/jwt/token_service.hpp>

#include "jwt/service_support.hpp"

#include <rampart/openapi/document.hpp>
#include <rampart/router.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>

using namespace rampart;

namespace {

namespace json = boost::json;

struct docs_fixture {
    test::token_layer t;
    asio::thread_pool pool{1};
    test::user_table users{pool};

    ~docs_fixture() { pool.join(); }

    auto make(jwt::token_service_options o = {}) {
        return test::make_service(t, users, std::move(o));
    }
};

const json::object& result_of(const route_doc& d) {
    REQUIRE(d.result.size() == 1);
    CHECK(d.result.front().first.empty()); // every version
    return d.result.front().second;
}

bool has_error(const route_doc& d, unsigned status) {
    return std::find(d.errors.begin(), d.errors.end(), status) != d.errors.end();
}

const header_doc* header(const route_doc& d, std::string_view name) {
    for (const auto& h : d.headers)
        if (h.name == name)
            return &h;
    return nullptr;
}

} // namespace

TEST_CASE("token service docs: bodies, results and errors in the body transport") {
    docs_fixture f;
    jwt::token_service_options o;
    o.max_username_size = 20;
    auto tokens = f.make(o);

    route_doc obtain = tokens->obtain_doc();
    CHECK(obtain.status == 200);
    REQUIRE(obtain.body);
    CHECK(obtain.body->at("required") == json::array{"username", "password"});
    const auto& username = obtain.body->at("properties").at("username");
    CHECK(username.at("type") == "string");
    CHECK(username.at("maxLength") == 20);
    CHECK(username.at("pattern") == "[^ \\t]"); // not blank, as string_field reads it
    CHECK(obtain.body->at("properties").at("password").at("maxLength") == 4096);
    CHECK(result_of(obtain).at("required") == json::array{"access", "refresh"});
    CHECK(result_of(obtain).at("additionalProperties") == false);
    CHECK(has_error(obtain, 401));
    CHECK(has_error(obtain, 503));
    CHECK_FALSE(has_error(obtain, 403));
    REQUIRE(header(obtain, "Cache-Control"));
    CHECK(header(obtain, "Cache-Control")->required);
    CHECK_FALSE(header(obtain, "Set-Cookie"));

    route_doc refresh = tokens->refresh_doc();
    CHECK(refresh.body->at("required") == json::array{"refresh"});
    CHECK(refresh.body->at("properties").at("refresh").at("maxLength") == 16 * 1024);
    CHECK(result_of(refresh) == result_of(obtain));

    route_doc verify = tokens->verify_doc();
    CHECK(verify.body->at("required") == json::array{"token"});
    CHECK(result_of(verify).at("maxProperties") == 0);
    CHECK(has_error(verify, 401));

    route_doc blacklist = tokens->blacklist_doc();
    CHECK(blacklist.body->at("required") == json::array{"refresh"});
    CHECK(result_of(blacklist).at("maxProperties") == 0);
    CHECK(blacklist.description.find("nor any token of its login") != std::string::npos);
    o.logout_revokes_family = false;
    CHECK(f.make(o)->blacklist_doc().description.find("nor any") == std::string::npos);
}

TEST_CASE("token service docs: the cookie transport's cookies, CSRF check and bodies") {
    docs_fixture f;
    jwt::token_service_options o;
    o.transport = jwt::token_transport::cookies;
    o.cookies.refresh_cookie = "rt";
    o.cookies.csrf_header = "X-CSRF";
    auto tokens = f.make(o);

    route_doc obtain = tokens->obtain_doc();
    CHECK(result_of(obtain).at("maxProperties") == 0); // the tokens are in cookies only
    REQUIRE(header(obtain, "Set-Cookie"));
    CHECK(header(obtain, "Set-Cookie")->description.find("`rt`") != std::string::npos);
    CHECK(header(obtain, "Set-Cookie")->required);

    route_doc refresh = tokens->refresh_doc();
    CHECK_FALSE(refresh.body->contains("required")); // the token may come from the cookie
    CHECK(has_error(refresh, 403));
    CHECK(refresh.description.find("`X-CSRF`") != std::string::npos);
    REQUIRE(header(refresh, "Set-Cookie"));

    route_doc blacklist = tokens->blacklist_doc();
    CHECK(has_error(blacklist, 403));
    REQUIRE(header(blacklist, "Set-Cookie"));
    CHECK(header(blacklist, "Set-Cookie")->description.starts_with("Clears"));

    o.transport = jwt::token_transport::body_and_cookies;
    route_doc both = f.make(o)->obtain_doc();
    CHECK(result_of(both).at("required") == json::array{"access", "refresh"});
    CHECK(header(both, "Set-Cookie"));
}

TEST_CASE("token service docs: a document of routes registered with them") {
    docs_fixture f;
    auto tokens = f.make();
    router api;
    auto auth = api.unversioned();
    auth.post("/api/token/", tokens->obtain_handler(), "token", tokens->obtain_doc());
    auth.post("/api/token/refresh/", tokens->refresh_handler(), "token-refresh",
              tokens->refresh_doc());
    openapi::document_options o;
    o.require_declared = true; // every body and result is declared
    json::object doc = openapi::generate(api.declarations(), o);

    const auto& obtain = doc.at("paths").at("/api/token/").at("post").as_object();
    CHECK(obtain.at("operationId") == "token");
    CHECK(obtain.at("tags") == json::array{"tokens"});
    const auto& responses = obtain.at("responses").as_object();
    for (const char* status : {"200", "400", "401", "405", "413", "415", "500", "503"}) {
        INFO(status);
        CHECK(responses.contains(status));
    }
    CHECK_FALSE(responses.contains("201"));
    CHECK(responses.at("401").at("headers").as_object().contains("WWW-Authenticate"));
    CHECK(responses.at("200").at("headers").at("Cache-Control").at("required") == true);
    CHECK(responses.at("200").at("content").at("application/json").at("schema").at("required") ==
          json::array{"access", "refresh"});
    CHECK(
        obtain.at("requestBody").at("content").at("application/json").at("schema").at("required") ==
        json::array{"username", "password"});
}
