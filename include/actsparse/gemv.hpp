// actsparse/gemv.hpp: y = W x from the packed format, dense and sparse, and the dispatcher.
//
// Three layers (BLIS's split):
//   driver (gemv_run): splits the N outputs into contiguous runs of whole groups, one per
//     thread. Never the K inputs: each output is then accumulated by one thread, in
//     ascending k, so y is bitwise the same for every thread count and partition.
//   macro-kernel (gemv_tile): one tile of outputs (kTileOutputs accumulators); walks the
//     active list kStripsPerPass strips at a time, converts those strips' fp16 scales and
//     biases for the tile, prefetches strips a few passes ahead, and calls the micro-kernel
//     once per group.
//   micro-kernel (micro_group): one group of Group outputs, U strips: unpack, convert,
//     one FMA per output per strip (or, on AVX-512 for 2-4 bits, one table look-up and
//     one add: micro_group_lut). Registers only, no edges: Group is a multiple of every
//     chunk size, so there is never a ragged tail.
//
// The bias is folded out of the inner loop. With a_kj = x_k * scale_kj:
//   y_n = sum_k x_k (scale_kj q_kn + bias_kj) = sum_k a_kj q_kn + sum_k x_k bias_kj
// The second sum is one value per group (bsum_j), accumulated with the scales, N/g times
// cheaper than the codes, and added once at the end: one FMA per output per active input.
//
// The order of operations per output is fixed (acc = fma(x_k * s, q, acc) over ascending k;
// bsum likewise; y = acc + bsum), and the scalar twins (gemv_*_ref) follow it exactly, so
// the SIMD kernels equal them bit for bit. Where a kernel rounds the product first (the
// look-up kernels; archs without FMA: kFusedProducts), gemv_ref_impl does the same for the
// tests. Dense and sparse share the macro-kernel: a zero x_k adds +-0 to acc, so
// sparse(x) == dense(x) bitwise whenever the skipped x_k are zeros.
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "detect.hpp"
#include "format.hpp"
#include "threading.hpp"
#include "unpack.hpp"
#include "xsimd_compat.hpp"

// GCC 12 warns "'__Y' is (or may be) used uninitialized" inside its own AVX-512 intrinsics
// (_mm512_undefined_*, GCC bug 105593, fixed in GCC 13) wherever they are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

ACTSPARSE_NAMESPACE_BEGIN

namespace detail {

// x_k = +-Inf or NaN: the folded form would give Inf * 0 = NaN for every zero code, where a
// dense product gives +-Inf, so such a strip is applied unfolded, x_k * (scale * q + bias),
// one output at a time. Off the fast path: non-finite activations are rare, and the
// result is non-finite whatever the order.
struct identity_slot {
  std::size_t operator()(std::size_t n) const { return n; }
};
template <class Slot = identity_slot>
inline void add_nonfinite_strip(const packed_matrix& W, std::size_t k, float xk, std::size_t n0, std::size_t n1,
                                float* acc, Slot slot = {}) {
  const std::size_t g = static_cast<std::size_t>(W.group_size());
  for (std::size_t n = n0; n < n1; ++n) {
    const float w = std::fma(half_to_float(W.scales(k)[n / g]), static_cast<float>(W.code(k, n)),
                             half_to_float(W.biases(k)[n / g]));
    acc[slot(n - n0)] += xk * w;
  }
}

}  // namespace detail

