// actsparse/kernel/unpack.hpp: codes -> int32 lanes, per instruction set: the SIMD half of the
// code bit stream of format.hpp, with get_code (format.hpp) as its scalar twin.
//
// A strip holds its codes as one little-endian bit stream, output n at bit n * Bits (MLX's
// layout). One method serves every width, the odd ones (3, 5, 6) included, with no generic
// slow path: code i of a chunk lives in the 16-bit window starting at byte (i*Bits)/8, at bit
// (i*Bits)%8. So each lane
//   1. gets bytes o_i and o_i+1 of the chunk (one byte shuffle: pshufb / tbl),
//   2. shifts right by its own s_i (vpsrlvd; NEON vshl by -s_i; SSE4.1 multiplies instead),
//   3. masks to Bits.
// 8-bit codes skip the shuffle (a plain zero-extending load).
//
// unpack_chunk<Bits>(p, out, A) reads the kChunk<A> codes at p (kChunk * Bits / 8 bytes, so
// whole bytes: 16 codes on AVX-512, 8 elsewhere) into kChunk / V batches, in output order.
// It may read up to 16 bytes from p; the packed buffer's tail padding (kTailPad) makes that safe.
#pragma once

#include "../config.hpp"

#include <array>
#include <type_traits>
#include <cstddef>
#include <cstdint>

#include "../format.hpp"
#include "../xsimd_compat.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

template <class A>
inline constexpr std::size_t kLanes = xsimd::batch<float, A>::size;

// Codes per unpack: at least 8, so kChunk * Bits is a whole number of bytes for every Bits.
template <class A>
inline constexpr std::size_t kChunk = kLanes<A> < 8 ? 8 : kLanes<A>;

namespace impl {

// pshufb/tbl indices: lane i (4 bytes) takes bytes o_i, o_i+1 of the chunk, zero above.
// The second byte is zeroed (0x80) when the code fits in the first, which also keeps the
// index inside the 16 loaded bytes for 8-bit codes.
template <int Bits, int Lanes, int FirstLane>
constexpr std::array<std::uint8_t, 4 * Lanes> shuffle_index() {
  std::array<std::uint8_t, 4 * Lanes> idx{};
  for (int i = 0; i < Lanes; ++i) {
    const int code_bit = (FirstLane + i) * Bits;
    const int o = code_bit >> 3, s = code_bit & 7;
    idx[4 * i + 0] = static_cast<std::uint8_t>(o);
    idx[4 * i + 1] = static_cast<std::uint8_t>(s + Bits > 8 ? o + 1 : 0x80);
    idx[4 * i + 2] = 0x80;
    idx[4 * i + 3] = 0x80;
  }
  return idx;
}

template <int Bits, int Lanes, int FirstLane>
constexpr std::array<std::uint32_t, Lanes> shift_amount() {
  std::array<std::uint32_t, Lanes> s{};
  for (int i = 0; i < Lanes; ++i) s[i] = static_cast<std::uint32_t>(((FirstLane + i) * Bits) & 7);
  return s;
}

// 2^(16 - s_i): SSE4.1 has no per-lane shift, and (w >> s) == (w * 2^(16 - s)) >> 16 for w < 2^16.
template <int Bits, int Lanes, int FirstLane>
constexpr std::array<std::uint32_t, Lanes> shift_multiplier() {
  std::array<std::uint32_t, Lanes> m{};
  for (int i = 0; i < Lanes; ++i) m[i] = 1u << (16 - (((FirstLane + i) * Bits) & 7));
  return m;
}

template <int Bits, int Lanes, int FirstLane>
struct unpack_tables {
  alignas(64) static constexpr std::array<std::uint8_t, 4 * Lanes> shuffle = shuffle_index<Bits, Lanes, FirstLane>();
  alignas(64) static constexpr std::array<std::uint32_t, Lanes> shift = shift_amount<Bits, Lanes, FirstLane>();
  alignas(64) static constexpr std::array<std::uint32_t, Lanes> multiplier = shift_multiplier<Bits, Lanes, FirstLane>();
};

}  // namespace impl

// Portable fallback for archs without a byte shuffle (SSE2, plain NEON32 ...): decode
// into a small array and load it. Correct everywhere; the archs below override it.
template <int Bits, class A>
inline void unpack_chunk(const std::uint8_t* p, xsimd::batch<std::int32_t, A>* out, xsimd::generic) {
  constexpr std::size_t V = kLanes<A>;
  alignas(64) std::int32_t lanes[kChunk<A>];
  for (std::size_t i = 0; i < kChunk<A>; ++i)
    lanes[i] = static_cast<std::int32_t>(actsparse::detail::get_code(p, i, Bits));
  for (std::size_t r = 0; r < kChunk<A> / V; ++r) out[r] = xsimd::batch<std::int32_t, A>::load_aligned(lanes + r * V);
}

