#ifndef RAMPART_TESTS_SUPPORT_REDIS_SERVER_HPP
#define RAMPART_TESTS_SUPPORT_REDIS_SERVER_HPP

// A real redis-server for tests and benchmarks: started on a free port in a temporary
// directory, without persistence, and cleaned up by the destructor. It can be stopped, killed
// with SIGKILL, restarted on the same port, and made to stall (DEBUG SLEEP, or SIGSTOP until
// SIGCONT).

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rampart::test {

class redis_server {
public:
    /// Starts a server (with `requirepass` when `password` is not empty) and waits for PING.
    explicit redis_server(std::string password = {}) : password_(std::move(password)) {
        char tmpl[] = "/tmp/rampart-redis-XXXXXX";
        if (!mkdtemp(tmpl))
            throw std::runtime_error("redis_server: mkdtemp failed");
        dir_ = tmpl;
        port_ = free_port();
        start();
    }

    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    ~redis_server() {
        signal_and_reap(SIGKILL);
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::uint16_t port() const noexcept { return port_; }

    /// `redis://127.0.0.1:<port>/<db>` (with the password when there is one).
    std::string url(unsigned db = 0) const {
        std::string auth = password_.empty() ? "" : ":" + password_ + "@";
        return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
    }

    bool running() const noexcept { return pid_ > 0; }

    /// Stops the server with SIGTERM and waits for it to exit.
    void stop() { signal_and_reap(SIGTERM); }

    /// Kills the server with SIGKILL (no goodbye to clients) and waits for it to exit.
    void kill9() { signal_and_reap(SIGKILL); }

    /// Starts the server again on the same port (empty: nothing is persisted).
    void restart() {
        if (pid_ > 0)
            stop();
        start();
    }

    /// Stops the process with SIGSTOP: the kernel still accepts connections and takes in
    /// commands, the server answers nothing until resume().
    void pause() {
        if (pid_ > 0 && !paused_) {
            ::kill(pid_, SIGSTOP);
            paused_ = true;
        }
    }

    /// Lets a paused server run again (SIGCONT).
    void resume() {
        if (pid_ > 0 && paused_) {
            ::kill(pid_, SIGCONT);
            paused_ = false;
        }
    }

    bool paused() const noexcept { return paused_; }

    /// Makes the server stall for `seconds` (DEBUG SLEEP), returning at once. The reply is
    /// collected when the server is stopped or destroyed.
    void stall(double seconds) {
        redisContext* c = connect();
        if (redisAppendCommand(c, "DEBUG SLEEP %f", seconds) != REDIS_OK)
            throw std::runtime_error("redis_server: cannot send DEBUG SLEEP");
        int done = 0;
        while (!done)
            if (redisBufferWrite(c, &done) != REDIS_OK)
                throw std::runtime_error("redis_server: cannot send DEBUG SLEEP");
        sleepers_.push_back(c);
        // Return only once the server is asleep: a PING that gets no answer proves it.
        for (int i = 0; i < 200; ++i) {
            redisContext* probe = connect();
            timeval short_wait{0, 100000};
            redisSetTimeout(probe, short_wait);
            auto* r = static_cast<redisReply*>(redisCommand(probe, "PING"));
            redisFree(probe);
            if (!r)
                return;
            freeReplyObject(r);
            std::this_thread::sleep_for(std::chrono::milliseconds{1});
        }
        throw std::runtime_error("redis_server: DEBUG SLEEP did not take effect");
    }

    /// Runs one command synchronously (for test setup and checks) and returns its reply.
    std::unique_ptr<redisReply, void (*)(redisReply*)>
    command(const std::vector<std::string>& args) {
        redisContext* c = connect();
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
        redisFree(c);
        if (!r)
            throw std::runtime_error("redis_server: command failed");
        return {r, [](redisReply* p) { freeReplyObject(p); }};
    }

private:
    static std::uint16_t free_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            if (fd >= 0)
                ::close(fd);
            throw std::runtime_error("redis_server: no free port");
        }
        ::close(fd);
        return ntohs(addr.sin_port);
    }

    redisContext* connect() const {
        timeval tv{5, 0};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        if (!c || c->err) {
            if (c)
                redisFree(c);
            throw std::runtime_error("redis_server: cannot connect");
        }
        if (!password_.empty()) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password_.c_str()));
            if (r)
                freeReplyObject(r);
        }
        return c;
    }

    void start() {
        std::vector<std::string> args = {"/usr/bin/redis-server",
                                         "--port",
                                         std::to_string(port_),
                                         "--bind",
                                         "127.0.0.1",
                                         "--dir",
                                         dir_,
                                         "--save",
                                         "",
                                         "--appendonly",
                                         "no",
                                         "--daemonize",
                                         "no",
                                         "--enable-debug-command",
                                         "yes",
                                         "--logfile",
                                         dir_ + "/redis.log"};
        if (!password_.empty()) {
            args.push_back("--requirepass");
            args.push_back(password_);
        }
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        // fork + exec rather than posix_spawn: the child must not hold the test's output
        // pipes open, and must die with the test even when the test crashes.
        const pid_t parent = ::getpid();
        pid_t pid = ::fork();
        if (pid < 0)
            throw std::runtime_error("redis_server: fork failed");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(127);
            int null = ::open("/dev/null", O_RDWR);
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        pid_ = pid;
        // Readiness: poll until PING answers (bounded), which is set-up, not a timed assertion.
        for (int i = 0; i < 500; ++i) {
            timeval tv{1, 0};
            redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
            if (c && !c->err) {
                if (!password_.empty()) {
                    auto* a =
                        static_cast<redisReply*>(redisCommand(c, "AUTH %s", password_.c_str()));
                    if (a)
                        freeReplyObject(a);
                }
                auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
                bool ok = r && r->type == REDIS_REPLY_STATUS;
                if (r)
                    freeReplyObject(r);
                redisFree(c);
                if (ok)
                    return;
            } else if (c) {
                redisFree(c);
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis_server: redis-server exited at start");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        throw std::runtime_error("redis_server: redis-server did not answer PING");
    }

    void signal_and_reap(int sig) {
        if (pid_ > 0) {
            ::kill(pid_, sig);
            if (paused_) // a stopped process handles SIGTERM only once continued
                ::kill(pid_, SIGCONT);
            paused_ = false;
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
        for (auto& c : sleepers_)
            redisFree(c);
        sleepers_.clear();
    }

    std::string password_;
    std::string dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    bool paused_ = false;
    std::vector<redisContext*> sleepers_;
};

} // namespace rampart::test

#endif