namespace simd {

// Tuning numbers, one table per arch (BLIS cntx style); docs/performance.md will carry
// the measurements behind them.
template <class A>
struct gemv_traits {
  // Outputs per tile: 16384 fp32 accumulators = 64 KiB, in L2 here (in L1 on Apple
  // P-cores). Each tile walks the whole active list and reads its slice of every strip, so
  // smaller tiles turn a tall matrix's strips into scattered 2 KiB reads: measured on
  // 14336 x 4096, 4-bit, streamed, 1 thread (actsparse-demo), 4096-output tiles (L1) took
  // 1.73 ms dense and 1.02 ms at 50% sparsity, 16384-output tiles 1.62 and 0.86 ms; hot,
  // the two are within noise.
  static constexpr std::size_t kTileOutputs = 16384;
  // Active strips applied per load/store of a tile's accumulators.
  static constexpr std::size_t kStripsPerPass = 4;
  // Software prefetch this many passes ahead (scattered strips defeat the HW prefetcher).
  static constexpr std::size_t kPrefetchPasses = 2;
  // Weights (outputs x strips) a thread should have before another thread pays for its
  // fork/join cost (a few microseconds).
  static constexpr std::size_t kMinWeightsPerThread = std::size_t{1} << 16;
  // Dense calls: code bytes of each strip a thread should read at least. Threads split the
  // outputs, so p threads read p slices of every strip side by side; slices this short
  // stream worse than one thread reading whole strips. Measured on the development machine
  // (2 cores, `actsparse-demo N 4096 4 64 1280 25`, streamed, medians of 25): N = 1024
  // (256-byte slices on 2 threads) took 0.184 ms dense on 2 threads against 0.111-0.116 on
  // 1; N = 2048 (512-byte slices) 0.170-0.181 on 2 against 0.211-0.230 on 1. Sparse calls
  // read scattered strips either way and gained from the second thread at N = 1024 (0.086-
  // 0.093 ms at 50% against 0.109-0.111), so the rule is for dense calls only.
  static constexpr std::size_t kMinDenseSliceBytes = 512;
};

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

// One strip's per-group products for a tile, shared by gemv and gemm: a[j] = x * scale_j and
// bsum[j] = fma(x, bias_j, bsum[j]) for j < vgroups (a multiple of V; lanes past the tile's
// groups read bytes that follow in the strip or the tail padding and are never used).
template <class A>
inline void strip_products(float x, const std::uint16_t* scales, const std::uint16_t* biases, std::size_t vgroups,
                           float* a, float* bsum) {
  using bf = xsimd::batch<float, A>;
  const bf xv(x);
  for (std::size_t j = 0; j < vgroups; j += bf::size) {
    (xv * load_halves<A>(scales + j, A{})).store_aligned(a + j);
    simd::fma(xv, load_halves<A>(biases + j, A{}), bf::load_aligned(bsum + j)).store_aligned(bsum + j);
  }
}

// Products by table look-up (AVX-512, 2- and 4-bit codes). The cvt-and-FMA chain (about
// 6 instructions per 16 weights with the unpack) held the kernels to about 27 Gweights/s
// per core on the development machine, far below what the memory delivers (docs/
// performance.md). With codes of at most 4 bits, a strip's 16 possible products a * q of a
// group fit in one register, t[i] = a * i, and vpermps (which reads only the low 4 bits of
// each index lane) selects them: a byte lane from vpmovzxbd holds two 4-bit codes (or four
// 2-bit ones), so the codes need one shift and no mask, and each product costs one
// permute and one add. Lane i of the shift-by-(r * Bits) vector holds output
// i * (8 / Bits) + r, so the accumulators of each chunk of 16 * 8 / Bits outputs are kept
// in that order ("slot" order, acc_slot) and put back in output order when the tile is
// written.
//
// The product is rounded before the add (a * q, then + acc), where the FMA paths round
// once; kFusedProducts says which, and the scalar twins can follow either.
//
// Measured on the development machine (Zen 4 class, `actsparse-demo 4096 14336 B 64`, dense,
// 1 thread, hot): 4-bit 2.11 -> 1.34 ms, 2-bit 2.1 -> 1.50 ms. Tried and left out: 3-bit
// through the general unpack without its mask, then vpermps: 2.39 ms against 2.10 for
// unpack + cvt + FMA (three shuffles per 16 weights: broadcast, pshufb, vpermps).
//
// 3-bit codes take the look-up path too where AVX512_VBMI's byte permute can gather their
// 12-bit runs (vpermb; Ice Lake, Sapphire Rapids, Zen 4), with groups of 64 or more.
#if defined(__AVX512VBMI__)
inline constexpr bool kLut3 = true;
#else
inline constexpr bool kLut3 = false;
#endif

template <class A>
constexpr bool lut_products(int bits, int group) {
  return std::is_base_of<xsimd::avx512bw, A>::value &&
         (bits == 4 || (bits == 2 && group >= 64) || (kLut3 && bits == 3 && group >= 64));
}

template <class A, int Bits, int Group>
inline constexpr bool kLutProducts = lut_products<A>(Bits, Group);

// Whether arch A's simd::fma fuses (SSE4.x, AVX without FMA3 and 32-bit NEON multiply and
// add separately).
template <class A>
inline constexpr bool kArchFma =
    std::is_base_of<xsimd::fma3<xsimd::sse4_2>, A>::value || std::is_base_of<xsimd::fma3<xsimd::avx>, A>::value ||
    std::is_base_of<xsimd::fma3<xsimd::avx2>, A>::value || std::is_base_of<xsimd::avx512f, A>::value ||
    std::is_base_of<xsimd::neon64, A>::value;

// Whether the kernels of arch A compute each term as one fused multiply-add, or as a
// rounded product plus an add (look-up kernels, archs without FMA). The scalar twins
// (A = xsimd::unavailable) fuse; gemv_ref_impl can do either, for the tests.
template <class A>
constexpr bool fused_products(int bits, int group) {
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    (void)bits;
    (void)group;
    return true;
  } else {
    return kArchFma<A> && !lut_products<A>(bits, group);
  }
}
template <class A, int Bits, int Group>
inline constexpr bool kFusedProducts = fused_products<A>(Bits, Group);

