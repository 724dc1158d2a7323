#ifndef RAMPART_ROUTER_DETAIL_ROUTE_TABLE_HPP
#define RAMPART_ROUTER_DETAIL_ROUTE_TABLE_HPP

#include <rampart/core/context.hpp>

#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::detail {

/// The most segments a path may have (and a route pattern); deeper paths are answered 404.
inline constexpr std::size_t max_path_segments = 64;
/// The most parameters one route pattern may declare.
inline constexpr std::size_t max_route_params = 16;

/// A handler of any type behind one function pointer: the one indirect call per request.
struct erased_handler {
    void* object;
    asio::awaitable<response> (*call)(void*, context&);
    std::shared_ptr<void> owner;
};

template <class H>
std::shared_ptr<const erased_handler> erase_handler(H h) {
    auto owned = std::make_shared<H>(std::move(h));
    void* object = owned.get();
    return std::make_shared<const erased_handler>(
        erased_handler{object,
                       [](void* o, context& ctx) -> asio::awaitable<response> {
                           return (*static_cast<H*>(o))(ctx);
                       },
                       std::move(owned)});
}

/// How a `{name:type}` parameter tests a segment.
struct param_matcher {
    enum class kind { integer, uuid, slug, custom, string } type;
    std::string name;
    std::function<bool(std::string_view)> custom;

    bool test(std::string_view s) const {
        switch (type) {
        case kind::integer: {
            // Decimal digits only, no sign, and the value must fit an int64.
            if (s.empty() || s.size() > 19)
                return false;
            std::int64_t v = 0;
            for (char c : s)
                if (c < '0' || c > '9')
                    return false;
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            return ec == std::errc{} && p == s.data() + s.size();
        }
        case kind::uuid: {
            if (s.size() != 36)
                return false;
            for (std::size_t i = 0; i < 36; ++i) {
                char c = s[i];
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                    if (c != '-')
                        return false;
                } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                             (c >= 'A' && c <= 'F'))) {
                    return false;
                }
            }
            return true;
        }
        case kind::slug:
            for (char c : s)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-' || c == '_'))
                    return false;
            return true;
        case kind::custom:
            return custom(s);
        case kind::string:
            return true;
        }
        return false;
    }
};

/// The built-in matchers, in the order a trie tries them (most specific first, `str` last).
inline std::vector<param_matcher> builtin_matchers() {
    using k = param_matcher::kind;
    std::vector<param_matcher> m;
    m.push_back({k::integer, "int", {}});
    m.push_back({k::uuid, "uuid", {}});
    m.push_back({k::slug, "slug", {}});
    m.push_back({k::string, "str", {}});
    return m;
}

/// One segment of a route pattern: a literal or a typed parameter.
struct pattern_segment {
    bool is_param = false;
    std::string text; // the literal, or the parameter name
    std::uint32_t matcher = 0;
};

/// A named route as declared (for reverse URLs and diagnostics).
struct route_info {
    std::string name;
    std::string pattern;
    std::vector<pattern_segment> segments;
    std::vector<std::string> param_names; // in pattern order, as captures come
};

inline bool is_param_name(std::string_view s) noexcept {
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    return true;
}

