// bare_shop PORT DB THREADS: the baseline of bench/load.sh. Boost.Beast, SQLite and OpenSSL
// alone, no rampart, doing the work examples/shop does for the five endpoints load.sh measures,
// in the model the project measured as the fastest: one io_context per thread, each with its
// own SO_REUSEPORT acceptor and its own SQLite connection, every query on the I/O thread.
//
//   GET  /api/v1/products/        first page: the shop's keyset SQL, 25 items, signed `next`
//   GET  /api/v1/products/{id}/   one product
//   GET  /api/v1/orders/          the caller's first page, newest first, signed `next`
//   POST /api/v1/orders/          validated body, two stock reads, one write transaction
//   POST /api/token/verify/       {"token"}: HS256 verify and the two revocation reads
//
// Every request also pays for what the shop does around its handlers, as the shop ships:
// - the Host header checked against localhost, 127.0.0.1, [::1]; header limit 8 KiB, body 64 KiB;
// - a Bearer token, when sent: HS256 with HMAC states prepared once per key (OpenSSL), header
//   and claims parsed as JSON, exp, token_type "access", jti and an integer user_id checked,
//   then the two revocation reads the shop's token store makes (family-revoked:<fam>,
//   user-revoked:<user>) and the user-is-active check through a 5 s cache;
// - a token bucket per client (ip:<address>, or user:<id> once authenticated), in a hash map
//   under one mutex, and the RateLimit-Policy / RateLimit headers;
// - the same response bytes: body, Content-Type, Location, RateLimit-Policy, RateLimit, Date
//   (formatted once a second per connection), Server, Content-Length, in the shop's order;
// - one access-log line per request on stderr, in the shop's format. BARE_LOG=line (default)
//   writes each line with one writev, as the shop's stderr_sink does; BARE_LOG=buffered keeps a
//   buffer per thread, written when it passes 16 KiB and every 100 ms (for a shop whose log
//   batches). load.sh picks the mode that matches the shop it loads (see bench/README.md).
//
// Environment: SHOP_JWT_SECRET (required: the shop's HS256 key; the cursor key is derived from
// it as the shop derives it), SHOP_THROTTLE_ANON and SHOP_THROTTLE_USER (N/second|minute|hour|
// day, defaults 100/hour and 1000/hour), BARE_LOG. The database is the shop's, already made by
// the shop (schema, demo data, the rampart_jwt_tokens table). A request outside the five gets a
// 404 in the envelope: the baseline does not route more than it is measured on.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------
// Configuration

struct rate {
    std::uint64_t tokens = 0;
    std::int64_t period_ns = 0;
    std::int64_t period_s = 0;
};

rate parse_rate(const char* text, const char* fallback) {
    std::string_view t = text && *text ? text : fallback;
    auto slash = t.find('/');
    if (slash == std::string_view::npos)
        throw std::runtime_error("bad rate");
    rate r;
    std::from_chars(t.data(), t.data() + slash, r.tokens);
    char unit = t[slash + 1];
    r.period_s = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    r.period_ns = r.period_s * 1'000'000'000;
    // A bucket's debt is kept in ns x tokens, in 64 bits.
    if (r.tokens == 0 || r.tokens > UINT64_MAX / static_cast<std::uint64_t>(r.period_ns))
        throw std::runtime_error("bad rate (bare_shop takes 1 to 1.8e19 / period-in-ns tokens)");
    return r;
}

enum class log_mode { line, buffered };

// ---------------------------------------------------------------------------------------------
// HMAC-SHA256 from inner and outer digest states prepared once per key

class hmac_sha256 {
public:
    explicit hmac_sha256(std::string_view key) {
        unsigned char block[64] = {};
        if (key.size() > sizeof block) {
            unsigned int n = 0;
            EVP_Digest(key.data(), key.size(), block, &n, EVP_sha256(), nullptr);
        } else {
            std::memcpy(block, key.data(), key.size());
        }
        unsigned char pad[64];
        for (int i = 0; i < 64; ++i)
            pad[i] = block[i] ^ 0x36;
        EVP_DigestInit_ex(inner_, EVP_sha256(), nullptr);
        EVP_DigestUpdate(inner_, pad, sizeof pad);
        for (int i = 0; i < 64; ++i)
            pad[i] = block[i] ^ 0x5c;
        EVP_DigestInit_ex(outer_, EVP_sha256(), nullptr);
        EVP_DigestUpdate(outer_, pad, sizeof pad);
    }
    hmac_sha256(const hmac_sha256&) = delete;
    hmac_sha256& operator=(const hmac_sha256&) = delete;
    ~hmac_sha256() {
        EVP_MD_CTX_free(inner_);
        EVP_MD_CTX_free(outer_);
        EVP_MD_CTX_free(work_);
    }

