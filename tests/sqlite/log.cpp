// database_options::log is a rampart::log_sink: records, lines, and the older typed shape.
#include <rampart/sqlite/database.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace sqlite = rampart::sqlite;
using rampart::test::temp_dir;

namespace {

constexpr std::array<sqlite::migration, 1> table{{
    {1, "CREATE TABLE t (v INTEGER)"},
}};

void insert_row(sqlite::connection& c) {
    c.exec("INSERT INTO t VALUES (1)");
}

} // namespace

TEST_CASE("a database's 503 reaches a record sink with its line and its sqlite::error",
          "[sqlite]") {
    temp_dir dir;
    std::string path = dir.file("db.sqlite");
    {
        sqlite::connection setup(path, {.wal = false});
        sqlite::migrate(setup, table);
    }

    struct seen {
        rampart::log_level level;
        std::string source, message;
        int code;
    };
    std::vector<seen> records;
    sqlite::database db(
        {.path = path,
         .open = {.read_only = true},
         .workers = 1,
         .log = [&](const rampart::log_record& r) {
             int code = 0;
             try {
                 std::rethrow_exception(r.error);
             } catch (const sqlite::error& e) {
                 code = e.code();
             } catch (...) {
             }
             records.push_back({r.level, std::string(r.source), std::string(r.message), code});
         }});
    CHECK_THROWS_AS(rampart::test::run(db.run(insert_row)), rampart::service_unavailable);
    REQUIRE(records.size() == 1);
    CHECK(records[0].level == rampart::log_level::error);
    CHECK(records[0].source == "sqlite");
    CHECK(records[0].message.rfind("rampart: sqlite unavailable: ", 0) == 0);
    CHECK(records[0].code == SQLITE_READONLY);
}

TEST_CASE("unavailable_log takes records, lines and the older sqlite::error shape", "[sqlite]") {
    auto cause = std::make_exception_ptr(sqlite::error(SQLITE_FULL, "disk full"));
    rampart::log_record record{rampart::log_level::error, "sqlite",
                               "rampart: sqlite unavailable: disk full", nullptr, cause};

    std::vector<int> codes;
    sqlite::unavailable_log typed = [&](const sqlite::error& e) { codes.push_back(e.code()); };
    typed(record);
    // A record whose exception is no sqlite::error is not for this shape.
    typed(rampart::log_record{rampart::log_level::error, "sqlite", "x", nullptr,
                              std::make_exception_ptr(std::runtime_error("other"))});
    CHECK(codes == std::vector<int>{SQLITE_FULL});

    std::vector<std::string> lines;
    sqlite::unavailable_log by_line = [&](std::string_view line) { lines.emplace_back(line); };
    by_line(record);
    CHECK(lines == std::vector<std::string>{"rampart: sqlite unavailable: disk full"});

    CHECK_FALSE(sqlite::unavailable_log{});
    CHECK(sqlite::database_options{}.log); // stderr by default
}
