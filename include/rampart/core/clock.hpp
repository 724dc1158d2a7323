#ifndef RAMPART_CORE_CLOCK_HPP
#define RAMPART_CORE_CLOCK_HPP

#include <atomic>
#include <chrono>
#include <concepts>

namespace rampart {

/// A source of wall-clock time. Components take one as a template parameter so tests can
/// make time exact instead of sleeping.
template <class C>
concept clock_source = requires(const C& c) {
    { c.now() } -> std::same_as<std::chrono::system_clock::time_point>;
};

/// The real clock.
struct system_clock {
    std::chrono::system_clock::time_point now() const noexcept {
        return std::chrono::system_clock::now();
    }
};

/// A clock that moves only when told to; safe to read from many threads while a test advances it.
class manual_clock {
public:
    using time_point = std::chrono::system_clock::time_point;

    explicit manual_clock(time_point start = time_point{std::chrono::seconds{1'700'000'000}})
        : ticks_(start.time_since_epoch().count()) {}

    time_point now() const noexcept {
        return time_point{time_point::duration{ticks_.load(std::memory_order_acquire)}};
    }
    void set(time_point t) noexcept {
        ticks_.store(t.time_since_epoch().count(), std::memory_order_release);
    }
    template <class Rep, class Period>
    void advance(std::chrono::duration<Rep, Period> d) noexcept {
        ticks_.fetch_add(std::chrono::duration_cast<time_point::duration>(d).count(),
                         std::memory_order_acq_rel);
    }

private:
    std::atomic<time_point::rep> ticks_;
};

/// A clock held by reference, for sharing one manual_clock between several components.
template <clock_source C>
class clock_ref {
public:
    explicit clock_ref(const C& c) noexcept : c_(&c) {}
    std::chrono::system_clock::time_point now() const noexcept { return c_->now(); }

private:
    const C* c_;
};

static_assert(clock_source<system_clock>);
static_assert(clock_source<manual_clock>);
static_assert(clock_source<clock_ref<manual_clock>>);

} // namespace rampart

#endif