/// Parses `/products/{id:int}/` into segments. Throws std::invalid_argument on a bad pattern:
/// these are programming errors, found at start-up.
inline std::vector<pattern_segment> parse_pattern(std::string_view pattern,
                                                  const std::vector<param_matcher>& matchers) {
    auto fail = [&](const char* why) {
        throw std::invalid_argument("rampart: route pattern \"" + std::string(pattern) +
                                    "\": " + why);
    };
    if (pattern.empty() || pattern.front() != '/')
        fail("must begin with '/'");
    std::vector<pattern_segment> out;
    std::string_view rest = pattern.substr(1);
    std::size_t params = 0;
    while (true) {
        auto slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        pattern_segment ps;
        if (!seg.empty() && seg.front() == '{') {
            if (seg.back() != '}' || seg.size() < 3)
                fail("a parameter is written {name} or {name:type}");
            std::string_view inner = seg.substr(1, seg.size() - 2);
            auto colon = inner.find(':');
            std::string_view name = inner.substr(0, colon);
            std::string_view type =
                colon == std::string_view::npos ? std::string_view{"str"} : inner.substr(colon + 1);
            if (!is_param_name(name))
                fail("a parameter name is [A-Za-z_][A-Za-z0-9_]*");
            for (const auto& o : out)
                if (o.is_param && o.text == name)
                    fail("a parameter name appears twice");
            auto it = std::find_if(matchers.begin(), matchers.end(),
                                   [&](const param_matcher& m) { return m.name == type; });
            if (it == matchers.end())
                fail("unknown parameter type (add_matcher it first)");
            ps.is_param = true;
            ps.text = std::string(name);
            ps.matcher = static_cast<std::uint32_t>(it - matchers.begin());
            if (++params > max_route_params)
                fail("too many parameters");
        } else {
            if (seg == "." || seg == "..")
                fail("'.' and '..' segments can never be requested");
            for (unsigned char c : seg)
                if (c <= 0x20 || c == 0x7f || c == '{' || c == '}' || c == '%' || c == '?' ||
                    c == '#')
                    fail("a literal segment holds plain characters (no escapes, braces, ?, #)");
            ps.text = std::string(seg);
        }
        out.push_back(std::move(ps));
        if (out.size() >= max_path_segments)
            fail("too many segments");
        if (slash == std::string_view::npos)
            break;
        rest.remove_prefix(slash + 1);
    }
    return out;
}

/// Room for a path's segment views, left uninitialised: only the `count` split wrote are read.
struct segment_list {
    segment_list() noexcept {}
    union {
        std::string_view items[max_path_segments];
    };
};

/// What one matched parameter captured: the decoded segment. Its name comes from the route
/// the method resolves to (two methods on one path may name their parameters differently).
using capture = std::string_view;

/// One method a path serves.
struct endpoint {
    http::verb method;
    std::shared_ptr<const erased_handler> handler;
    std::shared_ptr<const route_info> route;
};

/** A route table: a trie over path segments, built once at start-up.

    Each node holds its literal children sorted (binary search), then its parameter children in
    matcher order. Matching walks the segments once, trying a literal before parameters and
    backtracking only when a branch dead-ends, so its cost depends on the path's depth and not
    on how many routes exist.
*/
class route_table {
public:
    struct param_edge {
        std::uint32_t matcher;
        std::string name;
        std::uint32_t child;
    };
    struct node {
        std::vector<std::pair<std::string, std::uint32_t>> literals; // sorted by segment
        std::vector<param_edge> params;                              // sorted by matcher
        std::vector<endpoint> endpoints;
        std::vector<std::string> allow; // `Allow` methods, HEAD and OPTIONS included
        std::shared_ptr<const route_info> route;
    };

    route_table() : nodes_(1) {}

    /// Adds `method` on the route's path. Throws std::invalid_argument when the same path (the
    /// same literals and parameter types) already serves `method`.
    void insert(const std::shared_ptr<const route_info>& route, http::verb method,
                std::shared_ptr<const erased_handler> handler) {
        std::uint32_t at = 0;
        for (const auto& seg : route->segments) {
            if (seg.is_param) {
                auto& edges = nodes_[at].params;
                auto it = std::find_if(edges.begin(), edges.end(), [&](const param_edge& e) {
                    return e.matcher == seg.matcher;
                });
                if (it == edges.end()) {
                    auto child = new_node();
                    auto& es = nodes_[at].params;
                    auto pos = std::upper_bound(
                        es.begin(), es.end(), seg.matcher,
                        [](std::uint32_t m, const param_edge& e) { return m < e.matcher; });
                    es.insert(pos, param_edge{seg.matcher, seg.text, child});
                    at = child;
                } else {
                    at = it->child;
                }
            } else {
                auto& lits = nodes_[at].literals;
                auto it = std::lower_bound(lits.begin(), lits.end(), std::string_view{seg.text},
                                           literal_less);
                if (it != lits.end() && it->first == seg.text) {
                    at = it->second;
                } else {
                    auto child = new_node();
                    auto& ls = nodes_[at].literals;
                    auto pos = std::lower_bound(ls.begin(), ls.end(), std::string_view{seg.text},
                                                literal_less);
                    ls.insert(pos, {seg.text, child});
                    at = child;
                }
            }
        }
        node& n = nodes_[at];
        for (const auto& e : n.endpoints)
            if (e.method == method)
                throw std::invalid_argument("rampart: route " + route->pattern +
                                            " already serves " +
                                            std::string(http::to_string(method)));
        n.endpoints.push_back({method, std::move(handler), route});
        if (!n.route)
            n.route = route;
        n.allow = allow_list(n.endpoints);
    }

