// actsparse/xsimd_compat.hpp: the xsimd version differences, in one place.
//
// Debian 12 ships xsimd 8.1.0: no best_arch, no OS/XSAVE check, reduce_add is called hadd,
// and AVX2 with FMA is the separate arch fma3<avx2> (plain avx2 emulates fma as x * y + z,
// which rounds twice). Later xsimd keeps fma3<avx2> and renames hadd; nothing else here
// depends on the version.
#pragma once

#include <xsimd/xsimd.hpp>

namespace actsparse {
namespace simd {

template <class T, class A>
inline T reduce_add(const xsimd::batch<T, A>& v) {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(v);
#else
  return xsimd::hadd(v);
#endif
}

// The arch a header-only include gets: the best one the includer's compiler flags enable.
// xsimd::unavailable when none is (then the scalar kernels serve).
using native_arch = xsimd::default_arch;
inline constexpr bool kHaveSimd = !std::is_same<native_arch, xsimd::unavailable>::value;

}  // namespace simd
}  // namespace actsparse
