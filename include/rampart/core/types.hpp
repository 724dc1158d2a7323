#ifndef RAMPART_CORE_TYPES_HPP
#define RAMPART_CORE_TYPES_HPP

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

/// rampart: production REST middleware for Boost.Beast services.
namespace rampart {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

/// The request every layer sees: a Beast request whose body is already read into a string.
using request = http::request<http::string_body>;

/// The response every layer returns. A string body keeps responses cheap to inspect and amend.
using response = http::response<http::string_body>;

} // namespace rampart

#endif