    /// The tag of the concatenated parts.
    std::array<unsigned char, 32> sign(std::initializer_list<std::string_view> parts) {
        std::array<unsigned char, 32> inner{}, out{};
        unsigned int n = 0;
        EVP_MD_CTX_copy_ex(work_, inner_);
        for (auto p : parts)
            EVP_DigestUpdate(work_, p.data(), p.size());
        EVP_DigestFinal_ex(work_, inner.data(), &n);
        EVP_MD_CTX_copy_ex(work_, outer_);
        EVP_DigestUpdate(work_, inner.data(), inner.size());
        EVP_DigestFinal_ex(work_, out.data(), &n);
        return out;
    }

private:
    EVP_MD_CTX* inner_ = EVP_MD_CTX_new();
    EVP_MD_CTX* outer_ = EVP_MD_CTX_new();
    EVP_MD_CTX* work_ = EVP_MD_CTX_new();
};

// ---------------------------------------------------------------------------------------------
// base64url, unpadded

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
    for (; i + 3 <= in.size(); i += 3) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += b64_alphabet[v & 63];
    }
    if (in.size() - i == 1) {
        unsigned v = byte(i) << 16;
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
    } else if (in.size() - i == 2) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
    static const std::array<signed char, 256> values = [] {
        std::array<signed char, 256> v{};
        v.fill(-1);
        for (int i = 0; i < 64; ++i)
            v[static_cast<unsigned char>(b64_alphabet[i])] = static_cast<signed char>(i);
        return v;
    }();
    if (in.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    out.reserve(in.size() * 3 / 4);
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = values[static_cast<unsigned char>(c)];
        if (v < 0)
            return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0) // one spelling per byte string
        return std::nullopt;
    return out;
}

// ---------------------------------------------------------------------------------------------
// State shared by the threads: buckets, the user-status cache, the write lock

struct bucket {
    std::int64_t last_ns = 0;
    std::uint64_t debt = 0; // below full, in ns x tokens
};

struct decision {
    bool allowed = true;
    std::uint64_t remaining = 0;
    std::int64_t reset_s = 0;
    std::int64_t retry_s = 0;
};

