// tests/fuzz/fuzz_common.hpp: what every libFuzzer target here shares. check() turns a
// broken invariant into a crash libFuzzer reports; refused() runs a call that may refuse its
// input as the library's contract says (actsparse::error) and tells whether it did.
#pragma once

#include <actsparse/error.hpp>

namespace fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

template <class F>
bool refused(F&& f) {
  try {
    f();
  } catch (const actsparse::error&) {
    return true;
  }
  return false;
}

}  // namespace fuzz
