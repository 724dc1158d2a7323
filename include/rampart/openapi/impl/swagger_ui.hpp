#ifndef RAMPART_OPENAPI_IMPL_SWAGGER_UI_HPP
#define RAMPART_OPENAPI_IMPL_SWAGGER_UI_HPP

#include <rampart/errors/http_error.hpp>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace rampart::openapi {

namespace detail {

/// Refuses what the page cannot embed verbatim in an attribute or a script string.
inline const std::string& embeddable(const std::string& value, const char* what) {
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\'' || c == '&' ||
            c == '\\')
            throw std::invalid_argument(std::string("openapi: swagger_ui_options::") + what +
                                        " holds a character the page cannot embed");
    return value;
}

inline std::string read_asset(const std::string& dir, const char* name) {
    std::string path = dir + "/" + name;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream body;
    if (!in || !(body << in.rdbuf()))
        throw std::runtime_error("openapi: cannot read " + path +
                                 " (install npm's swagger-ui-dist there)");
    return std::move(body).str();
}

} // namespace detail

inline swagger_ui::swagger_ui(swagger_ui_options o) {
    if (o.assets_dir.empty() == o.assets_url.empty())
        throw std::invalid_argument("openapi: set one of swagger_ui_options' assets_dir and "
                                    "assets_url");
    auto s = std::make_shared<state>();
    std::string base;
    if (!o.assets_dir.empty()) {
        s->assets["swagger-ui.css"] = {"text/css; charset=utf-8",
                                       detail::read_asset(o.assets_dir, "swagger-ui.css")};
        s->assets["swagger-ui-bundle.js"] = {
            "text/javascript; charset=utf-8",
            detail::read_asset(o.assets_dir, "swagger-ui-bundle.js")};
        base = "./"; // beside the page
    } else {
        base = detail::embeddable(o.assets_url, "assets_url");
        if (base.back() != '/')
            base += '/';
    }
    const std::string& title = detail::embeddable(o.title, "title");
    const std::string& url = detail::embeddable(o.schema_url, "schema_url");
    s->page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>" +
              title +
              "</title>\n"
              "<link rel=\"stylesheet\" href=\"" +
              base +
              "swagger-ui.css\">\n"
              "</head>\n<body>\n<div id=\"swagger-ui\"></div>\n"
              "<script src=\"" +
              base +
              "swagger-ui-bundle.js\"></script>\n"
              "<script>\nwindow.ui = SwaggerUIBundle({url: \"" +
              url +
              // validatorUrl: null, or the page sends the document's URL to validator.swagger.io
              // for a badge whenever it is not served from localhost.
              "\", dom_id: \"#swagger-ui\", deepLinking: true, validatorUrl: null});\n"
              "</script>\n</body>\n</html>\n";
    state_ = std::move(s);
}

inline response swagger_ui::page() const {
    response res{http::status::ok, 11};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = state_->page;
    res.prepare_payload();
    return res;
}

inline std::optional<response> swagger_ui::asset(std::string_view name) const {
    auto it = state_->assets.find(name);
    if (it == state_->assets.end())
        return std::nullopt;
    response res{http::status::ok, 11};
    res.set(http::field::content_type, it->second.content_type);
    res.body() = it->second.body;
    res.prepare_payload();
    return res;
}

inline response swagger_ui::operator()(const context& ctx) const {
    std::string_view path = ctx.path();
    std::string_view last = path.substr(path.rfind('/') + 1);
    if (last.empty())
        return page();
    if (auto res = asset(last))
        return std::move(*res);
    throw not_found{};
}

} // namespace rampart::openapi

#endif
