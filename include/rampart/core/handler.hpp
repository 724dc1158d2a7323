#ifndef RAMPART_CORE_HANDLER_HPP
#define RAMPART_CORE_HANDLER_HPP

#include <rampart/core/context.hpp>

#include <boost/beast/http/empty_body.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

namespace rampart {

/// A handler turns a request's context into a response, asynchronously.
template <class H>
concept handler = requires(H& h, context& ctx) {
    { h(ctx) } -> std::same_as<asio::awaitable<response>>;
};

/** True when `T` (a handler or a middleware) declares that calling it never throws:
    `static constexpr bool never_throws = true;`. The composition reads it at compile time and
    puts no exception guard (no coroutine frame) behind a layer or handler that declares it.

    Declare it only where nothing can throw: not even a response header that allocates. An
    exception from a type that declared it anyway skips the response work of the layers outside
    it up to the nearest guard (the server still answers 500).
*/
template <class T>
inline constexpr bool never_throws_v = requires {
    requires T::never_throws;
};

/// A synchronous handler: `response(context&)`.
template <class F>
concept sync_handler = !handler<F> && requires(F & f, context& ctx) {
    { f(ctx) } -> std::convertible_to<response>;
};

namespace detail {

template <class T>
struct is_beast_response : std::false_type {};
template <class Body, class Fields>
struct is_beast_response<http::response<Body, Fields>> : std::true_type {};

template <class R>
response to_response(R&& r) {
    using T = std::remove_cvref_t<R>;
    if constexpr (std::is_same_v<T, response>) {
        return std::forward<R>(r);
    } else {
        // Another Beast body (empty_body, ...): keep status and headers, carry no body.
        static_assert(std::is_same_v<typename T::body_type, http::empty_body>,
                      "rampart wraps Beast handlers whose responses use string_body or empty_body");
        response out{std::move(r.base())};
        out.content_length(0);
        return out;
    }
}

} // namespace detail

/// A plain Beast-style function: `http::response<Body>(const request&)` (or `request&&`).
template <class F>
concept beast_handler = !handler<F> && !sync_handler<F> && requires(F & f, request& req) {
    requires detail::is_beast_response<std::remove_cvref_t<decltype(f(std::move(req)))>>::value;
};

/** Anything make_handler turns into a handler: an asynchronous handler, a synchronous one, or a
    Beast-style function. Route registration (`get`, `post`, `route`, ...) requires it, so a
    wrong handler is reported at the line that registers it.
*/
template <class F>
concept handler_like = handler<F> || sync_handler<F> || beast_handler<F>;

/// Runs a synchronous handler inside the asynchronous pipeline, unchanged.
template <class F>
class sync_adapter {
public:
    static constexpr bool never_throws = never_throws_v<F>;

    explicit sync_adapter(F f) : f_(std::move(f)) {}
    asio::awaitable<response> operator()(context& ctx) { co_return invoke(ctx); }

    /// Calls the function in the caller's own frame: what a guard or fused layers do instead of
    /// awaiting a coroutine of its own.
    response invoke(context& ctx) { return f_(ctx); }

private:
    F f_;
};

/// Runs a Beast-style `response(request)` function unchanged. It receives the request by
/// value-category it asks for; a function taking `request&&` gets the context's request moved in.
template <class F>
class beast_adapter {
public:
    static constexpr bool never_throws = never_throws_v<F>;

    explicit beast_adapter(F f) : f_(std::move(f)) {}
    asio::awaitable<response> operator()(context& ctx) { co_return invoke(ctx); }

    /// Calls the function in the caller's own frame (see sync_adapter::invoke).
    response invoke(context& ctx) {
        if constexpr (std::is_invocable_v<F&, const request&>)
            return detail::to_response(f_(std::as_const(ctx.req())));
        else
            return detail::to_response(f_(std::move(ctx.req())));
    }

private:
    F f_;
};

namespace detail {
/// The adapters of synchronous functions, which a guard or fused layers call without a frame.
template <class H>
inline constexpr bool is_sync_adapter = false;
template <class F>
inline constexpr bool is_sync_adapter<sync_adapter<F>> = true;
template <class F>
inline constexpr bool is_sync_adapter<beast_adapter<F>> = true;
} // namespace detail

/// Makes a handler of anything rampart can run: an asynchronous handler is returned as is, a
/// synchronous one or a Beast-style function is adapted without changing it.
template <class F>
auto make_handler(F f) {
    if constexpr (handler<F>)
        return f;
    else if constexpr (sync_handler<F>)
        return sync_adapter<F>(std::move(f));
    else if constexpr (beast_handler<F>)
        return beast_adapter<F>(std::move(f));
    else
        static_assert(handler<F>, "not a handler: expected (context&) -> awaitable<response>, "
                                  "(context&) -> response, or response(request)");
}

} // namespace rampart

#endif