    /// The node serving `segments`, or nullptr. Captured parameter values are written to
    /// `captures` (`count` of them, in pattern order) and refer to `segments`' storage.
    const node* match(const std::string_view* segments, std::size_t size,
                      const std::vector<param_matcher>& matchers, capture* captures,
                      std::size_t& count) const {
        count = 0;
        return match_from(nodes_[0], segments, size, matchers, captures, count);
    }

    bool empty() const noexcept { return nodes_.size() == 1 && nodes_[0].endpoints.empty(); }

    /// Every method any route of this table serves (for `OPTIONS *`).
    void collect_methods(std::vector<http::verb>& out) const {
        for (const auto& n : nodes_)
            for (const auto& e : n.endpoints)
                if (std::find(out.begin(), out.end(), e.method) == out.end())
                    out.push_back(e.method);
    }

    static std::vector<std::string> allow_list(const std::vector<endpoint>& eps) {
        std::vector<http::verb> methods;
        for (const auto& e : eps)
            methods.push_back(e.method);
        return allow_list(methods);
    }

    /// `Allow` members in a fixed order: GET, HEAD (with GET), POST, PUT, PATCH, DELETE,
    /// OPTIONS (always), then any other method served.
    static std::vector<std::string> allow_list(const std::vector<http::verb>& methods) {
        auto serves = [&](http::verb v) {
            return std::find(methods.begin(), methods.end(), v) != methods.end();
        };
        std::vector<std::string> out;
        for (auto v : {http::verb::get, http::verb::head, http::verb::post, http::verb::put,
                       http::verb::patch, http::verb::delete_, http::verb::options}) {
            bool on = serves(v) || (v == http::verb::head && serves(http::verb::get)) ||
                      v == http::verb::options;
            if (on)
                out.emplace_back(http::to_string(v));
        }
        for (auto m : methods) {
            std::string name(http::to_string(m));
            if (std::find(out.begin(), out.end(), name) == out.end())
                out.push_back(std::move(name));
        }
        return out;
    }

private:
    /// Literals are ordered by length first: most comparisons then never reach memcmp.
    static bool literal_less(const std::pair<std::string, std::uint32_t>& l,
                             std::string_view v) noexcept {
        if (l.first.size() != v.size())
            return l.first.size() < v.size();
        if (v.empty() || l.first[0] != v[0])
            return !v.empty() && l.first[0] < v[0];
        return std::memcmp(l.first.data(), v.data(), v.size()) < 0;
    }

    std::uint32_t new_node() {
        nodes_.emplace_back();
        return static_cast<std::uint32_t>(nodes_.size() - 1);
    }

    const node* match_from(const node& n, const std::string_view* segs, std::size_t size,
                           const std::vector<param_matcher>& matchers, capture* captures,
                           std::size_t& count) const {
        if (size == 0)
            return n.endpoints.empty() ? nullptr : &n;
        std::string_view s = segs[0];
        if (!n.literals.empty()) {
            auto it = std::lower_bound(n.literals.begin(), n.literals.end(), s, literal_less);
            if (it != n.literals.end() && it->first.size() == s.size() &&
                std::memcmp(it->first.data(), s.data(), s.size()) == 0)
                if (auto* r = match_from(nodes_[it->second], segs + 1, size - 1, matchers, captures,
                                         count))
                    return r;
        }
        if (s.empty())
            return nullptr; // a parameter never matches an empty segment
        for (const auto& e : n.params) {
            if (!matchers[e.matcher].test(s))
                continue;
            std::size_t mark = count;
            captures[count++] = s;
            if (auto* r =
                    match_from(nodes_[e.child], segs + 1, size - 1, matchers, captures, count))
                return r;
            count = mark;
        }
        return nullptr;
    }

private:
    std::vector<node> nodes_;
};

} // namespace rampart::detail

#endif
