#ifndef RAMPART_SQLITE_IMPL_DATABASE_HPP
#define RAMPART_SQLITE_IMPL_DATABASE_HPP

// The bodies of sqlite::database (included at the end of rampart/sqlite/database.hpp).

namespace rampart::sqlite {

inline database::database(database_options options)
    : state_(std::make_shared<detail::lane_state>()) {
    state_->log = std::move(options.log);
    state_->wait = options.open.busy_timeout;
    state_->writes.limit = options.write_queue == 0 ? 1 : options.write_queue;
    state_->reads.limit = options.read_queue == 0 ? 1 : options.read_queue;
    retry_ = options.retry;
    on_call_ = options.on_call;
    std::size_t readers = options.workers == 0 ? 1 : options.workers;
    std::vector<connection> connections;
    connections.reserve(readers + 1 + options.inline_readers);
    try {
        connections.emplace_back(options.path, options.open);
        // Refused before anything reads the file, so no `-shm` is left behind.
        if (!options.open.read_only && !options.migrations.empty() &&
            connections.front().read_only())
            throw error(SQLITE_READONLY, "sqlite: open: " + options.path +
                                             " opened without write access, so its "
                                             "migrations cannot be applied");
        applied_ = migrate(connections.front(), options.migrations);
        // Reader threads' connections, then the inline readers': all query-only, all opened
        // now (never on an I/O thread, never after the file may have gone).
        while (connections.size() < readers + 1 + options.inline_readers) {
            connections.emplace_back(options.path, options.open);
            if (!options.open.read_only)
                connections.back().exec("PRAGMA query_only = ON");
        }
    } catch (const error& e) {
        std::string side = detail::unwritable_side_files(options.path);
        if (side.empty())
            throw;
        throw error(e.extended_code(), std::string(e.what()) + side);
    }
    std::vector<std::unique_ptr<detail::inline_reader>> inline_readers;
    while (connections.size() > readers + 1) {
        inline_readers.push_back(std::make_unique<detail::inline_reader>(
            std::move(connections.back()), options.inline_read_steps));
        connections.pop_back();
    }
    inline_ = detail::inline_readers(std::move(inline_readers));
    threads_.reserve(readers + 1);
    for (auto& c : connections) {
        bool writer = threads_.empty();
        threads_.emplace_back([s = state_, c = std::move(c), writer]() mutable {
            s->work(c, writer ? s->writes : s->reads, writer);
        });
    }
}

inline boost::system::result<std::unique_ptr<database>>
database::try_open(database_options options) {
    return detail::to_result([&] { return std::make_unique<database>(std::move(options)); });
}

inline database::~database() {
    // The readers close first and the writer last: the last connection to close checkpoints
    // the WAL and removes the -wal and -shm files, which connections closing together (each
    // seeing the other still open) would both leave behind.
    inline_.close();
    detail::stop(state_->reads);
    for (std::size_t i = 1; i < threads_.size(); ++i)
        threads_[i].join();
    detail::stop(state_->writes);
    threads_.front().join();
}

inline sqlite::read_stats database::read_stats() const noexcept {
    using r = detail::inline_reader;
    return {inline_.total(&r::answered), inline_.total(&r::blocked), inline_.total(&r::long_reads)};
}

template <class F>
auto database::run(F f, lane where) -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
    // Not a coroutine: without an observer, no frame more than before.
    if (on_call_)
        return run_observed(std::move(f), where);
    return run_unobserved(std::move(f), where);
}

template <class F>
auto database::run_observed(F f, lane where)
    -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
    using R = std::invoke_result_t<F&, connection&>;
    const auto start = std::chrono::steady_clock::now();
    bool threw = true;
    struct tell { // on every way out, exceptions included
        const database* db;
        lane where;
        const bool& threw;
        std::chrono::steady_clock::time_point start;
        ~tell() { db->on_call_({where, threw, std::chrono::steady_clock::now() - start}); }
    } told{this, where, threw, start};
    auto operation = run_unobserved(std::move(f), where); // named: see run_unobserved
    if constexpr (std::is_void_v<R>) {
        co_await std::move(operation);
        threw = false;
    } else {
        R result = co_await std::move(operation);
        threw = false;
        co_return std::move(result);
    }
}

template <class F>
auto database::run_unobserved(F f, lane where)
    -> asio::awaitable<std::invoke_result_t<F&, connection&>> {
    using R = std::invoke_result_t<F&, connection&>;
    if (where == lane::read) {
        if (detail::inline_reader* reader = inline_.claim()) {
            auto outcome = detail::read_inline<R>(*reader, f, *state_);
            if (outcome.answered) {
                if (outcome.failure)
                    std::rethrow_exception(outcome.failure);
                if constexpr (std::is_void_v<R>)
                    co_return;
                else
                    co_return std::move(*outcome.value);
            }
        }
    }
    // The operation is named, not a temporary of the co_await expression: g++ 12 destroys
    // such temporaries twice, which frees what `f` captured (a string) twice.
    auto operation =
        async_run_from(std::move(f), where, detail::lane_clock::now(), asio::use_awaitable);
    if constexpr (std::is_void_v<R>) {
        co_await std::move(operation);
    } else {
        std::optional<R> result = co_await std::move(operation);
        co_return std::move(*result);
    }
}

template <class F, class CompletionToken>
auto database::async_run(F f, lane where, CompletionToken&& token) {
    return async_run_from(std::move(f), where, detail::lane_clock::now(),
                          std::forward<CompletionToken>(token));
}

template <class F, class CompletionToken>
auto database::async_run_from(F f, lane where, detail::lane_clock::time_point queued,
                              CompletionToken&& token) {
    using R = std::invoke_result_t<F&, connection&>;
    detail::lane_queue* q = where == lane::write ? &state_->writes : &state_->reads;
    auto initiate = [s = state_.get(), q, queued](auto handler, F fn) {
        detail::enqueue(*s, *q, std::move(fn), std::move(handler), queued);
    };
    if constexpr (std::is_void_v<R>)
        return asio::async_initiate<CompletionToken, void(std::exception_ptr)>(initiate, token,
                                                                               std::move(f));
    else
        return asio::async_initiate<CompletionToken, void(std::exception_ptr, std::optional<R>)>(
            initiate, token, std::move(f));
}

} // namespace rampart::sqlite

#endif