// NEON, 4-bit codes: the two nibbles of 16 code bytes split with one AND and one shift
// (no table shuffle and per-lane shift as in the general unpack), then widened, converted
// and FMA'd: about 31 instructions per 32 weights against about 46. Same slot order as the
// AVX-512 look-up kernel. Tested under qemu only; not timed on Apple hardware.
template <class A, int Bits>
inline constexpr bool kNeonNibbles =
#if XSIMD_WITH_NEON64
    std::is_base_of<xsimd::neon64, A>::value && Bits == 4;
#else
    false;
#endif

// Codes per 32-bit lane in the look-up and nibble kernels: the accumulators of a chunk of
// 16 lanes hold outputs in "slot" order (acc_slot).
template <int Bits>
inline constexpr std::size_t kCodesPerLane = Bits == 3 ? 4 : 8 / Bits;

// Whether the kernels of (A, Bits, Group) keep the accumulators in slot order.
template <class A, int Bits, int Group>
inline constexpr bool kSlotOrder = kLutProducts<A, Bits, Group> || kNeonNibbles<A, Bits>;

// Where output n (relative to the tile) keeps its accumulator: in slot order, chunks of
// 16 code bytes, lane i of the shift-by-(r * Bits) vector holding output i * (8 / Bits) + r.
template <class A, int Bits, int Group>
inline std::size_t acc_slot(std::size_t n) {
  if constexpr (kSlotOrder<A, Bits, Group>) {
    constexpr std::size_t per_lane = kCodesPerLane<Bits>, chunk = 16 * per_lane;
    const std::size_t r = n % chunk;
    return n - r + (r % per_lane) * 16 + r / per_lane;
  } else {
    return n;
  }
}

#if XSIMD_WITH_AVX512BW
// t[u][i] = a[u] * (i mod 2^Bits), the tables the look-up kernels index by code (the
// index's bits above the code belong to the next codes).
template <int Bits, std::size_t U>
inline void product_tables(const float* a, __m512* t) {
  const __m512 code_of_index = _mm512_cvtepi32_ps(
      _mm512_and_si512(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                       _mm512_set1_epi32((1 << Bits) - 1)));
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
    for (int r = 0; r < 4; ++r) y[r] = _mm512_load_ps(acc + c + 16 * r);
    for (std::size_t u = 0; u < U; ++u) {
      // 32 bytes read for 24 used: the strip's scales, or the tail padding, follow.
      const __m512i src = _mm512_zextsi256_si512(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes[u] + offset + c * 3 / 8)));
      const __m512i w =
          _mm512_srlv_epi32(_mm512_maskz_permutexvar_epi8(0x3333333333333333ull, gather, src), shift);
      y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(w, t[u]));
      for (int r = 1; r < 4; ++r) y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_srli_epi32(w, 3 * r), t[u]));
    }
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
    for (int r = 0; r < kPerLane; ++r) y[r] = _mm512_load_ps(acc + c + 16 * r);
    for (std::size_t u = 0; u < U; ++u) {
      const __m512i b =
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes[u] + offset + c * Bits / 8)));
      y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(b, t[u]));
      for (int r = 1; r < kPerLane; ++r)
        y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_srli_epi32(b, r * Bits), t[u]));
    }
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

