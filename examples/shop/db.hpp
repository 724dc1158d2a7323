#ifndef SHOP_DB_HPP
#define SHOP_DB_HPP

// The shop's data: schema migrations, demo data, and every query the API runs. All of it goes
// through rampart::sqlite::database, so no I/O thread ever waits for SQLite: reads answer on
// the I/O thread's own connection or move to a reader thread, writes go to the writer thread.

#include <rampart/jwt/password.hpp>
#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite.hpp>
#include <rampart/validation/decimal.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace shop {

namespace sqlite = rampart::sqlite;
namespace pg = rampart::pagination;
namespace asio = rampart::asio;

inline constexpr std::array<sqlite::migration, 3> migrations{{
    {1, "CREATE TABLE users ("
        "  id INTEGER PRIMARY KEY,"
        "  username TEXT NOT NULL UNIQUE,"
        "  password TEXT NOT NULL,"
        "  is_active INTEGER NOT NULL DEFAULT 1)"},
    {2, "CREATE TABLE products ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  price_cents INTEGER NOT NULL CHECK (price_cents >= 0),"
        "  currency TEXT NOT NULL DEFAULT 'USD',"
        "  stock INTEGER NOT NULL CHECK (stock >= 0))"},
    {3, "CREATE TABLE orders ("
        "  id INTEGER PRIMARY KEY,"
        "  user_id INTEGER NOT NULL REFERENCES users(id),"
        "  product_id INTEGER NOT NULL REFERENCES products(id),"
        "  quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100),"
        "  shipping_address TEXT NOT NULL,"
        "  status TEXT NOT NULL DEFAULT 'pending',"
        "  created_at TEXT NOT NULL);"
        "CREATE INDEX orders_newest ON orders (user_id, created_at DESC, id DESC)"},
}};

struct user_row {
    std::int64_t id = 0;
    std::string password_hash;
    bool active = false;
};

struct product {
    std::int64_t id = 0;
    std::string name;
    rampart::decimal price;
    std::string currency;
    std::int64_t stock = 0;
};

struct order {
    std::int64_t id = 0;
    std::int64_t product_id = 0;
    std::int64_t quantity = 0;
    std::string shipping_address;
    std::string status;
    std::string created_at; // RFC 3339, UTC, microseconds: sorts as text
};

/// `t` as RFC 3339 UTC with microseconds (`2026-11-27T14:57:05.123456Z`).
inline std::string rfc3339(std::chrono::sys_time<std::chrono::microseconds> t) {
    using namespace std::chrono;
    const sys_days day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<microseconds> time{t - day};
    char text[40];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                  static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()),
                  static_cast<long long>(time.subseconds().count()));
    return text;
}

