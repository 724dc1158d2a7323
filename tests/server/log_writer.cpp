#include <rampart/server/log_writer.hpp>

#include "common.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

#include <rampart/core/middleware.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/server/access_log.hpp>
#include <rampart/server/server.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace rampart;

namespace {

/// A pipe whose ends close with it.
struct pipe_pair {
    int read_end = -1, write_end = -1;
    pipe_pair() {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        read_end = fds[0];
        write_end = fds[1];
    }
    pipe_pair(const pipe_pair&) = delete;
    ~pipe_pair() {
        close_write();
        ::close(read_end);
    }
    void close_write() {
        if (write_end >= 0)
            ::close(write_end);
        write_end = -1;
    }
    /// Whether bytes wait in the pipe now.
    bool readable() const {
        pollfd p{read_end, POLLIN, 0};
        return ::poll(&p, 1, 0) == 1;
    }
    /// Reads what is there, waiting up to `bound` for the first byte.
    std::string read_some(int bound_ms = 10'000) const {
        pollfd p{read_end, POLLIN, 0};
        if (::poll(&p, 1, bound_ms) != 1)
            return {};
        char buf[65536];
        auto n = ::read(read_end, buf, sizeof buf);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{};
    }
    /// Reads until end of file (the write end closed).
    std::string read_all() const {
        std::string out;
        char buf[65536];
        for (;;) {
            auto n = ::read(read_end, buf, sizeof buf);
            if (n <= 0)
                return out;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::string file_text(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace

TEST_CASE("log_writer: every access line of a served load is in the file after stop",
          "[concurrency]") {
    test::temp_dir dir;
    auto path = dir.file("access.log");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    constexpr int clients = 4, per_client = 50;
    {
        // Nothing is written before the writer is destroyed (an hour's interval, a batch larger
        // than the load): every line below is in the file only because destruction flushes.
        log_writer writer{{.fd = fd, .batch = 16 * 1024 * 1024, .interval = std::chrono::hours{1}}};
        auto config = test::local_config();
        config.access_log_sink = writer.sink();
        {
            auto app =
                stack(error_envelope<>{}, access_log{writer.sink()}).wrap(test::test_handler{});
            server srv{std::move(app), config};
            srv.start();
            std::vector<std::thread> threads;
            for (int c = 0; c < clients; ++c)
                threads.emplace_back([&, c] {
                    test::http_client client{srv.port()};
                    for (int i = 0; i < per_client; ++i)
                        client.roundtrip(
                            test::make_get("/c" + std::to_string(c) + "/r" + std::to_string(i)));
                });
            for (auto& t : threads)
                t.join();
            // A request the server refuses itself goes to the same writer.
            test::http_client refused{srv.port()};
            refused.send("GET / HTTP/1.1\r\n\r\n"); // no Host
            CHECK(refused.receive().result_int() == 400);
            CHECK(refused.wait_closed(std::chrono::seconds{10}));
            srv.stop();
            srv.join();
        }
        CHECK(file_text(path).empty());
        CHECK(writer.dropped() == 0);
    }
    ::close(fd);
    auto lines = lines_of(file_text(path));
    REQUIRE(lines.size() == clients * per_client + 1);
    std::set<std::string> paths;
    for (const auto& line : lines) {
        auto get = line.find(" GET /");
        REQUIRE(get != std::string::npos);
        auto end = line.find(' ', get + 5);
        paths.insert(line.substr(get + 5, end - get - 5));
    }
    CHECK(paths.size() == clients * per_client + 1); // each request once, none twice
    CHECK(paths.count("/c3/r49") == 1);
    CHECK(lines.back().find(" GET / 400 ") != std::string::npos);
}

TEST_CASE("log_writer: lines wait in memory and go out in one batch") {
    pipe_pair pipe;
    log_writer writer{{.fd = pipe.write_end, .interval = std::chrono::hours{1}}};
    auto sink = writer.sink();
    for (int i = 0; i < 100; ++i)
        sink("line " + std::to_string(i));
    CHECK_FALSE(pipe.readable()); // no write(2) per line
    writer.flush();
    CHECK(writer.written() == 100);
    std::string out;
    while (pipe.readable())
        out += pipe.read_some(0);
    auto lines = lines_of(out);
    REQUIRE(lines.size() == 100);
    CHECK(lines.front() == "line 0");
    CHECK(lines.back() == "line 99");
}

TEST_CASE("log_writer: a line is written within the interval without a flush") {
    pipe_pair pipe;
    log_writer writer{{.fd = pipe.write_end, .interval = std::chrono::milliseconds{1}}};
    log_sink erased = writer.sink(); // also a record sink behind the one logging hook
    erased(log_record{log_level::info, "access", "first"});
    std::string out;
    for (int i = 0; i < 100 && out.find('\n') == std::string::npos; ++i)
        out += pipe.read_some();
    CHECK(out == "first\n");
}

TEST_CASE("log_writer: a full buffer drops lines, counts them and says so in the output",
          "[concurrency]") {
    pipe_pair pipe;
#ifdef F_SETPIPE_SZ
    ::fcntl(pipe.write_end, F_SETPIPE_SZ, 4096);
#endif
    constexpr int total = 20'000;
    std::optional<log_writer> writer;
    writer.emplace(log_writer_options{.fd = pipe.write_end,
                                      .capacity = 4096,
                                      .batch = 1024,
                                      .interval = std::chrono::milliseconds{1}});
    auto sink = writer->sink();
    // Nobody reads the pipe: the writer soon blocks in write(2), the buffer fills, and the calls
    // below still return at once.
    for (int i = 0; i < total; ++i)
        sink("a line of the access log that takes some room, number " + std::to_string(i));
    CHECK(writer->dropped() > 0);
    std::string out;
    std::thread reader{[&] { out = pipe.read_all(); }};
    writer->flush();
    auto written = writer->written();
    auto dropped = writer->dropped();
    CHECK(written + dropped == total);
    writer.reset(); // writes the last report, if any
    pipe.close_write();
    reader.join();
    std::uint64_t lines = 0, reported = 0;
    for (const auto& line : lines_of(out)) {
        if (line.starts_with("a line of the access log")) {
            ++lines;
        } else {
            REQUIRE(line.starts_with("rampart: log_writer dropped "));
            CHECK(line.ends_with(": the output could not keep up"));
            reported +=
                std::stoull(line.substr(std::string_view{"rampart: log_writer dropped "}.size()));
        }
    }
    CHECK(lines == written);
    CHECK(reported == dropped);
}

TEST_CASE("log_writer: a line logged after the writer is gone is still written") {
    pipe_pair pipe;
    std::optional<log_writer::sink_type> late;
    {
        log_writer writer{{.fd = pipe.write_end}};
        late = writer.sink();
        (*late)("before");
    }
    (*late)("after");
    pipe.close_write();
    CHECK(pipe.read_all() == "before\nafter\n");
}

TEST_CASE("log_writer: options that cannot work are refused") {
    CHECK_THROWS_AS(log_writer{{.capacity = 0}}, std::invalid_argument);
    CHECK_THROWS_AS(log_writer{{.batch = 0}}, std::invalid_argument);
    CHECK_THROWS_AS(log_writer{{.fd = -1}}, std::invalid_argument);
}
