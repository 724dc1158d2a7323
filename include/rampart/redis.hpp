#ifndef RAMPART_REDIS_HPP
#define RAMPART_REDIS_HPP

#include <rampart/redis/bucket_store.hpp>
#include <rampart/redis/client.hpp>
#include <rampart/redis/command.hpp>
#include <rampart/redis/error.hpp>
#include <rampart/redis/fail_policy.hpp>
#include <rampart/redis/io_thread.hpp>
#include <rampart/redis/options.hpp>
#include <rampart/redis/readiness.hpp>
#include <rampart/redis/reply.hpp>
#include <rampart/redis/script.hpp>
#include <rampart/redis/token_store.hpp>

#endif
