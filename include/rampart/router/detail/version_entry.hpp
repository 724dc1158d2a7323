#ifndef RAMPART_ROUTER_DETAIL_VERSION_ENTRY_HPP
#define RAMPART_ROUTER_DETAIL_VERSION_ENTRY_HPP

#include <rampart/router/deprecation.hpp>
#include <rampart/router/detail/route_table.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace rampart::detail {

/// One API version (or the unversioned routes): its table, its named routes, its deprecation.
struct version_entry {
    std::string name;
    route_table table;
    std::map<std::string, std::shared_ptr<const route_info>, std::less<>> names;
    std::optional<deprecation> deprecated;
};

} // namespace rampart::detail

#endif
