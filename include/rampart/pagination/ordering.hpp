#ifndef RAMPART_PAGINATION_ORDERING_HPP
#define RAMPART_PAGINATION_ORDERING_HPP

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rampart::pagination {

/// One value of a sort key: NULL (`nullptr`), an integer, a real, or text.
using key_value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

/// A row's position in an ordering: one value per sort key, in the ordering's key order.
using key = std::vector<key_value>;

/// Direction of one sort key.
enum class order { ascending, descending };

/// Where NULLs of a sort key go. `never` declares the key is never NULL (the fast path: plain
/// comparisons, no NULL branches); `first` and `last` place NULL rows before or after all others,
/// in result order, whatever the key's direction.
enum class nulls { never, first, last };

/// One sort key: a column (an identifier, optionally qualified: `created_at`, `o.created_at`).
struct sort_key {
    std::string name;
    order direction = order::ascending;
    nulls null_placement = nulls::never;
};

/** The order of a list: sort keys, most significant first.

    The last key must be unique among the rows (a primary key): it breaks ties between rows
    that share the other keys, so every row has a distinct position and a cursor never skips
    or repeats one. `{created_at desc, id desc}` is the classic "newest first".
    Names must be identifiers (letters, digits, `_`, one optional `table.` qualifier); anything
    else throws `std::invalid_argument`, so a name can safely become SQL.
*/
class ordering {
public:
    ordering(std::initializer_list<sort_key> keys) : ordering(std::vector<sort_key>(keys)) {}

    explicit ordering(std::vector<sort_key> keys) : keys_(std::move(keys)) {
        if (keys_.empty() || keys_.size() > max_keys)
            throw std::invalid_argument("pagination: an ordering needs 1 to 8 sort keys");
        for (const auto& k : keys_) {
            if (!valid_name(k.name))
                throw std::invalid_argument("pagination: sort key \"" + k.name +
                                            "\" is not an identifier");
            signature_ += k.name;
            signature_ += k.direction == order::ascending ? ":asc" : ":desc";
            signature_ += k.null_placement == nulls::never   ? ":nn,"
                          : k.null_placement == nulls::first ? ":nf,"
                                                             : ":nl,";
        }
    }

    static constexpr std::size_t max_keys = 8;

    const std::vector<sort_key>& keys() const noexcept { return keys_; }
    std::size_t size() const noexcept { return keys_.size(); }

    /// A canonical text of the ordering, which cursors are bound to.
    const std::string& signature() const noexcept { return signature_; }

    /** Compares two positions in result order: negative when `a` comes first.

        NULL is placed as its key says; numbers come before text (as in SQLite); integers and
        reals compare by value; text compares bytewise (SQLite's BINARY collation).
    */
    std::strong_ordering compare(const key& a, const key& b) const {
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            auto c = compare_one(keys_[i], a.at(i), b.at(i));
            if (c != 0)
                return c;
        }
        return std::strong_ordering::equal;
    }

    /// Whether `name` may be a sort key: `[A-Za-z_][A-Za-z0-9_]*`, optionally `qualifier.name`.
    static bool valid_name(std::string_view name) noexcept {
        auto dot = name.find('.');
        if (dot == std::string_view::npos)
            return valid_identifier(name);
        return valid_identifier(name.substr(0, dot)) && valid_identifier(name.substr(dot + 1));
    }

private:
    static bool valid_identifier(std::string_view s) noexcept {
        if (s.empty() || s.size() > 64)
            return false;
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
            bool digit = c >= '0' && c <= '9';
            if (!letter && !(digit && i > 0))
                return false;
        }
        return true;
    }

    static std::strong_ordering compare_one(const sort_key& k, const key_value& a,
                                            const key_value& b) {
        bool a_null = std::holds_alternative<std::nullptr_t>(a);
        bool b_null = std::holds_alternative<std::nullptr_t>(b);
        if (a_null || b_null) {
            if (a_null && b_null)
                return std::strong_ordering::equal;
            bool nulls_first = k.null_placement == nulls::first;
            // A NULL in a never-NULL key is a bug upstream; order it first rather than crash.
            if (k.null_placement == nulls::never)
                nulls_first = true;
            return a_null == nulls_first ? std::strong_ordering::less
                                         : std::strong_ordering::greater;
        }
        auto c = compare_values(a, b);
        return k.direction == order::ascending ? c : 0 <=> c;
    }

    static std::strong_ordering compare_values(const key_value& a, const key_value& b) {
        auto is_text = [](const key_value& v) { return std::holds_alternative<std::string>(v); };
        if (is_text(a) || is_text(b)) {
            if (is_text(a) && is_text(b)) {
                int c = std::get<std::string>(a).compare(std::get<std::string>(b));
                return c <=> 0;
            }
            return is_text(a) ? std::strong_ordering::greater : std::strong_ordering::less;
        }
        if (std::holds_alternative<std::int64_t>(a) && std::holds_alternative<std::int64_t>(b))
            return std::get<std::int64_t>(a) <=> std::get<std::int64_t>(b);
        auto as_double = [](const key_value& v) {
            return std::holds_alternative<double>(v)
                       ? std::get<double>(v)
                       : static_cast<double>(std::get<std::int64_t>(v));
        };
        double x = as_double(a), y = as_double(b);
        return x < y   ? std::strong_ordering::less
               : y < x ? std::strong_ordering::greater
                       : std::strong_ordering::equal;
    }

    std::vector<sort_key> keys_;
    std::string signature_;
};

} // namespace rampart::pagination

#endif