#if XSIMD_WITH_NEON64
template <int Group, std::size_t U>
inline void micro_group_neon4(float* acc, const std::uint8_t* const* codes, std::size_t offset, const float* a) {
  static_assert(Group % 32 == 0, "a group must hold whole 32-code chunks");
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += 32) {
    float32x4_t y[8];  // slots: even outputs in y[0..3], odd ones in y[4..7]
    for (int r = 0; r < 8; ++r) y[r] = vld1q_f32(acc + c + 4 * r);
    for (std::size_t u = 0; u < U; ++u) {
      const uint8x16_t b = vld1q_u8(codes[u] + offset + c / 2);
      const float32x4_t av = vdupq_n_f32(a[u]);
      const uint8x16_t nibbles[2] = {vandq_u8(b, vdupq_n_u8(15)), vshrq_n_u8(b, 4)};
      for (int h = 0; h < 2; ++h) {
        const uint16x8_t w0 = vmovl_u8(vget_low_u8(nibbles[h])), w1 = vmovl_high_u8(nibbles[h]);
        float32x4_t* yh = y + 4 * h;
        yh[0] = vfmaq_f32(yh[0], av, vcvtq_f32_u32(vmovl_u16(vget_low_u16(w0))));
        yh[1] = vfmaq_f32(yh[1], av, vcvtq_f32_u32(vmovl_high_u16(w0)));
        yh[2] = vfmaq_f32(yh[2], av, vcvtq_f32_u32(vmovl_u16(vget_low_u16(w1))));
        yh[3] = vfmaq_f32(yh[3], av, vcvtq_f32_u32(vmovl_high_u16(w1)));
      }
    }
    for (int r = 0; r < 8; ++r) vst1q_f32(acc + c + 4 * r, y[r]);
  }
}
#endif

// Micro-kernel: acc[0, Group) += a[u] * q_u for the U strips whose group codes start at
// codes[u] + offset.
template <int Bits, int Group, std::size_t U, class A>
inline void micro_group(float* acc, const std::uint8_t* const* codes, std::size_t offset, const float* a) {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t V = bf::size, C = kChunk<A>, R = C / V;
  static_assert(Group % C == 0, "a group must hold whole unpack chunks");
#if XSIMD_WITH_AVX512BW
  if constexpr (kLutProducts<A, Bits, Group>) {
    micro_group_lut<Bits, Group, U>(acc, codes, offset, a);
    return;
  }
#endif
#if XSIMD_WITH_NEON64
  if constexpr (kNeonNibbles<A, Bits>) {
    micro_group_neon4<Group, U>(acc, codes, offset, a);
    return;
  }
#endif
  bf av[U];
  for (std::size_t u = 0; u < U; ++u) av[u] = bf(a[u]);
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += C) {
    bf y[R];
    for (std::size_t r = 0; r < R; ++r) y[r] = bf::load_aligned(acc + c + r * V);
    for (std::size_t u = 0; u < U; ++u) {
      bi q[R];
      unpack_chunk<Bits, A>(codes[u] + offset + c * Bits / 8, q, A{});
      for (std::size_t r = 0; r < R; ++r) y[r] = simd::fma(av[u], xsimd::to_float(q[r]), y[r]);
    }
    for (std::size_t r = 0; r < R; ++r) y[r].store_aligned(acc + c + r * V);
  }
}

// Into L2, not L1 (locality 2: prefetcht1): a pass prefetches about 150 lines, far more
// than the L1's miss buffers hold; measured on the development machine, streamed 4-bit
// sparse at 50% went from 1.04 to 0.96 ms (t0 -> t1; t2 the same as t1, 3 or 4 passes
// ahead no better than 2).
inline void prefetch_range(const std::uint8_t* p, std::size_t bytes) {
#if defined(__GNUC__) || defined(__clang__)
  for (std::size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 0, 2);
#else
  (void)p;
  (void)bytes;
#endif
}

