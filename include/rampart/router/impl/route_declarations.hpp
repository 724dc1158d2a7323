#ifndef RAMPART_ROUTER_IMPL_ROUTE_DECLARATIONS_HPP
#define RAMPART_ROUTER_IMPL_ROUTE_DECLARATIONS_HPP

namespace rampart {

inline std::vector<std::string> route_declarations::versions() const {
    std::vector<std::string> out;
    for (const auto& v : state_->versions)
        if (state_->served_version(v->name))
            out.push_back(v->name);
    return out;
}

inline std::vector<declared_operation> route_declarations::operations() const {
    const bool in_path = state_->options.versioning.type == version_scheme::kind::url_path;
    std::vector<declared_operation> out;
    for (const auto& d : state_->declared) {
        std::vector<declared_param> params;
        std::string path;
        for (const auto& seg : d.route->segments) {
            path += '/';
            if (!seg.is_param) {
                path += seg.text;
                continue;
            }
            path += '{' + seg.text + '}';
            params.push_back({seg.text, state_->matchers[seg.matcher].name});
        }
        for (const detail::version_entry* v : d.versions) {
            const bool unversioned = v == &state_->unversioned;
            if (!unversioned && !state_->served_version(v->name))
                continue;
            declared_operation op;
            op.version = v->name;
            op.method = d.method;
            op.path = unversioned || !in_path
                          ? path
                          : state_->options.versioning.value + '/' + v->name + path;
            op.pattern = d.route->pattern;
            op.name = d.route->name;
            op.params = params;
            op.doc = d.doc;
            op.deprecated = v->deprecated ? &*v->deprecated : nullptr;
            out.push_back(std::move(op));
        }
    }
    return out;
}

} // namespace rampart

#endif
