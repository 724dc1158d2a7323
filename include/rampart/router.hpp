#ifndef RAMPART_ROUTER_HPP
#define RAMPART_ROUTER_HPP

#include <rampart/router/allowed_hosts.hpp>
#include <rampart/router/cors.hpp>
#include <rampart/router/deprecation.hpp>
#include <rampart/router/router.hpp>
#include <rampart/router/uri.hpp>
#include <rampart/router/version_scheme.hpp>

#endif
