#ifndef RAMPART_OPENAPI_SCHEMA_HANDLER_HPP
#define RAMPART_OPENAPI_SCHEMA_HANDLER_HPP

#include <rampart/core/context.hpp>
#include <rampart/core/response.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>

namespace rampart::openapi {

/** Serves a document (openapi::generate's) as `application/json`.

    The document is serialised once, here; each response is a copy of those bytes, so serving
    costs no JSON work. Copies share the bytes. A synchronous handler: register it as a route
    (`api.unversioned().get("/api/schema/", openapi::schema_handler{doc})`) or mount it with
    serve_docs.
*/
class schema_handler {
public:
    explicit schema_handler(const boost::json::value& document)
        : body_(std::make_shared<const std::string>(boost::json::serialize(document))) {}

    /// 200 with the document. Throws: std::bad_alloc only.
    response operator()(const context&) const { return respond(); }

    /// The response, without a request.
    response respond() const {
        response res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = *body_;
        res.prepare_payload();
        return res;
    }

    /// The serialised document.
    const std::string& text() const noexcept { return *body_; }

private:
    std::shared_ptr<const std::string> body_;
};

} // namespace rampart::openapi

#endif