// Macro-kernel: y[n0, n1) from the listed strips (Dense: all strips, x masked by
// keep_above: x_k counts when !(|x_k| <= keep_above)). n0, n1 are multiples of Group and
// n1 - n0 <= kTileOutputs.
template <int Bits, int Group, class A, bool Dense>
void gemv_tile(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count, float keep_above,
               std::size_t n0, std::size_t n1, float* y) {
  using Tr = gemv_traits<A>;
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t V = bf::size, U = Tr::kStripsPerPass;
  constexpr std::size_t kMaxGroups = Tr::kTileOutputs / Group + V;
  alignas(64) float acc[Tr::kTileOutputs];
  alignas(64) float bsum[kMaxGroups];
  alignas(64) float as[U][kMaxGroups];

  const std::size_t groups = (n1 - n0) / Group, j0 = n0 / Group;
  // Scales are converted V at a time; the lanes past `groups` read bytes that follow in
  // the strip or the buffer's tail padding and are never used.
  const std::size_t vgroups = (groups + V - 1) / V * V;
  const std::size_t code_off = n0 * Bits / 8;
  std::fill(acc, acc + (n1 - n0), 0.0f);
  std::fill(bsum, bsum + vgroups, 0.0f);

  auto strip_index = [&](std::size_t i) -> std::size_t { return Dense ? i : idx[i]; };
  auto pass = [&](std::size_t i, auto strips) {
    constexpr std::size_t Un = decltype(strips)::value;
    const std::uint8_t* codes[Un];
    for (std::size_t u = 0; u < Un; ++u) {
      const std::size_t k = strip_index(i + u);
      float xk = x[k];
      if (Dense && !detail::is_active(xk, keep_above)) xk = 0.0f;
      if (!std::isfinite(xk)) {
        detail::add_nonfinite_strip(W, k, xk, n0, n1, acc, acc_slot<A, Bits, Group>);
        xk = 0.0f;
      }
      codes[u] = W.strip(k) + code_off;
      strip_products<A>(xk, W.scales(k) + j0, W.biases(k) + j0, vgroups, as[u], bsum);
    }
    // Prefetch the strips kPrefetchPasses passes ahead, spread over this pass's groups (the
    // ahead strip's bytes at the offset this group reads), not in one burst: a burst of a
    // whole pass (up to ~150 lines) overflows the core's miss buffers.
    const std::size_t ahead = i + Un + U * (Tr::kPrefetchPasses - 1);
    const std::size_t n_ahead = ahead < count ? std::min(Un, count - ahead) : 0;
    const std::uint8_t* next[Un];
    for (std::size_t u = 0; u < n_ahead; ++u) {
      next[u] = W.strip(strip_index(ahead + u));
      prefetch_range(next[u] + W.codes_bytes() + j0 * 2, groups * 2);
      prefetch_range(next[u] + W.codes_bytes() + W.groups() * 2 + j0 * 2, groups * 2);
    }
    for (std::size_t j = 0; j < groups; ++j) {
      const std::size_t off = j * Group * Bits / 8;
      for (std::size_t u = 0; u < n_ahead; ++u) prefetch_range(next[u] + code_off + off, Group * Bits / 8);
      float a[Un];
      for (std::size_t u = 0; u < Un; ++u) a[u] = as[u][j];
      micro_group<Bits, Group, Un, A>(acc + j * Group, codes, off, a);
    }
  };
  std::size_t i = 0;
  for (; i + U <= count; i += U) pass(i, std::integral_constant<std::size_t, U>{});
  for (; i < count; ++i) pass(i, std::integral_constant<std::size_t, 1>{});

  for (std::size_t n = 0; n < n1 - n0; ++n) y[n0 + n] = acc[acc_slot<A, Bits, Group>(n)] + bsum[n / Group];
}

// Driver.
template <int Bits, int Group, class A, bool Dense>
void gemv_run(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count, float keep_above,
              float* y, int threads) {
  using Tr = gemv_traits<A>;
  const std::size_t G = W.groups();
  const std::size_t work = count * W.rows();
  const std::size_t useful = std::max<std::size_t>(1, work / Tr::kMinWeightsPerThread);
  const std::size_t slices = Dense ? std::max<std::size_t>(1, W.rows() * Bits / 8 / Tr::kMinDenseSliceBytes) : G;
  const int p = static_cast<int>(std::min({static_cast<std::size_t>(threads), G, useful, slices}));
  actsparse::detail::parallel_for_threads(p, [&](int t, int nt) {
    const std::size_t g0 = G * static_cast<std::size_t>(t) / static_cast<std::size_t>(nt);
    const std::size_t g1 = G * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(nt);
    for (std::size_t n = g0 * Group; n < g1 * Group; n += Tr::kTileOutputs)
      gemv_tile<Bits, Group, A, Dense>(W, x, idx, count, keep_above, n, std::min(n + Tr::kTileOutputs, g1 * Group), y);
  });
}

}  // namespace simd

