// The examples of the lifecycle half of docs/jwt.md, compiled and run. Keep them in step with
// the page. They also show the shop's wiring: obtain/refresh/verify/blacklist + Bearer on orders.
#include <rampart/jwt.hpp>

#include <rampart/core/response.hpp>
#include <rampart/errors.hpp>
#include <rampart/router.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

using namespace std::chrono_literals;

namespace {

// The application's own user table (the shop keeps it in SQLite).
struct user_row {
    std::string id;
    std::string password_hash;
    bool active = true;
};
std::map<std::string, user_row> user_rows;

rampart::asio::awaitable<std::optional<user_row>> find_user(std::string_view username) {
    auto it = user_rows.find(std::string(username));
    if (it == user_rows.end())
        co_return std::nullopt;
    co_return it->second;
}
rampart::asio::awaitable<std::optional<user_row>> find_user_by_id(std::string_view id) {
    for (const auto& [name, row] : user_rows)
        if (row.id == id)
            co_return row;
    co_return std::nullopt;
}
rampart::asio::awaitable<void> save_password_hash(std::string_view id, std::string hash) {
    for (auto& [name, row] : user_rows)
        if (row.id == id)
            row.password_hash = std::move(hash);
    co_return;
}

// The user directory the token service asks.
struct shop_users {
    const rampart::jwt::password_hasher* hasher;
    rampart::asio::thread_pool* pool; // password hashing runs here, never on the I/O threads

    rampart::asio::awaitable<std::optional<std::string>>
    check_credentials(std::string_view username, std::string_view password) {
        std::optional<user_row> row = co_await find_user(username);
        std::optional<std::string> stored; // none: the dummy hash runs, same cost
        if (row)
            stored = row->password_hash;
        rampart::jwt::password_check check =
            co_await hasher->async_check(*pool, std::string(password), std::move(stored));
        if (!check.valid || !row->active)
            co_return std::nullopt;
        if (check.rehashed) // an older hash: upgrade it now that we know the password
            co_await save_password_hash(row->id, std::move(*check.rehashed));
        co_return row->id;
    }

    rampart::asio::awaitable<bool> is_active(std::string_view user_id) {
        std::optional<user_row> row = co_await find_user_by_id(user_id);
        co_return row && row->active;
    }
};

// The lookup behind the user-status cache (the shop's is one indexed query).
struct active_lookup {
    shop_users* users;
    rampart::asio::awaitable<bool> operator()(std::string_view id) { return users->is_active(id); }
};

// docs: user directory shape
struct my_users {
    rampart::asio::awaitable<std::optional<std::string>>
    check_credentials(std::string_view username, std::string_view password);
    rampart::asio::awaitable<bool> is_active(std::string_view user_id);
    // optional: claims added at login and carried over by refresh
    rampart::asio::awaitable<boost::json::object> extra_claims(std::string_view user_id);
};
static_assert(rampart::jwt::user_directory_with_claims<my_users>);
// end

rampart::response list_orders(rampart::context& ctx) {
    return rampart::json_response(rampart::http::status::ok,
                                  {{"owner", ctx.principal().user_id}, {"results", {}}});
}

rampart::request post(std::string target, boost::json::object body) {
    return rampart::test::make_request(rampart::http::verb::post, std::move(target),
                                       boost::json::serialize(body));
}

} // namespace

TEST_CASE("docs/jwt.md: passwords in Django's format") {
    rampart::jwt::password_hasher hasher; // 1,000,000 iterations for new hashes
    std::string encoded = hasher.hash("correct horse battery staple");
    bool ok = hasher.verify("correct horse battery staple", encoded);
    bool upgrade = hasher.needs_rehash(
        "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=");
    CHECK(encoded.starts_with("pbkdf2_sha256$1000000$"));
    CHECK(ok);
    CHECK(upgrade);
}

