#ifndef RAMPART_TESTS_PAGINATION_WALK_HPP
#define RAMPART_TESTS_PAGINATION_WALK_HPP

// Shared by the pagination tests: rows with duplicate sort values, and walkers that follow
// next/previous links the way a client does.

#include <rampart/pagination/cursor_paginator.hpp>
#include <rampart/router/allowed_hosts.hpp>

#include "support/run.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rampart::test {

struct item {
    std::int64_t id;
    std::int64_t created_at;     // many rows share a value
    std::optional<double> score; // NULL for some rows
};

/// The row's key values for any ordering over id, created_at and score.
inline pagination::key key_for(const pagination::ordering& o, const item& r) {
    pagination::key k;
    for (const auto& s : o.keys()) {
        if (s.name == "id")
            k.emplace_back(r.id);
        else if (s.name == "created_at")
            k.emplace_back(r.created_at);
        else if (s.name == "score")
            k.emplace_back(r.score ? pagination::key_value(*r.score)
                                   : pagination::key_value(nullptr));
        else
            throw std::logic_error("unknown key " + s.name);
    }
    return k;
}

/// `count` rows: created_at cycles through a few values, score is NULL for every 4th row.
inline std::vector<item> make_items(int count) {
    std::vector<item> rows;
    for (int i = 1; i <= count; ++i)
        rows.push_back({i, 1000 + (i * 7) % 5,
                        i % 4 == 0 ? std::nullopt : std::optional<double>((i * 3) % 6 / 2.0)});
    return rows;
}

/// The path and query of an absolute link, to send as the next request's target.
inline std::string target_of(const std::string& url) {
    auto scheme = url.find("://");
    auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    return url.substr(path);
}

/// What rampart::allowed_hosts does in a service's stack: `ctx`'s Host (api.example.com, any
/// port) is checked and accepted, so links may be built from it.
inline void accept_host(context& ctx) {
    allowed_hosts{"api.example.com"}.check(ctx);
}

inline request list_request(const std::string& target) {
    request req{http::verb::get, target, 11};
    req.set(http::field::host, "api.example.com:8080");
    return req;
}

/// Follows `next` from `first_target` to the end; returns the ids of each page.
template <class Fetch>
std::vector<std::vector<std::int64_t>>
walk_forward(Fetch&& fetch, std::string first_target,
             std::optional<std::string>* last_page = nullptr) {
    std::vector<std::vector<std::int64_t>> pages;
    std::optional<std::string> target = std::move(first_target);
    while (target) {
        if (last_page)
            *last_page = target;
        pagination::page<item> p = fetch(*target);
        std::vector<std::int64_t> ids;
        for (const auto& r : p.results)
            ids.push_back(r.id);
        pages.push_back(std::move(ids));
        target = p.next ? std::optional<std::string>(target_of(*p.next)) : std::nullopt;
        if (pages.size() > 10'000)
            throw std::runtime_error("walk does not end");
    }
    return pages;
}

/// Follows `previous` from `target` to the start; returns the pages in list order.
template <class Fetch>
std::vector<std::vector<std::int64_t>> walk_backward(Fetch&& fetch, std::string target) {
    std::vector<std::vector<std::int64_t>> pages;
    std::optional<std::string> at = std::move(target);
    while (at) {
        pagination::page<item> p = fetch(*at);
        std::vector<std::int64_t> ids;
        for (const auto& r : p.results)
            ids.push_back(r.id);
        pages.insert(pages.begin(), std::move(ids));
        at = p.previous ? std::optional<std::string>(target_of(*p.previous)) : std::nullopt;
        if (pages.size() > 10'000)
            throw std::runtime_error("walk does not end");
    }
    return pages;
}

inline std::vector<std::int64_t> flatten(const std::vector<std::vector<std::int64_t>>& pages) {
    std::vector<std::int64_t> out;
    for (const auto& p : pages)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

} // namespace rampart::test

#endif
