#ifndef RAMPART_ERRORS_ENVELOPE_HPP
#define RAMPART_ERRORS_ENVELOPE_HPP

#include <rampart/core/middleware.hpp>
#include <rampart/errors/format.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <utility>

namespace rampart {

/// Called once for each error that becomes a 500, with the real cause. The client never sees it.
using internal_error_log = std::function<void(std::exception_ptr, const context&)>;

/// Writes `rampart: internal error on METHOD /path: what()` to stderr.
inline void log_to_stderr(std::exception_ptr e, const context& ctx) {
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        what = ex.what();
    } catch (...) {
    }
    std::cerr << "rampart: internal error on " << ctx.req().method_string() << ' ' << ctx.path()
              << ": " << what << '\n';
}

/** The error envelope: every error, from any layer, in one shape.

    Put it outermost. It installs itself as the context's error sink, so an http_error thrown by
    any layer (inside or outside it) renders with `Format`, and any other exception becomes a
    500 whose cause goes to the log hook and never to the client. The hook also sees http_errors
    of status 500 and above, except 503 (a dependency's outage, reported once by whoever saw it).
*/
template <error_format Format = envelope_format>
class error_envelope {
public:
    explicit error_envelope(Format format = {}, internal_error_log log = &log_to_stderr)
        : state_(std::make_shared<state>(state{std::move(format), std::move(log)})) {}

    template <class Next>
    asio::awaitable<response> operator()(context& ctx, Next& next) {
        ctx.set_error_sink(&sink, state_.get());
        co_return co_await next(ctx);
    }

    /// Renders one exception the way this envelope does (what the sink calls).
    response render(std::exception_ptr e, const context& ctx) const {
        return sink(state_.get(), std::move(e), ctx);
    }

private:
    struct state {
        Format format;
        internal_error_log log;
    };

    static response sink(const void* self, std::exception_ptr e, const context& ctx) {
        const auto& s = *static_cast<const state*>(self);
        try {
            std::rethrow_exception(e);
        } catch (const http_error& err) {
            // A 503 is a known, already-reported condition (a store logs its outage once);
            // logging it per request would flood the log during an outage.
            if (err.status_code() >= 500 && err.status() != http::status::service_unavailable &&
                s.log)
                s.log(std::current_exception(), ctx);
            return s.format(err);
        } catch (...) {
            if (s.log) {
                try {
                    s.log(std::current_exception(), ctx);
                } catch (...) {
                }
            }
            return s.format(internal_error{});
        }
    }

    std::shared_ptr<const state> state_;
};

static_assert(middleware<error_envelope<>>);

} // namespace rampart

#endif
