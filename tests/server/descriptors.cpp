// Running out of file descriptors: the server logs it once, backs off, keeps serving the open
// connections and accepts again once descriptors are free. The server runs in a child process
// whose RLIMIT_NOFILE is lowered (so the test process keeps its own limit); the test talks to it
// over real sockets and reads its error log through a pipe.

#include "common.hpp"
#include "support/http_client.hpp"

#include <rampart/server/server.hpp>

#include <catch2/catch.hpp>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace rampart;
using test::http_client;

namespace {

// Sanitizer runtimes need descriptors of their own (UBSan's vptr check opens a pipe to probe
// memory, and reports an "invalid vptr" when it cannot): with none left, such a build tests the
// sanitizer, not the server. The test runs in the normal (Release) suite.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
constexpr bool sanitized_build = true;
#else
constexpr bool sanitized_build = false;
#endif
#else
constexpr bool sanitized_build = false;
#endif

int open_descriptors() {
    int n = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (auto* entry = ::readdir(dir))
            if (entry->d_name[0] != '.')
                ++n;
        ::closedir(dir);
    }
    return n - 1; // the directory's own descriptor
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        auto n = ::write(fd, bytes.data(), bytes.size());
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// Reads until EOF or until `bound` passes without data.
std::string read_until_eof(int fd, std::chrono::milliseconds bound) {
    std::string out;
    char chunk[512];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(bound.count())) <= 0)
            return out;
        auto n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0)
            return out;
        out.append(chunk, static_cast<std::size_t>(n));
    }
}

/// The child: a server allowed 3 connections' worth of descriptors (socket + registry dup).
[[noreturn]] void serve_with_few_descriptors(int to_parent, int from_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int status = 1;
    try {
        std::mutex mutex;
        std::string events;
        auto config = test::local_config();
        config.threads = 1;
        config.access_log_sink = {};
        config.error_log_sink = [&](std::string_view line) {
            std::lock_guard lock{mutex};
            events.append(line).append("\n");
        };
        {
            server srv{test::test_handler{}, config};
            srv.start();
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
            rlimit limit{};
            ::getrlimit(RLIMIT_NOFILE, &limit);
            limit.rlim_cur = static_cast<rlim_t>(open_descriptors() + 6);
            if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
                ::_exit(3);
            auto port = std::to_string(srv.port()) + "\n";
            write_all(to_parent, port);
            char done;
            if (::read(from_parent, &done, 1) < 0)
                status = 2;
            srv.stop();
            srv.join();
        }
        std::lock_guard lock{mutex};
        write_all(to_parent, events);
        status = 0;
    } catch (...) {
    }
    ::_exit(status);
}

} // namespace

TEST_CASE("out of file descriptors: logged once, open connections served, accepting resumes",
          "[descriptors]") {
    if (sanitized_build) {
        WARN("skipped in a sanitizer build: its runtime needs the descriptors this test exhausts");
        return;
    }
    int up[2], down[2];
    REQUIRE(::pipe(up) == 0);
    REQUIRE(::pipe(down) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(up[0]);
        ::close(down[1]);
        serve_with_few_descriptors(up[1], down[0]);
    }
    ::close(up[1]);
    ::close(down[0]);
    struct reap {
        pid_t pid;
        int up, down;
        bool reaped = false;
        ~reap() {
            ::close(down);
            ::close(up);
            if (reaped || pid <= 0)
                return;
            ::kill(pid, SIGKILL);
            int status;
            ::waitpid(pid, &status, 0);
        }
    } guard{pid, up[0], down[1]};

    // The port, one line.
    std::string port_text;
    char c;
    while (port_text.find('\n') == std::string::npos) {
        pollfd p{up[0], POLLIN, 0};
        REQUIRE(::poll(&p, 1, 10000) == 1);
        REQUIRE(::read(up[0], &c, 1) == 1);
        port_text += c;
    }
    auto port = static_cast<unsigned short>(std::stoi(port_text));

    // A few connections fit (3 or so: how many exactly depends on the descriptor numbers the
    // child inherited); then one waits in the kernel's backlog while accept fails.
    std::vector<std::unique_ptr<http_client>> served;
    bool waited = false;
    for (int i = 0; i < 12 && !waited; ++i) {
        auto client = std::make_unique<http_client>(port, std::chrono::milliseconds{2000});
        client->send("GET /open HTTP/1.1\r\nHost: x\r\n\r\n");
        auto res = client->try_receive();
        if (res) {
            CHECK(res->result() == http::status::ok);
            served.push_back(std::move(client));
        } else {
            waited = true;
        }
    }
    REQUIRE(waited);
    REQUIRE(!served.empty());
    // The open connections are still served meanwhile.
    served[0]->send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(served[0]->receive().result() == http::status::ok);

    // Free the descriptors: new connections are accepted again.
    served.clear();
    for (int i = 0; i < 2; ++i) {
        http_client later{port};
        later.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(later.receive().result() == http::status::ok);
    }

    REQUIRE(write_all(down[1], "x"));
    auto events = read_until_eof(up[0], std::chrono::seconds{20});
    int status = -1;
    for (int i = 0; i < 200 && !guard.reaped; ++i) {
        guard.reaped = ::waitpid(pid, &status, WNOHANG) == pid;
        if (!guard.reaped)
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    REQUIRE(guard.reaped);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    INFO("error log: " << events);
    auto count = [&](std::string_view what) {
        std::size_t n = 0;
        for (auto at = events.find(what); at != std::string::npos; at = events.find(what, at + 1))
            ++n;
        return n;
    };
    // One line when an episode starts and one when it ends, however many attempts failed
    // between: the 2 s wait above alone made several (the back-off tops at 500 ms).
    auto episodes = count("rampart: cannot accept connections (Too many open files)");
    CHECK(episodes >= 1);
    CHECK(count("rampart: cannot accept") == episodes);
    CHECK(count("rampart: accepting connections again after ") == episodes);
    int most = 0;
    for (auto at = events.find("again after "); at != std::string::npos;
         at = events.find("again after ", at + 1))
        most = std::max(most, std::stoi(events.substr(at + 12)));
    CHECK(most >= 3);
}
