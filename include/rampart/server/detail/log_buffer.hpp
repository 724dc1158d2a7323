#ifndef RAMPART_SERVER_DETAIL_LOG_BUFFER_HPP
#define RAMPART_SERVER_DETAIL_LOG_BUFFER_HPP

#include <rampart/core/log.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <poll.h>
#include <unistd.h>

namespace rampart::detail {

/** The state a `log_writer` shares with its sinks: a bounded buffer of lines the serving
    threads fill under a short lock (a copy, never I/O) and one writer thread empties, a batch
    per write(2).

    The writer swaps the filled buffer for an empty one under the lock and writes outside it,
    so a serving thread never waits for the disk: at worst for the swap. Lines that do not fit
    in `capacity` are dropped and counted; the writer reports them in the output itself. Once
    the writer has stopped, `append` writes the line itself (one write, as stderr_sink does), so
    a line logged late in a shutdown is never lost.
*/
class log_buffer {
public:
    log_buffer(int fd, std::size_t capacity, std::size_t batch, std::chrono::milliseconds interval)
        : fd_(fd), capacity_(capacity), batch_(batch), interval_(interval) {
        filling_.reserve(std::min(capacity_, batch_ * 2));
    }

    /// Takes one line (a newline is added). Never blocks on I/O, never throws.
    void append(std::string_view line) noexcept {
        bool wake = false;
        {
            std::unique_lock lock{mutex_};
            if (!running_) {
                lock.unlock();
                write_line(fd_, line);
                return;
            }
            if (line.size() >= capacity_ - std::min(capacity_, filling_.size())) {
                ++dropped_;
                ++unreported_;
                return;
            }
            auto before = filling_.size();
            try {
                filling_.append(line);
                filling_.push_back('\n');
            } catch (...) { // out of memory below capacity: dropped, like a full buffer
                filling_.resize(before);
                ++dropped_;
                ++unreported_;
                return;
            }
            ++pending_;
            ++accepted_;
            // One wake-up per batch at most: for the first line (the writer sleeps while
            // nothing waits) and when a batch is full.
            if ((pending_ == 1 && sleeping_) || (filling_.size() >= batch_ && !full_)) {
                full_ = full_ || filling_.size() >= batch_;
                wake = true;
            }
        }
        if (wake)
            wake_.notify_one();
    }

    /// Waits until every line taken before the call has been written (or failed to be).
    void flush() {
        std::unique_lock lock{mutex_};
        auto target = accepted_;
        flushing_ = true;
        wake_.notify_one();
        done_.wait(lock, [&] { return handled_ >= target || !running_; });
    }

    /// Ends the writer loop once everything taken is written; `run` then returns.
    void stop() {
        std::lock_guard lock{mutex_};
        stopping_ = true;
        wake_.notify_one();
    }

    std::uint64_t dropped() const {
        std::lock_guard lock{mutex_};
        return dropped_;
    }

    std::uint64_t written() const {
        std::lock_guard lock{mutex_};
        return written_;
    }

    /// The writer thread's loop.
    void run() noexcept {
        std::string writing;
        std::unique_lock lock{mutex_};
        for (;;) {
            if (filling_.empty() && unreported_ == 0) {
                if (stopping_)
                    break;
                sleeping_ = true;
                wake_.wait(lock, [&] { return stopping_ || flushing_ || !filling_.empty(); });
                sleeping_ = false;
            }
            // A line waits `interval` at most: unless a batch is full, a flush is asked for or
            // the writer stops, the lines arriving meanwhile go in the same write.
            wake_.wait_for(lock, interval_, [&] { return stopping_ || flushing_ || full_; });
            writing.swap(filling_);
            std::uint64_t lines = pending_, drops = unreported_;
            pending_ = unreported_ = 0;
            full_ = flushing_ = false;
            lock.unlock();
            if (drops != 0)
                append_drop_report(writing, drops);
            bool ok = write_all(writing);
            writing.clear();
            lock.lock();
            handled_ += lines;
            if (ok)
                written_ += lines;
            else
                dropped_ += lines;
            done_.notify_all();
        }
        running_ = false;
        done_.notify_all();
    }

private:
    static void append_drop_report(std::string& out, std::uint64_t drops) {
        try {
            out += "rampart: log_writer dropped ";
            out += std::to_string(drops);
            out += drops == 1 ? " line" : " lines";
            out += ": the output could not keep up\n";
        } catch (...) {
        }
    }

    /// Writes all of `data`, waiting out a non-blocking descriptor; false when it fails.
    bool write_all(std::string_view data) const noexcept {
        while (!data.empty()) {
            ssize_t n = ::write(fd_, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    pollfd p{fd_, POLLOUT, 0};
                    ::poll(&p, 1, -1);
                    continue;
                }
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    const int fd_;
    const std::size_t capacity_;
    const std::size_t batch_;
    const std::chrono::milliseconds interval_;

    mutable std::mutex mutex_;
    std::condition_variable wake_; // the writer waits here
    std::condition_variable done_; // flush() waits here
    std::string filling_;
    std::uint64_t pending_ = 0;    // lines in filling_
    std::uint64_t unreported_ = 0; // drops not yet reported in the output
    std::uint64_t accepted_ = 0;   // lines taken, ever
    std::uint64_t handled_ = 0;    // lines the writer finished with, written or not
    std::uint64_t written_ = 0;
    std::uint64_t dropped_ = 0;
    bool running_ = true;
    bool stopping_ = false;
    bool sleeping_ = false;
    bool flushing_ = false;
    bool full_ = false;
};

} // namespace rampart::detail

#endif