namespace detail {

// The one place where runtime bits and group size become template parameters.
template <int Bits, class F>
inline void with_group(int group, F&& f) {
  switch (group) {
    case 32: return f(std::integral_constant<int, Bits>{}, std::integral_constant<int, 32>{});
    case 64: return f(std::integral_constant<int, Bits>{}, std::integral_constant<int, 64>{});
    case 128: return f(std::integral_constant<int, Bits>{}, std::integral_constant<int, 128>{});
    default: fail("gemv", "group_size = ", group, " is not supported; legal values are 32, 64, 128");
  }
}

template <class F>
inline void with_format(const packed_matrix& W, F&& f) {
  switch (W.bits()) {
    case 2: return with_group<2>(W.group_size(), f);
    case 3: return with_group<3>(W.group_size(), f);
    case 4: return with_group<4>(W.group_size(), f);
    case 5: return with_group<5>(W.group_size(), f);
    case 6: return with_group<6>(W.group_size(), f);
    case 8: return with_group<8>(W.group_size(), f);
    default: fail("gemv", "bits = ", W.bits(), " is not supported; legal values are 2, 3, 4, 5, 6, 8");
  }
}

// Outputs are written tile by tile while the inputs are still being read: they must not
// overlap (x of n_in floats, y of n_out floats).
inline bool overlaps(const float* x, std::size_t n_in, const float* y, std::size_t n_out) {
  const auto xb = reinterpret_cast<std::uintptr_t>(x), yb = reinterpret_cast<std::uintptr_t>(y);
  return xb < yb + n_out * sizeof(float) && yb < xb + n_in * sizeof(float);
}

template <class Matrix>  // packed_matrix or panel_matrix
inline void check_gemv(const char* where, const Matrix& W, const float* x, const float* y) {
  if (W.empty()) fail(where, "W is empty (default-constructed or moved from)");
  check_ptr(where, "x", x);
  check_ptr(where, "y", y);
  if (overlaps(x, W.cols(), y, W.rows()))
    fail(where, "y (", W.rows(), " floats) overlaps x (", W.cols(), " floats); the product cannot be computed in place");
}

// y_floats: the extent of the output (W.rows(), or (m - 1) * ldy + W.rows() for a batch).
// Each output tile is written before the next tile reads idx again, so they must not overlap.
template <class Matrix>
inline void check_index(const char* where, const Matrix& W, const std::uint32_t* idx, std::size_t nnz, const float* y,
                        std::size_t y_floats) {
  if (nnz > 0 && idx == nullptr) fail(where, "idx is null but nnz = ", nnz);
  const auto ib = reinterpret_cast<std::uintptr_t>(idx), yb = reinterpret_cast<std::uintptr_t>(y);
  if (nnz > 0 && y_floats > 0 && ib < yb + y_floats * sizeof(float) && yb < ib + nnz * sizeof(std::uint32_t))
    fail(where, "idx (nnz = ", nnz, " entries) overlaps the output; they must be separate buffers");
  for (std::size_t i = 0; i < nnz; ++i)
    if (idx[i] >= W.cols()) fail(where, "idx[", i, "] = ", idx[i], " is out of range; indices must be < cols = ", W.cols());
}

// a * b rounded to float, kept from being contracted into a following add (GCC contracts
// across statements under -ffp-contract=fast, its default outside ISO mode).
inline float rounded_product(float a, float b) {
  float t = a * b;
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __asm__("" : "+x"(t));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  __asm__("" : "+w"(t));
#endif
  return t;
}

// Shared by the scalar twins: the kernels' exact order of operations, one output at a time.
// `fused`: each term as fma(a, q, acc) (the FMA kernels), or as acc + (a * q) with the
// product rounded first (the look-up and non-FMA kernels, simd::kFusedProducts).
// `fused_bias`: the bias sums likewise (false only on archs without FMA, simd::kArchFma).
inline void gemv_ref_impl(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                          float keep_above, bool dense, float* y, bool fused = true, bool fused_bias = true) {
  const std::size_t N = W.rows(), g = static_cast<std::size_t>(W.group_size());
  std::vector<float> acc(N, 0.0f), bsum(W.groups(), 0.0f);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t k = dense ? i : idx[i];
    float xk = x[k];
    if (dense && !is_active(xk, keep_above)) xk = 0.0f;
    if (!std::isfinite(xk)) {
      add_nonfinite_strip(W, k, xk, 0, N, acc.data());
      xk = 0.0f;
    }
    for (std::size_t j = 0; j < W.groups(); ++j) {
      const float a = xk * half_to_float(W.scales(k)[j]);
      const float b = half_to_float(W.biases(k)[j]);
      bsum[j] = fused_bias ? std::fma(xk, b, bsum[j]) : bsum[j] + rounded_product(xk, b);
      for (std::size_t n = j * g; n < (j + 1) * g; ++n) {
        const float q = static_cast<float>(W.code(k, n));
        acc[n] = fused ? std::fma(a, q, acc[n]) : acc[n] + rounded_product(a, q);
      }
    }
  }
  for (std::size_t n = 0; n < N; ++n) y[n] = acc[n] + bsum[n / g];
}

}  // namespace detail

