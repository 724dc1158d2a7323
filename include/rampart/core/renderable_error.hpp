#ifndef RAMPART_CORE_RENDERABLE_ERROR_HPP
#define RAMPART_CORE_RENDERABLE_ERROR_HPP

#include <rampart/core/types.hpp>

#include <exception>

namespace rampart {

/** An exception that knows the response it stands for.

    `http_error` (`rampart/errors`) is the one rampart throws. A context with no error sink
    installed renders such an exception with default_response(), so core needs nothing from
    the error layer: the envelope format lives in `rampart/errors` alone.
*/
class renderable_error : public std::exception {
public:
    /// This error as a response in the library's default format.
    /// Throws: only what building a response throws (std::bad_alloc); the context then
    /// answers a fixed 500.
    virtual response default_response() const = 0;
};

} // namespace rampart

#endif
