#ifndef RAMPART_CORE_CONTEXT_HPP
#define RAMPART_CORE_CONTEXT_HPP

#include <rampart/core/log.hpp>
#include <rampart/core/renderable_error.hpp>
#include <rampart/core/request_id.hpp>
#include <rampart/core/types.hpp>
#include <rampart/detail/ascii.hpp>

#include <boost/json/object.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rampart {

class context;

namespace detail {
template <class Sink>
void log_internal_error(const Sink& sink, const context& ctx, std::exception_ptr e);
} // namespace detail

/** `text` as an integer `T` when it is all of one decimal integer that fits: an optional '-'
    (signed types only), then digits. A '+', spaces, other text or a value out of range give
    nullopt, never a wrapped or partial value. Route parameters and integer user ids use it.
*/
template <std::integral T>
std::optional<T> parse_integer(std::string_view text) noexcept {
    return detail::parse_integer<T>(text);
}

/// Who made the request, as far as authentication has decided.
struct principal {
    /// The user's id as text; empty while anonymous.
    std::string user_id;
    /// The verified token's claims (empty for other schemes).
    boost::json::object claims;

    bool authenticated() const noexcept { return !user_id.empty(); }

    /// The user's id as an integer `T` (for services whose ids are integers), or nullopt when
    /// anonymous or when the id is not all of one decimal integer that fits `T`.
    template <std::integral T>
    std::optional<T> user_id_as() const noexcept {
        return rampart::parse_integer<T>(user_id);
    }
};

/// A route parameter, already percent-decoded.
struct route_param {
    std::string name;
    std::string value;
};

/** What context::param<T>() reads a route parameter as: an integer type (not `bool` and not a
    character type such as `char`; `std::int8_t` is fine), `std::string_view` or `std::string`.
*/
template <class T>
concept route_param_type = std::same_as<T, std::string_view> || std::same_as<T, std::string> ||
    (std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
     !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> && !std::same_as<T, char16_t> &&
     !std::same_as<T, char32_t>);

/** Everything one request carries through the layers.

    The request itself, the peer, and the state later layers fill in: the API version the router
    chose, route parameters, the principal authentication established, the key throttles count
    against, and typed extension slots for anything else. One context lives for one request.
*/
class context {
public:
    /// Turns an exception escaping a layer into a response (see set_error_sink).
    using error_sink = response (*)(const void* self, std::exception_ptr, const context&);

    /// Makes the exception_ptr of an error that was built but never thrown.
    using exception_maker = std::exception_ptr (*)(const renderable_error&) noexcept;

    /// Renders an error that was built but never thrown (see render_error(const E&)). It calls
    /// `make` only when it needs the exception itself (to log it, or for a sink that only
    /// knows exceptions).
    using error_renderer = response (*)(const void* self, const renderable_error&,
                                        exception_maker make, const context&);

    explicit context(request req, asio::ip::tcp::endpoint peer = {})
        : req_(std::move(req)), peer_(std::move(peer)) {}

    context(const context&) = delete;
    context& operator=(const context&) = delete;

    request& req() noexcept { return req_; }
    const request& req() const noexcept { return req_; }

    /// The socket peer. Behind proxies the client's address is not this; see the throttle's
    /// client IP resolver.
    const asio::ip::tcp::endpoint& peer() const noexcept { return peer_; }

    /// The request target up to `?`, still percent-encoded.
    std::string_view path() const noexcept {
        std::string_view t = target();
        return t.substr(0, t.find('?'));
    }

    /// The query string after `?` (empty when none), still percent-encoded.
    std::string_view query() const noexcept {
        std::string_view t = target();
        auto q = t.find('?');
        return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
    }

    std::string_view target() const noexcept {
        auto t = req_.target();
        return {t.data(), t.size()};
    }

    /// The API version the router chose (`"v1"`), empty before routing.
    std::string_view version() const noexcept { return version_; }
    void set_version(std::string_view v) { version_.assign(v); }

    /// The pattern of the route that matched (`"/products/{id:int}/"`), empty before routing
    /// and when no route matched. Metrics and logs label by it, never by the raw path, so their
    /// label sets stay bounded. The text must outlive the request: the router's patterns do.
    std::string_view route_template() const noexcept { return route_template_; }
    void set_route_template(std::string_view pattern) noexcept { route_template_ = pattern; }

