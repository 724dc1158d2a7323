#ifndef RAMPART_JWT_KEY_SET_HPP
#define RAMPART_JWT_KEY_SET_HPP

#include <rampart/jwt/key.hpp>

#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::jwt {

/** The keys a verifier accepts, found by `kid`: what makes key rotation work.

    Rotation: add the new key (with a new kid) to the verifiers' sets, start signing with it,
    and drop the old key once the last token it signed has expired.

    Key selection for a token (see select()): a token with a `kid` is checked with the key of
    that kid only; a `kid` naming no key is refused (unknown_kid) unless no key of the set has
    a kid at all, in which case the kid is ignored. A token without `kid` is checked against
    the keys bound to its `alg` (at most max_candidates of them, in insertion order).
    Keys in a set must have distinct kids (empty kids aside).
*/
class key_set {
public:
    /// How many keys a token without `kid` may be tried against: bounds the work an
    /// attacker can cause per token.
    static constexpr std::size_t max_candidates = 4;

    key_set() = default;
    key_set(std::initializer_list<key> keys) {
        for (const auto& k : keys)
            add(k);
    }

    /// Adds a key.
    /// Throws: key_error (a configuration error) when another key already has its kid.
    key_set& add(key k) {
        if (!k.kid().empty() && find(k.kid()))
            throw key_error("rampart::jwt: duplicate kid \"" + k.kid() + "\" in a key set");
        if (!k.kid().empty())
            ++with_kid_;
        keys_.push_back(std::move(k));
        return *this;
    }

    /// Removes the key with this kid; false when there was none.
    bool remove(std::string_view kid) {
        for (auto it = keys_.begin(); it != keys_.end(); ++it)
            if (!kid.empty() && it->kid() == kid) {
                keys_.erase(it);
                --with_kid_;
                return true;
            }
        return false;
    }

    /// The key with this kid, or nullptr.
    const key* find(std::string_view kid) const noexcept {
        for (const auto& k : keys_)
            if (k.kid() == kid)
                return &k;
        return nullptr;
    }

    /// Whether some key has a non-empty kid.
    bool has_kids() const noexcept { return with_kid_ > 0; }

    std::size_t size() const noexcept { return keys_.size(); }
    bool empty() const noexcept { return keys_.empty(); }
    auto begin() const noexcept { return keys_.begin(); }
    auto end() const noexcept { return keys_.end(); }

private:
    std::vector<key> keys_;
    std::size_t with_kid_ = 0;
};

} // namespace rampart::jwt

#endif
