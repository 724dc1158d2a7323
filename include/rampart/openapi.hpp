#ifndef RAMPART_OPENAPI_HPP
#define RAMPART_OPENAPI_HPP

// OpenAPI 3.1 documents generated from a router's declarations, and the handlers that serve
// them (the document as JSON, a Swagger UI page). See docs/openapi.md.

#include <rampart/openapi/describe.hpp>
#include <rampart/openapi/document.hpp>
#include <rampart/openapi/options.hpp>
#include <rampart/openapi/schema_handler.hpp>
#include <rampart/openapi/serve_docs.hpp>
#include <rampart/openapi/swagger_ui.hpp>

#endif
