#ifndef RAMPART_METRICS_DETAIL_SHARDED_CELLS_HPP
#define RAMPART_METRICS_DETAIL_SHARDED_CELLS_HPP

// The storage behind every counter and histogram: one row of 64-bit cells per shard, each row
// on cache lines of its own. A thread adds to the row of the CPU it runs on with a relaxed
// atomic, so threads on different CPUs never write the same cache line; a scrape sums a cell
// over the rows. Moving between CPUs mid-add is harmless: every add is atomic, only the row
// it lands in changes.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace rampart::metrics::detail {

inline constexpr std::size_t cache_line = 64;
inline constexpr std::size_t cells_per_line = cache_line / sizeof(std::uint64_t);

/// Rows for this machine: the CPUs, rounded up to a power of two, at most 64.
inline std::size_t default_shards() noexcept {
    std::size_t cpus = std::thread::hardware_concurrency();
    if (cpus == 0)
        cpus = 1;
    if (cpus > 64)
        cpus = 64;
    return std::bit_ceil(cpus);
}

/// The CPU this thread runs on (glibc reads it from the kernel's rseq area: no system call);
/// 0 where that is unknown.
inline unsigned current_cpu() noexcept {
#if defined(__linux__)
    int cpu = ::sched_getcpu();
    return cpu < 0 ? 0u : static_cast<unsigned>(cpu);
#else
    return 0;
#endif
}

inline std::uint64_t to_bits(double v) noexcept {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return bits;
}
inline double from_bits(std::uint64_t bits) noexcept {
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

class sharded_cells {
public:
    /// `cells` cells, all zero, in `shards` rows (a power of two).
    explicit sharded_cells(std::size_t cells, std::size_t shards = default_shards())
        : mask_(shards - 1),
          stride_((cells + cells_per_line - 1) / cells_per_line * cells_per_line), cells_(cells),
          data_(allocate(stride_ * shards)) {
        for (std::size_t i = 0; i < stride_ * shards; ++i)
            new (&data_[i]) std::atomic<std::uint64_t>(0);
    }

    sharded_cells(const sharded_cells&) = delete;
    sharded_cells& operator=(const sharded_cells&) = delete;

    std::size_t size() const noexcept { return cells_; }
    std::size_t shards() const noexcept { return mask_ + 1; }

    /// Adds `n` to `cell` (an integer cell). The hot path: one relaxed add.
    void add(std::size_t cell, std::uint64_t n = 1) noexcept { add(current_cpu(), cell, n); }

    /// The same, on the row of `cpu` (from current_cpu(), read once for several adds).
    void add(unsigned cpu, std::size_t cell, std::uint64_t n) noexcept {
        row(cpu)[cell].fetch_add(n, std::memory_order_relaxed);
    }

    /// Adds `v` to `cell`, a cell holding a double (a histogram's sum).
    void add_double(std::size_t cell, double v) noexcept { add_double(current_cpu(), cell, v); }

    void add_double(unsigned cpu, std::size_t cell, double v) noexcept {
        std::atomic<std::uint64_t>& c = row(cpu)[cell];
        std::uint64_t old = c.load(std::memory_order_relaxed);
        while (
            !c.compare_exchange_weak(old, to_bits(from_bits(old) + v), std::memory_order_relaxed))
            ;
    }

    /// The total of an integer cell over the rows.
    std::uint64_t sum(std::size_t cell) const noexcept {
        std::uint64_t total = 0;
        for (std::size_t s = 0; s <= mask_; ++s)
            total += data_[s * stride_ + cell].load(std::memory_order_relaxed);
        return total;
    }

    /// The total of a double cell over the rows.
    double sum_double(std::size_t cell) const noexcept {
        double total = 0;
        for (std::size_t s = 0; s <= mask_; ++s)
            total += from_bits(data_[s * stride_ + cell].load(std::memory_order_relaxed));
        return total;
    }

private:
    struct free_aligned {
        void operator()(std::atomic<std::uint64_t>* p) const noexcept {
            ::operator delete[](static_cast<void*>(p), std::align_val_t{cache_line});
        }
    };
    using storage = std::unique_ptr<std::atomic<std::uint64_t>[], free_aligned>;

    static storage allocate(std::size_t n) {
        void* raw =
            ::operator new[](n * sizeof(std::atomic<std::uint64_t>), std::align_val_t{cache_line});
        return storage(static_cast<std::atomic<std::uint64_t>*>(raw));
    }

    std::atomic<std::uint64_t>* row(unsigned cpu) noexcept {
        return data_.get() + (cpu & mask_) * stride_;
    }

    std::size_t mask_;
    std::size_t stride_; // cells per row, rounded up to whole cache lines
    std::size_t cells_;
    storage data_;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

} // namespace rampart::metrics::detail

#endif
