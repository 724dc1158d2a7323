#ifndef RAMPART_SERVER_DETAIL_CONNECTION_REGISTRY_HPP
#define RAMPART_SERVER_DETAIL_CONNECTION_REGISTRY_HPP

#include <atomic>
#include <cstddef>
#include <list>
#include <mutex>

#include <sys/socket.h>
#include <unistd.h>

namespace rampart::detail {

/** The server's view of its open connections, for the connection cap and graceful shutdown.

    Connections run on their own threads' io_contexts, so the thread that stops the server may
    not touch their sockets. It reaches them through the kernel instead: each entry holds a
   duplicate of the socket's descriptor, and `shutdown(2)` on it wakes the connection's pending read
   with an end of stream, which the connection's own coroutine then handles. The duplicate is closed
   only when the connection leaves the registry, so the number can never name another socket.
*/
class connection_registry {
public:
    enum : int { busy = 0, idle = 1 };

    struct entry {
        /// `idle` while waiting for the first byte of a request; `busy` otherwise.
        std::atomic<int> state{busy};
        int control_fd = -1;
    };
    using handle = std::list<entry>::iterator;

    connection_registry() = default;
    connection_registry(const connection_registry&) = delete;
    connection_registry& operator=(const connection_registry&) = delete;

    handle add(int socket_fd) {
        std::lock_guard lock{mutex_};
        entries_.emplace_back();
        auto it = std::prev(entries_.end());
        it->control_fd = socket_fd >= 0 ? ::dup(socket_fd) : -1;
        count_.fetch_add(1, std::memory_order_relaxed);
        return it;
    }

    /// Removes the entry; returns how many connections remain.
    std::size_t remove(handle h) noexcept {
        std::lock_guard lock{mutex_};
        if (h->control_fd >= 0)
            ::close(h->control_fd);
        entries_.erase(h);
        return count_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    }

    std::size_t size() const noexcept { return count_.load(std::memory_order_acquire); }

    /// Ends the connections waiting for a request: their reads see the end of the stream.
    void shutdown_idle() noexcept {
        std::lock_guard lock{mutex_};
        for (auto& e : entries_)
            if (e.control_fd >= 0 && e.state.load(std::memory_order_seq_cst) == idle)
                ::shutdown(e.control_fd, SHUT_RD);
    }

    /// Ends every connection in both directions.
    void shutdown_all() noexcept {
        std::lock_guard lock{mutex_};
        for (auto& e : entries_)
            if (e.control_fd >= 0)
                ::shutdown(e.control_fd, SHUT_RDWR);
    }

private:
    std::mutex mutex_;
    std::list<entry> entries_;
    std::atomic<std::size_t> count_{0};
};

} // namespace rampart::detail

#endif
