// actsparse/kernel/micro.hpp: the micro-kernel: one group of Group outputs of U strips,
// applied to up to MaxRows rows of accumulators. Registers only, no edges: Group is a
// multiple of every chunk size, so there is never a ragged tail.
//
// micro_group picks the arch's variant (traits.hpp): the AVX-512 look-up products
// (micro_lut_avx512.hpp), the NEON nibble split (micro_nibble_neon.hpp), or the portable
// one below (unpack.hpp's unpack, convert, one FMA per output per strip per row). The
// portable variant unpacks each chunk of each strip once and applies it to every row; the
// look-up and nibble variants are one-row kernels, run once per row (their unpack is one
// or two instructions per 16 codes, so repeating it costs little next to a row's
// products). The scalar twin of all three is gemv_ref_impl (micro_ref.hpp).
//
// Contract: acc + rows[i] * stride is the first of Group accumulators of row rows[i] (in
// slot order where kSlotOrder), a[u][i] the product x * scale of strip u's group for that
// row (0 where the row skips the strip: a zero product leaves acc unchanged, as acc is
// never -0), codes[u] + offset the group's first code byte.
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <cstdint>

#include "../xsimd_compat.hpp"
#include "micro_lut_avx512.hpp"
#include "micro_nibble_neon.hpp"
#include "traits.hpp"
#include "unpack.hpp"

ACTSPARSE_INTRINSIC_WARNINGS_OFF

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

// acc + a * q the way the kernels of (A, Bits, Group) add a term: one fused multiply-add,
// or the product rounded first where the arch has no FMA (kFusedProducts, traits.hpp).
template <class A, int Bits, int Group>
inline xsimd::batch<float, A> add_term(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& q,
                                       const xsimd::batch<float, A>& acc) {
  if constexpr (kFusedProducts<A, Bits, Group>)
    return simd::fma(a, q, acc);
  else
    return acc + simd::rounded_mul(a, q);
}

// Portable: each chunk of kChunk<A> codes of each strip unpacked and converted once, then
// one FMA (or rounded product and add, where the arch has no FMA) per output per strip for
// each row.
template <int Bits, int Group, std::size_t U, class A, std::size_t MaxRows>
inline void micro_group_fma(float* acc, std::size_t stride, const std::uint32_t* rows, std::size_t nrows,
                            const float (*a)[MaxRows], const std::uint8_t* const* codes, std::size_t offset) {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t V = bf::size, C = kChunk<A>, R = C / V;
  static_assert(Group % C == 0, "a group must hold whole unpack chunks");
  if constexpr (MaxRows == 1) {
    // One row (gemv): the accumulators stay in registers across the U strips, and each
    // strip's chunk is unpacked right before its FMAs.
    (void)stride;
    (void)rows;
    (void)nrows;
    bf av[U];
#pragma GCC unroll 16
    for (std::size_t u = 0; u < U; ++u) av[u] = bf(a[u][0]);
    for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += C) {
      bf y[R];
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) y[r] = bf::load_aligned(acc + c + r * V);
#pragma GCC unroll 16
      for (std::size_t u = 0; u < U; ++u) {
        bi qi[R];
        unpack_chunk<Bits, A>(codes[u] + offset + c * Bits / 8, qi, A{});
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) y[r] = add_term<A, Bits, Group>(av[u], xsimd::to_float(qi[r]), y[r]);
      }
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) y[r].store_aligned(acc + c + r * V);
    }
    return;
  }
  const std::size_t nr = nrows;
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += C) {
    bf q[U][R];
#pragma GCC unroll 16
    for (std::size_t u = 0; u < U; ++u) {
      bi qi[R];
      unpack_chunk<Bits, A>(codes[u] + offset + c * Bits / 8, qi, A{});
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) q[u][r] = xsimd::to_float(qi[r]);
    }
    for (std::size_t i = 0; i < nr; ++i) {
      float* y = acc + rows[i] * stride + c;
      bf v[R];
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) v[r] = bf::load_aligned(y + r * V);
#pragma GCC unroll 16
      for (std::size_t u = 0; u < U; ++u) {
        const bf av(a[u][i]);
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) v[r] = add_term<A, Bits, Group>(av, q[u][r], v[r]);
      }
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) v[r].store_aligned(y + r * V);
    }
  }
}

template <int Bits, int Group, std::size_t U, class A, std::size_t MaxRows>
inline void micro_group(float* acc, std::size_t stride, const std::uint32_t* rows, std::size_t nrows,
                        const float (*a)[MaxRows], const std::uint8_t* const* codes, std::size_t offset) {
  static_assert(Group % kChunk<A> == 0, "a group must hold whole unpack chunks");
  if constexpr (kLutProducts<A, Bits, Group> || kNeonNibbles<A, Bits>) {
    const std::size_t nr = MaxRows == 1 ? 1 : nrows;
    for (std::size_t i = 0; i < nr; ++i) {
      float ar[U];
#pragma GCC unroll 16
      for (std::size_t u = 0; u < U; ++u) ar[u] = a[u][i];
      float* y = acc + (MaxRows == 1 ? 0 : rows[i] * stride);
#if XSIMD_WITH_AVX512BW
      if constexpr (kLutProducts<A, Bits, Group>) micro_group_lut<Bits, Group, U>(y, codes, offset, ar);
#endif
#if XSIMD_WITH_NEON64
      if constexpr (kNeonNibbles<A, Bits>) micro_group_neon4<Group, U>(y, codes, offset, ar);
#endif
      (void)y;
    }
  } else {
    micro_group_fma<Bits, Group, U, A, MaxRows>(acc, stride, rows, nrows, a, codes, offset);
  }
}

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse

ACTSPARSE_INTRINSIC_WARNINGS_ON
