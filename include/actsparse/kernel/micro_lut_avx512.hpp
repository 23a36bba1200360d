// actsparse/kernel/micro_lut_avx512.hpp: the AVX-512 look-up micro-kernels (2, 3 and 4
// bits), one group of Group outputs of U strips, one row of accumulators. Their scalar
// twin is gemv_ref_impl with rounded products (micro_ref.hpp).
//
// The cvt-and-FMA chain (about 6 instructions per 16 weights with the unpack) held the
// kernels to about 27 Gweights/s per core on the development machine (AVX-512, Zen 4
// class), below what its memory delivers (docs/performance.md). With codes of at most 4
// bits, a strip's 16 possible products a * q of a group fit in one register, t[i] = a * i,
// and vpermps (which reads only the low 4 bits of each index lane) selects them: a byte
// lane from vpmovzxbd holds two 4-bit codes (or four 2-bit ones), so the codes need one
// shift and no mask, and each product costs one permute and one add. Lane i of the
// shift-by-(r * Bits) vector holds output i * (8 / Bits) + r, so the accumulators of each
// chunk of 16 * 8 / Bits outputs are kept in that order ("slot" order, acc_slot in
// traits.hpp) and put back in output order when the tile is written.
//
// The product is rounded before the add (a * q, then + acc), where the FMA paths round
// once; kFusedProducts (traits.hpp) says which, and the scalar twin can follow either.
// Which formats take this path, with the measurements: traits.hpp, avx512.
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <cstdint>

#include "../xsimd_compat.hpp"

ACTSPARSE_INTRINSIC_WARNINGS_OFF

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

#if XSIMD_WITH_AVX512BW
// t[u][i] = a[u] * (i mod 2^Bits), the tables the look-up kernels index by code (the
// index's bits above the code belong to the next codes).
template <int Bits, std::size_t U>
inline void product_tables(const float* a, __m512* t) {
  const __m512 code_of_index = _mm512_cvtepi32_ps(
      _mm512_and_si512(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                       _mm512_set1_epi32((1 << Bits) - 1)));
#pragma GCC unroll 16
  for (std::size_t u = 0; u < U; ++u) t[u] = _mm512_mul_ps(_mm512_set1_ps(a[u]), code_of_index);
}

#if defined(__AVX512VBMI__)
// 3-bit, 64 outputs (24 code bytes) per chunk: lane i takes the 12 bits of codes 4i..4i+3,
// which start at bit 12i: bytes 1.5i and 1.5i + 1 gathered by one vpermb, shifted right by
// 0 or 4. Then as for 2 and 4 bits: shifts by 3r, vpermps with t[i] = a * (i mod 8), add.
struct lut3_tables {
  alignas(64) std::uint8_t gather[64];
  alignas(64) std::uint32_t shift[16];
  constexpr lut3_tables() : gather{}, shift{} {
    for (int i = 0; i < 16; ++i) {
      gather[4 * i] = static_cast<std::uint8_t>(12 * i / 8);
      gather[4 * i + 1] = static_cast<std::uint8_t>(12 * i / 8 + 1);
      shift[i] = static_cast<std::uint32_t>(12 * i % 8);
    }
  }
};
inline constexpr lut3_tables kLut3Tables{};

template <int Group, std::size_t U>
inline void micro_group_lut3(float* acc, const std::uint8_t* const* codes, std::size_t offset, const float* a) {
  static_assert(Group % 64 == 0, "3-bit look-up chunks are 64 outputs");
  const __m512i gather = _mm512_load_si512(kLut3Tables.gather);
  const __m512i shift = _mm512_load_si512(kLut3Tables.shift);
  __m512 t[U];
  product_tables<3, U>(a, t);
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += 64) {
    __m512 y[4];
#pragma GCC unroll 16
    for (int r = 0; r < 4; ++r) y[r] = _mm512_load_ps(acc + c + 16 * r);
#pragma GCC unroll 16
    for (std::size_t u = 0; u < U; ++u) {
      // 32 bytes read for 24 used: the strip's scales, or the tail padding, follow.
      const __m512i src = _mm512_zextsi256_si512(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes[u] + offset + c * 3 / 8)));
      const __m512i w =
          _mm512_srlv_epi32(_mm512_maskz_permutexvar_epi8(0x3333333333333333ull, gather, src), shift);
      y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(w, t[u]));
#pragma GCC unroll 16
      for (int r = 1; r < 4; ++r) y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_srli_epi32(w, 3 * r), t[u]));
    }
#pragma GCC unroll 16
    for (int r = 0; r < 4; ++r) _mm512_store_ps(acc + c + 16 * r, y[r]);
  }
}
#endif

// 2 and 4 bits: one code byte per lane (vpmovzxbd), 8 / Bits codes in it.
template <int Bits, int Group, std::size_t U>
inline void micro_group_lut_bytes(float* acc, const std::uint8_t* const* codes, std::size_t offset, const float* a) {
  constexpr int kPerLane = 8 / Bits;  // codes per byte
  constexpr std::size_t kChunkOut = 16 * kPerLane;
  static_assert(Group % kChunkOut == 0, "a group must hold whole look-up chunks");
  __m512 t[U];
  product_tables<Bits, U>(a, t);
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += kChunkOut) {
    __m512 y[kPerLane];
#pragma GCC unroll 16
    for (int r = 0; r < kPerLane; ++r) y[r] = _mm512_load_ps(acc + c + 16 * r);
#pragma GCC unroll 16
    for (std::size_t u = 0; u < U; ++u) {
      const __m512i b =
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes[u] + offset + c * Bits / 8)));
      y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(b, t[u]));
#pragma GCC unroll 16
      for (int r = 1; r < kPerLane; ++r)
        y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_srli_epi32(b, r * Bits), t[u]));
    }
#pragma GCC unroll 16
    for (int r = 0; r < kPerLane; ++r) _mm512_store_ps(acc + c + 16 * r, y[r]);
  }
}

template <int Bits, int Group, std::size_t U>
inline void micro_group_lut(float* acc, const std::uint8_t* const* codes, std::size_t offset, const float* a) {
#if defined(__AVX512VBMI__)
  if constexpr (Bits == 3) {
    micro_group_lut3<Group, U>(acc, codes, offset, a);
    return;
  } else
#endif
  micro_group_lut_bytes<Bits, Group, U>(acc, codes, offset, a);
}

#endif

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse

ACTSPARSE_INTRINSIC_WARNINGS_ON
