#ifndef RAMPART_TESTS_SUPPORT_PROCESS_HPP
#define RAMPART_TESTS_SUPPORT_PROCESS_HPP

// A child process for integration tests: started with extra environment variables, its stdout
// and stderr collected as text while it runs, signalled, and waited for with a bound. The child
// dies with the test (PR_SET_PDEATHSIG), and the destructor kills and reaps one still running,
// so a failing test leaves nothing behind.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace rampart::test {

class process {
public:
    /// Environment changes: a value sets the variable, nullopt removes it.
    using environment = std::map<std::string, std::optional<std::string>>;

    /// Starts `path` with `args` (argv[1..]) and the test's environment changed by `env`.
    process(std::string path, std::vector<std::string> args = {}, const environment& env = {}) {
        std::vector<std::string> argv_text{std::move(path)};
        for (auto& a : args)
            argv_text.push_back(std::move(a));
        std::vector<std::string> env_text;
        for (char** e = environ; *e; ++e) {
            std::string entry = *e;
            if (!env.count(entry.substr(0, entry.find('='))))
                env_text.push_back(std::move(entry));
        }
        for (const auto& [name, value] : env)
            if (value)
                env_text.push_back(name + "=" + *value);
        std::vector<char*> argv, envp;
        for (auto& a : argv_text)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env_text)
            envp.push_back(e.data());
        envp.push_back(nullptr);

        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
            throw std::runtime_error("process: pipe failed");
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0)
            throw std::runtime_error("process: fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(127);
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        reader_ = std::thread([this, o = out[0], e = err[0]] { collect(o, e); });
    }

    process(const process&) = delete;
    process& operator=(const process&) = delete;

    ~process() {
        if (!exit_code_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        reader_.join();
    }

    pid_t pid() const noexcept { return pid_; }

    /// Everything the child wrote to stdout / stderr so far.
    std::string output() const {
        std::lock_guard lock{mutex_};
        return out_;
    }
    std::string errors() const {
        std::lock_guard lock{mutex_};
        return err_;
    }

    /// Waits (at most `bound`) until stdout holds a whole line containing `needle`, and returns
    /// that line; nullopt when the bound passed or the child closed its output first.
    std::optional<std::string> wait_for_line(const std::string& needle,
                                             std::chrono::milliseconds bound) {
        std::unique_lock lock{mutex_};
        std::optional<std::string> line;
        changed_.wait_for(lock, bound, [&] {
            std::size_t at = out_.find(needle);
            if (at != std::string::npos) {
                std::size_t begin = out_.rfind('\n', at);
                begin = begin == std::string::npos ? 0 : begin + 1;
                std::size_t end = out_.find('\n', at);
                if (end != std::string::npos) {
                    line = out_.substr(begin, end - begin);
                    return true;
                }
            }
            return closed_;
        });
        return line;
    }

    /// Waits (at most `bound`) until `ready` holds for stderr's text so far.
    bool wait_for_errors(const std::function<bool(const std::string&)>& ready,
                         std::chrono::milliseconds bound) {
        std::unique_lock lock{mutex_};
        return changed_.wait_for(lock, bound, [&] { return ready(err_) || closed_; }) &&
               ready(err_);
    }

    void signal(int sig) { ::kill(pid_, sig); }

    /// Waits (at most `bound`) for the child to exit: its exit status, 128 + the signal that
    /// ended it, or nullopt when it is still running.
    std::optional<int> wait(std::chrono::milliseconds bound) {
        auto deadline = std::chrono::steady_clock::now() + bound;
        while (!exit_code_) {
            int status = 0;
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_)
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            else if (std::chrono::steady_clock::now() >= deadline)
                break;
            else
                std::this_thread::sleep_for(std::chrono::milliseconds{5});
        }
        if (exit_code_) {
            // The pipes close when the child (and anything it started) has gone.
            std::unique_lock lock{mutex_};
            changed_.wait_for(lock, std::chrono::seconds{5}, [&] { return closed_; });
        }
        return exit_code_;
    }

private:
    void collect(int out, int err) {
        pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
        int open = 2;
        char buf[4096];
        while (open > 0) {
            if (::poll(fds, 2, -1) < 0)
                break;
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open;
                    continue;
                }
                std::lock_guard lock{mutex_};
                (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
                changed_.notify_all();
            }
        }
        std::lock_guard lock{mutex_};
        closed_ = true;
        changed_.notify_all();
    }

    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string out_, err_;
    bool closed_ = false;
    std::thread reader_;
};

} // namespace rampart::test

#endif