    /// The request's id (`X-Request-ID`): the client's when it sent a sane one, else one the
    /// server made; the server echoes it in the response and the access log records it. Empty
    /// outside a server, or when the server's request ids are off.
    std::string_view request_id() const noexcept { return request_id_.view(); }
    void set_request_id(const rampart::request_id& id) noexcept { request_id_ = id; }
    /// When timing this request began: set by the first layer that times it (the access log,
    /// metrics), the epoch before. Kept here so that a hook layer can time what runs inside it,
    /// and so that layers timing the same request on the system clock read it once, not each.
    std::chrono::system_clock::time_point started_at() const noexcept { return started_at_; }
    void set_started_at(std::chrono::system_clock::time_point t) noexcept { started_at_ = t; }

    /// When the innermost timing layer saw the answer, the epoch before: an outer layer timing
    /// the same request on the system clock takes it instead of reading the clock again.
    std::chrono::system_clock::time_point answered_at() const noexcept { return answered_at_; }
    void set_answered_at(std::chrono::system_clock::time_point t) noexcept { answered_at_ = t; }

    const std::vector<route_param>& params() const noexcept { return params_; }
    void add_param(std::string name, std::string value) {
        params_.push_back({std::move(name), std::move(value)});
    }
    void clear_params() noexcept { params_.clear(); }
    /// Room for `n` parameters, so that adding a route's parameters allocates once.
    void reserve_params(std::size_t n) { params_.reserve(n); }

    /// The decoded value of a route parameter, or nullopt.
    std::optional<std::string_view> param(std::string_view name) const noexcept {
        for (const auto& p : params_)
            if (p.name == name)
                return std::string_view{p.value};
        return std::nullopt;
    }

    /** The route parameter `name` as a `T`, or nullopt when there is none or it does not fit.

        An integer is read whole, in decimal, with std::from_chars: an optional '-' (signed types
        only), then digits; leading zeros are allowed (`007` is 7); a '+', spaces, other text or
        a value out of `T`'s range give nullopt, never a wrapped or partial value. A `{id:int}`
        segment that does not fit an int64 never reaches a handler (the route does not match:
        404), so `param<std::int64_t>` on it is always set; a narrower `T` can still be nullopt.
        `std::string_view` and `std::string` give the decoded text, as param(name) does.

        Throws: std::bad_alloc, for `T = std::string` only.
    */
    template <route_param_type T>
    std::optional<T> param(std::string_view name) const {
        std::optional<std::string_view> text = param(name);
        if constexpr (std::same_as<T, std::string_view>) {
            return text;
        } else if constexpr (std::same_as<T, std::string>) {
            return text ? std::optional<T>(std::string(*text)) : std::nullopt;
        } else {
            return text ? rampart::parse_integer<T>(*text) : std::nullopt;
        }
    }

    rampart::principal& principal() noexcept { return principal_; }
    const rampart::principal& principal() const noexcept { return principal_; }

    /// The key throttles count anonymous requests against (the client IP, once resolved).
    std::string& client_key() noexcept { return client_key_; }
    const std::string& client_key() const noexcept { return client_key_; }

    /// Stores a `T` in this request's extension slots, replacing any earlier one.
    template <class T, class... Args>
    T& emplace(Args&&... args) {
        std::unique_ptr<T> owned;
        if constexpr (std::is_constructible_v<T, Args&&...>)
            owned.reset(new T(std::forward<Args>(args)...));
        else // an aggregate, for compilers without parenthesized aggregate initialisation
            owned.reset(new T{std::forward<Args>(args)...});
        T& ref = *owned;
        for (auto& s : slots_)
            if (s.key == key_of<T>()) {
                s.value = slot_ptr(owned.release(), &destroy<T>);
                return ref;
            }
        slots_.push_back({key_of<T>(), slot_ptr(owned.release(), &destroy<T>)});
        return ref;
    }

    /// The `T` stored with emplace, or nullptr.
    template <class T>
    T* find() noexcept {
        for (auto& s : slots_)
            if (s.key == key_of<T>())
                return static_cast<T*>(s.value.get());
        return nullptr;
    }
    template <class T>
    const T* find() const noexcept {
        return const_cast<context*>(this)->find<T>();
    }

    /** Installs how escaping exceptions become responses. The error envelope middleware sets
        itself here so that every layer, inside or outside it, renders errors the same way.

        `direct`, when given, renders errors that were never thrown (render_error(const E&))
        exactly as `sink` renders them thrown; without it such an error is made an exception
        and handed to `sink`.
    */
    void set_error_sink(error_sink sink, const void* self,
                        error_renderer direct = nullptr) noexcept {
        sink_ = sink;
        direct_ = direct;
        sink_self_ = self;
    }

