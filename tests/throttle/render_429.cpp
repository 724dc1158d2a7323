// The limiter renders its 429 with context::render_error instead of throwing it. What a client
// receives must be the bytes the thrown `throttled` gives through the same envelope and format,
// plus the limiter's RateLimit headers, as they were added to the thrown error's response.

#include <rampart/throttle/limiter.hpp>

#include <rampart/core/response.hpp>
#include <rampart/errors/envelope.hpp>
#include <rampart/throttle/memory_store.hpp>

#include "errors/wire.hpp"
#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

using namespace rampart;
using namespace rampart::throttle;
using namespace std::chrono_literals;

namespace {

using store_type = memory_store<clock_ref<manual_clock>>;

response send(auto& h) {
    context ctx{test::make_request(http::verb::get, "/api/products/"),
                {asio::ip::make_address("203.0.113.7"), 50000}};
    return test::run(h(ctx));
}

// The reference: the same refusal, thrown to the stack's error sink as the limiter used to.
struct throws_throttled {
    std::chrono::seconds wait;
    asio::awaitable<response> operator()(context&) const {
        throw throttled(wait);
        co_return response{};
    }
};

// `stack(layers...)` with a limiter of `r`, spent until it refuses; the refusal must equal the
// thrown `throttled` through `stack(layers...)`, with the RateLimit headers the limiter sets.
template <class... Layers>
void compare(rate r, Layers... layers) {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    auto limited = stack(layers..., limiter{store, anonymous(r)}).wrap([](context&) {
        return text_response(http::status::ok, "ok");
    });
    response refused;
    for (int i = 0; i <= static_cast<int>(r.tokens); ++i)
        refused = send(limited);
    REQUIRE(refused.result() == http::status::too_many_requests);

    // The decision the limiter saw: asking again at the same instant spends nothing.
    bucket_decision d = store.try_take("anon|ip:203.0.113.7", r, 1);
    REQUIRE_FALSE(d.allowed);
    auto thrown = stack(layers...).wrap(throws_throttled{seconds_up(d.retry_after, 1s)});
    response expected = send(thrown);
    expected.set("RateLimit-Policy", policy_field("anon", r));
    expected.set("RateLimit", limit_field("anon", r, d));
    CHECK(test::wire(refused) == test::wire(expected));
}

} // namespace

TEST_CASE("limiter: the 429 rendered without a throw is the bytes of the thrown one",
          "[throttle][limiter]") {
    for (rate r : {rate{3, 1min}, rate{3, 10s}, rate{50, 1s}, rate{1, 24h}}) {
        INFO(r.tokens << " per " << r.period.count() << " ns");
        compare(r, error_envelope<>{envelope_format{}, {}});
        compare(r, error_envelope<problem_format>{problem_format{}, {}});
        compare(r); // no envelope: the context's default rendering
    }
}

TEST_CASE("limiter: called with no guard around it, the 429 is returned, not thrown",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type store{clock_ref{clock}};
    auto ok = [](context&) -> asio::awaitable<response> {
        co_return text_response(http::status::ok, "ok");
    };
    // A layered limiter is the limiter and its rest, with nothing catching outside it: a thrown
    // refusal would escape send().
    layered direct{limiter{store, anonymous(rate{1, 1min})}, ok};
    CHECK(send(direct).result() == http::status::ok);
    response refused = send(direct);
    CHECK(refused.result() == http::status::too_many_requests);
    CHECK(refused["Retry-After"] == "60");
    CHECK(refused["RateLimit"] == R"("anon";r=0;t=60)");
}

namespace {

// A shared store that is down: every take fails with the 503 a fail-closed Redis store throws.
struct down_store {
    int refunds = 0;
    asio::awaitable<bucket_decision> take(std::string_view, const rate&, std::uint64_t) {
        throw service_unavailable{"Rate limit store unavailable.", std::chrono::seconds{5}};
        co_return bucket_decision{};
    }
    asio::awaitable<void> refund(std::string_view, const rate&, std::uint64_t) {
        ++refunds;
        co_return;
    }
};

} // namespace

// It never throws, so the composition puts no guard outside it.
static_assert(never_throws_v<limiter<store_type, rule<keys::anonymous_client_ip>>>);
static_assert(
    std::is_same_v<decltype(stack(std::declval<limiter<down_store, rule<keys::client_ip>>>())
                                .wrap(std::declval<throws_throttled>())),
                   layered<limiter<down_store, rule<keys::client_ip>>, throws_throttled>>);

TEST_CASE("limiter: a store's failure is answered by the limiter, the bytes a guard gives",
          "[throttle][limiter]") {
    manual_clock clock;
    store_type memory{clock_ref{clock}};
    down_store down;
    auto ok = [](context&) -> asio::awaitable<response> {
        co_return text_response(http::status::ok, "ok");
    };
    // The memory store admits, the down store fails: the first token is given back.
    auto nested =
        stack(error_envelope<>{envelope_format{}, {}}, limiter{memory, per_ip("a", rate{5, 1min})},
              limiter{down, per_ip("b", rate{5, 1min})})
            .wrap(ok);
    response res = send(nested);
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(memory.try_take("a|ip:203.0.113.7", rate{5, 1min}, 0).remaining == 5);
    // The reference: the same error thrown to the envelope's guard, through the outer limiter.
    auto thrown =
        stack(error_envelope<>{envelope_format{}, {}}, limiter{memory, per_ip("a", rate{5, 1min})})
            .wrap([](context&) -> asio::awaitable<response> {
                throw service_unavailable{"Rate limit store unavailable.", std::chrono::seconds{5}};
                co_return response{};
            });
    response expected = send(thrown);
    // All but the count left in "a" (the reference's token is not given back).
    res.set("RateLimit", "*");
    expected.set("RateLimit", "*");
    CHECK(test::wire(res) == test::wire(expected));

    // Called with nothing around it, the failure is returned, not thrown.
    layered direct{limiter{down, per_ip("b", rate{5, 1min})}, ok};
    CHECK(send(direct).result() == http::status::service_unavailable);
}
