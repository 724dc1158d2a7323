#ifndef RAMPART_SERVER_LOG_WRITER_HPP
#define RAMPART_SERVER_LOG_WRITER_HPP

#include <rampart/core/log.hpp>
#include <rampart/server/detail/log_buffer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include <unistd.h>

namespace rampart {

/// How a log_writer buffers and writes.
struct log_writer_options {
    /// Where the lines go: a file, pipe or terminal descriptor the caller keeps open while a
    /// sink may still be called (the writer never closes it). Default: stderr.
    int fd = STDERR_FILENO;

    /// Bytes of lines waiting to be written, at most (another batch may be being written
    /// meanwhile, so the memory held is at most twice this). A line that does not fit is
    /// dropped and counted, never waited for.
    std::size_t capacity = 4 * 1024 * 1024;

    /// Once this many bytes wait, they are written without waiting for `interval`.
    std::size_t batch = 64 * 1024;

    /// The longest a line waits in memory before it is written.
    std::chrono::milliseconds interval{50};
};

/** A log sink that writes in batches from its own thread instead of one write(2) per line.

    A serving thread hands a line over by copying it into a bounded buffer under a short lock;
    it never waits for the disk or a slow pipe. The writer thread writes what waits once
    `options.batch` bytes accumulate or `options.interval` passes, one write(2) per batch, so
    lines stay whole and in the order they were taken.

    When the output cannot keep up (a full disk, a pipe nobody reads) the buffer fills up to
    `options.capacity`; further lines are dropped and counted (`dropped()`), and the writer
    writes `rampart: log_writer dropped N lines: the output could not keep up` into the output
    once it can. Memory stays bounded; the serving threads never slow down for the log.

    Nothing is lost at shutdown: the destructor writes every line taken, then stops the thread;
    `flush()` waits for the lines taken so far. A line handed to a sink after the writer is
    destroyed is written at once by the caller (one write(2), like stderr_sink).

    The sinks (`sink()`) are cheap copies that share the writer's buffer: give one to
    `access_log` and to `server_config::access_log_sink`. Destroy the server before the writer
    so the last lines of a graceful shutdown are in the batch it writes on destruction.
*/
class log_writer {
public:
    /// A record_sink and line_sink that hands each message to the writer. Never blocks on I/O,
    /// never throws.
    class sink_type {
    public:
        void operator()(const log_record& record) const noexcept {
            buffer_->append(record.message);
        }
        void operator()(std::string_view line) const noexcept { buffer_->append(line); }

    private:
        friend class log_writer;
        explicit sink_type(std::shared_ptr<detail::log_buffer> buffer) noexcept
            : buffer_(std::move(buffer)) {}
        std::shared_ptr<detail::log_buffer> buffer_;
    };

    /// Starts the writer thread. Throws: `std::invalid_argument` for a zero capacity, batch or
    /// a negative descriptor; `std::system_error` when no thread can be started.
    explicit log_writer(log_writer_options options = {})
        : buffer_(std::make_shared<detail::log_buffer>(checked(options).fd, options.capacity,
                                                       options.batch, options.interval)),
          thread_([buffer = buffer_] { buffer->run(); }) {}

    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;

    /// Writes every line taken, then stops the thread.
    ~log_writer() {
        buffer_->stop();
        thread_.join();
    }

    /// A sink feeding this writer.
    sink_type sink() const noexcept { return sink_type{buffer_}; }

    /// Waits until every line taken before the call is written (or its write failed).
    void flush() { buffer_->flush(); }

    /// Lines dropped so far: the buffer was full, or the write of their batch failed.
    std::uint64_t dropped() const { return buffer_->dropped(); }

    /// Lines written so far.
    std::uint64_t written() const { return buffer_->written(); }

private:
    static const log_writer_options& checked(const log_writer_options& options) {
        if (options.capacity == 0 || options.batch == 0 || options.fd < 0)
            throw std::invalid_argument("rampart::log_writer: capacity and batch must be "
                                        "positive and the descriptor valid");
        return options;
    }

    std::shared_ptr<detail::log_buffer> buffer_;
    std::thread thread_;
};

static_assert(record_sink<log_writer::sink_type> && line_sink<log_writer::sink_type>);

} // namespace rampart

#endif
