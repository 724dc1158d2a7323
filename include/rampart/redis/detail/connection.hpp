#ifndef RAMPART_REDIS_DETAIL_CONNECTION_HPP
#define RAMPART_REDIS_DETAIL_CONNECTION_HPP

#include <rampart/redis/circuit_breaker.hpp>
#include <rampart/redis/command.hpp>
#include <rampart/redis/error.hpp>
#include <rampart/redis/options.hpp>
#include <rampart/redis/reply.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::redis::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

/// The wait before reconnect attempt number `failures + 1` (bounded exponential).
inline std::chrono::milliseconds backoff_delay(std::chrono::milliseconds initial,
                                               std::chrono::milliseconds max,
                                               unsigned failures) noexcept {
    if (failures == 0 || initial.count() <= 0)
        return std::chrono::milliseconds{0};
    auto delay = initial;
    for (unsigned i = 1; i < failures && delay < max; ++i)
        delay *= 2;
    return std::min(delay, max);
}

/// Copies a hiredis reply into an owning reply.
inline reply to_reply(const redisReply& r) {
    switch (r.type) {
    case REDIS_REPLY_STRING:
        return reply::make_string(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
        return reply::make_status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
        return reply::make_error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
        return reply::make_integer(static_cast<std::int64_t>(r.integer));
    case REDIS_REPLY_ARRAY: {
        std::vector<reply> elements;
        elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i)
            elements.push_back(to_reply(*r.element[i]));
        return reply::make_array(std::move(elements));
    }
    default:
        return reply::make_nil();
    }
}

struct reader_deleter {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};
struct reply_deleter {
    void operator()(void* r) const noexcept { freeReplyObject(r); }
};

using reply_handler = asio::any_completion_handler<void(error_code, reply)>;

/** The shared state behind a client: one socket, a write queue and the calls awaiting replies.

    Everything here runs on one strand, so callers may submit from any thread of a
    multi-threaded io_context. Commands are pipelined: whatever is queued when the socket is
    free for writing goes out in one write, and replies are matched to calls first in, first
    out. One timer watches the oldest call's deadline (all calls share one timeout, so the
    oldest expires first).

    Every connection starts with `TIME` (after AUTH and SELECT): it proves the server answers
    (a stopped server accepts TCP connections but answers nothing) and tells the offset of the
    server's clock, which calls with a deadline (submit's `stamp_deadline`) need. The circuit
    breaker counts timeouts and failed attempts; while it is open calls fail at once and a
    timer makes a connection attempt every probe interval.
*/
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(asio::any_io_executor ex, options opts)
        : strand_(asio::make_strand(ex)), opts_(std::move(opts)), socket_(strand_),
          resolver_(strand_), timer_(strand_), connect_timer_(strand_), breaker_(opts_.breaker),
          probe_timer_(strand_) {}

    /** Queues `cmd`; `handler` is called once with the reply or the reason there is none.
        With `stamp_deadline`, the moment the command is written one more argument is added:
        the latest time, in microseconds of the server's clock (`TIME`), at which the server
        may still act on it with its reply reaching this client before the call times out
        (server_deadline). A script that checks it never takes effect for a caller who gave up.
    */
    void submit(command cmd, reply_handler handler, bool stamp_deadline = false) {
        auto work = asio::prefer(asio::get_associated_executor(handler, strand_),
                                 asio::execution::outstanding_work.tracked);
        pending p{std::move(cmd), steady::now() + opts_.command_timeout, std::move(handler),
                  std::move(work), stamp_deadline};
        asio::dispatch(strand_, [self = shared_from_this(), p = std::move(p)]() mutable {
            self->enqueue(std::move(p));
        });
    }

    /// Fails every call with error::closed and closes the socket; later calls fail at once.
    void close() {
        asio::dispatch(strand_, [self = shared_from_this()] {
            if (self->closed_)
                return;
            self->closed_ = true;
            self->drop_connection();
            self->timer_.cancel();
            self->probe_timer_.cancel();
            self->fail_all(self->in_flight_, error::closed);
            self->fail_all(self->queue_, error::closed);
        });
    }

    const options& opts() const noexcept { return opts_; }

    const circuit_breaker& breaker() const noexcept { return breaker_; }

