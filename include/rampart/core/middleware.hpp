#ifndef RAMPART_CORE_MIDDLEWARE_HPP
#define RAMPART_CORE_MIDDLEWARE_HPP

#include <rampart/core/handler.hpp>

#include <exception>
#include <tuple>
#include <utility>

namespace rampart {

namespace detail {
/// Stands in for "the rest of the pipeline" when checking the middleware concept.
struct next_archetype {
    asio::awaitable<response> operator()(context&);
};
} // namespace detail

/** A middleware is called with the context and the rest of the pipeline:

    @code
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        // before
        response res = co_await next(ctx);   // or co_return without calling next: short-circuit
        // after: amend res
        co_return res;
    }
    @endcode

    `next(ctx)` never throws: an error raised further in (a 404, a 401, a 429, any exception)
    comes back as the error response it renders to, so every layer sees every response.
*/
template <class M>
concept middleware = requires(M& m, context& ctx, detail::next_archetype& next) {
    { m(ctx, next) } -> std::same_as<asio::awaitable<response>>;
};

/// A handler with exceptions turned into error responses: what a middleware's `next` is.
template <handler H>
class guarded {
public:
    explicit guarded(H h) : h_(std::move(h)) {}
    asio::awaitable<response> operator()(context& ctx) {
        try {
            co_return co_await h_(ctx);
        } catch (...) {
            co_return ctx.render_error(std::current_exception());
        }
    }
    H& inner() noexcept { return h_; }

private:
    [[no_unique_address]] H h_;
};

/// One middleware wrapped around the rest of the pipeline; itself a handler.
template <middleware M, handler Next>
class layered {
public:
    layered(M m, Next next) : m_(std::move(m)), next_(std::move(next)) {}
    asio::awaitable<response> operator()(context& ctx) { return m_(ctx, next_); }

private:
    [[no_unique_address]] M m_;
    [[no_unique_address]] guarded<Next> next_;
};

/** Middleware composed at compile time, outermost first.

    `stack(a, b, c).wrap(h)` runs `a`, then `b`, then `c`, then `h`, and each response back out
    through `c`, `b`, `a`. No type erasure, no allocation but the coroutine frames themselves.
*/
template <middleware... Ms>
class middleware_stack {
public:
    explicit middleware_stack(Ms... ms) : layers_(std::move(ms)...) {}

    /// The handler that runs every layer around `h` (anything make_handler accepts). The result
    /// never throws: what escapes the outermost layer is rendered too.
    template <class H>
    auto wrap(H h) && {
        return guarded{build<0>(make_handler(std::move(h)))};
    }
    template <class H>
    auto wrap(H h) const& {
        return middleware_stack(*this).wrap(std::move(h));
    }

    /// A longer stack with `m` innermost.
    template <middleware M>
    auto with(M m) && {
        return std::apply(
            [&](Ms&... ms) { return middleware_stack<Ms..., M>(std::move(ms)..., std::move(m)); },
            layers_);
    }

private:
    template <std::size_t I, class H>
    auto build(H h) {
        if constexpr (I == sizeof...(Ms))
            return h;
        else
            return layered{std::move(std::get<I>(layers_)), build<I + 1>(std::move(h))};
    }

    std::tuple<Ms...> layers_;
};

/// `stack(a, b, c)`: see middleware_stack.
template <middleware... Ms>
middleware_stack<Ms...> stack(Ms... ms) {
    return middleware_stack<Ms...>(std::move(ms)...);
}

} // namespace rampart

#endif
