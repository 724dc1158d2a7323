#ifndef RAMPART_VALIDATION_HPP
#define RAMPART_VALIDATION_HPP

/// rampart::validation: typed request bodies (write schemas), read shapes per API version,
/// exact decimals and JSON Schema documents for both.

#include <rampart/validation/concepts.hpp>
#include <rampart/validation/decimal.hpp>
#include <rampart/validation/document.hpp>
#include <rampart/validation/field.hpp>
#include <rampart/validation/json_schema.hpp>
#include <rampart/validation/messages.hpp>
#include <rampart/validation/read.hpp>
#include <rampart/validation/rules.hpp>
#include <rampart/validation/schema.hpp>
#include <rampart/validation/shape.hpp>

#endif