class throttle {
public:
    decision take(const std::string& key, const rate& r, std::int64_t now_ns) {
        std::lock_guard lock(mutex_);
        auto [it, fresh] = buckets_.try_emplace(key, bucket{now_ns, 0});
        bucket& b = it->second;
        const std::uint64_t capacity = r.tokens * static_cast<std::uint64_t>(r.period_ns);
        const std::int64_t elapsed = now_ns - b.last_ns;
        if (elapsed >= r.period_ns)
            b.debt = 0;
        else if (elapsed > 0)
            b.debt -= std::min(b.debt, static_cast<std::uint64_t>(elapsed) * r.tokens);
        b.last_ns = std::max(b.last_ns, now_ns);
        decision d;
        const auto cost = static_cast<std::uint64_t>(r.period_ns);
        if (b.debt + cost <= capacity)
            b.debt += cost;
        else {
            d.allowed = false;
            d.retry_s = static_cast<std::int64_t>((b.debt + cost - capacity + r.tokens - 1) /
                                                  r.tokens / 1'000'000'000) +
                        1;
        }
        d.remaining = (capacity - b.debt) / cost;
        d.reset_s = static_cast<std::int64_t>(((b.debt + r.tokens - 1) / r.tokens + 999'999'999) /
                                              1'000'000'000);
        return d;
    }

private:
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

struct shared_state {
    std::string db_path;
    std::string jwt_secret;
    std::string cursor_key;
    rate anon;
    rate user;
    log_mode log = log_mode::line;
    throttle buckets;
    std::mutex users_mutex;
    std::unordered_map<std::int64_t, std::pair<bool, std::chrono::steady_clock::time_point>> users;
    std::mutex write_mutex; // one writer at a time, as the shop's write lane
};

// ---------------------------------------------------------------------------------------------
// Per-thread state: the io_context, the SQLite connection and its statements, the HMAC states,
// the log buffer

class statement {
public:
    statement(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("bare_shop: prepare: ") + sqlite3_errmsg(db));
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { sqlite3_finalize(s_); }
    sqlite3_stmt* operator*() const noexcept { return s_; }

private:
    sqlite3_stmt* s_ = nullptr;
};

/// Resets the statement however the scope ends.
struct reset_on_exit {
    sqlite3_stmt* s;
    ~reset_on_exit() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

sqlite3* open_db(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK)
        throw std::runtime_error("bare_shop: cannot open " + path);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db,
                 "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; "
                 "PRAGMA synchronous = NORMAL",
                 nullptr, nullptr, nullptr);
    return db;
}

struct worker {
    explicit worker(shared_state& s)
        : shared(s), db(open_db(s.db_path)), jwt(s.jwt_secret), cursor(s.cursor_key) {}
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker() {
        products.reset();
        product.reset();
        orders.reset();
        stock.reset();
        take_stock.reset();
        insert_order.reset();
        token_get.reset();
        user_active.reset();
        sqlite3_close(db);
    }

    void prepare() {
        // The shop's token store makes its table on first use; the same schema, if not yet.
        sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS rampart_jwt_tokens (key TEXT PRIMARY KEY NOT "
                     "NULL, value INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
                     "CREATE INDEX IF NOT EXISTS rampart_jwt_tokens_expires ON "
                     "rampart_jwt_tokens (expires_ms)",
                     nullptr, nullptr, nullptr);
        // The shop's SQL, as rampart's keyset builder and the shop's catalog write it.
        products = std::make_unique<statement>(
            db, "SELECT id, name, price_cents, currency, stock FROM products ORDER BY \"id\" ASC "
                "LIMIT ?1");
        product = std::make_unique<statement>(
            db, "SELECT id, name, price_cents, currency, stock FROM products WHERE id = ?");
        orders = std::make_unique<statement>(
            db, "SELECT id, product_id, quantity, shipping_address, status, created_at FROM orders "
                "WHERE (user_id = ?) ORDER BY \"created_at\" DESC, \"id\" DESC LIMIT ?2");
        stock = std::make_unique<statement>(db, "SELECT stock FROM products WHERE id = ?");
        take_stock = std::make_unique<statement>(
            db, "UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?");
        insert_order = std::make_unique<statement>(
            db, "INSERT INTO orders (user_id, product_id, quantity, shipping_address, status, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)");
        token_get = std::make_unique<statement>(
            db, "SELECT value FROM rampart_jwt_tokens WHERE key = ?1 AND expires_ms > ?2");
        user_active = std::make_unique<statement>(db, "SELECT is_active FROM users WHERE id = ?");
    }

    /// One access-log line (the shop's format, without the newline).
    void log_line(std::string& line) {
        line += '\n';
        if (shared.log == log_mode::line) {
            write_all(line);
            return;
        }
        log += line;
        if (log.size() >= 16 * 1024)
            flush_log();
    }

    void flush_log() {
        write_all(log);
        log.clear();
    }

    /// Writes all of `text` to stderr, one write() when the pipe or file takes it at once.
    static void write_all(std::string_view text) {
        while (!text.empty()) {
            ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return;
            text.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    shared_state& shared;
    asio::io_context io{1};
    sqlite3* db;
    hmac_sha256 jwt;
    hmac_sha256 cursor;
    std::unique_ptr<statement> products, product, orders, stock, take_stock, insert_order,
        token_get, user_active;
    std::string log;
};

// ---------------------------------------------------------------------------------------------
// Text helpers

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void append_digits(std::string& out, unsigned long long v, int width = 1) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    for (auto n = end - buf; n < width; ++n)
        out += '0';
    out.append(buf, end);
}

/// `t` as `2026-11-27T14:55:07.` + the first `digits` digits of the second's fraction + `Z`
/// (the log's time with 3, an order's created_at with 6). The text up to the seconds is made
/// again only when the second changes.
std::string utc_text(std::chrono::system_clock::time_point t, int digits) {
    thread_local std::time_t cached = -1;
    thread_local char whole[32] = {};
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
    if (seconds != cached) {
        std::tm tm{};
        gmtime_r(&seconds, &tm);
        std::strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S.", &tm);
        cached = seconds;
    }
    long long fraction = ns % 1'000'000'000;
    for (int i = digits; i < 9; ++i)
        fraction /= 10;
    std::string out = whole;
    append_digits(out, static_cast<unsigned long long>(fraction), digits);
    out += 'Z';
    return out;
}

/// Client-controlled text in a log line: control bytes, space, DEL, `"`, `\` and non-ASCII as
/// \xHH (so nothing can break or forge a line); the runs between them copied whole.
void append_escaped(std::string& out, std::string_view value) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto u = static_cast<unsigned char>(value[i]);
        if (u > 0x20 && u < 0x7f && u != '"' && u != '\\')
            continue;
        out.append(value.substr(run, i - run));
        char code[16];
        std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned>(u));
        out.append(code, 4);
        run = i + 1;
    }
    out.append(value.substr(run));
}