TEST_CASE("docs/jwt.md: user_callbacks over a map") {
    using namespace rampart;
    asio::thread_pool pool{1};
    rampart::jwt::password_hasher hasher{1000, rampart::jwt::allow_weak_iterations};
    auto key = rampart::jwt::key::hs256("a-secret-of-at-least-32-bytes-for-hs256");
    rampart::jwt::issuer<> issuer{key};
    rampart::jwt::verifier<> verifier{rampart::jwt::key_set{key}};
    rampart::jwt::memory_token_store<> store;

    // docs: user_callbacks
    struct account {
        std::string id;
        std::string password_hash; // from hasher.hash(password)
        bool active = true;
    };
    std::map<std::string, account, std::less<>> accounts;

    // check(username, password) -> awaitable<optional<string>>: the id, or nullopt
    auto check =
        [&](std::string_view username,
            std::string_view password) -> rampart::asio::awaitable<std::optional<std::string>> {
        auto it = accounts.find(username);
        std::optional<std::string> stored; // none: the dummy hash runs, same cost
        if (it != accounts.end())
            stored = it->second.password_hash;
        rampart::jwt::password_check result =
            co_await hasher.async_check(pool, std::string(password), std::move(stored));
        if (!result.valid || !it->second.active)
            co_return std::nullopt;
        co_return it->second.id;
    };
    // active(user_id) -> awaitable<bool>: may this id still get tokens?
    auto active = [&](std::string_view user_id) -> rampart::asio::awaitable<bool> {
        for (const auto& [name, a] : accounts)
            if (a.id == user_id)
                co_return a.active;
        co_return false;
    };
    rampart::jwt::user_callbacks users{check, active};
    rampart::jwt::token_service tokens{issuer, verifier, store, users};
    // end

    accounts["erin"] = {"7", hasher.hash("erin-pass-1234"), true};
    accounts["fred"] = {"8", hasher.hash("fred-pass-1234"), false};
    auto obtain = rampart::stack(rampart::error_envelope<>{}).wrap(tokens.obtain_handler());
    auto refresh = rampart::stack(rampart::error_envelope<>{}).wrap(tokens.refresh_handler());
    auto login = test::call(
        obtain, post("/api/token/", {{"username", "erin"}, {"password", "erin-pass-1234"}}));
    REQUIRE(login.result() == http::status::ok);
    auto pair = boost::json::parse(login.body()).as_object();
    CHECK(verifier.verify(pair.at("access").as_string()).user_id() == "7");
    CHECK(test::call(obtain,
                     post("/api/token/", {{"username", "erin"}, {"password", "wrong-pass-1234"}}))
              .result() == http::status::unauthorized);
    CHECK(test::call(obtain,
                     post("/api/token/", {{"username", "fred"}, {"password", "fred-pass-1234"}}))
              .result() == http::status::unauthorized); // inactive
    CHECK(test::call(obtain,
                     post("/api/token/", {{"username", "nobody"}, {"password", "fred-pass-1234"}}))
              .result() == http::status::unauthorized);
    accounts["erin"].active = false; // refresh asks active(): erin is cut off
    CHECK(test::call(refresh, post("/api/token/refresh/", {{"refresh", pair.at("refresh")}}))
              .result() == http::status::unauthorized);
    pool.join();
}

