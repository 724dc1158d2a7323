#ifndef RAMPART_TESTS_JWT_SERVICE_SUPPORT_HPP
#define RAMPART_TESTS_JWT_SERVICE_SUPPORT_HPP

// A token layer on a manual clock, an in-memory store and a user table with hashed passwords:
// the real parts the service tests run against.

#include <rampart/core/clock.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/password.hpp>
#include <rampart/jwt/token_service.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/jwt/verifier.hpp>

#include "support/run.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace rampart::test {

using test_clock = clock_ref<manual_clock>;

struct token_layer {
    manual_clock clock;
    jwt::key key = jwt::key::hs256("rampart-test-secret-0123456789abcdef");
    jwt::issuer<test_clock> issuer{key, {}, test_clock{clock}};
    jwt::verifier<test_clock> verifier{jwt::key_set{key}, {}, test_clock{clock}};
    jwt::memory_token_store<test_clock> store{test_clock{clock}};
};

/// Users with PBKDF2 hashes (few iterations: tests), checked on a real thread pool.
class user_table {
public:
    struct user {
        std::string id;
        std::string hash;
        bool active = true;
    };

    explicit user_table(asio::thread_pool& pool) : pool_(&pool) {}

    void add(std::string name, std::string id, std::string_view password, bool active = true) {
        std::lock_guard lock{mutex_};
        users_[std::move(name)] = {std::move(id), hasher_.hash(password), active};
    }
    void set_active(const std::string& name, bool active) {
        std::lock_guard lock{mutex_};
        users_.at(name).active = active;
    }
    void remove(const std::string& name) {
        std::lock_guard lock{mutex_};
        users_.erase(name);
    }

    asio::awaitable<std::optional<std::string>> check_credentials(std::string_view username,
                                                                  std::string_view password) {
        std::optional<user> found;
        {
            std::lock_guard lock{mutex_};
            if (auto it = users_.find(std::string(username)); it != users_.end())
                found = it->second;
        }
        // Built before the co_await: g++ 12 destroys a conditional's temporary twice when it
        // sits inside a co_await expression.
        std::optional<std::string> stored;
        if (found)
            stored = found->hash;
        auto result =
            co_await hasher_.async_check(*pool_, std::string(password), std::move(stored));
        if (!result.valid || !found->active)
            co_return std::nullopt;
        co_return found->id;
    }

    asio::awaitable<bool> is_active(std::string_view user_id) {
        std::lock_guard lock{mutex_};
        for (const auto& [name, u] : users_)
            if (u.id == user_id)
                co_return u.active;
        co_return false;
    }

private:
    asio::thread_pool* pool_;
    jwt::password_hasher hasher_{1000, jwt::allow_weak_iterations};
    std::mutex mutex_;
    std::map<std::string, user> users_;
};

/// A user_directory that refers to a user_table (the service keeps its own copy of this).
struct user_table_ref {
    user_table* table;
    asio::awaitable<std::optional<std::string>> check_credentials(std::string_view u,
                                                                  std::string_view p) {
        return table->check_credentials(u, p);
    }
    asio::awaitable<bool> is_active(std::string_view id) { return table->is_active(id); }
};

/// The token service the service tests build, on a token_layer and a user_table.
using test_token_service = jwt::token_service<jwt::memory_token_store<test_clock>, user_table_ref,
                                              jwt::issuer<test_clock>, jwt::verifier<test_clock>>;

inline std::unique_ptr<test_token_service> make_service(token_layer& t, user_table& users,
                                                        jwt::token_service_options o = {}) {
    return std::make_unique<test_token_service>(t.issuer, t.verifier, t.store,
                                                user_table_ref{&users}, std::move(o));
}

inline boost::json::value body_of(const response& res) {
    return boost::json::parse(res.body());
}

/// A JSON POST.
inline request post(std::string target, std::string body) {
    return make_request(http::verb::post, std::move(target), std::move(body));
}

} // namespace rampart::test

#endif