std::string price_text(std::int64_t cents) {
    std::string out;
    append_digits(out, static_cast<unsigned long long>(cents / 100));
    out += '.';
    append_digits(out, static_cast<unsigned long long>(cents % 100), 2);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return v;
}

/// The `Date` header, formatted again only when the second changes.
class date_cache {
public:
    std::string_view get() {
        std::time_t now = std::time(nullptr);
        if (now != at_) {
            std::tm tm{};
            gmtime_r(&now, &tm);
            std::strftime(text_, sizeof text_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            at_ = now;
        }
        return text_;
    }

private:
    std::time_t at_ = 0;
    char text_[32] = {};
};

// ---------------------------------------------------------------------------------------------
// Cursors: base64url(payload || HMAC-SHA256(key, u64be(len(scope)) || scope || payload)), the
// payload being version 1, flags 0, the key count, then each value (1 + u64be for an integer,
// 3 + u16be length + bytes for text), as the shop's paginator writes a forward cursor.

void put_u64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
        out += static_cast<char>((v >> shift) & 0xff);
}

std::string scope_of(std::string_view endpoint, std::string_view ordering,
                     std::string_view filters) {
    std::string s;
    for (auto part : {endpoint, ordering, filters}) {
        s += std::to_string(part.size());
        s += ':';
        s += part;
    }
    return s;
}

std::string sign_cursor(worker& w, std::string payload, std::string_view scope) {
    std::string length;
    put_u64(length, scope.size());
    auto tag = w.cursor.sign({length, scope, payload});
    payload.append(reinterpret_cast<const char*>(tag.data()), tag.size());
    return base64url_encode(payload);
}

// ---------------------------------------------------------------------------------------------
// Requests

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

/// What the layers around the handlers learnt about the request.
struct caller {
    std::optional<std::int64_t> user;
    bool token_refused = false;
    std::string client; // ip:<address>
};

struct failure {
    http::status status;
    std::string detail;
    std::string challenge; // WWW-Authenticate, when set
};

response envelope(const request& req, const failure& f) {
    response res{f.status, req.version()};
    res.set(http::field::content_type, "application/json");
    if (!f.challenge.empty())
        res.set(http::field::www_authenticate, f.challenge);
    json::object errors{{"detail", f.detail}};
    res.body() = json::serialize(json::object{
        {"status", "error"}, {"code", static_cast<int>(f.status)}, {"errors", std::move(errors)}});
    return res;
}

std::optional<std::string_view> string_member(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string())
        return std::nullopt;
    return std::string_view(it->value().get_string());
}

std::optional<json::object> parse_object(std::string_view text) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    return std::move(v.get_object());
}

/// A verified HS256 token's claims, or nullopt.
std::optional<json::object> verify_token(worker& w, std::string_view token) {
    auto first = token.find('.');
    auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return std::nullopt;
    auto header = base64url_decode(token.substr(0, first));
    auto signature = base64url_decode(token.substr(second + 1));
    if (!header || !signature || signature->size() != 32)
        return std::nullopt;
    auto head = parse_object(*header);
    if (!head || string_member(*head, "alg") != std::optional<std::string_view>{"HS256"})
        return std::nullopt;
    auto tag = w.jwt.sign({token.substr(0, second)});
    if (CRYPTO_memcmp(tag.data(), signature->data(), tag.size()) != 0)
        return std::nullopt;
    auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload)
        return std::nullopt;
    auto claims = parse_object(*payload);
    if (!claims)
        return std::nullopt;
    auto exp = claims->find("exp");
    if (exp == claims->end() || !exp->value().is_number())
        return std::nullopt;
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    json::error_code ec;
    auto expires = exp->value().to_number<std::int64_t>(ec);
    if (ec || expires <= now)
        return std::nullopt;
    return claims;
}

std::optional<std::int64_t> user_id_of(const json::object& claims) {
    auto it = claims.find("user_id");
    if (it == claims.end() || !it->value().is_int64() || it->value().get_int64() <= 0)
        return std::nullopt;
    return it->value().get_int64();
}

bool token_store_has(worker& w, const std::string& key) {
    sqlite3_stmt* s = **w.token_get;
    reset_on_exit reset{s};
    sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ns() / 1'000'000);
    return sqlite3_step(s) == SQLITE_ROW;
}

