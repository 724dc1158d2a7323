// Cursor encode/decode cost, and keyset vs OFFSET paging depth on 10,000 SQLite rows.

#include <rampart/pagination/cursor.hpp>
#include <rampart/pagination/sqlite.hpp>
#include <rampart/sqlite/connection.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace pg = rampart::pagination;
namespace sqlite = rampart::sqlite;

namespace {

constexpr int rows = 10'000;
constexpr int page_size = 25;

struct item {
    std::int64_t id;
    std::string created_at;
    std::string name;
    std::int64_t price_cents;
};

item read_item(sqlite::statement& s) {
    return {s.column<std::int64_t>(0), s.column<std::string>(1), s.column<std::string>(2),
            s.column<std::int64_t>(3)};
}

/// A 10,000-row table in a fresh file, shared by the SQLite benchmarks of one run.
struct fixture {
    std::filesystem::path path;
    sqlite::connection db;

    fixture() : path(make_path()), db(path.string()) {
        db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, "
                "name TEXT NOT NULL, price_cents INTEGER NOT NULL);"
                "CREATE INDEX items_newest ON items (created_at DESC, id DESC)");
        db.exec("BEGIN");
        auto insert = db.prepare("INSERT INTO items VALUES (?, ?, ?, ?)");
        for (int i = 1; i <= rows; ++i) {
            char created[32];
            // Ten rows share each timestamp: the tie-breaker matters.
            std::snprintf(created, sizeof created, "2026-01-01T00:%02d:%02dZ", (i / 10) / 60 % 60,
                          (i / 10) % 60);
            insert.reset().bind_all(i, std::string(created) + std::to_string(i / 600),
                                    "Product " + std::to_string(i), i * 125);
            insert.exec();
        }
        db.exec("COMMIT; ANALYZE");
    }
    ~fixture() { std::filesystem::remove_all(path.parent_path()); }

    static std::filesystem::path make_path() {
        std::string dir =
            (std::filesystem::temp_directory_path() / "rampart-bench-XXXXXX").string();
        if (!::mkdtemp(dir.data()))
            throw std::runtime_error("mkdtemp failed");
        return std::filesystem::path(dir) / "items.db";
    }

    static fixture& get() {
        static fixture f;
        return f;
    }
};

const pg::cursor_codec<>& codec() {
    static const pg::cursor_codec<> c({.keys = {"bench-key-0123456789abcdef0123456789"}});
    return c;
}

const pg::cursor sample{
    {pg::key_value(std::string("2026-01-01T00:16:40Z16")), pg::key_value(std::int64_t{9975})},
    false,
    false};
const std::string scope = "5:items20:created_at:desc:nn,id:desc:nn,6:user=1";

void cursor_encode(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(codec().encode(sample, scope));
}
BENCHMARK(cursor_encode);

void cursor_decode(benchmark::State& state) {
    std::string token = codec().encode(sample, scope);
    for (auto _ : state)
        benchmark::DoNotOptimize(codec().decode(token, scope));
}
BENCHMARK(cursor_decode);

void cursor_encode_decode(benchmark::State& state) {
    for (auto _ : state) {
        auto token = codec().encode(sample, scope);
        benchmark::DoNotOptimize(codec().decode(token, scope));
    }
}
BENCHMARK(cursor_encode_decode);

/// The position the keyset query starts after for 1-based page `n` of `order`.
pg::key position_before(sqlite::connection& db, const pg::ordering& order, std::int64_t n) {
    bool by_id = order.size() == 1;
    auto& s = db.cached(by_id ? "SELECT id, created_at FROM items ORDER BY id LIMIT 1 OFFSET ?"
                              : "SELECT id, created_at FROM items ORDER BY created_at DESC, "
                                "id DESC LIMIT 1 OFFSET ?");
    s.bind(1, (n - 1) * page_size - 1);
    if (!s.step())
        throw std::runtime_error("no such page");
    pg::key k = by_id ? pg::key{s.column<std::int64_t>(0)}
                      : pg::key{s.column<std::string>(1), s.column<std::int64_t>(0)};
    s.reset();
    return k;
}

template <bool NewestFirst>
void keyset_page(benchmark::State& state) {
    auto& f = fixture::get();
    pg::ordering order = NewestFirst ? pg::ordering{{"created_at", pg::order::descending},
                                                    {"id", pg::order::descending}}
                                     : pg::ordering{{"id"}};
    pg::sqlite_keyset query("SELECT id, created_at, name, price_cents FROM items", order);
    std::int64_t n = state.range(0);
    pg::key at;
    if (n > 1)
        at = position_before(f.db, order, n);
    pg::page_query q{&order, n > 1 ? &at : nullptr, false, false, page_size + 1};
    std::size_t got = 0;
    for (auto _ : state) {
        auto page = query.fetch(f.db, q, read_item);
        got = page.size();
        benchmark::DoNotOptimize(page);
    }
    if (got != static_cast<std::size_t>(n * page_size < rows ? page_size + 1 : page_size))
        state.SkipWithError("wrong page size");
}
BENCHMARK(keyset_page<false>)->Name("keyset_page/id_asc")->Arg(1)->Arg(400);
BENCHMARK(keyset_page<true>)->Name("keyset_page/newest_first")->Arg(1)->Arg(400);

template <bool NewestFirst>
void offset_page(benchmark::State& state) {
    auto& f = fixture::get();
    std::string sql = std::string("SELECT id, created_at, name, price_cents FROM items ORDER BY ") +
                      (NewestFirst ? "created_at DESC, id DESC" : "id") + " LIMIT ? OFFSET ?";
    std::int64_t n = state.range(0);
    std::size_t got = 0;
    for (auto _ : state) {
        auto& s = f.db.cached(sql);
        s.bind_all(page_size + 1, (n - 1) * page_size);
        std::vector<item> page;
        while (s.step())
            page.push_back(read_item(s));
        s.reset();
        got = page.size();
        benchmark::DoNotOptimize(page);
    }
    if (got != static_cast<std::size_t>(n * page_size < rows ? page_size + 1 : page_size))
        state.SkipWithError("wrong page size");
}
BENCHMARK(offset_page<false>)->Name("offset_page/id_asc")->Arg(1)->Arg(400);
BENCHMARK(offset_page<true>)->Name("offset_page/newest_first")->Arg(1)->Arg(400);

} // namespace
