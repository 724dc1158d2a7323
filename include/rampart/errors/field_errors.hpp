#ifndef RAMPART_ERRORS_FIELD_ERRORS_HPP
#define RAMPART_ERRORS_FIELD_ERRORS_HPP

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart {

namespace detail {
struct field_errors_json;
} // namespace detail

/// One message about one field, with a stable machine-readable code (`min_value`, `required`, ...).
struct error_detail {
    std::string message;
    std::string code = "invalid";
};

/** Errors keyed by field name: a list of messages per field, nested fields nested.

    Insertion order is kept, so clients see fields in the order the schema declares them.
    Array items are nested under their index written as a decimal string (`"items": {"0": ...}`).
*/
class field_errors {
public:
    field_errors() = default;
    field_errors(const field_errors& other) { *this = other; }
    field_errors(field_errors&&) noexcept = default;
    field_errors& operator=(field_errors&&) noexcept = default;
    field_errors& operator=(const field_errors& other) {
        if (this != &other) {
            entries_.clear();
            for (const auto& e : other.entries_)
                entries_.push_back(
                    {e.name, e.messages,
                     e.children ? std::make_unique<field_errors>(*e.children) : nullptr});
        }
        return *this;
    }

    /// Adds a message to `field`.
    field_errors& add(std::string_view field, std::string message, std::string code = "invalid") {
        entry_for(field).messages.push_back({std::move(message), std::move(code)});
        return *this;
    }

    /// The errors of the object nested under `field`, created when absent.
    field_errors& nested(std::string_view field) {
        auto& e = entry_for(field);
        if (!e.children)
            e.children = std::make_unique<field_errors>();
        return *e.children;
    }

    /// Moves every error of `other` under `field` (or to this level when `field` is empty).
    void merge(std::string_view field, const field_errors& other) {
        field_errors& target = field.empty() ? *this : nested(field);
        for (const auto& e : other.entries_) {
            for (const auto& m : e.messages)
                target.add(e.name, m.message, m.code);
            if (e.children && !e.children->empty())
                target.merge(e.name, *e.children);
        }
    }

    bool empty() const noexcept {
        for (const auto& e : entries_)
            if (!e.messages.empty() || (e.children && !e.children->empty()))
                return false;
        return true;
    }

    /// Whether `field` (at this level) has any error.
    bool contains(std::string_view field) const noexcept {
        for (const auto& e : entries_)
            if (e.name == field)
                return !e.messages.empty() || (e.children && !e.children->empty());
        return false;
    }

    /// The messages of one field at this level (empty when none).
    const std::vector<error_detail>& messages(std::string_view field) const noexcept {
        static const std::vector<error_detail> none;
        for (const auto& e : entries_)
            if (e.name == field)
                return e.messages;
        return none;
    }

    /// `{"field": ["message", ...], "nested": {"inner": [...]}}`. A field with both its own
    /// messages and nested errors keeps the nested object and puts its own messages under
    /// `non_field_errors` inside it.
    boost::json::object to_json() const {
        boost::json::object out;
        for (const auto& e : entries_) {
            bool has_children = e.children && !e.children->empty();
            if (!has_children && e.messages.empty())
                continue;
            if (has_children) {
                auto inner = e.children->to_json();
                if (!e.messages.empty())
                    inner["non_field_errors"] = message_list(e.messages);
                out[e.name] = std::move(inner);
            } else {
                out[e.name] = message_list(e.messages);
            }
        }
        return out;
    }

    /// Visits every message with its path from the root (`{"items", "0", "name"}`).
    template <class F>
    void for_each(F&& f) const {
        std::vector<std::string_view> path;
        visit(path, f);
    }

private:
    friend struct detail::field_errors_json; // writes the same JSON without a json::value

    struct entry {
        std::string name;
        std::vector<error_detail> messages;
        std::unique_ptr<field_errors> children;
    };

    static boost::json::array message_list(const std::vector<error_detail>& ms) {
        boost::json::array a;
        a.reserve(ms.size());
        for (const auto& m : ms)
            a.emplace_back(m.message);
        return a;
    }

    entry& entry_for(std::string_view field) {
        for (auto& e : entries_)
            if (e.name == field)
                return e;
        entries_.push_back({std::string(field), {}, nullptr});
        return entries_.back();
    }

    template <class F>
    void visit(std::vector<std::string_view>& path, F& f) const {
        for (const auto& e : entries_) {
            path.push_back(e.name);
            for (const auto& m : e.messages)
                f(static_cast<const std::vector<std::string_view>&>(path), m);
            if (e.children)
                e.children->visit(path, f);
            path.pop_back();
        }
    }

    std::vector<entry> entries_;
};

} // namespace rampart

#endif