private:
    struct pending {
        command cmd;
        steady::time_point deadline;
        reply_handler handler;
        asio::any_completion_executor work;
        bool stamp_deadline = false;
    };
    struct completion {
        reply_handler handler;
        asio::any_completion_executor work;
        error_code ec;
        reply result;
    };
    enum class state { idle, connecting, connected };

    // Completions are never run inline: a caller resuming inside this object could re-enter it
    // while its state is half updated. They are collected and run from a fresh strand handler,
    // each dispatched to its caller's executor (inline when that is this thread's).
    void complete(pending& p, error_code ec, reply r) {
        opts_.on_command({ec, steady::now() - (p.deadline - opts_.command_timeout)});
        completions_.push_back({std::move(p.handler), std::move(p.work), ec, std::move(r)});
        if (completions_posted_)
            return;
        completions_posted_ = true;
        asio::post(strand_, [self = shared_from_this()] { self->run_completions(); });
    }

    void run_completions() {
        completions_posted_ = false;
        std::vector<completion> ready;
        ready.swap(completions_);
        for (auto& c : ready)
            asio::dispatch(c.work,
                           [h = std::move(c.handler), ec = c.ec,
                            r = std::move(c.result)]() mutable { std::move(h)(ec, std::move(r)); });
    }

    void fail_all(std::deque<pending>& q, error_code ec) {
        std::deque<pending> failed = std::move(q);
        q.clear();
        for (auto& p : failed)
            complete(p, ec, {});
    }

    void enqueue(pending p) {
        if (closed_)
            return complete(p, error::closed, {});
        if (breaker_.is_open())
            return complete(p, error::circuit_open, {});
        if (queue_.size() + in_flight_.size() >= opts_.max_pending)
            return complete(p, error::too_many_pending, {});
        if (state_ == state::idle) {
            if (steady::now() < retry_at_)
                return complete(p, attempt_error_, {});
            queue_.push_back(std::move(p));
            start_connect();
        } else {
            queue_.push_back(std::move(p));
            if (state_ == state::connected)
                start_write();
        }
        arm_timer();
    }

    // Closes the current socket (if any) and makes callbacks of it stale.
    void drop_connection() {
        ++generation_;
        error_code ignored;
        socket_.close(ignored);
        resolver_.cancel();
        connect_timer_.cancel();
        writing_ = false;
        state_ = state::idle;
    }

    // The connection broke, or an attempt to make one failed. `working` says whether it was a
    // connection that had been up (retried at once) or a failed attempt (the backoff grows).
    // Calls in flight fail with `in_flight_error`; queued ones are retried on a new connection
    // when no backoff is due, else fail.
    void on_failure(std::uint64_t generation, error_code cause, bool working) {
        if (generation != generation_ || closed_)
            return;
        drop_connection();
        const bool ours = cause.category() == error_category();
        if (working) {
            failures_ = 0;
            retry_at_ = steady::now();
            attempt_error_ = error::unreachable;
        } else {
            ++failures_;
            retry_at_ =
                steady::now() + backoff_delay(opts_.backoff_initial, opts_.backoff_max, failures_);
            // A refused password stays the reason until an attempt gets further.
            attempt_error_ = ours && cause != error::connection_reset
                                 ? static_cast<error>(cause.value())
                                 : error::unreachable;
            if (breaker_.record_failure())
                arm_probe();
        }
        fail_all(in_flight_, ours ? cause : make_error_code(error::connection_lost));
        // Calls not yet sent survive a broken connection (one new attempt at once); after a
        // failed attempt they fail, so that no call waits through a series of attempts.
        if (!queue_.empty()) {
            if (working)
                start_connect();
            else
                fail_all(queue_, attempt_error_);
        }
    }

    void arm_timer() {
        if (timer_armed_ || closed_)
            return;
        const pending* oldest = !in_flight_.empty() ? &in_flight_.front()
                                : !queue_.empty()   ? &queue_.front()
                                                    : nullptr;
        if (!oldest)
            return;
        timer_armed_ = true;
        timer_.expires_at(oldest->deadline);
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            self->timer_armed_ = false;
            if (ec || self->closed_)
                return;
            self->on_timer();
        });
    }

    void on_timer() {
        const auto now = steady::now();
        if (!in_flight_.empty() && in_flight_.front().deadline <= now) {
            // The reply of the expired call may still come; later replies could not be told
            // apart from it, so the connection goes.
            std::deque<pending> expired;
            while (!in_flight_.empty() && in_flight_.front().deadline <= now) {
                expired.push_back(std::move(in_flight_.front()));
                in_flight_.pop_front();
            }
            fail_all(expired, error::timeout);
            // A timeout counts as a failed attempt: a stalled server gets backoff, and calls
            // fail fast meanwhile instead of each waiting out its timeout.
            on_failure(generation_, error::connection_reset, false);
        }
        // Calls still queued (a connection attempt is slow) time out without a reset.
        std::deque<pending> expired;
        while (!queue_.empty() && queue_.front().deadline <= now) {
            expired.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        fail_all(expired, error::timeout);
        arm_timer();
    }

    // While the breaker is open: a connection attempt every probe interval, whether or not
    // anyone calls. The attempt that gets its TIME answered closes the breaker.
    void arm_probe() {
        probe_timer_.expires_after(breaker_.options().probe_interval);
        probe_timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (ec || self->closed_ || !self->breaker_.is_open())
                return;
            self->start_connect();
            self->arm_probe();
        });
    }

    // The server answered: the breaker's count starts again (and an open breaker closes).
    void answered() {
        if (breaker_.consecutive_failures() != 0 || breaker_.is_open())
            if (breaker_.record_success())
                probe_timer_.cancel();
    }

    /// Microseconds of the steady clock, the local side of the server clock offset.
    static std::int64_t steady_us(steady::time_point t) noexcept {
        return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    }

    // Reads the two parts of a TIME reply (seconds, microseconds) received at `received`. The
    // server read its clock before `received`, so `server - received` is a lower bound of the
    // offset: deadlines made with it are early, never late.
    void read_server_time(std::string_view seconds, std::string_view micros,
                          steady::time_point received) {
        std::int64_t parts[2] = {0, 0};
        const std::string_view text[2] = {seconds, micros};
        for (int i = 0; i < 2; ++i) {
            if (text[i].empty() || text[i].size() > 15)
                return;
            for (char c : text[i]) {
                if (c < '0' || c > '9')
                    return;
                parts[i] = parts[i] * 10 + (c - '0');
            }
        }
        server_offset_us_ = parts[0] * 1000000 + parts[1] - steady_us(received);
        offset_measured_at_ = received;
        offset_known_ = true;
    }

    // The deadline stamped on a call that times out at `deadline`: a fifth of the timeout
    // earlier, left for the reply to travel back, on the server's clock. 0 (already passed)
    // when the offset is unknown.
    std::int64_t server_deadline(steady::time_point deadline) const noexcept {
        if (!offset_known_)
            return 0;
        return steady_us(deadline - opts_.command_timeout / 5) + server_offset_us_;
    }

    // Clocks drift apart (NTP slews the server's by up to 0.5 ms a second): calls with a
    // deadline measure the offset again, with a TIME pipelined after them, every 10 s.
    void remeasure_offset() {
        const auto now = steady::now();
        if (now - offset_measured_at_ < std::chrono::seconds{10} || measuring_)
            return;
        measuring_ = true;
        asio::any_completion_executor work =
            asio::prefer(strand_, asio::execution::outstanding_work.tracked);
        in_flight_.push_back({command{"TIME"}, now + opts_.command_timeout,
                              reply_handler{[self = shared_from_this()](error_code ec, reply r) {
                                  self->measuring_ = false;
                                  if (!ec && r.kind() == reply_kind::array &&
                                      r.elements().size() == 2 &&
                                      r.elements()[0].kind() == reply_kind::string &&
                                      r.elements()[1].kind() == reply_kind::string)
                                      self->read_server_time(r.elements()[0].str(),
                                                             r.elements()[1].str(), steady::now());
                              }},
                              std::move(work)});
        command{"TIME"}.encode_to(write_buffer_);
    }

    void start_connect() {
        if (state_ != state::idle || closed_)
            return;
        state_ = state::connecting;
        ++generation_;
        reader_.reset(redisReaderCreate());
        asio::co_spawn(strand_, run_connect(generation_), asio::detached);
    }

    asio::awaitable<void> run_connect(std::uint64_t generation) {
        auto self = shared_from_this();
        using asio::as_tuple;
        using asio::use_awaitable;
        connect_timed_out_ = false;
        connect_timer_.expires_after(opts_.connect_timeout);
        connect_timer_.async_wait([self, generation](error_code ec) {
            if (ec || generation != self->generation_ || self->state_ != state::connecting)
                return;
            self->connect_timed_out_ = true;
            self->resolver_.cancel();
            error_code ignored;
            self->socket_.close(ignored);
        });
        auto failed = [&](error_code ec) {
            if (connect_timed_out_)
                ec = error::unreachable;
            on_failure(generation, ec, false);
        };

        auto [rec, endpoints] = co_await resolver_.async_resolve(
            opts_.host, std::to_string(opts_.port), as_tuple(use_awaitable));
        if (generation != generation_)
            co_return;
        if (rec)
            co_return failed(rec);
        // Each address in turn, by hand: asio::async_connect would go on to the next address
        // after the connect timer closed the socket, with no timer left to stop it.
        error_code cec = asio::error::host_not_found;
        for (const auto& entry : endpoints) {
            error_code ignored_close;
            socket_.close(ignored_close);
            auto [ec] = co_await socket_.async_connect(entry.endpoint(), as_tuple(use_awaitable));
            if (generation != generation_)
                co_return;
            cec = ec;
            if (!cec || connect_timed_out_)
                break;
        }
        if (cec || connect_timed_out_)
            co_return failed(cec);
        error_code ignored;
        socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        socket_.set_option(asio::socket_base::keep_alive(true), ignored);

        // AUTH and SELECT go first; their replies must be good before any call is sent. TIME
        // ends the greeting: any answer to it proves the server is not stalled (an error reply,
        // such as NOAUTH without a password, is left for the calls to meet).
        std::string hello;
        std::vector<error> refusals;
        if (!opts_.password.empty()) {
            if (opts_.username.empty())
                command{"AUTH", opts_.password}.encode_to(hello);
            else
                command{"AUTH", opts_.username, opts_.password}.encode_to(hello);
            refusals.push_back(error::auth_failed);
        }
        if (opts_.db != 0) {
            command{"SELECT", opts_.db}.encode_to(hello);
            refusals.push_back(error::select_failed);
        }
        command{"TIME"}.encode_to(hello);
        refusals.push_back(error{}); // TIME: no refusal
        {
            auto [wec, n] =
                co_await asio::async_write(socket_, asio::buffer(hello), as_tuple(use_awaitable));
            (void)n;
            if (generation != generation_)
                co_return;
            if (wec)
                co_return failed(wec);
            for (error refusal : refusals) {
                std::unique_ptr<void, reply_deleter> raw;
                for (;;) {
                    void* got = nullptr;
                    if (redisReaderGetReply(reader_.get(), &got) != REDIS_OK)
                        co_return failed(error::protocol_error);
                    if (got) {
                        raw.reset(got);
                        break;
                    }
                    auto [rdec, m] = co_await socket_.async_read_some(asio::buffer(read_buffer_),
                                                                      as_tuple(use_awaitable));
                    if (generation != generation_)
                        co_return;
                    if (rdec)
                        co_return failed(rdec);
                    redisReaderFeed(reader_.get(), read_buffer_.data(), m);
                }
                const auto& got = *static_cast<redisReply*>(raw.get());
                if (got.type == REDIS_REPLY_ERROR && refusal != error{})
                    co_return failed(refusal);
                if (refusal == error{} && got.type == REDIS_REPLY_ARRAY && got.elements == 2 &&
                    got.element[0]->type == REDIS_REPLY_STRING &&
                    got.element[1]->type == REDIS_REPLY_STRING)
                    read_server_time({got.element[0]->str, got.element[0]->len},
                                     {got.element[1]->str, got.element[1]->len}, steady::now());
            }
            // A reply beyond the greeting's was asked for by nobody: the stream is out of step.
            void* extra = nullptr;
            const bool broken = redisReaderGetReply(reader_.get(), &extra) != REDIS_OK;
            std::unique_ptr<void, reply_deleter> unsolicited(extra);
            if (broken || unsolicited)
                co_return failed(error::protocol_error);
        }
        connect_timer_.cancel();
        state_ = state::connected;
        failures_ = 0;
        answered();
        start_read(generation);
        start_write();
    }

    void start_write() {
        if (writing_ || state_ != state::connected || queue_.empty())
            return;
        write_buffer_.clear();
        bool stamped = false;
        while (!queue_.empty()) {
            pending& p = queue_.front();
            if (p.stamp_deadline) {
                p.cmd.arg(server_deadline(p.deadline));
                stamped = true;
            }
            p.cmd.encode_to(write_buffer_);
            in_flight_.push_back(std::move(p));
            queue_.pop_front();
        }
        if (stamped)
            remeasure_offset();
        writing_ = true;
        asio::async_write(socket_, asio::buffer(write_buffer_),
                          [self = shared_from_this(), g = generation_](error_code ec, std::size_t) {
                              if (g != self->generation_)
                                  return;
                              self->writing_ = false;
                              if (ec)
                                  return self->on_failure(g, ec, true);
                              self->start_write();
                          });
    }

    void start_read(std::uint64_t generation) {
        socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this(), generation](
                                                                error_code ec, std::size_t n) {
            if (generation != self->generation_)
                return;
            if (ec)
                return self->on_failure(generation, ec, true);
            self->on_data(generation, n);
        });
    }

    void on_data(std::uint64_t generation, std::size_t n) {
        if (redisReaderFeed(reader_.get(), read_buffer_.data(), n) != REDIS_OK)
            return on_failure(generation, error::protocol_error, true);
        for (;;) {
            void* got = nullptr;
            if (redisReaderGetReply(reader_.get(), &got) != REDIS_OK)
                return on_failure(generation, error::protocol_error, true);
            if (!got)
                break;
            std::unique_ptr<void, reply_deleter> raw(got);
            if (in_flight_.empty()) // a reply nobody asked for: the stream is out of step
                return on_failure(generation, error::protocol_error, true);
            pending p = std::move(in_flight_.front());
            in_flight_.pop_front();
            reply r = to_reply(*static_cast<const redisReply*>(raw.get()));
            raw.reset();
            complete(p, {}, std::move(r));
        }
        answered();
        start_read(generation);
    }

    asio::strand<asio::any_io_executor> strand_;
    options opts_;
    asio::ip::tcp::socket socket_;
    asio::ip::tcp::resolver resolver_;
    asio::steady_timer timer_;
    asio::steady_timer connect_timer_;
    circuit_breaker breaker_;
    asio::steady_timer probe_timer_;
    std::int64_t server_offset_us_ = 0; // server clock minus steady clock, a lower bound
    steady::time_point offset_measured_at_{};
    bool offset_known_ = false;
    bool measuring_ = false;
    std::unique_ptr<redisReader, reader_deleter> reader_;
    std::array<char, 16384> read_buffer_{};
    std::string write_buffer_;
    std::deque<pending> queue_;     // not yet written
    std::deque<pending> in_flight_; // written (or being written), awaiting replies in order
    std::vector<completion> completions_;
    bool completions_posted_ = false;
    state state_ = state::idle;
    std::uint64_t generation_ = 0;
    unsigned failures_ = 0;
    steady::time_point retry_at_{};
    error attempt_error_ = error::unreachable; // what calls get while the backoff runs
    bool writing_ = false;
    bool timer_armed_ = false;
    bool connect_timed_out_ = false;
    bool closed_ = false;
};

} // namespace rampart::redis::detail

#endif
