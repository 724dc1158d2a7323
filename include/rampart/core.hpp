#ifndef RAMPART_CORE_HPP
#define RAMPART_CORE_HPP

#include <rampart/core/clock.hpp>
#include <rampart/core/context.hpp>
#include <rampart/core/event_observer.hpp>
#include <rampart/core/handler.hpp>
#include <rampart/core/log.hpp>
#include <rampart/core/middleware.hpp>
#include <rampart/core/renderable_error.hpp>
#include <rampart/core/response.hpp>
#include <rampart/core/types.hpp>

#endif
