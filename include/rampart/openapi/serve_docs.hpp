#ifndef RAMPART_OPENAPI_SERVE_DOCS_HPP
#define RAMPART_OPENAPI_SERVE_DOCS_HPP

#include <rampart/core/context.hpp>
#include <rampart/errors/http_error.hpp>
#include <rampart/openapi/schema_handler.hpp>
#include <rampart/openapi/swagger_ui.hpp>
#include <rampart/router/uri.hpp>

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

/// What serve_docs does when Swagger UI's assets cannot be read from
/// swagger_ui_options::assets_dir.
enum class missing_ui {
    /// Its constructor throws: the service does not start without its page.
    refuse,
    /// The document is still served; the page's path answers 503 in the error format, and
    /// serve_docs::ui_problem() says why (log it at start-up).
    unavailable,
};

/** A hook middleware that answers the document and its Swagger UI page at fixed paths, before
    the layers inside it run: place it outside authentication and throttling, so the
    documentation needs no token and spends no rate.

    Its paths serve GET and HEAD (OPTIONS answers 204 with `Allow`; other methods 405); any
    other request goes on, untouched, for the cost of two string compares. A target in absolute
    form (`http://host/api/docs/`) is matched by its path, as the router matches it.
*/
class serve_docs {
public:
    /// Throws: as swagger_ui's constructor.
    serve_docs(const boost::json::value& document, swagger_ui_options ui, docs_paths paths = {})
        : schema_(document), ui_(swagger_ui(std::move(ui))), paths_(std::move(paths)) {}

    /// As above; with missing_ui::unavailable, assets that cannot be read leave the document
    /// served and the page answering 503. Throws: as swagger_ui's constructor, but with
    /// missing_ui::unavailable no std::runtime_error for unreadable assets.
    serve_docs(const boost::json::value& document, swagger_ui_options ui, docs_paths paths,
               missing_ui when_missing)
        : schema_(document), paths_(std::move(paths)) {
        try {
            ui_.emplace(std::move(ui));
        } catch (const std::runtime_error& e) {
            if (when_missing == missing_ui::refuse)
                throw;
            ui_problem_ = e.what();
        }
    }

    /// Throws: method_not_allowed (405, the client's) for a method its paths do not serve;
    /// service_unavailable (503) for the page whose assets could not be read.
    std::optional<response> before(context& ctx) const {
        std::string_view path = ctx.path();
        if (!path.starts_with('/')) { // absolute form, or a target the router refuses
            auto target = rampart::detail::parse_target(ctx.target());
            if (target.kind != rampart::detail::parsed_target::form::absolute)
                return std::nullopt;
            path = target.path;
        }
        std::optional<response> res;
        if (path == paths_.schema)
            res = answer(ctx, [&] { return schema_.respond(); });
        else if (path == paths_.ui)
            res = answer(ctx, [&] { return page(); });
        else if (ui_ && path.size() > paths_.ui.size() && path.starts_with(paths_.ui))
            if (auto asset = ui_->asset(path.substr(paths_.ui.size())))
                res = answer(ctx, [&] { return std::move(*asset); });
        return res;
    }

    const schema_handler& schema() const noexcept { return schema_; }

    /// Why the page is not served (missing_ui::unavailable); empty when it is.
    const std::string& ui_problem() const noexcept { return ui_problem_; }

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

    response page() const {
        if (!ui_)
            throw service_unavailable("The API documentation page is not available on this "
                                      "server (Swagger UI is not installed); the document is at " +
                                      paths_.schema + ".");
        return ui_->page();
    }

    schema_handler schema_;
    std::optional<swagger_ui> ui_;
    std::string ui_problem_;
    docs_paths paths_;
};

} // namespace rampart::openapi

#endif
