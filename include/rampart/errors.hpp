#ifndef RAMPART_ERRORS_HPP
#define RAMPART_ERRORS_HPP

#include <rampart/errors/envelope.hpp>
#include <rampart/errors/field_errors.hpp>
#include <rampart/errors/format.hpp>
#include <rampart/errors/http_error.hpp>

#endif