// ---- Scalar reference twins (the fallback where no SIMD arch is enabled, and a test oracle).

inline void gemv_dense_ref(const packed_matrix& W, const float* x, float* y) {
  detail::check_gemv("gemv_dense_ref", W, x, y);
  detail::gemv_ref_impl(W, x, nullptr, W.cols(), -std::numeric_limits<float>::infinity(), true, y);
}

inline void gemv_sparse_ref(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz,
                            float* y) {
  detail::check_gemv("gemv_sparse_ref", W, x, y);
  detail::check_index("gemv_sparse_ref", W, idx, nnz, y, W.rows());
  detail::gemv_ref_impl(W, x, idx, nnz, 0.0f, false, y);
}

// ---- Kernels for an explicit arch (tests run every arch the CPU has; the dispatching
// library instantiates them per ISA). A = xsimd::unavailable selects the scalar twins.

namespace detail {
template <class A, bool Dense>
inline void run(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count, float keep_above,
                float* y, int threads) {
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    (void)threads;
    gemv_ref_impl(W, x, idx, count, keep_above, Dense, y);
  } else {
    with_format(W, [&](auto bits, auto group) {
      simd::gemv_run<decltype(bits)::value, decltype(group)::value, A, Dense>(W, x, idx, count, keep_above, y, threads);
    });
  }
}

// Panels: thread t of p takes panels t, t + p, ..., and runs product(panel, its rows of y)
// on one thread. At most one thread per panel. product must not throw (it runs inside the
// parallel region): check everything before.
template <class F>
inline void for_each_panel(const panel_matrix& W, int threads, float* y, F&& product) {
  const int p = static_cast<int>(std::min(static_cast<std::size_t>(std::max(threads, 1)), W.panels()));
  parallel_for_threads(p, [&](int t, int nt) {
    for (std::size_t b = static_cast<std::size_t>(t); b < W.panels(); b += static_cast<std::size_t>(nt))
      product(W.panel(b), y + W.first_row(b));
  });
}

template <class A, bool Dense>
inline void run(const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count, float keep_above,
                float* y, int threads) {
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    for_each_panel(W, threads, y, [&](const packed_matrix& P, float* yp) {
      gemv_ref_impl(P, x, idx, count, keep_above, Dense, yp);
    });
  } else {
    // The format is resolved here, outside the threads (with_format throws on a bad one).
    with_format(W.panel(0), [&](auto bits, auto group) {
      for_each_panel(W, threads, y, [&](const packed_matrix& P, float* yp) {
        simd::gemv_run<decltype(bits)::value, decltype(group)::value, A, Dense>(P, x, idx, count, keep_above, yp, 1);
      });
    });
  }
}

template <class A, class Matrix>
inline void gemv_dense(const Matrix& W, const float* x, float* y, const gemv_options& opt) {
  check_gemv("gemv_dense", W, x, y);
  const int threads = requested_threads("gemv_dense", opt);
  run<A, true>(W, x, nullptr, W.cols(), -std::numeric_limits<float>::infinity(), y, threads);
}