TEST_CASE("docs/jwt.md: the token lifecycle behind a router") {
    using namespace rampart;
    const std::string secret = "a-secret-of-at-least-32-bytes-for-hs256";
    asio::thread_pool pool{2};

    // Tests use few iterations; a service keeps the default (1,000,000).
    rampart::jwt::password_hasher hasher{1000, rampart::jwt::allow_weak_iterations};
    user_rows["alice"] = {"1", hasher.hash("alice-pass-1234"), true};
    // A hash made by Django years ago, with its then-default iterations: still verifies.
    user_rows["carol"] = {
        "3", "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", true};

    auto key = rampart::jwt::key::hs256(secret);
    rampart::jwt::issuer_options lifetimes;
    lifetimes.access_lifetime = 3600s;    // SHOP_ACCESS_TTL
    lifetimes.refresh_lifetime = 604800s; // SHOP_REFRESH_TTL
    rampart::jwt::issuer<> issuer{key, lifetimes};
    rampart::jwt::verifier<> verifier{rampart::jwt::key_set{key}};
    rampart::jwt::memory_token_store<> store; // or rampart::redis::token_store, shared
    rampart::jwt::token_service tokens{issuer, verifier, store, shop_users{&hasher, &pool}};

    rampart::router api;
    auto auth = api.unversioned();
    auth.post("/api/token/", tokens.obtain_handler(), "token");
    auth.post("/api/token/refresh/", tokens.refresh_handler(), "token-refresh");
    auth.post("/api/token/verify/", tokens.verify_handler(), "token-verify");
    auth.post("/api/token/blacklist/", tokens.blacklist_handler(), "token-blacklist");
    auto orders = api.versions({"v1", "v2"})
                      .group("/orders", rampart::stack(rampart::jwt::require_authenticated{}));
    orders.get("/", list_orders, "order-list");

    auto service =
        rampart::stack(rampart::error_envelope<>{}, rampart::jwt::authenticate{verifier, store},
                       // the throttle goes here: it sees who authenticated
                       rampart::jwt::enforce{})
            .wrap(api);

    // Log in, use the access token, rotate, and log out.
    auto login = test::call(
        service, post("/api/token/", {{"username", "alice"}, {"password", "alice-pass-1234"}}));
    REQUIRE(login.result() == http::status::ok);
    auto pair = boost::json::parse(login.body()).as_object();
    std::string access{pair.at("access").as_string()}, refresh{pair.at("refresh").as_string()};

    auto list = test::make_request(http::verb::get, "/api/v1/orders/");
    list.set(http::field::authorization, "Bearer " + access);
    auto mine = test::call(service, list);
    CHECK(mine.result() == http::status::ok);
    CHECK(boost::json::parse(mine.body()).at("owner") == "1");

    auto anonymous = test::call(service, test::make_request(http::verb::get, "/api/v2/orders/"));
    CHECK(anonymous.result() == http::status::unauthorized);
    CHECK(anonymous[http::field::www_authenticate] == R"(Bearer realm="api")");

    auto rotated = test::call(service, post("/api/token/refresh/", {{"refresh", refresh}}));
    REQUIRE(rotated.result() == http::status::ok);
    std::string next{boost::json::parse(rotated.body()).at("refresh").as_string()};
    auto verified = test::call(service, post("/api/token/verify/", {{"token", access}}));
    CHECK(verified.result() == http::status::ok);

    auto reused = test::call(service, post("/api/token/refresh/", {{"refresh", refresh}}));
    CHECK(reused.result() == http::status::unauthorized); // theft: the family is revoked
    CHECK(test::call(service, post("/api/token/refresh/", {{"refresh", next}})).result() ==
          http::status::unauthorized);
    CHECK(test::call(service, list).result() == http::status::unauthorized);

    // Carol's Django hash verifies and is upgraded to this hasher's iterations on login.
    auto carol =
        test::call(service, post("/api/token/", {{"username", "carol"}, {"password", "lètmein"}}));
    CHECK(carol.result() == http::status::ok);
    CHECK(user_rows["carol"].password_hash.starts_with("pbkdf2_sha256$1000$"));
    auto wrong =
        test::call(service, post("/api/token/", {{"username", "carol"}, {"password", "letmein"}}));
    CHECK(wrong.result() == http::status::unauthorized);

    auto again = boost::json::parse(
        test::call(service,
                   post("/api/token/", {{"username", "alice"}, {"password", "alice-pass-1234"}}))
            .body());
    auto out =
        test::call(service, post("/api/token/blacklist/", {{"refresh", again.at("refresh")}}));
    CHECK(out.result() == http::status::ok);
    CHECK(test::call(service, post("/api/token/refresh/", {{"refresh", again.at("refresh")}}))
              .result() == http::status::unauthorized);
    pool.join();
}

