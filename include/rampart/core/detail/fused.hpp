#ifndef RAMPART_CORE_DETAIL_FUSED_HPP
#define RAMPART_CORE_DETAIL_FUSED_HPP

// A run of adjacent hook middleware fused into one coroutine frame (see core/middleware.hpp).

#include <rampart/core/handler.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace rampart::detail {

template <class M>
concept has_before_hook = requires(M& m, context& ctx) {
    requires std::is_void_v<decltype(m.before(ctx))> ||
        std::is_same_v<decltype(m.before(ctx)), std::optional<response>>;
};

template <class M>
concept has_after_hook = requires(M& m, context& ctx, response& res) {
    { m.after(ctx, res) } -> std::same_as<void>;
};

/** Hook layers `Hs...` (outermost first) around `Inner`, in one frame. Every hook call is
    caught where it is made, so this handler never throws and each layer outside a failing one
    still sees the rendered response, exactly as if each layer were its own guarded coroutine.
*/
template <class Inner, class... Hs>
class fused {
public:
    static constexpr bool never_throws = true;

    explicit fused(Inner inner, Hs... hooks)
        : inner_(std::move(inner)), hooks_(std::move(hooks)...) {}

    asio::awaitable<response> operator()(context& ctx) {
        std::size_t entered = 0;
        std::optional<response> early = enter<0>(ctx, entered);
        if (early) {
            leave<sizeof...(Hs)>(ctx, *early, entered);
            co_return std::move(*early);
        }
        if constexpr (never_throws_v<Inner>) {
            response res = co_await inner_(ctx);
            leave<sizeof...(Hs)>(ctx, res, sizeof...(Hs));
            co_return res;
        } else {
            std::exception_ptr failure;
            try {
                if constexpr (is_sync_adapter<Inner>) {
                    response res = inner_.invoke(ctx);
                    leave<sizeof...(Hs)>(ctx, res, sizeof...(Hs));
                    co_return res;
                } else {
                    response res = co_await inner_(ctx);
                    leave<sizeof...(Hs)>(ctx, res, sizeof...(Hs));
                    co_return res;
                }
            } catch (...) {
                failure = std::current_exception();
            }
            response res = ctx.render_error(std::move(failure));
            leave<sizeof...(Hs)>(ctx, res, sizeof...(Hs));
            co_return res;
        }
    }

private:
    /// Runs the `before` hooks from layer I in; `entered` ends as the number of layers whose
    /// `before` let the request through. A response is the answer of the layer that stopped it
    /// (its short-circuit, or what it threw, rendered).
    template <std::size_t I>
    std::optional<response> enter(context& ctx, std::size_t& entered) noexcept {
        if constexpr (I == sizeof...(Hs)) {
            return std::nullopt;
        } else {
            auto& hook = std::get<I>(hooks_);
            if constexpr (has_before_hook<std::tuple_element_t<I, std::tuple<Hs...>>>) {
                try {
                    if constexpr (std::is_void_v<decltype(hook.before(ctx))>) {
                        hook.before(ctx);
                    } else {
                        std::optional<response> answer = hook.before(ctx);
                        if (answer)
                            return answer;
                    }
                } catch (...) {
                    return ctx.render_error(std::current_exception());
                }
            }
            entered = I + 1;
            return enter<I + 1>(ctx, entered);
        }
    }

    /// Runs the `after` hooks of the first `entered` layers, innermost first. One that throws
    /// replaces the response with the rendered error, which the layers outside it then see.
    template <std::size_t I>
    void leave(context& ctx, response& res, std::size_t entered) noexcept {
        if constexpr (I > 0) {
            if constexpr (has_after_hook<std::tuple_element_t<I - 1, std::tuple<Hs...>>>) {
                if (I - 1 < entered) {
                    try {
                        std::get<I - 1>(hooks_).after(ctx, res);
                    } catch (...) {
                        res = ctx.render_error(std::current_exception());
                    }
                }
            }
            leave<I - 1>(ctx, res, entered);
        }
    }

    [[no_unique_address]] Inner inner_;
    [[no_unique_address]] std::tuple<Hs...> hooks_;
};

} // namespace rampart::detail

#endif