/// The shop's revocation check: the token's family, then its user (a user revocation at or after
/// the token's iat revokes it; the value read is compared as the shop compares it).
bool revoked(worker& w, const json::object& claims, std::int64_t user) {
    if (auto fam = string_member(claims, "fam"))
        if (token_store_has(w, "family-revoked:" + std::string(*fam)))
            return true;
    return token_store_has(w, "user-revoked:" + std::to_string(user));
}

bool user_is_active(worker& w, std::int64_t user) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(w.shared.users_mutex);
        auto it = w.shared.users.find(user);
        if (it != w.shared.users.end() && now - it->second.second < 5s)
            return it->second.first;
    }
    sqlite3_stmt* s = **w.user_active;
    reset_on_exit reset{s};
    sqlite3_bind_int64(s, 1, user);
    bool active = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) != 0;
    std::lock_guard lock(w.shared.users_mutex);
    w.shared.users[user] = {active, now};
    return active;
}

/// The Bearer token, when there is one: who the caller is.
void authenticate(worker& w, const request& req, caller& who) {
    auto header = req.find(http::field::authorization);
    if (header == req.end())
        return;
    std::string_view value = header->value();
    if (value.size() < 7 || !iequals(value.substr(0, 7), "Bearer ")) {
        who.token_refused = true;
        return;
    }
    auto claims = verify_token(w, value.substr(7));
    if (!claims ||
        string_member(*claims, "token_type") != std::optional<std::string_view>{"access"}) {
        who.token_refused = true;
        return;
    }
    auto jti = string_member(*claims, "jti");
    auto user = user_id_of(*claims);
    if (!jti || jti->empty() || !user || revoked(w, *claims, *user) || !user_is_active(w, *user)) {
        who.token_refused = true;
        return;
    }
    who.user = *user;
}

/// `"<policy>";<a>=<x>;<b>=<y>`: a RateLimit-Policy or RateLimit value.
std::string rate_field(const char* policy, const char* a, unsigned long long x, const char* b,
                       unsigned long long y) {
    std::string out = "\"";
    out += policy;
    out += "\";";
    out += a;
    out += '=';
    append_digits(out, x);
    out += ';';
    out += b;
    out += '=';
    append_digits(out, y);
    return out;
}

void set_rate_headers(response& res, const char* policy, const rate& r, const decision& d) {
    res.set("RateLimit-Policy",
            rate_field(policy, "q", r.tokens, "w", static_cast<unsigned long long>(r.period_s)));
    res.set("RateLimit",
            rate_field(policy, "r", d.remaining, "t", static_cast<unsigned long long>(d.reset_s)));
}

std::string host_base(const request& req) {
    return "http://" + std::string(req[http::field::host]);
}

response json_ok(const request& req, http::status status, std::string body) {
    response res{status, req.version()};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

response product_list(worker& w, const request& req) {
    sqlite3_stmt* s = **w.products;
    reset_on_exit reset{s};
    sqlite3_bind_int64(s, 1, 26);
    json::array results;
    results.reserve(26);
    while (sqlite3_step(s) == SQLITE_ROW) {
        results.push_back(
            json::object{{"id", sqlite3_column_int64(s, 0)},
                         {"name", reinterpret_cast<const char*>(sqlite3_column_text(s, 1))},
                         {"price", price_text(sqlite3_column_int64(s, 2))},
                         {"stock", sqlite3_column_int64(s, 4)}});
    }
    json::value next = nullptr;
    if (results.size() > 25) {
        results.pop_back();
        std::string payload{'\1', '\0', '\1', '\1'};
        put_u64(payload,
                static_cast<std::uint64_t>(results.back().as_object().at("id").as_int64()));
        static const std::string scope = scope_of("products", "id:asc:nn,", "");
        next = host_base(req) + "/api/v1/products/?cursor=" + sign_cursor(w, payload, scope);
    }
    json::object body{
        {"next", std::move(next)}, {"previous", nullptr}, {"results", std::move(results)}};
    return json_ok(req, http::status::ok, json::serialize(body));
}

std::optional<response> product_detail(worker& w, const request& req, std::int64_t id) {
    sqlite3_stmt* s = **w.product;
    reset_on_exit reset{s};
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW)
        return std::nullopt;
    json::object body{{"id", sqlite3_column_int64(s, 0)},
                      {"name", reinterpret_cast<const char*>(sqlite3_column_text(s, 1))},
                      {"price", price_text(sqlite3_column_int64(s, 2))},
                      {"stock", sqlite3_column_int64(s, 4)}};
    return json_ok(req, http::status::ok, json::serialize(body));
}

json::object order_json(std::int64_t id, std::int64_t product, std::int64_t quantity,
                        std::string_view address, std::string_view status,
                        std::string_view created) {
    return {{"id", id},
            {"product_id", product},
            {"quantity", quantity},
            {"shipping_address", address},
            {"status", status},
            {"created_at", created}};
}