TEST_CASE("docs/jwt.md: cookies for browsers, and log out everywhere") {
    using namespace rampart;
    asio::thread_pool pool{1};
    rampart::jwt::password_hasher hasher{1000, rampart::jwt::allow_weak_iterations};
    user_rows["bob"] = {"2", hasher.hash("bob-pass-1234"), true};
    auto key = rampart::jwt::key::hs256("a-secret-of-at-least-32-bytes-for-hs256");
    rampart::jwt::issuer<> issuer{key};
    rampart::jwt::verifier<> verifier{rampart::jwt::key_set{key}};
    rampart::jwt::memory_token_store<> store;

    rampart::jwt::token_service_options browser;
    browser.transport = rampart::jwt::token_transport::cookies;
    browser.cookies.refresh_path = "/api/token/"; // the refresh cookie goes nowhere else
    browser.reuse_grace = 2s;                     // two tabs refreshing at once: no alarm
    rampart::jwt::token_service tokens{issuer, verifier, store, shop_users{&hasher, &pool},
                                       browser};

    rampart::jwt::authenticate_options from_cookie;
    from_cookie.cookies = browser.cookies; // same names: access_token, csrftoken, X-CSRFToken
    auto authenticate = rampart::jwt::authenticate{verifier, store, from_cookie};

    auto logout_everywhere =
        [&](rampart::context& ctx) -> rampart::asio::awaitable<rampart::response> {
        co_await tokens.revoke_user(ctx.principal().user_id);
        co_return rampart::json_response(rampart::http::status::ok, boost::json::object{});
    };

    auto login_handler = rampart::stack(rampart::error_envelope<>{}).wrap(tokens.obtain_handler());
    auto login = test::call(
        login_handler, post("/api/token/", {{"username", "bob"}, {"password", "bob-pass-1234"}}));
    REQUIRE(login.result() == http::status::ok);
    CHECK(login.body() == "{}");
    std::string jar;
    for (auto it = login.find(http::field::set_cookie);
         it != login.end() && it->name() == http::field::set_cookie; ++it) {
        std::string_view c{it->value().data(), it->value().size()};
        jar += std::string(c.substr(0, c.find(';'))) + "; ";
    }
    std::string csrf = jar.substr(jar.find("csrftoken=") + 10);
    csrf = csrf.substr(0, csrf.find(';'));

    auto everywhere = rampart::stack(rampart::error_envelope<>{}, authenticate,
                                     rampart::jwt::enforce{}, rampart::jwt::require_authenticated{})
                          .wrap(logout_everywhere);
    auto req = test::make_request(http::verb::post, "/api/account/logout-everywhere/");
    req.set(http::field::cookie, jar);
    auto forged = test::call(everywhere, req);
    CHECK(forged.result() == http::status::forbidden); // no CSRF header
    req.set("X-CSRFToken", csrf);
    CHECK(test::call(everywhere, req).result() == http::status::ok);
    CHECK(test::call(everywhere, req).result() == http::status::unauthorized); // revoked
    pool.join();
}

TEST_CASE("docs/jwt.md: deleted and deactivated users, typed user ids") {
    using namespace rampart;
    asio::thread_pool pool{1};
    rampart::jwt::password_hasher hasher{1000, rampart::jwt::allow_weak_iterations};
    user_rows["dora"] = {"40", hasher.hash("dora-pass-1234"), true};
    shop_users directory{&hasher, &pool};
    auto key = rampart::jwt::key::hs256("a-secret-of-at-least-32-bytes-for-hs256");
    rampart::jwt::issuer<> issuer{key};
    rampart::jwt::verifier<> verifier{rampart::jwt::key_set{key}};
    rampart::jwt::memory_token_store<> store;

    rampart::jwt::user_status_cache users{active_lookup{&directory}}; // 10,000 users, 5 s
    rampart::jwt::authenticate_options checks;
    checks.valid_user_id = rampart::jwt::integer_user_id;
    checks.user_active = [&users](std::string_view id) { return users.is_active(id); };
    auto authenticate = rampart::jwt::authenticate{verifier, store, checks};

    auto service =
        rampart::stack(rampart::error_envelope<>{}, authenticate, rampart::jwt::enforce{})
            .wrap([](rampart::context& ctx) { return list_orders(ctx); });
    auto as = [&](const boost::json::value& user) {
        auto req = test::make_request(http::verb::get, "/api/v1/orders/");
        req.set(http::field::authorization, "Bearer " + issuer.access(user).token);
        return test::call(service, std::move(req)).result();
    };
    CHECK(as(40) == http::status::ok);
    CHECK(as(41) == http::status::unauthorized);    // no such user
    CHECK(as("abc") == http::status::unauthorized); // not a user id
    user_rows["dora"].active = false;
    users.forget("40"); // deactivated here: at once; elsewhere within 5 s
    CHECK(as(40) == http::status::unauthorized);
    user_rows.erase("dora");
    pool.join();
}
