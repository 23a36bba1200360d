// actsparse/kernel/halves.hpp: V fp16 values -> V fp32 lanes, per instruction set: the
// SIMD twin of half_to_float (half.hpp), exact and DAZ-proof like it. The kernels convert
// each strip's scales and biases with it.
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../xsimd_compat.hpp"
#include "unpack.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

// fp16 lanes (zero-extended to int32) -> fp32, exact and DAZ-proof: the vector form of
// half_to_float (integer rebias for normals and Inf/NaN, int -> float times 2^-24 for
// subnormals).
template <class A>
inline xsimd::batch<float, A> halves_to_float(xsimd::batch<std::int32_t, A> h) {
  using bi = xsimd::batch<std::int32_t, A>;
  using bf = xsimd::batch<float, A>;
  const bi em = h & bi(0x7fff);
  const bi sign = (h & bi(0x8000)) << 16;
  const bi normal = (em << 13) + bi(112 << 23);
  const bi subnormal = xsimd::bitwise_cast<bi>(xsimd::to_float(em) * bf(0x1p-24f));
  const bi special = bi(0x7f800000) | ((em & bi(0x3ff)) << 13);
  const bi magnitude = xsimd::select(em >= bi(0x7c00), special, xsimd::select(em >= bi(0x0400), normal, subnormal));
  return xsimd::bitwise_cast<bf>(sign | magnitude);
}

// Loads V fp16 values as fp32.
template <class A>
inline xsimd::batch<float, A> load_halves(const std::uint16_t* p, xsimd::generic) {
  alignas(64) std::int32_t h[xsimd::batch<float, A>::size];
  for (std::size_t i = 0; i < xsimd::batch<float, A>::size; ++i) h[i] = p[i];
  return halves_to_float<A>(xsimd::batch<std::int32_t, A>::load_aligned(h));
}
#if XSIMD_WITH_AVX512F
template <class A, std::enable_if_t<kLanes<A> == 16, int> = 0>
inline xsimd::batch<float, A> load_halves(const std::uint16_t* p, xsimd::avx512f) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
#endif
#if XSIMD_WITH_AVX2
template <class A, std::enable_if_t<kLanes<A> == 8, int> = 0>
inline xsimd::batch<float, A> load_halves(const std::uint16_t* p, xsimd::avx2) {
  const xsimd::batch<std::int32_t, A> h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return halves_to_float<A>(h);
}
#endif
#if XSIMD_WITH_SSE4_1
template <class A, std::enable_if_t<kLanes<A> == 4, int> = 0>
inline xsimd::batch<float, A> load_halves(const std::uint16_t* p, xsimd::sse4_1) {
  const xsimd::batch<std::int32_t, A> h = _mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return halves_to_float<A>(h);
}
#endif
#if XSIMD_WITH_NEON64
template <class A, std::enable_if_t<kLanes<A> == 4, int> = 0>
inline xsimd::batch<float, A> load_halves(const std::uint16_t* p, xsimd::neon64) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}
#endif

// The first n (< V) fp16 values at p as fp32, the lanes from n on 0; reads no byte past
// p + n. The kernels load a strip's last biases with it: a whole vector there would read
// into the next strip (strip_pass.hpp, strip_products).
template <class A>
inline xsimd::batch<float, A> load_halves_head(const std::uint16_t* p, std::size_t n, xsimd::generic) {
  alignas(64) std::uint16_t h[xsimd::batch<float, A>::size] = {};
  for (std::size_t i = 0; i < n; ++i) h[i] = p[i];
  return load_halves<A>(h, A{});
}
#if XSIMD_WITH_AVX512F && defined(__AVX512BW__) && defined(__AVX512VL__)
// A masked load: no copy through memory, and no access to the masked lanes' bytes.
template <class A, std::enable_if_t<kLanes<A> == 16, int> = 0>
inline xsimd::batch<float, A> load_halves_head(const std::uint16_t* p, std::size_t n, xsimd::avx512f) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << n) - 1u), p));
}
#endif

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse
