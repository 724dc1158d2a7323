#ifndef RAMPART_REDIS_READINESS_HPP
#define RAMPART_REDIS_READINESS_HPP

#include <rampart/redis/client.hpp>
#include <rampart/redis/command.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::redis {

/** A readiness check of a Redis `client` (rampart::readiness_check, for rampart::health):
    ready when `PING` is answered `PONG`. Bounded by the client's own `command_timeout`; while
    the server is down calls fail at once between reconnection attempts, so a probe never adds
    load to a Redis that is coming back. The client must outlive every check.
*/
struct readiness {
    client* redis;

    asio::awaitable<bool> operator()() const {
        auto [ec, answer] =
            co_await redis->async_execute(command{"PING"}, asio::as_tuple(asio::use_awaitable));
        co_return !ec && answer.is_status() && answer.str() == "PONG";
    }
};

} // namespace rampart::redis

#endif