template <class A, class Matrix>
inline void gemv_sparse(const Matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt) {
  check_gemv("gemv_sparse", W, x, y);
  check_index("gemv_sparse", W, idx, nnz, y, W.rows());
  const int threads = requested_threads("gemv_sparse", opt);
  run<A, false>(W, x, idx, nnz, 0.0f, y, threads);
}
}  // namespace detail

// y = W x over every input.
template <class A>
inline void gemv_dense(A, const packed_matrix& W, const float* x, float* y, const gemv_options& opt = {}) {
  detail::gemv_dense<A>(W, x, y, opt);
}
template <class A>
inline void gemv_dense(A, const panel_matrix& W, const float* x, float* y, const gemv_options& opt = {}) {
  detail::gemv_dense<A>(W, x, y, opt);
}

// y = sum over i < nnz of W[:, idx[i]] x[idx[i]]: only the listed strips are read. Any
// order and repeats are allowed (each listing counts once); ascending lists, as find_active
// makes them, give results bitwise equal to gemv_dense when the unlisted x are zero.
template <class A>
inline void gemv_sparse(A, const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt = {}) {
  detail::gemv_sparse<A>(W, x, idx, nnz, y, opt);
}
template <class A>
inline void gemv_sparse(A, const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt = {}) {
  detail::gemv_sparse<A>(W, x, idx, nnz, y, opt);
}

// Active fraction below which gemv() takes the sparse path. Both paths give bitwise the
// same y, so this only moves time. Measured with the look-up kernels and huge pages
// (docs/performance.md, "The gemv() dense/sparse rule"; 4-bit g64, streamed, medians of
// 25): sparse/dense at 10% sparsity was 0.98x (4096 x 14336, 1 thread), 1.04x (2
// threads), 1.11x and 1.06x (14336 x 4096); at 20%, 1.07x and 1.05x (4096 x 14336); at 0-5%
// it was 0.78-1.01x. Hot, sparse wins from 0%. So: sparse from 15% sparsity on.
inline constexpr double kSparseBelowActiveFraction = 0.85;

namespace detail {
template <class A, class Matrix>
inline void gemv(A arch, const Matrix& W, const float* x, float* y, float threshold, const gemv_options& opt) {
  check_gemv("gemv", W, x, y);
  check_threshold("gemv", threshold);
  const int threads = requested_threads("gemv", opt);
  std::vector<std::uint32_t> idx(W.cols());
  const std::size_t nnz = find_active(arch, x, W.cols(), threshold, idx.data());
  if (static_cast<double>(nnz) < kSparseBelowActiveFraction * static_cast<double>(W.cols()))
    run<A, false>(W, x, idx.data(), nnz, 0.0f, y, threads);
  else
    run<A, true>(W, x, nullptr, W.cols(), threshold, y, threads);
}
}  // namespace detail

// y = W x', x'_k = x_k where |x_k| > threshold (or NaN), else 0. Detects the active inputs
// and runs the sparse kernel, or the dense one when too many are active.
template <class A>
inline void gemv(A arch, const packed_matrix& W, const float* x, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  detail::gemv(arch, W, x, y, threshold, opt);
}
template <class A>
inline void gemv(A arch, const panel_matrix& W, const float* x, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  detail::gemv(arch, W, x, y, threshold, opt);
}

// The same on the best arch the includer's compiler flags enable.
inline void gemv_dense(const packed_matrix& W, const float* x, float* y, const gemv_options& opt = {}) {
  gemv_dense(simd::native_arch{}, W, x, y, opt);
}
inline void gemv_dense(const panel_matrix& W, const float* x, float* y, const gemv_options& opt = {}) {
  gemv_dense(simd::native_arch{}, W, x, y, opt);
}
inline void gemv_sparse(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt = {}) {
  gemv_sparse(simd::native_arch{}, W, x, idx, nnz, y, opt);
}
inline void gemv_sparse(const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt = {}) {
  gemv_sparse(simd::native_arch{}, W, x, idx, nnz, y, opt);
}
inline void gemv(const packed_matrix& W, const float* x, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemv(simd::native_arch{}, W, x, y, threshold, opt);
}
inline void gemv(const panel_matrix& W, const float* x, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemv(simd::native_arch{}, W, x, y, threshold, opt);
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
