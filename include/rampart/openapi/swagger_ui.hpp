#ifndef RAMPART_OPENAPI_SWAGGER_UI_HPP
#define RAMPART_OPENAPI_SWAGGER_UI_HPP

#include <rampart/core/context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::openapi {

/** Where a Swagger UI page finds its document and its assets. Set exactly one of `assets_dir`
    and `assets_url`. The values are configuration, never request data; they must not contain
    `<`, `>`, `"`, `'`, `&`, `\` or control characters (the page embeds them as they are).
*/
struct swagger_ui_options {
    /// The document's URL, as the browser fetches it.
    std::string schema_url = "/api/schema/";
    std::string title = "API documentation";
    /// A folder holding npm's `swagger-ui-dist` (`swagger-ui.css`, `swagger-ui-bundle.js`):
    /// read once, at construction, and served beside the page.
    std::string assets_dir = {};
    /// Otherwise the URL of such a folder, which the browser loads the assets from.
    std::string assets_url = {};
};

/** A Swagger UI page for a document: what `/api/docs/` serves.

    A synchronous handler. A request whose path ends in '/' gets the page; one whose last
    segment names an asset read from `assets_dir` gets that asset; anything else is 404. So
    register it on the page's path and, with `assets_dir`, on `<page path>{file}` too (or mount
    it with serve_docs, which does both). Copies share the page and the assets.
*/
class swagger_ui {
public:
    /// Throws: std::invalid_argument when neither or both of `assets_dir` and `assets_url` are
    /// set, or a value holds a character the page cannot embed; std::runtime_error when an
    /// asset cannot be read from `assets_dir` (is swagger-ui-dist installed there?).
    explicit swagger_ui(swagger_ui_options options);

    /// The page, or the asset the path's last segment names.
    /// Throws: not_found (404, the client's) for any other file.
    response operator()(const context& ctx) const;

    /// The page.
    response page() const;

    /// The asset `name` (`swagger-ui.css`, `swagger-ui-bundle.js`) read from `assets_dir`;
    /// nullopt for another name, or when the assets come from `assets_url`.
    std::optional<response> asset(std::string_view name) const;

private:
    struct file {
        std::string content_type;
        std::string body;
    };
    struct state {
        std::string page;
        std::map<std::string, file, std::less<>> assets;
    };
    std::shared_ptr<const state> state_;
};

} // namespace rampart::openapi

#include <rampart/openapi/impl/swagger_ui.hpp>

#endif
