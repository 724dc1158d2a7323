#ifndef RAMPART_JWT_IMPL_VERIFIER_HPP
#define RAMPART_JWT_IMPL_VERIFIER_HPP

#include <rampart/detail/ascii.hpp>
#include <rampart/detail/base64url.hpp>
#include <rampart/detail/strict_json.hpp>

#include <algorithm>
#include <array>

namespace rampart::jwt {
namespace detail {

struct compact_parts {
    std::string_view header, payload, signature, signing_input;
};

/// Splits `h.p.s`; false unless there are exactly three parts.
inline bool split_compact(std::string_view token, compact_parts& out) noexcept {
    auto first = token.find('.');
    if (first == std::string_view::npos)
        return false;
    auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return false;
    out.header = token.substr(0, first);
    out.payload = token.substr(first + 1, second - first - 1);
    out.signature = token.substr(second + 1);
    out.signing_input = token.substr(0, second);
    return true;
}

/// The decoded bytes of one token part: in this object when they fit (a typical header,
/// claims set or signature), else on the heap.
class decoded_part {
public:
    /// Decodes `part` strictly; false when it is not base64url.
    bool decode(std::string_view part) {
        const std::size_t n = rampart::detail::base64url_decoded_size(part.size());
        unsigned char* out = small_.data();
        if (n > small_.size()) {
            large_.resize(n);
            out = reinterpret_cast<unsigned char*>(large_.data());
        }
        if (!rampart::detail::base64url_decode(part, out))
            return false;
        view_ = {reinterpret_cast<const char*>(out), n};
        return true;
    }
    std::string_view view() const noexcept { return view_; }

private:
    std::array<unsigned char, 1024> small_;
    std::string large_;
    std::string_view view_;
};

/// `text` parsed as a strict JSON object whose memory comes from `sp`.
inline boost::system::result<boost::json::object, error>
parse_object(std::string_view text, const boost::json::storage_ptr& sp) {
    auto r = rampart::detail::parse_strict_json_in(text, 16, sp);
    if (r.ec || !r.value.is_object())
        return error::bad_json;
    if (r.duplicate_key)
        return error::duplicate_key;
    return std::move(r.value.get_object()); // same storage: a move, not a copy
}

/// A token part decoded and parsed as a strict JSON object whose memory comes from `sp`.
inline boost::system::result<boost::json::object, error>
decode_object(std::string_view part, const boost::json::storage_ptr& sp) {
    decoded_part text;
    if (!text.decode(part))
        return error::bad_base64;
    return parse_object(text.view(), sp);
}

inline std::string_view as_view(const boost::json::string& s) noexcept {
    return {s.data(), s.size()};
}

/// What the header checks found: the algorithm and the `kid` (absent or a string).
struct header_facts {
    algorithm alg{};
    std::optional<std::string_view> kid;
};

/// The header checks (typ, alg, crit, kid's type) of verifier::try_verify, in its order.
inline boost::system::result<header_facts, error>
check_header(const boost::json::object& header,
             const std::vector<std::string>& understood_critical) {
    if (auto it = header.find("typ"); it != header.end()) {
        if (!it->value().is_string())
            return error::malformed;
        auto typ = as_view(it->value().get_string());
        if (!rampart::detail::iequals(typ, "JWT") &&
            !rampart::detail::iequals(typ, "application/jwt"))
            return error::unsupported_typ;
    }

    auto alg_it = header.find("alg");
    if (alg_it == header.end() || !alg_it->value().is_string())
        return error::malformed;
    auto alg_name = as_view(alg_it->value().get_string());
    if (rampart::detail::iequals(alg_name, "none"))
        return error::alg_none;
    auto alg = algorithm_from_name(alg_name);
    if (!alg)
        return error::alg_not_allowed;

    if (auto it = header.find("crit"); it != header.end()) {
        // RFC 7515 4.1.11: a non-empty array of names present in the header, each understood.
        const auto* list = it->value().if_array();
        if (!list || list->empty())
            return error::crit_unsupported;
        for (const auto& entry : *list) {
            if (!entry.is_string())
                return error::crit_unsupported;
            auto n = as_view(entry.get_string());
            if (!header.contains(n) ||
                std::find(understood_critical.begin(), understood_critical.end(), n) ==
                    understood_critical.end())
                return error::crit_unsupported;
        }
    }

    header_facts facts{*alg, {}};
    if (auto it = header.find("kid"); it != header.end()) {
        if (!it->value().is_string())
            return error::malformed;
        facts.kid = as_view(it->value().get_string());
    }
    return facts;
}

/// A header that is exactly `{"alg":"<A>","typ":"JWT"}` (or with `typ` first), A a supported
/// algorithm: what PyJWT, simplejwt and jwt::issuer write.
struct plain_header {
    algorithm alg{};
    bool typ_first = false;
};

/** The plain_header `text` is, or nullopt. Such a header passes every header check the same
    way, with no `kid` and no `crit`, so its JSON need not be parsed; any other text (other
    members, spacing, escapes, another order, an unknown or `none` algorithm) is not one and
    takes the full parse.
*/
inline std::optional<plain_header> plain_header_of(std::string_view text) noexcept {
    constexpr std::string_view forms[2][2] = {{R"({"alg":")", R"(","typ":"JWT"})"},
                                              {R"({"typ":"JWT","alg":")", R"("})"}};
    for (int typ_first = 0; typ_first < 2; ++typ_first) {
        auto head = forms[typ_first][0], tail = forms[typ_first][1];
        if (text.size() > head.size() + tail.size() && text.starts_with(head) &&
            text.ends_with(tail)) {
            // Algorithm names hold no quote or backslash: the middle is exactly one of them.
            auto alg = algorithm_from_name(
                text.substr(head.size(), text.size() - head.size() - tail.size()));
            if (!alg)
                return std::nullopt;
            return plain_header{*alg, typ_first == 1};
        }
    }
    return std::nullopt;
}

/// The object the full parse makes of plain header `h`, in `sp`.
inline boost::json::object make_header(plain_header h, const boost::json::storage_ptr& sp) {
    boost::json::object out(2, sp);
    if (h.typ_first)
        out.emplace("typ", "JWT");
    out.emplace("alg", name(h.alg));
    if (!h.typ_first)
        out.emplace("typ", "JWT");
    return out;
}

} // namespace detail

template <clock_source Clock>
verify_result verifier<Clock>::try_verify(std::string_view token, const key_set& keys,
                                          boost::json::storage_ptr sp) const {
    if (token.size() > options_.max_token_size)
        return error::too_large;
    detail::compact_parts parts;
    if (!detail::split_compact(token, parts))
        return error::malformed;

    detail::decoded_part header_text;
    if (!header_text.decode(parts.header))
        return error::bad_base64;
    // The usual header is recognised as text; any other is parsed and checked member by member.
    auto plain = detail::plain_header_of(header_text.view());
    boost::json::object header(sp);
    detail::header_facts facts;
    if (plain) {
        facts.alg = plain->alg;
    } else {
        auto parsed = detail::parse_object(header_text.view(), sp);
        if (!parsed)
            return parsed.error();
        header = std::move(*parsed); // same storage: a move
        auto checked = detail::check_header(header, options_.understood_critical);
        if (!checked)
            return checked.error();
        facts = *checked;
    }
    const auto alg = facts.alg;

    // Key selection: by kid when the set uses kids, else every key bound to this alg.
    std::array<const key*, key_set::max_candidates> candidates{};
    std::size_t count = 0;
    const key* by_kid = nullptr;
    if (facts.kid) {
        by_kid = facts.kid->empty() ? nullptr : keys.find(*facts.kid);
        if (!by_kid && keys.has_kids())
            return error::unknown_kid;
    }
    if (by_kid) {
        if (by_kid->alg() != alg)
            return error::alg_not_allowed;
        candidates[count++] = by_kid;
    } else {
        for (const auto& k : keys)
            if (k.alg() == alg && count < candidates.size())
                candidates[count++] = &k;
        if (count == 0)
            return error::alg_not_allowed;
    }

    detail::decoded_part signature;
    if (!signature.decode(parts.signature))
        return error::bad_base64;
    const key* verified_by = nullptr;
    for (std::size_t i = 0; i < count && !verified_by; ++i)
        if (candidates[i]->verify(parts.signing_input, signature.view()))
            verified_by = candidates[i];
    if (!verified_by)
        return error::bad_signature;

    auto claims = detail::decode_object(parts.payload, sp);
    if (!claims)
        return claims.error();
    if (plain)
        header = detail::make_header(*plain, sp);
    // Moved, not assigned: an object keeps the storage it was made with.
    return check_claims(
        verified_token{std::move(header), std::move(*claims), alg, verified_by->kid()});
}

template <clock_source Clock>
verify_result verifier<Clock>::check_claims(verified_token&& t) const {
    const auto& claims = t.claims;
    for (const auto& name : options_.required_claims)
        if (!claims.contains(name))
            return error::missing_claim;

    // One pass finds every member the checks below read: the claims have no repeated names,
    // so each is the one claims.find() would return.
    const boost::json::value *exp_v = nullptr, *nbf_v = nullptr, *iat_v = nullptr, *iss_v = nullptr,
                             *aud_v = nullptr, *type_v = nullptr;
    for (const auto& member : claims) {
        const std::string_view name = member.key();
        if (name == "exp")
            exp_v = &member.value();
        else if (name == "nbf")
            nbf_v = &member.value();
        else if (name == "iat")
            iat_v = &member.value();
        else if (name == "iss")
            iss_v = &member.value();
        else if (name == "aud")
            aud_v = &member.value();
        if (name == options_.token_type_claim)
            type_v = &member.value();
    }

    const double now = std::chrono::duration<double>(clock_.now().time_since_epoch()).count();
    const double leeway = static_cast<double>(options_.leeway.count());
    auto date = [](const boost::json::value* v, std::optional<double>& value) -> bool {
        if (!v)
            return true;
        value = numeric_date(*v);
        return value.has_value();
    };
    std::optional<double> exp, nbf, iat;
    if (!date(exp_v, exp) || !date(nbf_v, nbf) || !date(iat_v, iat))
        return error::malformed;
    if (exp && *exp <= now - leeway)
        return error::expired;
    if (nbf && *nbf > now + leeway)
        return error::not_yet_valid;
    if (iat && *iat > now + leeway)
        return error::issued_in_future;

    if (!options_.issuer.empty()) {
        if (!iss_v || !iss_v->is_string() ||
            detail::as_view(iss_v->get_string()) != options_.issuer)
            return error::bad_issuer;
    }

    if (aud_v) {
        if (options_.audiences.empty())
            return error::bad_audience;
        auto accepted = [&](const boost::json::value& v) {
            if (!v.is_string())
                return false;
            auto a = detail::as_view(v.get_string());
            return std::find(options_.audiences.begin(), options_.audiences.end(), a) !=
                   options_.audiences.end();
        };
        bool ok = false;
        if (const auto* list = aud_v->if_array()) {
            for (const auto& v : *list) {
                if (!v.is_string())
                    return error::malformed;
                ok = ok || accepted(v);
            }
        } else if (aud_v->is_string()) {
            ok = accepted(*aud_v);
        } else {
            return error::malformed;
        }
        if (!ok)
            return error::bad_audience;
    } else if (!options_.audiences.empty()) {
        return error::bad_audience;
    }

    if (!options_.token_type.empty()) {
        if (!type_v || !type_v->is_string() ||
            detail::as_view(type_v->get_string()) != options_.token_type)
            return error::wrong_token_type;
    }
    return std::move(t);
}

inline std::string peek_kid(std::string_view token, std::size_t max_token_size) {
    detail::compact_parts parts;
    if (token.size() > max_token_size || !detail::split_compact(token, parts))
        return {};
    auto header = detail::decode_object(parts.header, {});
    if (!header)
        return {};
    auto it = header->find("kid");
    if (it == header->end() || !it->value().is_string())
        return {};
    return std::string(it->value().get_string());
}

} // namespace rampart::jwt

#endif
