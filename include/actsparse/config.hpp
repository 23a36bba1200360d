// actsparse/config.hpp: the namespace every header opens.
//
// A program may compile the headers in several translation units with different -m flags
// (a runtime that dispatches by CPU does exactly that). Every inline function and template
// is then compiled once per flag set under one mangled name, and the linker keeps one copy
// for all callers: perhaps the AVX-512 copy, for a caller meant to run on a CPU without it
// (a SIGILL), or an FMA copy for a caller whose results assume separate rounding. So the
// headers put everything into an inline namespace named after the instruction-set features
// the compiler flags enable (isa_namespace.hpp): two flag sets that can generate different
// code get different names, and nothing is shared. Source code reads the same either way
// (actsparse::gemv), but the types differ: a packed_matrix built in a -mavx2 translation
// unit is not one of a baseline unit, and passing it across is a link error, never a wrong
// result. Across such units, and across a library boundary, pass the C API's handles or
// use the dispatching library (dispatch.hpp), whose exported functions take plain views.
//
// Defining ACTSPARSE_ISA_NAMESPACE overrides the derived name (the dispatching library
// names its copies isa_scalar, isa_sse42, ...). Only actsparse::error (error.hpp) and the
// dispatching library's interface stay outside, so every copy throws, and every caller
// catches, one type.
#pragma once

#if !defined(ACTSPARSE_ISA_NAMESPACE)
#include "isa_namespace.hpp"
#define ACTSPARSE_ISA_NAMESPACE ACTSPARSE_DERIVED_ISA_NAMESPACE
#endif

#define ACTSPARSE_NAMESPACE_BEGIN \
  namespace actsparse {           \
  inline namespace ACTSPARSE_ISA_NAMESPACE {
#define ACTSPARSE_NAMESPACE_END \
  }                             \
  }

// Symbols the dispatching library exports although it is built with hidden visibility:
// its C++ API and the error types that cross the library boundary.
#if defined(_WIN32)
#define ACTSPARSE_VISIBLE
#else
#define ACTSPARSE_VISIBLE __attribute__((visibility("default")))
#endif

// GCC 12 warns "'__Y' is (or may be) used uninitialized" inside its own AVX-512 intrinsics
// (_mm512_undefined_*, GCC bug 105593, fixed in GCC 13) wherever they are inlined. The
// kernel headers that inline intrinsics open with the first macro and end with the second.
#if defined(__GNUC__) && !defined(__clang__)
#define ACTSPARSE_INTRINSIC_WARNINGS_OFF                         \
  _Pragma("GCC diagnostic push")                                 \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define ACTSPARSE_INTRINSIC_WARNINGS_ON _Pragma("GCC diagnostic pop")
#else
#define ACTSPARSE_INTRINSIC_WARNINGS_OFF
#define ACTSPARSE_INTRINSIC_WARNINGS_ON
#endif