response order_list(worker& w, const request& req, std::int64_t user) {
    sqlite3_stmt* s = **w.orders;
    reset_on_exit reset{s};
    sqlite3_bind_int64(s, 1, user);
    sqlite3_bind_int64(s, 2, 26);
    json::array results;
    results.reserve(26);
    auto text = [&](int column) {
        return std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
                                static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
    };
    while (sqlite3_step(s) == SQLITE_ROW)
        results.push_back(order_json(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                     sqlite3_column_int64(s, 2), text(3), text(4), text(5)));
    json::value next = nullptr;
    if (results.size() > 25) {
        results.pop_back();
        const auto& last = results.back().as_object();
        std::string_view created = last.at("created_at").as_string();
        std::string payload{'\1', '\0', '\2', '\3'};
        payload += static_cast<char>(created.size() >> 8);
        payload += static_cast<char>(created.size() & 0xff);
        payload += created;
        payload += '\1';
        put_u64(payload, static_cast<std::uint64_t>(last.at("id").as_int64()));
        std::string scope =
            scope_of("orders", "created_at:desc:nn,id:desc:nn,", "user=" + std::to_string(user));
        next = host_base(req) + "/api/v1/orders/?cursor=" + sign_cursor(w, payload, scope);
    }
    json::object body{
        {"next", std::move(next)}, {"previous", nullptr}, {"results", std::move(results)}};
    return json_ok(req, http::status::ok, json::serialize(body));
}

std::optional<std::int64_t> stock_of(worker& w, std::int64_t product) {
    sqlite3_stmt* s = **w.stock;
    reset_on_exit reset{s};
    sqlite3_bind_int64(s, 1, product);
    if (sqlite3_step(s) != SQLITE_ROW)
        return std::nullopt;
    return sqlite3_column_int64(s, 0);
}

bool is_json(const request& req) {
    std::string_view type = req[http::field::content_type];
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ')
        type.remove_suffix(1);
    return iequals(type, "application/json");
}