#if XSIMD_WITH_AVX512BW
template <int Bits, class A, std::enable_if_t<kLanes<A> == 16, int> = 0>
inline void unpack_chunk(const std::uint8_t* p, xsimd::batch<std::int32_t, A>* out, xsimd::avx512bw) {
  const __m128i src = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if constexpr (Bits == 8) {
    out[0] = _mm512_cvtepu8_epi32(src);
  } else {
    using T = impl::unpack_tables<Bits, 16, 0>;
    const __m512i b = _mm512_broadcast_i32x4(src);
    const __m512i w = _mm512_shuffle_epi8(b, _mm512_load_si512(T::shuffle.data()));
    const __m512i v = _mm512_srlv_epi32(w, _mm512_load_si512(T::shift.data()));
    out[0] = _mm512_and_si512(v, _mm512_set1_epi32((1 << Bits) - 1));
  }
}
#endif

#if XSIMD_WITH_AVX2
template <int Bits, class A, std::enable_if_t<kLanes<A> == 8, int> = 0>
inline void unpack_chunk(const std::uint8_t* p, xsimd::batch<std::int32_t, A>* out, xsimd::avx2) {
  const __m128i src = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  if constexpr (Bits == 8) {
    out[0] = _mm256_cvtepu8_epi32(src);
  } else {
    using T = impl::unpack_tables<Bits, 8, 0>;
    const __m256i b = _mm256_broadcastsi128_si256(src);
    const __m256i w = _mm256_shuffle_epi8(b, _mm256_load_si256(reinterpret_cast<const __m256i*>(T::shuffle.data())));
    const __m256i v = _mm256_srlv_epi32(w, _mm256_load_si256(reinterpret_cast<const __m256i*>(T::shift.data())));
    out[0] = _mm256_and_si256(v, _mm256_set1_epi32((1 << Bits) - 1));
  }
}
#endif

#if XSIMD_WITH_SSE4_1
template <int Bits, class A, std::enable_if_t<kLanes<A> == 4, int> = 0>
inline void unpack_chunk(const std::uint8_t* p, xsimd::batch<std::int32_t, A>* out, xsimd::sse4_1) {
  const __m128i src = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  if constexpr (Bits == 8) {
    out[0] = _mm_cvtepu8_epi32(src);
    out[1] = _mm_cvtepu8_epi32(_mm_srli_si128(src, 4));
  } else {
    const __m128i mask = _mm_set1_epi32((1 << Bits) - 1);
    auto half = [&](auto tables) {
      using T = decltype(tables);
      const __m128i w = _mm_shuffle_epi8(src, _mm_load_si128(reinterpret_cast<const __m128i*>(T::shuffle.data())));
      const __m128i m = _mm_load_si128(reinterpret_cast<const __m128i*>(T::multiplier.data()));
      return _mm_and_si128(_mm_srli_epi32(_mm_mullo_epi32(w, m), 16), mask);
    };
    out[0] = half(impl::unpack_tables<Bits, 4, 0>{});
    out[1] = half(impl::unpack_tables<Bits, 4, 4>{});
  }
}
#endif

#if XSIMD_WITH_NEON64
template <int Bits, class A, std::enable_if_t<kLanes<A> == 4, int> = 0>
inline void unpack_chunk(const std::uint8_t* p, xsimd::batch<std::int32_t, A>* out, xsimd::neon64) {
  const uint8x16_t src = vcombine_u8(vld1_u8(p), vdup_n_u8(0));
  if constexpr (Bits == 8) {
    const uint16x8_t w = vmovl_u8(vget_low_u8(src));
    out[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w)));
    out[1] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(w)));
  } else {
    const uint32x4_t mask = vdupq_n_u32((1u << Bits) - 1u);
    auto half = [&](auto tables) {
      using T = decltype(tables);
      // tbl yields 0 for out-of-range indices (0x80), like pshufb.
      const uint32x4_t w = vreinterpretq_u32_u8(vqtbl1q_u8(src, vld1q_u8(T::shuffle.data())));
      const int32x4_t neg = vnegq_s32(vreinterpretq_s32_u32(vld1q_u32(T::shift.data())));
      return vreinterpretq_s32_u32(vandq_u32(vshlq_u32(w, neg), mask));
    };
    out[0] = half(impl::unpack_tables<Bits, 4, 0>{});
    out[1] = half(impl::unpack_tables<Bits, 4, 4>{});
  }
}
#endif

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse
