#ifndef RAMPART_CORE_MIDDLEWARE_HPP
#define RAMPART_CORE_MIDDLEWARE_HPP

#include <rampart/core/detail/fused.hpp>
#include <rampart/core/handler.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
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

    Each such layer costs its coroutine frame and a guard frame outside it. One that cannot throw
    declares `static constexpr bool never_throws = true;` and gets no guard (never_throws_v); if
    it only acts before the rest, its call operator need not be a coroutine: `return next(ctx);`.
*/
template <class M>
concept middleware = requires(M& m, context& ctx, detail::next_archetype& next) {
    { m(ctx, next) } -> std::same_as<asio::awaitable<response>>;
};

/** A hook middleware: two plain member functions instead of a coroutine, for a layer that only
    acts before and after the rest without awaiting anything of its own:

    @code
    std::optional<response> before(context& ctx);   // or void; a response answers (short-circuit)
    void after(context& ctx, response& res);         // amend the response on its way out
    @endcode

    Either may be left out. `stack` fuses adjacent hook layers into one coroutine frame. The
    onion holds as for any middleware: what a hook throws is rendered where it is thrown, and the
    layers outside it see that response; a layer that answers or throws in `before` gets no
    `after` call, like a coroutine layer that returns or throws before calling `next`.

    A layer may have a call operator too (see before_then), so that it is also a `middleware`
    for code that takes only those; `stack` composes it as hooks all the same.
*/
template <class M>
concept hook_middleware = detail::has_before_hook<M> || detail::has_after_hook<M>;

/** `hook.before(ctx)`, then the rest unless it answered: the call operator of a layer that
    acts only before the rest, for callers that take middleware (a route group's stack):

    @code
    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) const {
        return rampart::before_then(*this, ctx, next);
    }
    @endcode

    Throws: what `before` throws.
*/
template <class Hook, class Next>
asio::awaitable<response> before_then(Hook& hook, context& ctx, Next& next) {
    std::optional<response> answer = hook.before(ctx);
    if (answer)
        co_return std::move(*answer);
    co_return co_await next(ctx);
}

/// What `stack` takes: a middleware or a hook middleware.
template <class M>
concept layer = middleware<M> || hook_middleware<M>;

/** A handler with exceptions turned into error responses: what a middleware's `next` is when
    the rest may throw. A synchronous handler (sync_adapter, beast_adapter) is called inside the
    guard's own frame.
*/
template <handler H>
class guarded {
public:
    static constexpr bool never_throws = true;

    explicit guarded(H h) : h_(std::move(h)) {}
    asio::awaitable<response> operator()(context& ctx) {
        try {
            if constexpr (detail::is_sync_adapter<H>)
                co_return h_.invoke(ctx);
            else
                co_return co_await h_(ctx);
        } catch (...) {
            co_return ctx.render_error(std::current_exception());
        }
    }
    H& inner() noexcept { return h_; }

private:
    [[no_unique_address]] H h_;
};

namespace detail {
/// Whether `H` is a guard: every exception of what it runs, even of a layer that wrongly
/// declared never_throws, becomes a response inside it.
template <class H>
inline constexpr bool is_guard = false;
template <class H>
inline constexpr bool is_guard<guarded<H>> = true;

/// `H` itself when it declares never_throws, else `guarded<H>`.
template <class H>
using guard_if_needed_t = std::conditional_t<never_throws_v<H>, H, guarded<H>>;
} // namespace detail

/** One middleware wrapped around the rest of the pipeline; itself a handler. Its `next` is the
    rest behind a guard, or the rest itself when that never throws (never_throws_v).
*/
template <middleware M, handler Next>
class layered {
public:
    static constexpr bool never_throws = never_throws_v<M>;

    layered(M m, Next next) : m_(std::move(m)), next_(std::move(next)) {}
    asio::awaitable<response> operator()(context& ctx) { return m_(ctx, next_); }

private:
    [[no_unique_address]] M m_;
    [[no_unique_address]] detail::guard_if_needed_t<Next> next_;
};

/** Middleware composed at compile time, outermost first.

    `stack(a, b, c).wrap(h)` runs `a`, then `b`, then `c`, then `h`, and each response back out
    through `c`, `b`, `a`. No type erasure, no allocation but the coroutine frames themselves:
    one per coroutine middleware, one per run of adjacent hook middleware, and one exception
    guard behind each layer whose rest may throw (none behind a never_throws one).
*/
template <layer... Ms>
class middleware_stack {
public:
    explicit middleware_stack(Ms... ms) : layers_(std::move(ms)...) {}

    /// The handler that runs every layer around `h` (anything make_handler accepts). The result
    /// never throws: what escapes the outermost layer is rendered too.
    template <class H>
    auto wrap(H h) && {
        auto top = build<0>(make_handler(std::move(h)));
        using result = detail::guard_if_needed_t<decltype(top)>;
        static_assert(never_throws_v<result>, "the composed pipeline must never throw");
        return result(std::move(top));
    }
    template <class H>
    auto wrap(H h) const& {
        return middleware_stack(*this).wrap(std::move(h));
    }

    /// Calls `f(layer)` for each layer, outermost first: start-up introspection (a router asks
    /// a group's layers to document its routes), never per request.
    template <class F>
    void for_each_layer(F&& f) const {
        std::apply([&](const Ms&... ms) { (f(ms), ...); }, layers_);
    }

    /// A longer stack with `m` innermost.
    template <layer M>
    auto with(M m) && {
        return std::apply(
            [&](Ms&... ms) { return middleware_stack<Ms..., M>(std::move(ms)..., std::move(m)); },
            layers_);
    }

private:
    template <std::size_t I>
    using layer_t = std::tuple_element_t<I, std::tuple<Ms...>>;

    /// One past the last hook layer of the run starting at I.
    template <std::size_t I>
    static constexpr std::size_t hook_run_end() {
        if constexpr (I == sizeof...(Ms))
            return I;
        else if constexpr (hook_middleware<layer_t<I>>)
            return hook_run_end<I + 1>();
        else
            return I;
    }

    template <std::size_t I, class H>
    auto build(H h) {
        if constexpr (I == sizeof...(Ms))
            return h;
        else if constexpr (hook_middleware<layer_t<I>>)
            return fuse<I>(build<hook_run_end<I>()>(std::move(h)),
                           std::make_index_sequence<hook_run_end<I>() - I>{});
        else
            return layered{std::move(std::get<I>(layers_)), build<I + 1>(std::move(h))};
    }

    template <std::size_t I, class Inner, std::size_t... K>
    auto fuse(Inner inner, std::index_sequence<K...>) {
        return detail::fused<Inner, layer_t<I + K>...>(std::move(inner),
                                                       std::move(std::get<I + K>(layers_))...);
    }

    std::tuple<Ms...> layers_;
};

/// `stack(a, b, c)`: see middleware_stack.
template <layer... Ms>
middleware_stack<Ms...> stack(Ms... ms) {
    return middleware_stack<Ms...>(std::move(ms)...);
}

} // namespace rampart

#endif
