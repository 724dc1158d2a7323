#ifndef RAMPART_SERVER_HPP
#define RAMPART_SERVER_HPP

#include <rampart/server/access_log.hpp>
#include <rampart/server/config.hpp>
#include <rampart/server/health.hpp>
#include <rampart/server/http_date.hpp>
#include <rampart/server/log_writer.hpp>
#include <rampart/server/request_id_generator.hpp>
#include <rampart/server/server.hpp>

#endif
