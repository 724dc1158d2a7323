#include <rampart/jwt/hashing_pool.hpp>
#include <rampart/jwt/password.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using jwt::password_hasher;

namespace {

struct vector {
    std::string_view password;
    std::string_view encoded;
};

// From Django's own test suite (tests/auth_tests/test_hashers.py, test_pbkdf2 across releases):
// make_password("lètmein", "seasalt", "pbkdf2_sha256") with each release's default iterations.
constexpr vector django_vectors[] = {
    {"lètmein", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY="},
    {"lètmein", "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0="},
    {"lètmein", "pbkdf2_sha256$720000$seasalt$eDupbcisD1UuIiou3hMuMu8oe/XwnpDw45r6AA5iv0E="},
    {"lètmein", "pbkdf2_sha256$870000$seasalt$wJSpLMQRQz0Dhj/pFpbyjMj71B2gUYp6HJS5AU+32Ac="},
};

// Printed by tests/jwt/data/make_password_vectors.py (Python's hashlib, Django's encoding).
constexpr vector hashlib_vectors[] = {
    {"correct horse battery staple",
     "pbkdf2_sha256$1$Zq3mT0aYbW9xLr2PkE7sNd$Pnpc+IelV/aKBm8PqimyICufcKzZvR0j6GhmSNV0sQ0="},
    {"", "pbkdf2_sha256$2$emptypasswordsalt00000$NOP2camM7wKd7aCuy0OVGqKFbLlP75+zFSHO6kNwLaQ="},
    {"pässwörd ✓ 密码",
     "pbkdf2_sha256$1000$unicodeSaltAbCdEfGh123$GnVMH+CqMneokS/U6k2z0o6WBbBFZjVfft74TMlF2xM="},
    {"alice-pass-1234",
     "pbkdf2_sha256$4096$shopDemoSaltForAlice01$7mSFccHZh9VyZnb1ets4HWYGpk7stCQ3gG12etUQK1I="},
    {"bob-pass-1234", "pbkdf2_sha256$600000$short$4MgeXkB/gXQJT+2UJ0akjzEOUgAbf8CeDQLpM/UIj6o="},
};

password_hasher fast(std::uint32_t iterations = 1000) {
    return password_hasher{iterations, jwt::allow_weak_iterations};
}

} // namespace

TEST_CASE("Django's own PBKDF2 hashes verify unchanged") {
    password_hasher hasher;
    for (auto v : django_vectors) {
        CAPTURE(v.encoded);
        CHECK(hasher.verify(v.password, v.encoded));
        CHECK_FALSE(hasher.verify("letmein", v.encoded));
        CHECK_FALSE(hasher.verify("lètmein ", v.encoded));
    }
}

TEST_CASE("hashlib-made vectors verify, and encoding reproduces them byte for byte") {
    for (auto v : hashlib_vectors) {
        CAPTURE(v.encoded);
        CHECK(fast().verify(v.password, v.encoded));
        CHECK_FALSE(fast().verify(std::string(v.password) + "!", v.encoded));
    }
    // Re-encode the cheap ones with the same salt and iterations: identical text.
    CHECK(fast(1).hash("correct horse battery staple", "Zq3mT0aYbW9xLr2PkE7sNd") ==
          hashlib_vectors[0].encoded);
    CHECK(fast(2).hash("", "emptypasswordsalt00000") == hashlib_vectors[1].encoded);
    CHECK(fast(1000).hash("pässwörd ✓ 密码", "unicodeSaltAbCdEfGh123") ==
          hashlib_vectors[2].encoded);
    CHECK(fast(4096).hash("alice-pass-1234", "shopDemoSaltForAlice01") ==
          hashlib_vectors[3].encoded);
}

TEST_CASE("new hashes use Django's format, a fresh 22-character alphanumeric salt each time") {
    auto hasher = fast(1200);
    std::string a = hasher.hash("secret");
    std::string b = hasher.hash("secret");
    CHECK(a != b);
    REQUIRE(a.rfind("pbkdf2_sha256$1200$", 0) == 0);
    std::string_view rest =
        std::string_view{a}.substr(std::string_view{"pbkdf2_sha256$1200$"}.size());
    auto dollar = rest.find('$');
    REQUIRE(dollar == 22);
    for (char c : rest.substr(0, dollar))
        CHECK(((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')));
    CHECK(rest.substr(dollar + 1).size() == 44); // base64 of 32 bytes, padded
    CHECK(hasher.verify("secret", a));
    CHECK(hasher.verify("secret", b));
    CHECK_FALSE(hasher.verify("Secret", a));
    CHECK_FALSE(hasher.needs_rehash(a));
}

TEST_CASE("iterations default to a million and new hashes never use fewer than 600,000") {
    CHECK(password_hasher{}.iterations() == 1'000'000);
    CHECK(password_hasher{600'000}.iterations() == 600'000);
    CHECK_THROWS_AS(password_hasher{599'999}, std::invalid_argument);
    CHECK_THROWS_AS(password_hasher{100'000'000}, std::invalid_argument);
    CHECK_THROWS_AS((password_hasher{0, jwt::allow_weak_iterations}), std::invalid_argument);
    CHECK_THROWS_AS(fast().hash("x", "has$dollar"), std::invalid_argument);
    CHECK_THROWS_AS(fast().hash("x", ""), std::invalid_argument);
}

TEST_CASE("needs_rehash asks for another hash when iterations or salt fall short") {
    password_hasher hasher{870'000};
    CHECK(hasher.needs_rehash(django_vectors[2].encoded));     // 720000 iterations
    CHECK(hasher.needs_rehash(django_vectors[3].encoded));     // 870000, but a 7-char salt
    CHECK(hasher.needs_rehash("pbkdf2_sha1$870000$abc$def=")); // another algorithm
    CHECK(hasher.needs_rehash("garbage"));
    std::string fresh = fast(5).hash("pw");
    CHECK_FALSE(fast(5).needs_rehash(fresh));
    CHECK(fast(6).needs_rehash(fresh));
}

TEST_CASE("malformed or foreign encodings never verify") {
    auto hasher = fast();
    std::string good = hasher.hash("pw", "abcdefghijklmnopqrstuv");
    REQUIRE(hasher.verify("pw", good));
    for (std::string_view bad : {
             "",
             "pbkdf2_sha256",
             "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv",
             "pbkdf2_sha1$1000$abcdefghijklmnopqrstuv$x",
             "pbkdf2_sha256$$abcdefghijklmnopqrstuv$x",
             "pbkdf2_sha256$01000$abcdefghijklmnopqrstuv$x",
             "pbkdf2_sha256$-1000$abcdefghijklmnopqrstuv$x",
             "pbkdf2_sha256$1000x$abcdefghijklmnopqrstuv$x",
             "pbkdf2_sha256$99999999999$abcdefghijklmnopqrstuv$x",
             "pbkdf2_sha256$1000$$x",
             "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$",
             "!pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$x",
         }) {
        CAPTURE(bad);
        CHECK_FALSE(hasher.verify("pw", bad));
    }
    // The stored hash with one character changed, or with extra text, does not verify.
    std::string flipped = good;
    flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
    CHECK_FALSE(hasher.verify("pw", flipped));
    CHECK_FALSE(hasher.verify("pw", good + "="));
    CHECK_FALSE(hasher.verify("pw", good + "$x"));
}

TEST_CASE("check re-hashes an outdated hash after a good password, and runs the dummy for an "
          "unknown user") {
    auto hasher = fast(3000);
    auto outdated = hashlib_vectors[2]; // 1000 iterations
    auto result = hasher.check(outdated.password, std::string(outdated.encoded));
    CHECK(result.valid);
    REQUIRE(result.rehashed);
    CHECK(result.rehashed->rfind("pbkdf2_sha256$3000$", 0) == 0);
    CHECK(hasher.verify(outdated.password, *result.rehashed));
    CHECK_FALSE(hasher.needs_rehash(*result.rehashed));

    auto wrong = hasher.check("nope", std::string(outdated.encoded));
    CHECK_FALSE(wrong.valid);
    CHECK_FALSE(wrong.rehashed); // never re-hash on a failed login

    auto current = hasher.check("pw", hasher.hash("pw"));
    CHECK(current.valid);
    CHECK_FALSE(current.rehashed);

    auto unknown = hasher.check(outdated.password, std::nullopt);
    CHECK_FALSE(unknown.valid);
    CHECK_FALSE(unknown.rehashed);
    CHECK_FALSE(hasher.verify_dummy(outdated.password));
}

TEST_CASE("async_check runs on the pool and resumes on the caller's executor") {
    asio::io_context io;
    asio::thread_pool pool{1};
    auto hasher = fast(2000);
    std::string encoded = hasher.hash("open sesame");
    std::thread::id io_thread, resumed_on;
    jwt::password_check good, bad, unknown;
    std::string made;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            io_thread = std::this_thread::get_id();
            good = co_await hasher.async_check(pool, "open sesame", encoded);
            resumed_on = std::this_thread::get_id();
            bad = co_await hasher.async_check(pool.get_executor(), "open", encoded);
            unknown = co_await hasher.async_check(pool, "open sesame", std::nullopt);
            made = co_await hasher.async_hash(pool, "another");
        },
        [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    io.run();
    pool.join();
    CHECK(resumed_on == io_thread);
    CHECK(good.valid);
    CHECK_FALSE(bad.valid);
    CHECK_FALSE(unknown.valid);
    CHECK(hasher.verify("another", made));
}

TEST_CASE("a failed check costs the current iterations whatever was stored (harden runtime)") {
    auto hasher = fast(3000);
    auto outdated = hashlib_vectors[2]; // 1000 iterations
    auto older = hashlib_vectors[0];    // 1 iteration
    auto newer = hashlib_vectors[3];    // 4096 iterations

    // Wrong passwords: the stored count plus the difference, as much as an unknown user.
    CHECK(hasher.check("nope", std::string(outdated.encoded)).iterations_run == 3000);
    CHECK(hasher.check("nope", std::string(older.encoded)).iterations_run == 3000);
    CHECK(hasher.check("nope", hasher.hash("pw")).iterations_run == 3000);
    CHECK(hasher.check("nope", std::nullopt).iterations_run == 3000);
    // Another algorithm, Django's unusable password, garbage: the dummy, never valid.
    for (std::string_view foreign : {"pbkdf2_sha1$1000$abcdefghijklmnopqrstuv$x",
                                     "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
                                     "!Xx0unusablepasswordmarker", "", "pbkdf2_sha256$1$s$"}) {
        CAPTURE(foreign);
        auto r = hasher.check("nope", std::string(foreign));
        CHECK_FALSE(r.valid);
        CHECK_FALSE(r.rehashed);
        CHECK(r.iterations_run == 3000);
    }
    // More iterations than current: verifying needs them all, so a failure costs more.
    CHECK(hasher.check("nope", std::string(newer.encoded)).iterations_run == 4096);

    // Good passwords: the verify, plus the re-hash when outdated; harden runtime does not run.
    auto good_old = hasher.check(outdated.password, std::string(outdated.encoded));
    CHECK(good_old.valid);
    CHECK(good_old.iterations_run == 1000 + 3000);
    auto good_new = hasher.check(newer.password, std::string(newer.encoded));
    CHECK(good_new.valid);
    CHECK(good_new.rehashed);
    CHECK(good_new.iterations_run == 4096 + 3000);
    CHECK(hasher.check("pw", hasher.hash("pw")).iterations_run == 3000);
}

TEST_CASE("a wrong password on a one-iteration hash is not much faster than an unknown user") {
    // One loose wall-clock sanity check over real PBKDF2 (the exact work is measured above):
    // without harden runtime the ratio is in the thousands; the margin here is 10x, and the
    // fastest of several runs is compared, so a busy machine cannot make it fail.
    auto hasher = fast(200'000);
    std::string stored{hashlib_vectors[0].encoded}; // 1 iteration
    auto fastest = [&](const std::optional<std::string>& encoded) {
        auto best = std::chrono::steady_clock::duration::max();
        for (int i = 0; i < 3; ++i) {
            auto start = std::chrono::steady_clock::now();
            auto r = hasher.check("wrong password", encoded);
            best = std::min(best, std::chrono::steady_clock::now() - start);
            REQUIRE_FALSE(r.valid);
        }
        return best;
    };
    auto wrong_on_weak = fastest(stored);
    auto unknown = fastest(std::nullopt);
    using ms = std::chrono::duration<double, std::milli>;
    double wrong_ms = ms(wrong_on_weak).count();
    double unknown_ms = ms(unknown).count();
    CAPTURE(wrong_ms, unknown_ms);
    CHECK(wrong_on_weak * 10 > unknown);
}

TEST_CASE("hashing_pool admits threads + max_waiting checks and refuses the next at once") {
    asio::io_context io;
    jwt::hashing_pool pool{
        {.threads = 1, .max_waiting = 2, .retry_after = std::chrono::seconds{3}}};
    CHECK(pool.capacity() == 3);
    CHECK(jwt::hashing_pool{{.threads = 3}}.capacity() == 3 + 12); // 4 waiting per thread
    CHECK_THROWS_AS(jwt::hashing_pool{{.threads = 0}}, std::invalid_argument);

    // Block the only thread, so nothing admitted can finish until the test says so.
    std::promise<void> unblock;
    std::shared_future<void> blocker = unblock.get_future().share();
    asio::post(pool.get_executor(), [blocker] { blocker.wait(); });

    auto hasher = fast(1000);
    std::string encoded = hasher.hash("open sesame");
    std::vector<jwt::password_check> results(3);
    int finished = 0;
    for (std::size_t i = 0; i < 3; ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                results[i] = co_await pool.check(hasher, i == 0 ? "open sesame" : "wrong",
                                                 std::optional<std::string>{encoded});
            },
            [&](std::exception_ptr e) {
                ++finished;
                if (e)
                    std::rethrow_exception(e);
            });
    io.poll();
    CHECK(pool.in_flight() == 3);
    CHECK(finished == 0);

    // Full: the fourth is refused without waiting for the blocked pool, with a 503 that says
    // when to come back. Tickets are refused too.
    std::exception_ptr refused;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await pool.check(hasher, "open sesame", std::optional<std::string>{encoded});
        },
        [&](std::exception_ptr e) { refused = e; });
    io.poll();
    REQUIRE(refused);
    try {
        std::rethrow_exception(refused);
    } catch (const rampart::service_unavailable& e) {
        CHECK(e.status_code() == 503);
        REQUIRE(e.headers().size() == 1);
        CHECK(e.headers()[0] == rampart::http_error::header{"Retry-After", "3"});
    }
    CHECK_FALSE(pool.try_admit());
    CHECK_THROWS_AS(pool.admit(), rampart::service_unavailable);
    CHECK(pool.in_flight() == 3); // a refusal takes no place

    // Released: every admitted check completes and gives its place back.
    unblock.set_value();
    io.restart();
    io.run();
    CHECK(finished == 3);
    CHECK(results[0].valid);
    CHECK_FALSE(results[1].valid);
    CHECK_FALSE(results[2].valid);
    CHECK(pool.in_flight() == 0);

    // A ticket holds one place until released or destroyed.
    {
        auto a = pool.admit();
        auto b = pool.try_admit();
        REQUIRE(b);
        CHECK(pool.in_flight() == 2);
        auto moved = std::move(a);
        CHECK(pool.in_flight() == 2);
        b->release();
        CHECK(pool.in_flight() == 1);
    }
    CHECK(pool.in_flight() == 0);

    // An admitted ticket is used up by its check; a made-up one is refused.
    jwt::password_check after;
    std::exception_ptr empty_ticket;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto place = pool.admit();
            after = co_await pool.check(std::move(place), hasher, "open sesame",
                                        std::optional<std::string>{encoded});
            co_await pool.check(jwt::hashing_pool::ticket{}, hasher, "x", std::nullopt);
        },
        [&](std::exception_ptr e) { empty_ticket = e; });
    io.restart();
    io.run();
    CHECK(after.valid);
    CHECK(after.iterations_run == 1000);
    CHECK(empty_ticket);
    CHECK(pool.in_flight() == 0);
    pool.join();
}
