#ifndef RAMPART_CORE_EVENT_OBSERVER_HPP
#define RAMPART_CORE_EVENT_OBSERVER_HPP

namespace rampart {

/** An optional listener for a component's events (a Redis command done, a token refreshed, a
    throttle decision), set once at start-up: a plain function pointer and the object it is
    for, so that telling it costs one indirect call and, when none is set, one test. No
    allocation, no std::function. rampart::metrics makes them; any code may.

    The function is called on whichever thread the event happens, possibly on several at once,
    and must not throw (it is noexcept) nor block.
*/
template <class Event>
class event_observer {
public:
    using function = void (*)(void* self, const Event& event) noexcept;

    constexpr event_observer() noexcept = default;
    constexpr event_observer(function f, void* self) noexcept : f_(f), self_(self) {}

    explicit operator bool() const noexcept { return f_ != nullptr; }

    /// Tells the listener, if there is one.
    void operator()(const Event& event) const noexcept {
        if (f_)
            f_(self_, event);
    }

private:
    function f_ = nullptr;
    void* self_ = nullptr;
};

} // namespace rampart

#endif
