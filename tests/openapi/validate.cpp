// Generated documents checked by an independent OpenAPI 3.1 validator (npm's
// @seriousme/openapi-schema-validator, installed by cmake/dev.sh).

#include "support/openapi_validator.hpp"

#include <rampart/core/response.hpp>
#include <rampart/jwt/authenticate.hpp>
#include <rampart/openapi/describe.hpp>
#include <rampart/openapi/document.hpp>
#include <rampart/router.hpp>
#include <rampart/validation.hpp>

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

namespace {

namespace openapi = rampart::openapi;
namespace v = rampart::validation;

struct thing {
    std::int64_t id = 0;
    std::string label;
    std::optional<std::string> note;
};

rampart::response ok(const rampart::context&) {
    return rampart::text_response(rampart::http::status::ok, "ok");
}

} // namespace

TEST_CASE("openapi: generated documents pass an OpenAPI 3.1 validator", "[openapi]") {
    auto shape = v::shape<thing>(v::out("id", &thing::id), v::out("label", &thing::label),
                                 v::out("note", &thing::note));
    auto schema =
        v::schema<thing>(v::field(&thing::label, "label").max_length(20).pattern("^[a-z]+$"),
                         v::field(&thing::note, "note"));
    rampart::router api;
    auto both = api.versions({"v1", "v2"});
    both.get("/things/{id:int}/", ok, "thing-detail",
             {.result = openapi::results(shape), .errors = {404}});
    both.group("/things", rampart::stack(rampart::jwt::require_authenticated{}))
        .post("/", ok, "thing-create",
              {.body = openapi::body_of(schema),
               .result = openapi::results(shape),
               .headers = {{"Location", "Its URL."}}});
    api.version("v2").get("/things/", ok, "thing-list",
                          {.result = openapi::results(shape), .pages = rampart::page_doc{}});
    api.deprecate("v1", {.sunset = std::chrono::sys_days{std::chrono::year{2030} / 1 / 1},
                         .successor = "v2",
                         .gone_after_sunset = true});

    for (auto style : {openapi::error_style::envelope, openapi::error_style::problem}) {
        openapi::document_options o;
        o.errors = style;
        o.throttled = true;
        o.common_errors = {503};
        o.security.push_back(openapi::security_scheme::cookie());
        std::string why;
        auto verdict = rampart::test::validate_openapi(
            boost::json::serialize(openapi::generate(api.declarations(), o)), why);
        if (!verdict) {
            WARN("skipped: " << why);
            return;
        }
        INFO(verdict->report);
        CHECK(verdict->valid);
    }
}

TEST_CASE("openapi: the validator refuses a broken document", "[openapi]") {
    // Proves the check above can fail: a path item whose operation has no responses.
    std::string why;
    auto verdict =
        rampart::test::validate_openapi(R"({"openapi":"3.1.0","info":{"title":"t","version":"1"},)"
                                        R"("paths":{"/x":{"get":{"responses":"none"}}}})",
                                        why);
    if (!verdict) {
        WARN("skipped: " << why);
        return;
    }
    CHECK_FALSE(verdict->valid);
}
