// actsparse/xsimd_compat.hpp: the xsimd version differences, in one place.
//
// Debian 12 ships xsimd 8.1.0: no best_arch, no OS/XSAVE check, reduce_add is called hadd,
// AVX2 with FMA is the separate arch fma3<avx2> (plain avx2 emulates fma as x * y + z, which
// rounds twice), and the AVX-512 archs have no fma of their own either: xsimd::fma falls
// back to x * y + z, fused or not at the compiler's whim (-ffp-contract). simd::fma below
// always fuses on AVX-512, so results do not depend on compiler flags.
#pragma once

#include "config.hpp"

#include <type_traits>

#include <xsimd/xsimd.hpp>

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

template <class T, class A>
inline T reduce_add(const xsimd::batch<T, A>& v) {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(v);
#else
  return xsimd::hadd(v);
#endif
}

template <class A>
inline xsimd::batch<float, A> fma(const xsimd::batch<float, A>& x, const xsimd::batch<float, A>& y,
                                  const xsimd::batch<float, A>& z) {
#if XSIMD_WITH_AVX512F && XSIMD_VERSION_MAJOR < 9
  if constexpr (std::is_base_of<xsimd::avx512f, A>::value) return _mm512_fmadd_ps(x, y, z);
#endif
  return xsimd::fma(x, y, z);
}

// x * y rounded on its own, never contracted into a following add or subtraction (the
// look-up kernels' arithmetic, gemv.hpp; the int8 mode's rounding, int8.hpp): GCC contracts
// vector operators across statements under -ffp-contract=fast, its default outside ISO mode.
template <class A>
inline xsimd::batch<float, A> rounded_mul(const xsimd::batch<float, A>& x, const xsimd::batch<float, A>& y) {
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_base_of<xsimd::avx512f, A>::value)
    return _mm512_mul_round_ps(x, y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#endif
  typename xsimd::batch<float, A>::register_type t = x * y;
#if (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  __asm__("" : "+w"(t));
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __asm__("" : "+v"(t));
#endif
  return t;
}

// The arch a header-only include gets: the best one the includer's compiler flags enable.
// xsimd::unavailable when none is (then the scalar kernels serve).
using native_arch = xsimd::default_arch;
inline constexpr bool kHaveSimd = !std::is_same<native_arch, xsimd::unavailable>::value;

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse
