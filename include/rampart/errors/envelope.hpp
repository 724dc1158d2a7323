#ifndef RAMPART_ERRORS_ENVELOPE_HPP
#define RAMPART_ERRORS_ENVELOPE_HPP

#include <rampart/core/log.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/errors/format.hpp>

#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

namespace rampart {

/// The older shape of the 500 hook, `(cause, request)`; error_envelope still accepts it, but
/// any log_sink is the hook now (it gets the cause and the request in the record).
using internal_error_log = std::function<void(std::exception_ptr, const context&)>;

/** The error envelope: every error, from any layer, in one shape.

    Put it outermost. It installs itself as the context's error sink, so an http_error thrown by
    any layer (inside or outside it) renders with `Format`, and any other exception becomes a
    500 whose cause goes to the log sink and never to the client. The sink also sees http_errors
    of status 500 and above, except 503 (a dependency's outage, reported once by whoever saw it).
    Each such record has level error, source `"errors"`, the request, the exception, and the
    line `rampart: internal error on METHOD /path: <what()>`. The default sink is stderr_sink;
    an empty one (`{}`) logs nothing.

    It costs no coroutine frame of its own in a stack: it never throws (so no guard goes outside
    it) and hands the request to the guard behind it, which catches for it. Only when what
    follows declares never_throws (so has no guard) does it catch in a frame of its own, so that
    even a layer that throws despite the declaration is answered in `Format`.
*/
template <error_format Format = envelope_format>
class error_envelope {
public:
    static constexpr bool never_throws = true;

    explicit error_envelope(Format format = {}, log_sink log = stderr_sink{})
        : state_(std::make_shared<state>(state{std::move(format), std::move(log)})) {}

    /// The older hook shape, called with the cause and the request of each 500.
    template <class F>
    requires std::invocable<F&, std::exception_ptr, const context&> error_envelope(Format format,
                                                                                   F hook)
        : error_envelope(std::move(format), old_hook(std::move(hook))) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        ctx.set_error_sink(&sink, state_.get(), &render_direct);
        if constexpr (detail::is_guard<Next>)
            return next(ctx); // not a coroutine: the guard's frame catches for this layer
        else
            return caught(ctx, next);
    }

    /// Renders one exception the way this envelope does (what the sink calls).
    response render(std::exception_ptr e, const context& ctx) const {
        return sink(state_.get(), std::move(e), ctx);
    }

private:
    struct state {
        Format format;
        log_sink log;
    };

    /// `next(ctx)`, with what it throws rendered (through the sink just installed).
    template <class Next>
    static asio::awaitable<response> caught(context& ctx, Next& next) {
        try {
            co_return co_await next(ctx);
        } catch (...) {
            co_return ctx.render_error(std::current_exception());
        }
    }

    template <class F>
    static log_sink old_hook(F hook) {
        if (detail::is_empty_callable(hook))
            return {};
        return [hook = std::move(hook)](const log_record& record) mutable {
            if (record.request)
                hook(record.error, *record.request);
        };
    }

    /// Whether the log sink hears of `err`. A 503 is a known, already-reported condition (a
    /// store logs its outage once); logging it per request would flood the log in an outage.
    static bool logged(const http_error& err) noexcept {
        return err.status_code() >= 500 && err.status() != http::status::service_unavailable;
    }

    static response sink(const void* self, std::exception_ptr e, const context& ctx) {
        const auto& s = *static_cast<const state*>(self);
        try {
            std::rethrow_exception(e);
        } catch (const http_error& err) {
            if (logged(err) && s.log)
                detail::log_internal_error(s.log, ctx, std::current_exception());
            return s.format(err);
        } catch (...) {
            if (s.log)
                detail::log_internal_error(s.log, ctx, std::current_exception());
            return s.format(internal_error{});
        }
    }

    /// An error that was never thrown: formatted as sink() formats it, without the throw.
    /// What must be logged, or is not an http_error, takes sink()'s path, unchanged.
    static response render_direct(const void* self, const renderable_error& e,
                                  context::exception_maker make, const context& ctx) {
        const auto& s = *static_cast<const state*>(self);
        const auto* err = dynamic_cast<const http_error*>(&e);
        if (err && !(logged(*err) && s.log))
            return s.format(*err);
        return sink(self, make(e), ctx);
    }

    std::shared_ptr<const state> state_;
};

static_assert(middleware<error_envelope<>>);

} // namespace rampart

#endif
