#ifndef RAMPART_OPENAPI_SERVE_DOCS_HPP
#define RAMPART_OPENAPI_SERVE_DOCS_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/openapi/schema_handler.hpp>
#include <rampart/openapi/swagger_ui.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <utility>

namespace rampart::openapi {

/// Where serve_docs answers: exact paths, as the client writes them.
struct docs_paths {
    std::string schema = "/api/schema/";
    /// The Swagger UI page; its assets (with swagger_ui_options::assets_dir) are beneath it.
    std::string ui = "/api/docs/";
};

/** A hook middleware that answers the document and its Swagger UI page at fixed paths, before
    the layers inside it run: place it outside authentication and throttling, so the
    documentation needs no token and spends no rate.

    Its paths serve GET and HEAD (OPTIONS answers 204 with `Allow`; other methods 405); any
    other request goes on, untouched, for the cost of two string compares.
*/
class serve_docs {
public:
    /// Throws: as swagger_ui's constructor.
    serve_docs(const boost::json::value& document, swagger_ui_options ui, docs_paths paths = {})
        : schema_(document), ui_(std::move(ui)), paths_(std::move(paths)) {}

    /// Throws: method_not_allowed (405, the client's) for a method its paths do not serve.
    std::optional<response> before(context& ctx) const {
        std::string_view path = ctx.path();
        std::optional<response> res;
        if (path == paths_.schema)
            res = answer(ctx, [&] { return schema_.respond(); });
        else if (path == paths_.ui)
            res = answer(ctx, [&] { return ui_.page(); });
        else if (path.size() > paths_.ui.size() && path.starts_with(paths_.ui))
            if (auto asset = ui_.asset(path.substr(paths_.ui.size())))
                res = answer(ctx, [&] { return std::move(*asset); });
        return res;
    }

    const schema_handler& schema() const noexcept { return schema_; }

private:
    template <class Make>
    static response answer(const context& ctx, Make&& make) {
        const http::verb method = ctx.req().method();
        if (method == http::verb::options) {
            response res{http::status::no_content, ctx.req().version()};
            res.set(http::field::allow, "GET, HEAD, OPTIONS");
            return res;
        }
        if (method != http::verb::get && method != http::verb::head)
            throw method_not_allowed(ctx.req().method_string(), {"GET", "HEAD", "OPTIONS"});
        response res = make();
        res.version(ctx.req().version());
        if (method == http::verb::head)
            res.body().clear(); // Content-Length stays GET's
        return res;
    }

    schema_handler schema_;
    swagger_ui ui_;
    docs_paths paths_;
};

} // namespace rampart::openapi

#endif