/// POST /api/v1/orders/: the body checked field by field, the product looked up, the stock read
/// again, then UPDATE + INSERT in one transaction.
response order_create(worker& w, const request& req, std::int64_t user) {
    if (!is_json(req))
        return envelope(req, {http::status::unsupported_media_type, "Unsupported media type.", {}});
    auto body = parse_object(req.body());
    if (!body)
        return envelope(req, {http::status::bad_request, "JSON parse error.", {}});
    auto integer = [&](std::string_view name) -> std::optional<std::int64_t> {
        auto it = body->find(name);
        if (it == body->end() || !it->value().is_int64())
            return std::nullopt;
        return it->value().get_int64();
    };
    auto product = integer("product_id");
    auto quantity = integer("quantity");
    auto address = string_member(*body, "shipping_address");
    bool address_ok = address && address->size() <= 500 &&
                      address->find('\0') == std::string_view::npos &&
                      address->find_first_not_of(" \t\r\n") != std::string_view::npos;
    bool product_ok = product && stock_of(w, *product).has_value();
    if (!product_ok || !quantity || *quantity < 1 || *quantity > 100 || !address_ok)
        return envelope(req, {http::status::bad_request, "Invalid order.", {}});
    auto stock = stock_of(w, *product);
    if (!stock || *quantity > *stock)
        return envelope(req,
                        {http::status::bad_request, "Insufficient stock for this product.", {}});

    std::string created;
    std::int64_t id = 0;
    {
        std::lock_guard lock(w.shared.write_mutex);
        sqlite3_exec(w.db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        sqlite3_stmt* take = **w.take_stock;
        {
            reset_on_exit reset{take};
            sqlite3_bind_int64(take, 1, *quantity);
            sqlite3_bind_int64(take, 2, *product);
            sqlite3_bind_int64(take, 3, *quantity);
            sqlite3_step(take);
        }
        if (sqlite3_changes(w.db) == 0) {
            sqlite3_exec(w.db, "ROLLBACK", nullptr, nullptr, nullptr);
            return envelope(
                req, {http::status::bad_request, "Insufficient stock for this product.", {}});
        }
        created = utc_text(std::chrono::system_clock::now(), 6);
        sqlite3_stmt* insert = **w.insert_order;
        reset_on_exit reset{insert};
        sqlite3_bind_int64(insert, 1, user);
        sqlite3_bind_int64(insert, 2, *product);
        sqlite3_bind_int64(insert, 3, *quantity);
        sqlite3_bind_text(insert, 4, address->data(), static_cast<int>(address->size()),
                          SQLITE_STATIC);
        sqlite3_bind_text(insert, 5, "pending", 7, SQLITE_STATIC);
        sqlite3_bind_text(insert, 6, created.data(), static_cast<int>(created.size()),
                          SQLITE_STATIC);
        bool inserted = sqlite3_step(insert) == SQLITE_DONE;
        id = sqlite3_last_insert_rowid(w.db);
        if (!inserted || sqlite3_exec(w.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            sqlite3_exec(w.db, "ROLLBACK", nullptr, nullptr, nullptr);
            return envelope(req, {http::status::service_unavailable, "Try again later.", {}});
        }
    }
    response res =
        json_ok(req, http::status::created,
                json::serialize(order_json(id, *product, *quantity, *address, "pending", created)));
    std::string location = host_base(req) + "/api/v1/orders/";
    append_digits(location, static_cast<unsigned long long>(id));
    location += '/';
    res.set(http::field::location, location);
    return res;
}

response token_verify(worker& w, const request& req) {
    if (!is_json(req))
        return envelope(req, {http::status::unsupported_media_type, "Unsupported media type.", {}});
    auto body = parse_object(req.body());
    if (!body)
        return envelope(req, {http::status::bad_request, "JSON parse error.", {}});
    auto token = string_member(*body, "token");
    if (!token || token->empty() || token->size() > 16 * 1024)
        return envelope(req, {http::status::bad_request, "This field is required.", {}});
    const failure refused{http::status::unauthorized, "Token is invalid or expired.",
                          R"(Bearer realm="api")"};
    auto claims = verify_token(w, *token);
    if (!claims)
        return envelope(req, refused);
    if (auto user = user_id_of(*claims); user && revoked(w, *claims, *user))
        return envelope(req, refused);
    return json_ok(req, http::status::ok, "{}");
}

bool allowed_host(std::string_view host) {
    if (host.starts_with('[')) {
        auto end = host.find(']');
        host = end == std::string_view::npos ? std::string_view{} : host.substr(0, end + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    return host == "127.0.0.1" || iequals(host, "localhost") || host == "[::1]";
}

/// The routes, behind the shop's layers in the shop's order: hosts, authentication, throttle,
/// the 401 for a refused token, then the handler.
response handle(worker& w, const request& req, caller& who, const tcp::endpoint& peer) {
    if (req.count(http::field::host) != 1 || !allowed_host(req[http::field::host]))
        return envelope(req, {http::status::bad_request, "Invalid Host header.", {}});
    authenticate(w, req, who);

    const bool authenticated = who.user.has_value();
    std::string key = authenticated ? "user:" + std::to_string(*who.user) : std::string{};
    who.client = "ip:" + peer.address().to_string();
    if (!authenticated)
        key = who.client;
    const rate& r = authenticated ? w.shared.user : w.shared.anon;
    const char* policy = authenticated ? "user" : "anon";
    decision d = w.shared.buckets.take(key, r, now_ns());
    if (!d.allowed) {
        response res =
            envelope(req, {http::status::too_many_requests, "Request was throttled.", {}});
        res.set(http::field::retry_after, std::to_string(d.retry_s));
        set_rate_headers(res, policy, r, d);
        return res;
    }
    if (who.token_refused) {
        response res = envelope(req, {http::status::unauthorized, "Given token not valid.",
                                      R"(Bearer realm="api", error="invalid_token")"});
        set_rate_headers(res, policy, r, d);
        return res;
    }

    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    constexpr std::string_view products = "/api/v1/products/";
    constexpr std::string_view orders = "/api/v1/orders/";
    std::optional<response> res;
    if (path == products && req.method() == http::verb::get) {
        res = product_list(w, req);
    } else if (path.starts_with(products) && path.ends_with('/') &&
               req.method() == http::verb::get) {
        auto id = parse_id(path.substr(products.size(), path.size() - products.size() - 1));
        if (id)
            res = product_detail(w, req, *id);
    } else if (path == orders && !authenticated) {
        res = envelope(req,
                       {http::status::unauthorized, "Authentication credentials were not provided.",
                        R"(Bearer realm="api")"});
    } else if (path == orders && req.method() == http::verb::get) {
        res = order_list(w, req, *who.user);
    } else if (path == orders && req.method() == http::verb::post) {
        res = order_create(w, req, *who.user);
    } else if (path == "/api/token/verify/" && req.method() == http::verb::post) {
        res = token_verify(w, req);
    }
    if (!res)
        res = envelope(req, {http::status::not_found, "Not found.", {}});
    // The shop puts the throttle's headers after the handler's (Location among them).
    set_rate_headers(*res, policy, r, d);
    return std::move(*res);
}

asio::awaitable<void> session(worker& w, tcp::socket socket) {
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    date_cache dates;
    beast::error_code peer_error;
    tcp::endpoint peer = stream.socket().remote_endpoint(peer_error);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(64 * 1024);
        stream.expires_after(30s);
        auto [ec, n] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (ec)
            break;
        auto arrived = std::chrono::system_clock::now();
        request req = parser.release();
        std::string line = utc_text(arrived, 3);
        line.reserve(128);
        line += ' ';
        append_escaped(line, req.method_string());
        line += ' ';
        std::string_view target = req.target();
        append_escaped(line, target.substr(0, target.find('?')));

        caller who;
        response res = handle(w, req, who, peer);
        res.set(http::field::date, dates.get());
        res.set(http::field::server, "rampart-shop");
        res.keep_alive(req.keep_alive());
        res.prepare_payload();

        auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now() - arrived);
        line += ' ';
        append_digits(line, res.result_int());
        line += ' ';
        append_digits(line,
                      static_cast<unsigned long long>(std::max<std::int64_t>(0, elapsed.count())));
        line += "us ";
        if (who.user) {
            line += "user=";
            append_digits(line, static_cast<unsigned long long>(*who.user));
        } else {
            line += "client=";
            append_escaped(line, who.client);
        }
        w.log_line(line);

        stream.expires_after(30s);
        auto [wec, written] =
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive())
            break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(worker& w, tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted)
            co_return;
        if (ec)
            continue;
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(w.io, session(w, std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> flush_every(worker& w) {
    asio::steady_timer timer{w.io};
    for (;;) {
        timer.expires_after(100ms);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return;
        w.flush_log();
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bare_shop PORT DB THREADS (env SHOP_JWT_SECRET, "
                             "SHOP_THROTTLE_ANON, SHOP_THROTTLE_USER, BARE_LOG=line|buffered)\n");
        return 2;
    }
    try {
        shared_state shared;
        shared.db_path = argv[2];
        const char* secret = std::getenv("SHOP_JWT_SECRET");
        if (!secret || !*secret)
            throw std::runtime_error("SHOP_JWT_SECRET is required (the shop's key)");
        shared.jwt_secret = secret;
        unsigned char derived[32];
        unsigned int length = 0;
        constexpr std::string_view purpose = "shop pagination cursors";
        HMAC(EVP_sha256(), secret, static_cast<int>(std::strlen(secret)),
             reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), derived,
             &length);
        shared.cursor_key.assign(reinterpret_cast<const char*>(derived), length);
        shared.anon = parse_rate(std::getenv("SHOP_THROTTLE_ANON"), "100/hour");
        shared.user = parse_rate(std::getenv("SHOP_THROTTLE_USER"), "1000/hour");
        const char* mode = std::getenv("BARE_LOG");
        shared.log =
            mode && std::string_view(mode) == "buffered" ? log_mode::buffered : log_mode::line;

        const int threads = std::max(1, std::atoi(argv[3]));
        const tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"),
                                     static_cast<unsigned short>(std::atoi(argv[1]))};
        std::vector<std::unique_ptr<worker>> workers;
        std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
        for (int i = 0; i < threads; ++i) {
            auto& w = *workers.emplace_back(std::make_unique<worker>(shared));
            w.prepare();
            auto& a = *acceptors.emplace_back(std::make_unique<tcp::acceptor>(w.io));
            a.open(endpoint.protocol());
            a.set_option(asio::socket_base::reuse_address(true));
            a.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
            a.bind(endpoint);
            a.listen(asio::socket_base::max_listen_connections);
            asio::co_spawn(w.io, listen(w, a), asio::detached);
            if (shared.log == log_mode::buffered)
                asio::co_spawn(w.io, flush_every(w), asio::detached);
        }
        asio::signal_set signals{workers.front()->io, SIGINT, SIGTERM};
        signals.async_wait([&](beast::error_code, int) {
            for (auto& w : workers)
                w->io.stop();
        });
        std::vector<std::thread> pool;
        for (int i = 1; i < threads; ++i)
            pool.emplace_back([&w = *workers[static_cast<std::size_t>(i)]] { w.io.run(); });
        workers.front()->io.run();
        for (auto& t : pool)
            t.join();
        for (auto& w : workers)
            w->flush_log();
        std::printf("bare_shop: stopped\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bare_shop: %s\n", e.what());
        return 1;
    }
}
