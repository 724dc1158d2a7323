// libFuzzer target over the router's matcher: target parsing, splitting, per-segment decoding,
// version resolution and the trie. Input: one byte choosing method and scheme, then the target.
// Besides "no crash", it checks what must hold for every match: parameter values are never
// empty, never hold NUL, satisfy their type, and a reverse URL built from them routes back to
// the same route with the same values.

#include <rampart/router/router.hpp>

#include <rampart/core/response.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace rampart;

response ok(context&) {
    return text_response(http::status::ok, "ok");
}

router make_router(version_scheme scheme) {
    router_options o;
    o.versioning = std::move(scheme);
    o.default_version = "v1";
    o.max_path_length = 512;
    router api{o};
    api.add_matcher("sku", [](std::string_view s) { return s.size() == 4 && s[0] == 'S'; });
    auto both = api.versions({"v1", "v2"});
    both.get("/products/", ok, "products");
    both.get("/products/{id:int}/", ok, "product");
    both.post("/products/{id:int}/", ok);
    both.get("/products/{id:int}/reviews/{review:uuid}/", ok, "review");
    both.get("/tags/{tag:slug}/", ok, "tag");
    both.get("/files/{name}/", ok, "file");
    both.get("/files/{name}/raw", ok, "file-raw");
    both.get("/skus/{code:sku}/", ok, "sku");
    both.get("/a/{x}/{y}/{z}/", ok, "xyz");
    both.get("/a/b/{y}/c/d/", ok, "abycd"); // never collides with xyz
    api.version("v2").get("/v2-only/{n:int}/", ok, "v2-only");
    api.unversioned().post("/api/token/", ok, "token").get("/", ok, "root");
    return api;
}

void check(const router& api, const request& req) {
    route_match m;
    try {
        m = api.match(req);
    } catch (const http_error& e) {
        if (e.status_code() < 400 || e.status_code() >= 500)
            std::abort();
        return;
    }
    auto* ep = m.find(http::verb::get);
    if (!ep)
        ep = m.find(http::verb::post);
    if (!ep)
        std::abort(); // a matched path always serves something
    if (m.param_count() != ep->route->param_names.size())
        std::abort();
    for (std::size_t i = 0; i < m.param_count(); ++i) {
        std::string_view v = m.param_value(i);
        if (v.empty() || v.find('\0') != std::string_view::npos || v == "." || v == "..")
            std::abort();
    }
    // The round trip: only origin-form targets (an absolute-form authority may name another
    // version than the Host header the second request carries).
    if (ep->route->name.empty() || m.param_count() > 3 || req.target().empty() ||
        req.target().front() != '/')
        return;
    std::string values[3];
    for (std::size_t i = 0; i < m.param_count(); ++i)
        values[i] = std::string(m.param_value(i));
    const auto& names = ep->route->param_names;
    auto urls = api.urls();
    std::string path;
    switch (m.param_count()) {
    case 0:
        path = urls.path(ep->route->name, m.version());
        break;
    case 1:
        path = urls.path(ep->route->name, m.version(), {{names[0], values[0]}});
        break;
    case 2:
        path =
            urls.path(ep->route->name, m.version(), {{names[0], values[0]}, {names[1], values[1]}});
        break;
    default:
        path = urls.path(ep->route->name, m.version(),
                         {{names[0], values[0]}, {names[1], values[1]}, {names[2], values[2]}});
    }
    if (path.size() > 512)
        return; // escaping made it longer than the limit: the 414 is right, nothing to compare
    request again{req.method(), path, 11};
    for (const auto& f : req)
        again.set(f.name_string(), f.value());
    again.target(path);
    route_match back = api.match(again);
    if (back.version() != m.version() || back.param_count() != m.param_count())
        std::abort();
    for (std::size_t i = 0; i < m.param_count(); ++i)
        if (back.param_value(i) != values[i])
            std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const router by_path = make_router(version_scheme::url_path("/api"));
    static const router by_query = make_router(version_scheme::query_param("version"));
    static const router by_host = make_router(version_scheme::host_name("api.example.com"));
    static const router by_accept = make_router(version_scheme::accept_header());
    if (size < 1)
        return 0;
    std::uint8_t selector = data[0];
    std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
    // An optional header value after a newline: Host for host_name, Accept for accept_header.
    std::string_view header;
    if (auto nl = rest.find('\n'); nl != std::string_view::npos) {
        header = rest.substr(nl + 1);
        rest = rest.substr(0, nl);
    }
    request req{(selector & 1) ? http::verb::post : http::verb::get, rest, 11};
    const router* api = &by_path;
    switch ((selector >> 1) & 3) {
    case 1:
        api = &by_query;
        break;
    case 2:
        api = &by_host;
        req.set(http::field::host, header);
        break;
    case 3:
        api = &by_accept;
        req.set(http::field::accept, header);
        break;
    default:
        break;
    }
    check(*api, req);
    return 0;
}
