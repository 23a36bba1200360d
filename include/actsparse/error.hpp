// actsparse/error.hpp: the one exception type the library throws.
//
// Every public entry point checks its arguments once, before it writes anything, and
// throws actsparse::error with a message that names the function, the bad parameter and
// the legal values. The hot loops below the API boundary neither check nor throw.
#pragma once

#include "config.hpp"

#include <sstream>
#include <stdexcept>
#include <string>

// The error type stays in plain namespace actsparse even when the headers are compiled
// into an ISA namespace (config.hpp), so every copy throws, and every caller catches, one type.
namespace actsparse {
class ACTSPARSE_VISIBLE error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
}  // namespace actsparse

ACTSPARSE_NAMESPACE_BEGIN

namespace detail {

// Builds "actsparse::<where>: <what>" from any streamable pieces and throws it.
template <class... Parts>
[[noreturn]] inline void fail(const char* where, const Parts&... parts) {
  std::ostringstream os;
  os << "actsparse::" << where << ": ";
  (os << ... << parts);
  throw error(os.str());
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