/// Now as rfc3339 writes it.
inline std::string rfc3339_now() {
    return rfc3339(std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

/// Seeds the demo data into a database that has no users yet (a new one). Returns whether it did.
inline bool seed_demo_data(sqlite::connection& c, const rampart::jwt::password_hasher& hasher) {
    auto& count = c.cached("SELECT COUNT(*) FROM users");
    count.step();
    bool empty = count.column<std::int64_t>(0) == 0;
    count.reset();
    if (!empty)
        return false;
    sqlite::transaction(c, [&](sqlite::connection& tx) {
        auto& user = tx.cached("INSERT INTO users (id, username, password) VALUES (?, ?, ?)");
        user.bind_all(std::int64_t{1}, "alice", hasher.hash("alice-pass-1234")).exec();
        user.bind_all(std::int64_t{2}, "bob", hasher.hash("bob-pass-1234")).exec();
        auto& insert = tx.cached("INSERT INTO products (id, name, price_cents, currency, stock) "
                                 "VALUES (?, ?, ?, 'USD', ?)");
        for (std::int64_t n = 1; n <= 60; ++n) {
            std::int64_t stock = n == 7 ? 3 : n == 8 ? 0 : 50;
            insert.bind_all(n, "Product " + std::to_string(n), n * 125, stock).exec();
        }
    });
    return true;
}

inline product read_product(sqlite::statement& s) {
    return {s.column<std::int64_t>(0), s.column<std::string>(1),
            rampart::decimal(s.column<std::int64_t>(2), 2), s.column<std::string>(3),
            s.column<std::int64_t>(4)};
}

inline order read_order(sqlite::statement& s) {
    return {s.column<std::int64_t>(0), s.column<std::int64_t>(1), s.column<std::int64_t>(2),
            s.column<std::string>(3),  s.column<std::string>(4),  s.column<std::string>(5)};
}

/// What placing an order can end in, besides success.
enum class order_refusal { none, no_such_product, insufficient_stock };

/// The queries of the API: reads on the database's read lane, writes on its write lane.
class catalog {
public:
    explicit catalog(sqlite::database& db) : db_(db) {}

    static constexpr const char* product_columns =
        "SELECT id, name, price_cents, currency, stock FROM products";
    static constexpr const char* order_columns =
        "SELECT id, product_id, quantity, shipping_address, status, created_at FROM orders";

    sqlite::database& db() noexcept { return db_; }

    // Each query is a plain function returning the lane's awaitable, and its lambda owns
    // copies of the arguments: nothing the caller passes has to outlive the call.

    asio::awaitable<std::optional<user_row>> find_user(std::string_view username) {
        return db_.read(
            [name = std::string(username)](sqlite::connection& c) -> std::optional<user_row> {
                auto& s = c.cached("SELECT id, password, is_active FROM users WHERE username = ?");
                s.bind(1, name);
                if (!s.step())
                    return std::nullopt;
                return user_row{s.column<std::int64_t>(0), s.column<std::string>(1),
                                s.column<std::int64_t>(2) != 0};
            });
    }

    asio::awaitable<bool> user_is_active(std::int64_t id) {
        return db_.read([id](sqlite::connection& c) {
            auto& s = c.cached("SELECT is_active FROM users WHERE id = ?");
            s.bind(1, id);
            return s.step() && s.column<std::int64_t>(0) != 0;
        });
    }

    asio::awaitable<void> save_password_hash(std::int64_t id, std::string_view hash) {
        return db_.write([id, hash = std::string(hash)](sqlite::connection& c) {
            c.cached("UPDATE users SET password = ? WHERE id = ?").bind_all(hash, id).exec();
        });
    }

    asio::awaitable<std::optional<product>> find_product(std::int64_t id) {
        return db_.read([id](sqlite::connection& c) -> std::optional<product> {
            auto& s = c.cached(std::string(product_columns) + " WHERE id = ?");
            s.bind(1, id);
            if (!s.step())
                return std::nullopt;
            return read_product(s);
        });
    }

    asio::awaitable<std::optional<std::int64_t>> stock_of(std::int64_t id) {
        return db_.read([id](sqlite::connection& c) -> std::optional<std::int64_t> {
            auto& s = c.cached("SELECT stock FROM products WHERE id = ?");
            s.bind(1, id);
            if (!s.step())
                return std::nullopt;
            return s.column<std::int64_t>(0);
        });
    }

    /// Takes the stock and records the order in one transaction: the conditional UPDATE is what
    /// makes concurrent orders unable to oversell.
    asio::awaitable<std::variant<order, order_refusal>>
    place_order(std::int64_t user, std::int64_t product_id, std::int64_t quantity,
                std::string_view shipping_address) {
        order placed{0, product_id, quantity, std::string(shipping_address), "pending", {}};
        return db_.transaction([user, placed = std::move(placed)](
                                   sqlite::connection& c) -> std::variant<order, order_refusal> {
            c.cached("UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?")
                .bind_all(placed.quantity, placed.product_id, placed.quantity)
                .exec();
            if (c.changes() == 0) {
                auto& exists = c.cached("SELECT 1 FROM products WHERE id = ?");
                exists.bind(1, placed.product_id);
                bool known = exists.step();
                exists.reset();
                return known ? order_refusal::insufficient_stock : order_refusal::no_such_product;
            }
            order o = placed;
            o.created_at = rfc3339_now();
            c.cached("INSERT INTO orders (user_id, product_id, quantity, shipping_address, "
                     "status, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind_all(user, o.product_id, o.quantity, o.shipping_address, o.status,
                          o.created_at)
                .exec();
            o.id = c.last_insert_rowid();
            return o;
        });
    }

    asio::awaitable<std::optional<order>> find_order(std::int64_t user, std::int64_t id) {
        return db_.read([user, id](sqlite::connection& c) -> std::optional<order> {
            auto& s = c.cached(std::string(order_columns) + " WHERE id = ? AND user_id = ?");
            s.bind_all(id, user);
            if (!s.step())
                return std::nullopt;
            return read_order(s);
        });
    }

private:
    sqlite::database& db_;
};

} // namespace shop

#endif
