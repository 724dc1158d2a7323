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

inline std::optional<error> decode_object(std::string_view part, boost::json::object& out) {
    std::string text;
    if (!rampart::detail::base64url_decode(part, text))
        return error::bad_base64;
    switch (rampart::detail::parse_object(text, out)) {
    case rampart::detail::json_status::ok:
        return std::nullopt;
    case rampart::detail::json_status::duplicate_key:
        return error::duplicate_key;
    default:
        return error::bad_json;
    }
}

inline std::string_view as_view(const boost::json::string& s) noexcept {
    return {s.data(), s.size()};
}

} // namespace detail

template <clock_source Clock>
verify_result verifier<Clock>::try_verify(std::string_view token, const key_set& keys) const {
    if (token.size() > options_.max_token_size)
        return error::too_large;
    detail::compact_parts parts;
    if (!detail::split_compact(token, parts))
        return error::malformed;

    verified_token out;
    if (auto e = detail::decode_object(parts.header, out.header))
        return *e;
    const auto& header = out.header;

    if (auto it = header.find("typ"); it != header.end()) {
        if (!it->value().is_string())
            return error::malformed;
        auto typ = detail::as_view(it->value().get_string());
        if (!rampart::detail::iequals(typ, "JWT") &&
            !rampart::detail::iequals(typ, "application/jwt"))
            return error::unsupported_typ;
    }

    auto alg_it = header.find("alg");
    if (alg_it == header.end() || !alg_it->value().is_string())
        return error::malformed;
    auto alg_name = detail::as_view(alg_it->value().get_string());
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
            auto n = detail::as_view(entry.get_string());
            if (!header.contains(n) ||
                std::find(options_.understood_critical.begin(), options_.understood_critical.end(),
                          n) == options_.understood_critical.end())
                return error::crit_unsupported;
        }
    }

    // Key selection: by kid when the set uses kids, else every key bound to this alg.
    std::array<const key*, key_set::max_candidates> candidates{};
    std::size_t count = 0;
    const key* by_kid = nullptr;
    if (auto it = header.find("kid"); it != header.end()) {
        if (!it->value().is_string())
            return error::malformed;
        auto kid = detail::as_view(it->value().get_string());
        by_kid = kid.empty() ? nullptr : keys.find(kid);
        if (!by_kid && keys.has_kids())
            return error::unknown_kid;
    }
    if (by_kid) {
        if (by_kid->alg() != *alg)
            return error::alg_not_allowed;
        candidates[count++] = by_kid;
    } else {
        for (const auto& k : keys)
            if (k.alg() == *alg && count < candidates.size())
                candidates[count++] = &k;
        if (count == 0)
            return error::alg_not_allowed;
    }

    std::string signature;
    if (!rampart::detail::base64url_decode(parts.signature, signature))
        return error::bad_base64;
    const key* verified_by = nullptr;
    for (std::size_t i = 0; i < count && !verified_by; ++i)
        if (candidates[i]->verify(parts.signing_input, signature))
            verified_by = candidates[i];
    if (!verified_by)
        return error::bad_signature;
    out.alg = *alg;
    out.kid = verified_by->kid();

    if (auto e = detail::decode_object(parts.payload, out.claims))
        return *e;
    return check_claims(std::move(out));
}

template <clock_source Clock>
verify_result verifier<Clock>::check_claims(verified_token&& t) const {
    const auto& claims = t.claims;
    for (const auto& name : options_.required_claims)
        if (!claims.contains(name))
            return error::missing_claim;

    const double now = std::chrono::duration<double>(clock_.now().time_since_epoch()).count();
    const double leeway = static_cast<double>(options_.leeway.count());
    auto date = [&](std::string_view name, std::optional<double>& value) -> bool {
        auto it = claims.find(name);
        if (it == claims.end())
            return true;
        value = numeric_date(it->value());
        return value.has_value();
    };
    std::optional<double> exp, nbf, iat;
    if (!date("exp", exp) || !date("nbf", nbf) || !date("iat", iat))
        return error::malformed;
    if (exp && *exp <= now - leeway)
        return error::expired;
    if (nbf && *nbf > now + leeway)
        return error::not_yet_valid;
    if (iat && *iat > now + leeway)
        return error::issued_in_future;

    if (!options_.issuer.empty()) {
        auto it = claims.find("iss");
        if (it == claims.end() || !it->value().is_string() ||
            detail::as_view(it->value().get_string()) != options_.issuer)
            return error::bad_issuer;
    }

    if (auto it = claims.find("aud"); it != claims.end()) {
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
        if (const auto* list = it->value().if_array()) {
            for (const auto& v : *list) {
                if (!v.is_string())
                    return error::malformed;
                ok = ok || accepted(v);
            }
        } else if (it->value().is_string()) {
            ok = accepted(it->value());
        } else {
            return error::malformed;
        }
        if (!ok)
            return error::bad_audience;
    } else if (!options_.audiences.empty()) {
        return error::bad_audience;
    }

    if (!options_.token_type.empty()) {
        auto it = claims.find(options_.token_type_claim);
        if (it == claims.end() || !it->value().is_string() ||
            detail::as_view(it->value().get_string()) != options_.token_type)
            return error::wrong_token_type;
    }
    return std::move(t);
}

inline std::string peek_kid(std::string_view token, std::size_t max_token_size) {
    detail::compact_parts parts;
    if (token.size() > max_token_size || !detail::split_compact(token, parts))
        return {};
    boost::json::object header;
    if (detail::decode_object(parts.header, header))
        return {};
    auto it = header.find("kid");
    if (it == header.end() || !it->value().is_string())
        return {};
    return std::string(it->value().get_string());
}

} // namespace rampart::jwt

#endif
