#ifndef RAMPART_REDIS_IO_THREAD_HPP
#define RAMPART_REDIS_IO_THREAD_HPP

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <exception>
#include <mutex>
#include <thread>
#include <utility>

namespace rampart::redis {

/** An io_context running on a thread of its own: a home for a redis::client in a program whose
    I/O threads belong to something else (rampart::server runs its own).

    The thread starts with the object and runs until stop() or the destructor; a work guard keeps
    it running while no call is in flight. Declare it before the client built on its executor, so
    the client goes first; close() the client before stop(), so that calls still pending fail
    with error::closed instead of waiting for a loop that is gone. Each object owns its
    io_context and thread: nothing is shared between instances.
*/
class io_thread {
public:
    using executor_type = boost::asio::io_context::executor_type;

    /// Starts the thread.
    /// Throws: std::system_error when no thread can be started.
    io_thread() : work_(io_.get_executor()), thread_([this] { run(); }) {}

    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;

    /// Stops and joins, as stop(), but never throws: an exception a handler threw is dropped.
    ~io_thread() {
        try {
            stop();
        } catch (...) { // already reported by an explicit stop(), or nobody asked
        }
    }

    /// The executor for a redis::client (or anything else that should run on this thread).
    executor_type get_executor() noexcept { return io_.get_executor(); }

    /** Runs what is already queued, then stops the loop and joins the thread. Calling it again
        does nothing. Must not be called from the thread itself.
        Throws: the first exception a handler let escape on the thread (a programming error;
        the loop went on running the other handlers), once.
    */
    void stop() {
        std::call_once(stopping_, [this] {
            work_.reset();
            boost::asio::post(io_, [this] { io_.stop(); });
            thread_.join();
        });
        if (failure_)
            std::rethrow_exception(std::exchange(failure_, nullptr));
    }

private:
    void run() noexcept {
        for (;;) {
            try {
                io_.run();
                return;
            } catch (...) { // Asio lets run() be called again; the client's calls keep going
                if (!failure_)
                    failure_ = std::current_exception(); // read after join(): no race
            }
        }
    }

    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<executor_type> work_;
    std::exception_ptr failure_;
    std::once_flag stopping_;
    std::thread thread_; // last: starts once everything it uses exists
};

} // namespace rampart::redis

#endif
