// The examples of docs/jwt.md's "Passwords" subsections on timing and the bounded queue, as
// they appear there (tests/check_docs.py checks that they do).

#include <rampart/jwt/hashing_pool.hpp>
#include <rampart/jwt/password.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace {

std::optional<std::string> find_stored_hash(std::string_view username) {
    if (username == "alice")
        return rampart::jwt::password_hasher{1000, rampart::jwt::allow_weak_iterations}.hash(
            "alice-pass-1234");
    return std::nullopt;
}

} // namespace

TEST_CASE("docs/jwt.md: a failed check costs the current iterations") {
    rampart::jwt::password_hasher hasher; // 1,000,000 iterations
    rampart::jwt::password_check old_wrong = hasher.check(
        "not it", "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=");
    rampart::jwt::password_check unknown = hasher.check("not it", std::nullopt);
    // Both ran 1,000,000 iterations: 20,000 to verify, 980,000 to even out.
    bool same = old_wrong.iterations_run == unknown.iterations_run;
    CHECK(same);
    CHECK(unknown.iterations_run == 1'000'000);
}

TEST_CASE("docs/jwt.md: a bounded hashing queue") {
    rampart::asio::io_context io;
    rampart::jwt::password_hasher hasher{1000, rampart::jwt::allow_weak_iterations};
    std::optional<bool> valid;
    auto login = [&](std::string username, std::string password) -> rampart::asio::awaitable<void> {
        rampart::jwt::hashing_pool hashing{{.threads = 2}}; // 2 running + 8 waiting, then 503
        // In check_credentials, admit BEFORE the lookup: a refusal costs no query
        // and cannot depend on whether the user exists.
        rampart::jwt::hashing_pool::ticket place = hashing.admit(); // throws the 503 when full
        std::optional<std::string> stored = find_stored_hash(username);
        auto checking = hashing.check(std::move(place), hasher, password, stored);
        rampart::jwt::password_check check = co_await std::move(checking);
        valid = check.valid;
        CHECK(hashing.capacity() == 10);
        hashing.join();
    };
    rampart::asio::co_spawn(io, login("alice", "alice-pass-1234"), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
    CHECK(valid == true);
}