    /// Renders an exception as an error response. Never throws.
    response render_error(std::exception_ptr e) const noexcept {
        try {
            return sink_(sink_self_, std::move(e), *this);
        } catch (...) {
            return default_sink(nullptr, std::current_exception(), *this);
        }
    }

    /// Renders an error without throwing it: the response (status, headers, body) and the log
    /// record `render_error(std::make_exception_ptr(e))` gives, through the installed sink. For
    /// layers that refuse requests on a hot path (the router's 404 and 405): a C++ exception
    /// costs microseconds, this costs the rendering. `E` is the type a sink or log hook sees, so
    /// pass the most derived one. Never throws.
    template <std::derived_from<renderable_error> E>
    response render_error(const E& e) const noexcept {
        try {
            if (direct_)
                return direct_(sink_self_, e, &exception_of<E>, *this);
            return sink_(sink_self_, exception_of<E>(e), *this);
        } catch (...) {
            return default_sink(nullptr, std::current_exception(), *this);
        }
    }

    /** The default when no error sink is installed: a renderable_error (every `http_error`)
        as its default_response(), anything else as a fixed 500 envelope whose cause goes to
        stderr (stderr_sink) and never to the client. The error envelope installs a sink that
        renders with its own format and log hook instead.
    */
    static response default_sink(const void*, std::exception_ptr e, const context& ctx) noexcept {
        try {
            try {
                std::rethrow_exception(e);
            } catch (const renderable_error& err) {
                return err.default_response();
            } catch (...) {
                detail::log_internal_error(stderr_sink{}, ctx, std::current_exception());
            }
        } catch (...) {
        }
        return internal_error_response();
    }

    /// The default for errors that were never thrown: default_sink's answer, without a throw.
    static response default_renderer(const void*, const renderable_error& e, exception_maker,
                                     const context&) noexcept {
        try {
            return e.default_response();
        } catch (...) {
            return internal_error_response();
        }
    }

private:
    template <class E>
    static std::exception_ptr exception_of(const renderable_error& e) noexcept {
        return std::make_exception_ptr(static_cast<const E&>(e));
    }

    /// The 500 every unknown exception becomes, byte for byte the envelope's `internal_error`.
    static response internal_error_response() noexcept {
        try {
            response res{http::status::internal_server_error, 11};
            res.set(http::field::content_type, "application/json");
            res.set(http::field::cache_control, "no-store");
            res.body() =
                R"({"status":"error","code":500,"errors":{"detail":"A server error occurred."}})";
            res.prepare_payload();
            return res;
        } catch (...) {
            return response{http::status::internal_server_error, 11};
        }
    }

    using slot_ptr = std::unique_ptr<void, void (*)(void*)>;
    struct slot {
        const void* key;
        slot_ptr value;
    };

    template <class T>
    static const void* key_of() noexcept {
        static constexpr char key = 0;
        return &key;
    }
    template <class T>
    static void destroy(void* p) noexcept {
        delete static_cast<T*>(p);
    }

    request req_;
    asio::ip::tcp::endpoint peer_;
    std::string version_;
    std::string_view route_template_;
    rampart::request_id request_id_;
    std::chrono::system_clock::time_point started_at_{};
    std::chrono::system_clock::time_point answered_at_{};
    std::vector<route_param> params_;
    rampart::principal principal_;
    std::string client_key_;
    std::vector<slot> slots_;
    error_sink sink_ = &default_sink;
    error_renderer direct_ = &default_renderer;
    const void* sink_self_ = nullptr;
};

namespace detail {

/// Logs the cause of a 500 to `sink` as `rampart: internal error on METHOD /path: <what()>`
/// (level error, source "errors", with the request and the exception). The path is the raw
/// target's, which the HTTP parser admits no control byte into. Never throws.
template <class Sink>
void log_internal_error(const Sink& sink, const context& ctx, std::exception_ptr e) {
    try {
        std::string line = "rampart: internal error on ";
        line += ctx.req().method_string();
        line += ' ';
        line += ctx.path();
        line += ": ";
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            line += ex.what();
        } catch (...) {
            line += "unknown exception";
        }
        sink(log_record{log_level::error, "errors", line, &ctx, std::move(e)});
    } catch (...) {
    }
}

} // namespace detail

} // namespace rampart

#endif
