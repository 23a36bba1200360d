// actsparse/config.hpp: the namespace every header opens.
//
// Header-only users get plain `namespace actsparse`. The dispatching library (kernels/)
// compiles the same headers once per instruction set, each time with that ISA's compiler
// flags; without care, the inline functions of those copies (pack, half_to_float, ...)
// would share their mangled names and the linker would keep one of them, perhaps the
// AVX-512 copy, for every caller. Defining ACTSPARSE_ISA_NAMESPACE (e.g. isa_avx2) wraps
// everything in an inline namespace of that name, so each copy has names of its own.
// Source code reads the same either way (actsparse::gemv), but the types differ: a
// packed_matrix of one ISA namespace is not one of another. Only actsparse::error
// (error.hpp) stays outside, so every copy throws the one type callers catch.
#pragma once

#if defined(ACTSPARSE_ISA_NAMESPACE)
#define ACTSPARSE_NAMESPACE_BEGIN \
  namespace actsparse {           \
  inline namespace ACTSPARSE_ISA_NAMESPACE {
#define ACTSPARSE_NAMESPACE_END \
  }                             \
  }
#else
#define ACTSPARSE_NAMESPACE_BEGIN namespace actsparse {
#define ACTSPARSE_NAMESPACE_END }
#endif

// Symbols the dispatching library exports although it is built with hidden visibility:
// its C++ API and the error types that cross the library boundary.
#if defined(_WIN32)
#define ACTSPARSE_VISIBLE
#else
#define ACTSPARSE_VISIBLE __attribute__((visibility("default")))
#endif
