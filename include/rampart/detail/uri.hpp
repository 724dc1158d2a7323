#ifndef RAMPART_DETAIL_URI_HPP
#define RAMPART_DETAIL_URI_HPP

// boost::urls::parse_uri for the cold paths that read a whole URL (the Redis URL, the
// validator's `.url()` rule), with two faults of Boost.URL 1.81 corrected in one place.

#include <boost/system/result.hpp>
#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <string>
#include <string_view>

namespace rampart::detail {

/** `s` parsed as an absolute URI (RFC 3986), or an error.

    Boost.URL 1.81 reads the host `10.0.0.5.nip.io` as the address `10.0.0.5` followed by the
    path `.nip.io`, and it lets any path follow an authority. Here such a host is the name it
    is, and a path after an authority must start with '/' (`http://h:80x` is refused).
*/
inline boost::system::result<boost::urls::url> parse_uri(std::string_view s) {
    auto parsed = boost::urls::parse_uri(s);
    if (!parsed)
        return parsed.error();
    boost::urls::url u(*parsed);
    auto path = parsed->encoded_path();
    if (parsed->host_type() == boost::urls::host_type::ipv4 && !path.empty() &&
        path.front() != '/') {
        // Parse again with the address's first digit replaced by a letter, so that the host
        // is read as a name to its true end; then write the real name back.
        std::string copy(s);
        auto host_at = static_cast<std::size_t>(parsed->encoded_host().data() - s.data());
        copy[host_at] = 'x';
        auto again = boost::urls::parse_uri(copy);
        if (!again)
            return again.error();
        u = *again;
        u.set_encoded_host_name(s.substr(host_at, again->encoded_host().size()));
    }
    if (u.has_authority() && !u.encoded_path().empty() && u.encoded_path().front() != '/')
        return boost::urls::grammar::error::mismatch;
    return u;
}

} // namespace rampart::detail

#endif
