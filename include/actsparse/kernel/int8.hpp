// actsparse/kernel/int8.hpp: the int8 precision mode (gemv_options::precision =
// precision::int8): activations quantized to 8 bits, integer dot products over the codes.
//
// In the strip format y_n = sum_k a_kj q_kn + sum_k x_k bias_kj, with a_kj = x_k scale_kj
// (j the group of output n). With the codes centred, c = 2^(bits - 1),
//   y_n = sum_k a_kj (q_kn - c) + sum_k (x_k bias_kj + c a_kj),
// and the int8 mode quantizes the first sum's a_kj per output group j and per block b:
// the active inputs, zeros left out, taken kInt8Block at a time in ascending k (counting
// them from 0, block b holds numbers 32 b to 32 b + 31; for a dense x with no zeros that is
// inputs 32 b to 32 b + 31). Centring matters: MLX's affine codes
// are 0 to 2^bits - 1 with the bias near -c scale, so the uncentred sum's rounding error
// scales with q (about twice q - c) and hardly cancels in y (measured on 576 x 1536, 4-bit
// g32: max |y - y_exact| / max |y| = 1.1% uncentred).
//
//   over the k of block b (x_k != 0 and |x_k| > the threshold, or x_k != 0 for gemv_dense):
//     a_kj   = x_k * scale_kj                   (fp32, rounded)
//     amax   = max |a_kj| over the finite a_kj
//     inv    = 127 / amax; if inv is not finite (amax = 0, or below 127 / FLT_MAX), inv = 0
//     d_bj   = inv == 0 ? 0 : amax / 127
//     a8_kj  = round_half_even(a_kj * inv)      (|a8| <= 127)
//     isum_n = sum_k a8_kj * (q_kn - c)         (exact: |isum| <= 32 * 127 * 128 < 2^24)
//   acc_n  = fma(d_bj, float(isum_n), acc_n)    over the blocks in ascending order
//   bsum_j = fma(c, a_kj, fma(x_k, bias_kj, bsum_j))   over the blocks' k in ascending order
//   y_n    = (acc_n + bsum_j) + nf_n
//
// nf_n: a pair (k, j) whose a_kj is not finite (x_k = +-Inf or NaN, or x_k * scale
// overflowing) is left out of amax, the int8 sums and bsum, and applied unfolded instead,
// nf_n += x_k * fma(scale_kj, q_kn, bias_kj) in ascending k, so NaN and Inf propagate as in
// a dense product. An inactive or zero input contributes nothing, and takes no place in a
// block.
//
// Every output is a function of W and the active nonzero x alone: the same for dense and
// sparse calls, any thread count and any output range, and on every instruction set (the
// SIMD kernels equal the scalar twin below bit for bit). Sparse calls need the index list
// strictly ascending (what find_active makes): blocks are runs of it.
//
// Why blocks count active inputs rather than cover fixed ranges of k: each block folds
// every output of a tile once (acc_n above), so blocks of fixed ranges cost a sparse call
// one fold per range with any active input, 1 to 32 of them: at 90% sparsity about as much
// as the integer dot products, and clustered runs straddling range edges paid two half-empty
// blocks (docs/performance.md, "Target 3"). Counted blocks fold once per 32 active inputs
// at any sparsity.
#pragma once

#include "../config.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../detect.hpp"
#include "../format.hpp"
#include "../half.hpp"
#include "../memory.hpp"
#include "../xsimd_compat.hpp"
#include "halves.hpp"
#include "micro_ref.hpp"
#include "traits.hpp"
#include "unpack.hpp"

ACTSPARSE_INTRINSIC_WARNINGS_OFF

ACTSPARSE_NAMESPACE_BEGIN
namespace detail {

// Inputs per activation block of the int8 mode (ggml's Q8_0 blocks are 32 long too).
inline constexpr std::size_t kInt8Block = 32;
static_assert(kInt8Block % 4 == 0 && kInt8Block * 127 * 128 < (1u << 24), "int8 sums must convert to fp32 exactly");

// v rounded to the nearest integer, ties to even, whatever the rounding mode (|v| < 2^23).
// Callers pass v = rounded_product(a, inv): a product GCC contracted into v - floor(v)
// would be rounded once instead of twice (-ffp-contract=fast, measured on aarch64).
inline std::int32_t round_half_even(float v) {
  const float f = std::floor(v);
  const float r = v - f;  // exact
  auto i = static_cast<std::int32_t>(f);
  if (r > 0.5f || (r == 0.5f && (i & 1) != 0)) ++i;
  return i;
}

// 127 / amax, or 0 where that is not finite.
inline float int8_inverse(float amax) {
  const float inv = 127.0f / amax;
  return inv <= FLT_MAX ? inv : 0.0f;
}

// One block: the next kInt8Block inputs, from entry i of the list (dense: of 0..count-1)
// on, that are active and not zero, in order (fewer at the end of the list). Returns the
// entry after the last one read.
template <class Key>
inline std::size_t int8_block(const float* x, Key key, std::size_t i, std::size_t count, float keep_above,
                              std::uint32_t* ks, std::size_t& nb) {
  // Active and not zero: |x| > the threshold and |x| > 0 (NaN passes both).
  const float above = std::fmax(keep_above, 0.0f);
  nb = 0;
  for (; i < count && nb < kInt8Block; ++i) {
    const std::size_t k = key(i);
    if (is_active(x[k], above)) ks[nb++] = static_cast<std::uint32_t>(k);
  }
  return i;
}

// One group's quantization of a block, the header's a_kj, amax, inv, d_bj, a8_kj and bsum_j
// for group j and the block's active inputs ks[0, nb): a8[u] (0 where a_kj is not finite:
// those pairs go to unfolded(k, j) instead), their sum s8 and bsum_j updated, in the twin's
// order. Returns d_bj.
template <class Unfolded>
inline float int8_group(const packed_matrix& W, const float* x, const std::uint32_t* ks, std::size_t nb,
                        std::size_t j, float c, float& bsum, std::int32_t* a8, std::int32_t& s8, Unfolded&& unfolded) {
  float amax = 0.0f;
  for (std::size_t u = 0; u < nb; ++u) {
    const float a = x[ks[u]] * half_to_float(W.scales(ks[u])[j]);
    if (std::isfinite(a)) amax = std::fmax(amax, std::fabs(a));
  }
  const float inv = int8_inverse(amax);
  s8 = 0;
  for (std::size_t u = 0; u < nb; ++u) {
    const std::size_t k = ks[u];
    const float xk = x[k], a = xk * half_to_float(W.scales(k)[j]);
    a8[u] = 0;
    if (!std::isfinite(a)) {
      unfolded(k, j);
      continue;
    }
    bsum = std::fma(c, a, std::fma(xk, half_to_float(W.biases(k)[j]), bsum));
    a8[u] = round_half_even(rounded_product(a, inv));
    s8 += a8[u];
  }
  return inv == 0.0f ? 0.0f : amax / 127.0f;
}

// x_k's term of a non-finite a_kj, unfolded into nf (the outputs of group j, nf[0] being
// output n0): nf_n += x_k * fma(scale_kj, q_kn, bias_kj), the product rounded before the
// add. Contracted into one fused multiply-add (GCC's default where the target has FMA), a
// finite x_k whose product overflows would add to an Inf sum without making it NaN, so
// builds with and without FMA gave Inf and NaN for the same output
// (Int8.HugeFiniteActivationsEqualTheScalarTwin, dispatching library).
inline void int8_unfolded(const packed_matrix& W, const float* x, std::size_t k, std::size_t j, float* nf,
                          std::size_t n0) {
  const std::size_t g = static_cast<std::size_t>(W.group_size());
  const float xk = x[k], s = half_to_float(W.scales(k)[j]), b = half_to_float(W.biases(k)[j]);
  for (std::size_t n = j * g; n < (j + 1) * g; ++n)
    nf[n - n0] += rounded_product(xk, std::fma(s, static_cast<float>(W.code(k, n)), b));
}

// The non-finite terms of a tile's outputs [n0, n0 + T), zeroed on first use: until then
// every output adds +0, as the twin does (+0 + -0).
template <std::size_t kTile>
struct int8_unfolded_terms {
  alignas(64) float nf[kTile];
  bool used = false;
  void add(const packed_matrix& W, const float* x, std::size_t k, std::size_t j, std::size_t n0, std::size_t T) {
    if (!used) std::fill(nf, nf + T, 0.0f);
    used = true;
    int8_unfolded(W, x, k, j, nf, n0);
  }
  float operator[](std::size_t n) const { return used ? nf[n] : 0.0f; }
};

// The scalar twin of the int8 mode (the fallback on every arch without an int8 kernel, and
// the tests' oracle): outputs out.begin to out.last(rows), in the order described above.
inline void gemv_int8_ref_impl(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                               float keep_above, bool dense, float* y, const outputs& out) {
  const std::size_t N = W.rows(), g = static_cast<std::size_t>(W.group_size());
  const std::size_t j0 = out.begin / g, j1 = out.last(N) / g;
  const std::int32_t c = 1 << (W.bits() - 1);
  buffer<float> acc(N, 0.0f), nf(N, 0.0f), bsum(W.groups(), 0.0f);
  buffer<std::int32_t> isum(N, 0);
  auto key = [&](std::size_t i) -> std::size_t { return dense ? i : idx[i]; };
  auto unfolded = [&](std::size_t k, std::size_t j) { int8_unfolded(W, x, k, j, nf.data(), 0); };
  std::uint32_t ks[kInt8Block];
  std::int32_t a8[kInt8Block];
  std::size_t nb = 0;
  for (std::size_t i = 0; i < count;) {
    i = int8_block(x, key, i, count, keep_above, ks, nb);
    for (std::size_t j = j0; j < j1; ++j) {
      std::int32_t s8 = 0;
      const float d = int8_group(W, x, ks, nb, j, static_cast<float>(c), bsum[j], a8, s8, unfolded);
      for (std::size_t n = j * g; n < (j + 1) * g; ++n) isum[n] = 0;
      for (std::size_t u = 0; u < nb; ++u)
        for (std::size_t n = j * g; n < (j + 1) * g; ++n)
          isum[n] += a8[u] * (static_cast<std::int32_t>(W.code(ks[u], n)) - c);
      for (std::size_t n = j * g; n < (j + 1) * g; ++n) acc[n] = std::fma(d, static_cast<float>(isum[n]), acc[n]);
    }
  }
  for (std::size_t n = j0 * g; n < j1 * g; ++n)
    store_output(y + n, (acc[n] + bsum[n / g]) + nf[n], out.accumulate);
}

}  // namespace detail

namespace simd {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define ACTSPARSE_INT8_AVX512 1
#endif

// Whether arch A has an integer-dot int8 kernel for `Bits`-bit codes: AVX-512 BW, 2- and
// 4-bit (and 8-bit where AVX512_VNNI's vpdpbusd adds u8 x s8 products without the 16-bit
// saturation of vpmaddubsw; 3-, 5- and 6-bit where AVX512_VBMI's byte permutes gather the
// codes, with VNNI: the Ice Lake / Zen 4 level); aarch64 with DotProd (sdot), every width.
// Every other SIMD arch and width (3, 5, 6 bits on AVX-512 without VBMI and VNNI) runs
// int8_generic_pass.
template <class A, int Bits>
constexpr bool has_int8_kernel() {
#if defined(ACTSPARSE_INT8_AVX512)
  if constexpr (family_of<A>() == isa_family::avx512) {
#if defined(__AVX512VBMI__) && defined(__AVX512VNNI__)
    if constexpr (Bits == 3 || Bits == 5 || Bits == 6) return true;
#endif
#if defined(__AVX512VNNI__)
    return Bits == 2 || Bits == 4 || Bits == 8;
#else
    return Bits == 2 || Bits == 4;
#endif
  }
#endif
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
  if constexpr (family_of<A>() == isa_family::neon) return true;
#endif
  return false;
}

#if defined(ACTSPARSE_INT8_AVX512)

// acc += the sums of 4 u8 x s8 products per 32-bit lane.
inline __m512i dot4(__m512i acc, __m512i u, __m512i s) {
#if defined(__AVX512VNNI__)
  return _mm512_dpbusd_epi32(acc, u, s);
#else
  // Pairs of products of codes < 16 and |s| <= 127 stay far inside int16.
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
#endif
}

// The int8 kernel's view of `Bits`-bit codes (2, 4 or 8: P = 8 / Bits codes per byte): a
// chunk is 64 code bytes of each of 4 strips; the bytes are interleaved so that each 32-bit
// lane holds one output's codes of the 4 strips, kRegs registers of 16 lanes. Register
// P r + e, lane 4L + p holds output 16P L + 4P r + P p + e (e: the code's place in its
// byte). 128-bit lane L of every register covers the chunk's outputs [L * kLaneOutputs,
// (L + 1) * kLaneOutputs): one group's activations, or two (2-bit codes in 32-output groups:
// registers r < 2 take the first group, r >= 2 the second).
//
// 3-, 5- and 6-bit codes (kStream: a bit stream, output n's code at bit n Bits of its strip,
// codes crossing bytes): a chunk is 128 outputs, kChunkBytes = 16 Bits bytes of each strip,
// in 8 registers of 16 outputs in order (lane l of register R: output 16 R + l; see
// int8_stream_dot).
template <int Bits>
struct int8_layout {
  static constexpr bool kStream = 8 % Bits != 0;
  static constexpr std::size_t P = kStream ? 1 : 8 / Bits;
  static constexpr std::size_t kChunk = kStream ? 128 : 64 * P, kLaneOutputs = 16 * P, kRegs = kChunk / 16;
  static constexpr std::size_t kChunkBytes = kChunk * Bits / 8;
  static std::size_t slot(std::size_t m) {
    if (kStream) return m;
    const std::size_t L = m / kLaneOutputs, w = m % kLaneOutputs;
    return (P * (w / (4 * P)) + w % P) * 16 + 4 * L + (w % (4 * P)) / P;
  }
};

// With vpdpbusd (no 16-bit saturation), 2- and 4-bit codes are masked in place, not
// shifted down: register 2r + h (4-bit) or 4r + e (2-bit) sums 2^p times the codes at bit p
// of their byte (p = 4h, 2e), and the fold takes the 2^p back out exactly (int8_pass).
template <int Bits>
inline constexpr bool kInt8MaskOnly =
#if defined(__AVX512VNNI__)
    Bits == 2 || Bits == 4;
#else
    false;
#endif

// act[h]: the activations for the registers of half h of each 128-bit lane (Halves = 2 only
// for 2-bit codes in 32-output groups, where a lane spans two groups).
template <int Bits, std::size_t Halves>
inline void int8_dot_chunk(__m512i p0, __m512i p1, __m512i p2, __m512i p3, const __m512i* act, __m512i* acc) {
  const __m512i t0 = _mm512_unpacklo_epi8(p0, p1), t1 = _mm512_unpackhi_epi8(p0, p1);
  const __m512i t2 = _mm512_unpacklo_epi8(p2, p3), t3 = _mm512_unpackhi_epi8(p2, p3);
  // q[r], lane 4L + p: byte 16L + 4r + p of the 4 strips.
  const __m512i q[4] = {_mm512_unpacklo_epi16(t0, t2), _mm512_unpackhi_epi16(t0, t2), _mm512_unpacklo_epi16(t1, t3),
                        _mm512_unpackhi_epi16(t1, t3)};
  constexpr int kPlaces = 8 / Bits, kMask = (1 << Bits) - 1;
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    const __m512i a = act[Halves == 2 ? r / 2 : 0];
#pragma GCC unroll 4
    for (int e = 0; e < kPlaces; ++e) {
      __m512i codes = q[r];
      if constexpr (kInt8MaskOnly<Bits>)  // left in place: register P r + e holds 2^(Bits e) times its sums
        codes = _mm512_and_si512(codes, _mm512_set1_epi8(static_cast<char>(kMask << (Bits * e))));
      else if constexpr (Bits < 8)
        codes = _mm512_and_si512(e == 0 ? codes : _mm512_srli_epi16(codes, Bits * e), _mm512_set1_epi8(kMask));
      acc[kPlaces * r + e] = dot4(acc[kPlaces * r + e], codes, a);
    }
  }
}

#if defined(__AVX512VBMI__) && defined(__AVX512VNNI__)
// The constants of int8_stream_dot for `Bits`-bit codes. Per 32 outputs (4 Bits bytes of
// each strip) a table of 128 bytes holds 32 bytes of each of the 4 strips (strip s at byte
// 32 s). In register r (outputs 16 r to 16 r + 15 of the 32), 64-bit lane i takes the two
// bytes of each strip that hold outputs 16 r + 2 i and 16 r + 2 i + 1 (their 2 Bits bits
// start at bit (2 Bits i) mod 8 of the first byte): index[r], to vpermi2b. vpmultishiftqb
// then moves the code of output 16 r + 2 i + o of strip s to byte 4 o + s of the lane
// (shift), and an AND keeps its Bits bits: each 32-bit lane holds one output's 4 codes.
// The loop is bound by its 512-bit shuffles (one a cycle on Zen 4): 16.4 cycles per 256
// weights with the codes in L1. Tried, no faster: the tables built by broadcasts and
// blends instead of inserts (16.7), one 64-byte table of 16 bytes per strip and vpermb
// (17.2), 64- instead of 128-output chunks (the same within 2%).
template <int Bits>
struct int8_stream_tables {
  alignas(64) std::uint8_t index[2][64];
  alignas(64) std::uint8_t shift[64];
  constexpr int8_stream_tables() : index{}, shift{} {
    for (int i = 0; i < 8; ++i)
      for (int s = 0; s < 4; ++s) {
        for (int r = 0; r < 2; ++r)
          for (int t = 0; t < 2; ++t)
            index[r][8 * i + 2 * s + t] = static_cast<std::uint8_t>(32 * s + Bits * (16 * r + 2 * i) / 8 + t);
        for (int o = 0; o < 2; ++o)
          shift[8 * i + 4 * o + s] = static_cast<std::uint8_t>(16 * s + (2 * Bits * i) % 8 + o * Bits);
      }
  }
};
template <int Bits>
inline constexpr int8_stream_tables<Bits> kInt8StreamTables{};

// One quad of strips (p[0..3], the chunk's codes at byte `off`) over the first 32 Pieces
// outputs of a chunk (Pieces < 4 only in a tile's last chunk): acc[R] += the 4 strips'
// codes times the quad's 4 a8 of register R's group (a8[16 R / Group], one per byte: a8
// starts at the chunk's first group).
template <int Bits, int Group, std::size_t Pieces>
inline void int8_stream_dot(const std::uint8_t* const* p, std::size_t off, const std::uint32_t* a8, __m512i* acc) {
  constexpr auto& K = kInt8StreamTables<Bits>;
  constexpr __mmask32 kBytes = (std::uint64_t{1} << (4 * Bits)) - 1;
  const __m512i shift = _mm512_load_si512(K.shift), mask = _mm512_set1_epi8((1 << Bits) - 1);
#pragma GCC unroll 4
  for (std::size_t h = 0; h < Pieces; ++h) {
    const std::size_t o = off + 4 * Bits * h;
    const __m512i t01 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_maskz_loadu_epi8(kBytes, p[0] + o)),
                                           _mm256_maskz_loadu_epi8(kBytes, p[1] + o), 1);
    const __m512i t23 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_maskz_loadu_epi8(kBytes, p[2] + o)),
                                           _mm256_maskz_loadu_epi8(kBytes, p[3] + o), 1);
#pragma GCC unroll 2
    for (std::size_t r = 0; r < 2; ++r) {
      const __m512i pairs = _mm512_permutex2var_epi8(t01, _mm512_load_si512(K.index[r]), t23);
      const __m512i codes = _mm512_and_si512(_mm512_multishift_epi64_epi8(shift, pairs), mask);
      const std::size_t R = 2 * h + r;
      acc[R] = dot4(acc[R], codes, _mm512_set1_epi32(static_cast<int>(a8[16 * R / Group])));
    }
  }
}
#endif

// Lane L's group, relative to its chunk's first, for half h of the lane (int8_dot_chunk).
template <std::size_t LaneOutputs, int Group>
inline __m512i int8_lane_groups(std::size_t h) {
  constexpr std::size_t half = LaneOutputs > std::size_t(Group) ? std::size_t(Group) : 0;
  alignas(64) std::int32_t g[16];
  for (std::size_t e = 0; e < 16; ++e) g[e] = static_cast<std::int32_t>(((e / 4) * LaneOutputs + h * half) / Group);
  return _mm512_load_si512(g);
}

// Outputs [n0, n1) of one row (n1 - n0 <= kTileOutputs, multiples of Group) from the
// strips the list names (Dense: all `count`), in the int8 mode's order (the header).
template <int Bits, int Group, class A, bool Dense>
void int8_pass(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count, float keep_above,
               std::size_t n0, std::size_t n1, float* y, bool accumulate) {
  using L = int8_layout<Bits>;
  constexpr std::size_t B = actsparse::detail::kInt8Block, kQuads = B / 4;
  constexpr std::size_t kTile = arch_traits<A>::kTileOutputs, kMaxGroups = kTile / Group + 16;
  alignas(64) float facc[kTile + L::kChunk];
  actsparse::detail::int8_unfolded_terms<kTile> nf;
  alignas(64) float bsum[kMaxGroups];
  alignas(64) float dq[kMaxGroups];
  alignas(64) std::int32_t sq[kMaxGroups];  // c * sum of the block's a8 per group
  alignas(64) std::uint32_t a8q[kQuads][kMaxGroups];
  alignas(64) float abuf[B][16];

  const std::size_t T = n1 - n0, groups = T / Group, j0 = n0 / Group;
  const std::size_t chunks = (T + L::kChunk - 1) / L::kChunk, code_off = n0 * Bits / 8;
  // Zeroed up to the 16 groups past the tile that vector loads and stores reach.
  const std::size_t zgroups = std::min(kMaxGroups, groups + 16);
  for (std::size_t n = 0; n < chunks * L::kChunk; ++n) facc[n] = 0.0f;
  for (std::size_t j = 0; j < zgroups; ++j) bsum[j] = dq[j] = 0.0f;
  for (std::size_t j = 0; j < zgroups; ++j) sq[j] = 0;
  for (std::size_t q = 0; q < kQuads; ++q)
    for (std::size_t j = 0; j < zgroups; ++j) a8q[q][j] = 0;

  // Lane L of a chunk takes the activations of the chunk's group (L * kLaneOutputs) / Group.
  // Halves of a 128-bit lane with groups of their own (2 for 2-bit codes in 32-output groups).
  constexpr std::size_t kHalves = L::kLaneOutputs > std::size_t(Group) ? L::kLaneOutputs / Group : 1;
  static_assert(kHalves <= 2, "a 128-bit lane spans at most two groups");
  __m512i lane_group[kHalves];
  for (std::size_t h = 0; h < kHalves; ++h) lane_group[h] = int8_lane_groups<L::kLaneOutputs, Group>(h);
  const __m512 inf = _mm512_set1_ps(INFINITY), c127 = _mm512_set1_ps(127.0f);
  const __m512 centre = _mm512_set1_ps(static_cast<float>(1 << (Bits - 1)));
  const __m512i bytes = _mm512_set1_epi32(0xff);

  auto key = [&](std::size_t i) -> std::size_t { return Dense ? i : idx[i]; };
  std::uint32_t ks[2][B];
  std::size_t nbs[2] = {0, 0};
  std::size_t cur = 0;
  std::size_t next_i = actsparse::detail::int8_block(x, key, 0, count, keep_above, ks[0], nbs[0]);
  while (nbs[cur] > 0 || next_i < count) {
    const std::uint32_t* kb = ks[cur];
    const std::size_t nb = nbs[cur];
    // The next block, listed now so this one's chunk loop can prefetch it.
    const std::size_t nxt = cur ^ 1;
    nbs[nxt] = 0;
    if (next_i < count) next_i = actsparse::detail::int8_block(x, key, next_i, count, keep_above, ks[nxt], nbs[nxt]);
    if (nb == 0) {
      cur = nxt;
      continue;
    }
    const std::size_t quads = (nb + 3) / 4;
    // ---- the block's activations, 16 groups at a time.
    for (std::size_t jv = 0; jv < groups; jv += 16) {
      const __mmask16 valid = groups - jv >= 16 ? __mmask16(0xffff) : __mmask16((1u << (groups - jv)) - 1);
      __m512 amax = _mm512_setzero_ps();
      __mmask16 fin_all = valid;
      __mmask16 fin[B];
      __m512 bs = _mm512_load_ps(bsum + jv);
      for (std::size_t u = 0; u < nb; ++u) {
        const std::size_t k = kb[u];
        const __m512 xv = _mm512_set1_ps(x[k]);
        const __m512 s = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(valid, W.scales(k) + j0 + jv));
        const __m512 a = _mm512_mul_ps(xv, s);
        _mm512_store_ps(abuf[u], a);
        const __m512 mag = _mm512_abs_ps(a);
        fin[u] = _mm512_mask_cmp_ps_mask(valid, mag, inf, _CMP_LT_OQ);
        fin_all &= fin[u];
        amax = _mm512_mask_max_ps(amax, fin[u], amax, mag);
        const __m512 b = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(valid, W.biases(k) + j0 + jv));
        bs = _mm512_mask3_fmadd_ps(centre, a, _mm512_mask3_fmadd_ps(xv, b, bs, fin[u]), fin[u]);
      }
      _mm512_store_ps(bsum + jv, bs);
      __m512 inv = _mm512_div_ps(c127, amax);
      const __mmask16 ok = _mm512_cmp_ps_mask(inv, _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ);
      inv = _mm512_maskz_mov_ps(ok, inv);
      _mm512_store_ps(dq + jv, _mm512_maskz_div_ps(ok, amax, c127));
      __m512i sum8 = _mm512_setzero_si512();
      for (std::size_t q = 0; q < quads; ++q) {
        __m512i word = _mm512_setzero_si512();
        for (std::size_t v = 0; v < 4 && 4 * q + v < nb; ++v) {
          const std::size_t u = 4 * q + v;
          const __m512i a8 = _mm512_maskz_cvt_roundps_epi32(fin[u], _mm512_mul_ps(_mm512_load_ps(abuf[u]), inv),
                                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
          sum8 = _mm512_add_epi32(sum8, a8);
          word = _mm512_or_si512(word, _mm512_slli_epi32(_mm512_and_si512(a8, bytes), static_cast<unsigned>(8 * v)));
        }
        _mm512_storeu_si512(a8q[q] + jv, word);
      }
      _mm512_store_si512(sq + jv, _mm512_slli_epi32(sum8, Bits - 1));
      if (fin_all != valid) {  // rare: non-finite a_kj, applied unfolded
        for (std::size_t u = 0; u < nb; ++u)
          for (std::size_t l = 0; l < 16 && jv + l < groups; ++l)
            if (((fin[u] >> l) & 1u) == 0) nf.add(W, x, kb[u], j0 + jv + l, n0, T);
      }
    }
    // ---- the codes: per chunk, the block's quads into int32 sums, then folded into facc.
    const std::uint8_t* codes[kQuads * 4];
    for (std::size_t u = 0; u < quads * 4; ++u) codes[u] = W.strip(kb[u < nb ? u : 0]) + code_off;
    const std::uint32_t* kn = ks[nxt];
    const std::size_t nn = nbs[nxt];
    for (std::size_t u = 0; u < nn; ++u)  // the next block's scales and biases
      for (std::size_t off = 0; off < 2 * groups; off += 64) {
        __builtin_prefetch(W.scales(kn[u]) + j0 + off / 2, 0, 2);
        __builtin_prefetch(W.biases(kn[u]) + j0 + off / 2, 0, 2);
      }
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t off = c * L::kChunkBytes;
      // The next block's codes, one prefetch per cache line (strips start on one): a stream
      // chunk (16 Bits bytes) may start inside its predecessor's last line.
      const std::size_t first = code_off + off, last = first + L::kChunkBytes - 1;
      for (std::size_t line = first / 64 + (c > 0 && first % 64 != 0); line <= last / 64; ++line)
        for (std::size_t u = 0; u < nn; ++u) __builtin_prefetch(W.strip(kn[u]) + std::max(first, 64 * line), 0, 2);
      const std::size_t cg = c * L::kChunk / Group;
      __m512i acc[L::kRegs];
#pragma GCC unroll 16
      for (std::size_t r = 0; r < L::kRegs; ++r) acc[r] = _mm512_setzero_si512();
#if defined(__AVX512VBMI__) && defined(__AVX512VNNI__)
      if constexpr (L::kStream) {
        // Register R's group is cg + 16 R / Group; a tile's last chunk may hold 32, 64 or 96
        // outputs.
        const std::size_t pieces = std::min<std::size_t>(4, (T - c * L::kChunk) / 32);
        for (std::size_t q = 0; q < quads; ++q) {
          const std::uint8_t* const* p = codes + 4 * q;
          switch (pieces) {
            case 4: int8_stream_dot<Bits, Group, 4>(p, off, a8q[q] + cg, acc); break;
            case 3: int8_stream_dot<Bits, Group, 3>(p, off, a8q[q] + cg, acc); break;
            case 2: int8_stream_dot<Bits, Group, 2>(p, off, a8q[q] + cg, acc); break;
            default: int8_stream_dot<Bits, Group, 1>(p, off, a8q[q] + cg, acc);
          }
        }
        float* f = facc + c * L::kChunk;
#pragma GCC unroll 8
        for (std::size_t r = 0; r < L::kRegs; ++r) {
          const std::size_t j = cg + 16 * r / Group;
          const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r], _mm512_set1_epi32(sq[j])));
          _mm512_store_ps(f + 16 * r, _mm512_fmadd_ps(_mm512_set1_ps(dq[j]), v, _mm512_load_ps(f + 16 * r)));
        }
        continue;
      }
#endif
      const std::size_t left = (T - c * L::kChunk) * Bits / 8;
      const __mmask64 m = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
      for (std::size_t q = 0; q < quads; ++q) {
        const __m512i a8 = _mm512_loadu_si512(a8q[q] + cg);
        __m512i act[kHalves];
#pragma GCC unroll 2
        for (std::size_t h = 0; h < kHalves; ++h) act[h] = _mm512_permutexvar_epi32(lane_group[h], a8);
        const std::uint8_t* const* p = codes + 4 * q;
        int8_dot_chunk<Bits, kHalves>(_mm512_maskz_loadu_epi8(m, p[0] + off), _mm512_maskz_loadu_epi8(m, p[1] + off),
                             _mm512_maskz_loadu_epi8(m, p[2] + off), _mm512_maskz_loadu_epi8(m, p[3] + off), act, acc);
      }
      // sum a8 (q - c) = sum a8 q - c sum a8.
      __m512 d[kHalves];
      __m512i corr[kHalves];
      for (std::size_t h = 0; h < kHalves; ++h) {
        d[h] = _mm512_permutexvar_ps(lane_group[h], _mm512_loadu_ps(dq + cg));
        corr[h] = _mm512_permutexvar_epi32(lane_group[h], _mm512_loadu_si512(sq + cg));
      }
      float* f = facc + c * L::kChunk;
#pragma GCC unroll 16
      for (std::size_t r = 0; r < L::kRegs; ++r) {
        const std::size_t h = r * kHalves / L::kRegs;
        __m512 v;
        if constexpr (kInt8MaskOnly<Bits>) {
          // 2^p (isum - corr), below 2^21 (32 * 127 * 240 plus 2^p corr): converted exactly,
          // then scaled back by 2^-p, exactly (an integer).
          const unsigned p = static_cast<unsigned>(Bits * (r % (8 / Bits)));
          v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r], _mm512_slli_epi32(corr[h], p)));
          if (p != 0) v = _mm512_mul_ps(v, _mm512_set1_ps(1.0f / static_cast<float>(1u << p)));
        } else {
          v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r], corr[h]));
        }
        _mm512_store_ps(f + 16 * r, _mm512_fmadd_ps(d[h], v, _mm512_load_ps(f + 16 * r)));
      }
    }
    cur = nxt;
  }
  for (std::size_t n = 0; n < T; ++n) {
    const float v = facc[n / L::kChunk * L::kChunk + L::slot(n % L::kChunk)] + bsum[n / Group];
    actsparse::detail::store_output(y + n0 + n, v + nf[n], accumulate);
  }
}

#endif  // ACTSPARSE_INT8_AVX512

// The block's quantization (detail::int8_group) of the V groups [jv, jv + lanes) at once on
// arch A: a8f[u][l] = a8 of input ks[u] in group jv + l (as a float), dq[l] = d, s8q[l] = the
// sum of the a8, bsum[l] updated (bsum: group jv's entry, V floats readable and writable).
// Vectorized where A fuses multiply-adds (bsum's fused multiply-adds), int8_group otherwise.
template <class A, class Unfolded>
void int8_quantize(const packed_matrix& W, const float* x, const std::uint32_t* ks, std::size_t nb, std::size_t jv,
                   std::size_t lanes, float c, float* bsum, float (*a8f)[xsimd::batch<float, A>::size], float* dq,
                   float* s8q, Unfolded&& unfolded) {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t V = bf::size, B = actsparse::detail::kInt8Block;
  if constexpr (kArchFma<A>) {
    auto halves = [&](const std::uint16_t* p) {
      return lanes == V ? load_halves<A>(p, A{}) : load_halves_head<A>(p, lanes, A{});
    };
    using bb = xsimd::batch_bool<float, A>;
    bb fin[B];
    bf amax(0.0f);
    for (std::size_t u = 0; u < nb; ++u) {
      const bf a = bf(x[ks[u]]) * halves(W.scales(ks[u]) + jv);
      const bf m = xsimd::abs(a);
      fin[u] = m <= bf(FLT_MAX);
      amax = xsimd::select(fin[u] & (m > amax), m, amax);
      a.store_aligned(a8f[u]);
    }
    // The divisions lane by lane: xsimd 8's NEON division is a refined reciprocal, not
    // IEEE (measured: outputs an ulp or two off the twin under qemu-aarch64).
    alignas(64) float am[V], iv[V];
    amax.store_aligned(am);
    for (std::size_t l = 0; l < V; ++l) {
      iv[l] = actsparse::detail::int8_inverse(am[l]);
      dq[l] = iv[l] == 0.0f ? 0.0f : am[l] / 127.0f;
    }
    const bf inv = bf::load_aligned(iv);
    bf bs = bf::load_unaligned(bsum), s8(0.0f);
    const bf half(0.5f), one(1.0f), cv(c);
    for (std::size_t u = 0; u < nb; ++u) {
      const std::size_t k = ks[u];
      const bf xv(x[k]), a = bf::load_aligned(a8f[u]), b = halves(W.biases(k) + jv);
      bs = xsimd::select(fin[u], simd::fma(cv, a, simd::fma(xv, b, bs)), bs);
      // round_half_even(a * inv), whatever the rounding mode.
      const bf v = simd::rounded_mul(a, inv), f = xsimd::floor(v), r = v - f;
      const bf odd = xsimd::to_float(xsimd::to_int(f) & bi(1));
      const bf a8 =
          xsimd::select(fin[u], f + xsimd::select((r > half) | ((r == half) & (odd == one)), one, bf(0.0f)), bf(0.0f));
      a8.store_aligned(a8f[u]);
      s8 = s8 + a8;  // integers below 2^12: exact
      if (xsimd::any(!fin[u])) {
        alignas(64) float bad[V];
        xsimd::select(fin[u], bf(0.0f), bf(1.0f)).store_aligned(bad);
        for (std::size_t l = 0; l < lanes; ++l)
          if (bad[l] != 0.0f) unfolded(k, jv + l);
      }
    }
    bs.store_unaligned(bsum);
    s8.store_aligned(s8q);
  } else {  // scalar, for the fused multiply-adds of bsum
    std::int32_t a8[B];
    for (std::size_t l = 0; l < lanes; ++l) {
      std::int32_t s8 = 0;
      dq[l] = actsparse::detail::int8_group(W, x, ks, nb, jv + l, c, bsum[l], a8, s8, unfolded);
      for (std::size_t u = 0; u < nb; ++u) a8f[u][l] = static_cast<float>(a8[u]);
      s8q[l] = static_cast<float>(s8);
    }
  }
}

// The int8 mode on any SIMD arch and width, with the exact kernels' unpack (unpack.hpp) and
// fp32 FMAs instead of integer dot products. It is still the twin's integer arithmetic:
// a8 and q are integers, |a8 q| <= 127 * 255 and a block's sum of them stays below 2^24, so
// fma(float(a8), float(q), isum) is exact in any order, and sum a8 q - c sum a8 is the
// twin's sum a8 (q - c) exactly. The fold into the output is the twin's fused multiply-add
// (scalar std::fma on archs whose vectors have none: SSE4.x, AVX without FMA3, 32-bit NEON).
// Outputs [n0, n1) of one row (n1 - n0 <= kTileOutputs, multiples of Group).
template <int Bits, int Group, class A, bool Dense>
void int8_generic_pass(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                       float keep_above, std::size_t n0, std::size_t n1, float* y, bool accumulate) {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t V = bf::size, C = kChunk<A>, kPer = C / V, B = actsparse::detail::kInt8Block;
  constexpr std::size_t kChunks = Group / C, kSums = Group / V, kTile = arch_traits<A>::kTileOutputs;
  static_assert(Group % C == 0, "a chunk of codes must lie inside one group");
  const std::size_t T = n1 - n0, j0 = n0 / Group, j1 = n1 / Group;
  const float c = static_cast<float>(1 << (Bits - 1));
  alignas(64) float acc[kTile];
  alignas(64) float bsum[kTile / Group + V];
  actsparse::detail::int8_unfolded_terms<kTile> nf;
  std::fill(acc, acc + T, 0.0f);
  std::fill(bsum, bsum + (j1 - j0 + V), 0.0f);
  auto key = [&](std::size_t i) -> std::size_t { return Dense ? i : idx[i]; };
  auto unfolded = [&](std::size_t k, std::size_t j) { nf.add(W, x, k, j, n0, T); };
  std::uint32_t ks[B];
  alignas(64) float a8f[B][V];  // the block's a8 per strip, for V groups
  alignas(64) float dq[V], s8q[V];
  std::size_t nb = 0;
  for (std::size_t i = 0; i < count;) {
    i = actsparse::detail::int8_block(x, key, i, count, keep_above, ks, nb);
    for (std::size_t jv = j0; jv < j1 && nb > 0; jv += V) {
      const std::size_t lanes = std::min(V, j1 - jv);
      int8_quantize<A>(W, x, ks, nb, jv, lanes, c, bsum + (jv - j0), a8f, dq, s8q, unfolded);
      // ---- the codes, group by group.
      for (std::size_t l = 0; l < lanes; ++l) {
        const std::size_t j = jv + l;
        const float d = dq[l];
        const bf corr(c * s8q[l]), dv(d);  // |c s8| <= 128 * 32 * 127: exact

        // The group's sums stay in registers while the block's strips go by (a8 = 0, as for
        // the non-finite pairs, adds 0).
        bf isum[kSums];
        for (std::size_t v = 0; v < kSums; ++v) isum[v] = bf(0.0f);
        const std::size_t off = j * Group * Bits / 8;
        for (std::size_t u = 0; u < nb; ++u) {
          const std::uint8_t* p = W.strip(ks[u]) + off;
          const bf a(a8f[u][l]);
          for (std::size_t ch = 0; ch < kChunks; ++ch) {
            bi q[kPer];
            unpack_chunk<Bits, A>(p + ch * C * Bits / 8, q, A{});
            for (std::size_t v = 0; v < kPer; ++v)
              isum[ch * kPer + v] = simd::fma(a, xsimd::to_float(q[v]), isum[ch * kPer + v]);
          }
        }
        float* f = acc + (j * Group - n0);
        if constexpr (kArchFma<A>) {
          for (std::size_t v = 0; v < kSums; ++v)
            simd::fma(dv, isum[v] - corr, bf::load_unaligned(f + v * V)).store_unaligned(f + v * V);
        } else {  // no fused multiply-add in this arch's vectors: the twin's fold needs one
          alignas(64) float t[Group];
          for (std::size_t v = 0; v < kSums; ++v) (isum[v] - corr).store_unaligned(t + v * V);
          for (std::size_t e = 0; e < std::size_t(Group); ++e) f[e] = std::fma(d, t[e], f[e]);
        }
      }
    }
  }
  for (std::size_t n = 0; n < T; ++n)
    actsparse::detail::store_output(y + n0 + n, (acc[n] + bsum[(n0 + n) / Group - j0]) + nf[n], accumulate);
}

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#define ACTSPARSE_INT8_SDOT 1

// The NEON int8 kernel's chunk: 16 code bytes of each of 4 strips, zipped so that 32-bit lane
// i of q[r] holds byte 4r + i of the 4 strips, and summed against the 4 strips' a8 (act[h],
// the same 4 bytes in every lane) by sdot. 2-bit: acc[4r + s] lane i takes output 16r + 4i +
// s (s: the code's place in its byte; codes 0..3 as they are; with 32-output groups the chunk
// spans two, r < 2 taking act[0] and r >= 2 act[1]); 4-bit: acc[2r + h] lane i takes output
// 8r + 2i + h (h: low or high nibble, codes 0..15 as they are); 8-bit: acc[r] lane i takes
// output 4r + i, the codes' top bit flipped (q - 128 as int8: the centred codes themselves).
template <int Bits, std::size_t Halves>
inline void int8_sdot_chunk(const std::uint8_t* p0, const std::uint8_t* p1, const std::uint8_t* p2,
                            const std::uint8_t* p3, const int8x16_t* act, int32x4_t* acc) {
  const uint8x16_t b0 = vld1q_u8(p0), b1 = vld1q_u8(p1), b2 = vld1q_u8(p2), b3 = vld1q_u8(p3);
  const uint16x8_t t0 = vreinterpretq_u16_u8(vzip1q_u8(b0, b1)), t1 = vreinterpretq_u16_u8(vzip2q_u8(b0, b1));
  const uint16x8_t t2 = vreinterpretq_u16_u8(vzip1q_u8(b2, b3)), t3 = vreinterpretq_u16_u8(vzip2q_u8(b2, b3));
  const uint8x16_t q[4] = {vreinterpretq_u8_u16(vzip1q_u16(t0, t2)), vreinterpretq_u8_u16(vzip2q_u16(t0, t2)),
                           vreinterpretq_u8_u16(vzip1q_u16(t1, t3)), vreinterpretq_u8_u16(vzip2q_u16(t1, t3))};
  if constexpr (Bits == 2) {
    const uint8x16_t lo = vdupq_n_u8(0x03);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      const int8x16_t a = act[Halves == 2 ? r / 2 : 0];
      acc[4 * r] = vdotq_s32(acc[4 * r], vreinterpretq_s8_u8(vandq_u8(q[r], lo)), a);
      acc[4 * r + 1] = vdotq_s32(acc[4 * r + 1], vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(q[r], 2), lo)), a);
      acc[4 * r + 2] = vdotq_s32(acc[4 * r + 2], vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(q[r], 4), lo)), a);
      acc[4 * r + 3] = vdotq_s32(acc[4 * r + 3], vreinterpretq_s8_u8(vshrq_n_u8(q[r], 6)), a);
    }
  } else if constexpr (Bits == 4) {
    const uint8x16_t lo = vdupq_n_u8(0x0f);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      acc[2 * r] = vdotq_s32(acc[2 * r], vreinterpretq_s8_u8(vandq_u8(q[r], lo)), act[0]);
      acc[2 * r + 1] = vdotq_s32(acc[2 * r + 1], vreinterpretq_s8_u8(vshrq_n_u8(q[r], 4)), act[0]);
    }
  } else {
    const uint8x16_t top = vdupq_n_u8(0x80);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) acc[r] = vdotq_s32(acc[r], vreinterpretq_s8_u8(veorq_u8(q[r], top)), act[0]);
  }
}

// 3-, 5- and 6-bit codes (a bit stream, crossing bytes), 8 outputs (Bits bytes of each strip)
// at a time: the 4 strips' 16 bytes from the unit's first make a tbl table, and in register
// r (outputs 4r to 4r + 3 of the 8) byte 4o + s takes output 4r + o of strip s: its code's
// first byte (lo) and the next (hi) gathered by two tbl, then (lo >> sh) | (hi << (8 - sh))
// by per-byte ushl (sh: the code's first bit in its byte; a shift by 8 gives 0) and an AND.
template <int Bits>
struct int8_sdot_stream_tables {
  std::uint8_t lo[2][16], hi[2][16];
  std::int8_t right[2][16], left[2][16];
  constexpr int8_sdot_stream_tables() : lo{}, hi{}, right{}, left{} {
    for (int r = 0; r < 2; ++r)
      for (int o = 0; o < 4; ++o)
        for (int s = 0; s < 4; ++s) {
          const int bit = Bits * (4 * r + o), e = 4 * o + s;
          lo[r][e] = static_cast<std::uint8_t>(16 * s + bit / 8);
          hi[r][e] = static_cast<std::uint8_t>(16 * s + bit / 8 + 1);
          right[r][e] = static_cast<std::int8_t>(-(bit % 8));
          left[r][e] = static_cast<std::int8_t>(8 - bit % 8);
        }
  }
};
template <int Bits>
inline constexpr int8_sdot_stream_tables<Bits> kInt8SdotStreamTables{};

// A chunk of 8 Units outputs (Units of 8, Bits bytes each): acc[r] lane i takes output 4r + i.
template <int Bits, std::size_t Units>
inline void int8_sdot_stream_chunk(const std::uint8_t* const* p, std::size_t off, int8x16_t act, int32x4_t* acc) {
  constexpr auto& K = kInt8SdotStreamTables<Bits>;
  const uint8x16_t mask = vdupq_n_u8((1u << Bits) - 1);
  uint8x16_t lo[2], hi[2];
  int8x16_t right[2], left[2];
#pragma GCC unroll 2
  for (int r = 0; r < 2; ++r) {
    lo[r] = vld1q_u8(K.lo[r]);
    hi[r] = vld1q_u8(K.hi[r]);
    right[r] = vld1q_s8(K.right[r]);
    left[r] = vld1q_s8(K.left[r]);
  }
#pragma GCC unroll 4
  for (std::size_t u = 0; u < Units; ++u) {
    const std::size_t o = off + Bits * u;
    const uint8x16x4_t t = {{vld1q_u8(p[0] + o), vld1q_u8(p[1] + o), vld1q_u8(p[2] + o), vld1q_u8(p[3] + o)}};
#pragma GCC unroll 2
    for (int r = 0; r < 2; ++r) {
      const uint8x16_t a = vshlq_u8(vqtbl4q_u8(t, lo[r]), right[r]), b = vshlq_u8(vqtbl4q_u8(t, hi[r]), left[r]);
      acc[2 * u + r] = vdotq_s32(acc[2 * u + r], vreinterpretq_s8_u8(vandq_u8(vorrq_u8(a, b), mask)), act);
    }
  }
}

// The int8 mode on aarch64 with the dot-product extension (ARMv8.2 DotProd: Apple M1 and
// later, Neoverse N1 and later), every width: the twin's sums, 4 strips per sdot.
// Per block, the activations are quantized 4 groups at a time (int8_quantize), then each
// chunk of outputs sums the block's strips 4 at a time in integer registers and folds them
// into fp32 with the twin's fused multiply-add. Outputs [n0, n1) of one row (n1 - n0 <=
// kTileOutputs, multiples of Group).
template <int Bits, int Group, class A, bool Dense>
void int8_sdot_pass(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                    float keep_above, std::size_t n0, std::size_t n1, float* y, bool accumulate) {
  constexpr std::size_t V = 4, B = actsparse::detail::kInt8Block, kQuads = B / 4;
  // 3, 5, 6 bits: codes crossing bytes, 16 outputs (2 Bits bytes) a chunk (int8_sdot_stream_chunk;
  // 32 spilled accumulators).
  constexpr bool kStream = 8 % Bits != 0;
  constexpr std::size_t kOut = kStream ? 16 : 16 * 8 / Bits, kRegs = kOut / 4;  // outputs and registers per chunk
  constexpr std::size_t kChunkBytes = kOut * Bits / 8;
  // Groups per chunk with their own activations: 2 for 2-bit codes in 32-output groups (the
  // last chunk of a tile may then be half past its end: its second group's a8 and d are 0).
  constexpr std::size_t kHalves = kOut > std::size_t(Group) ? kOut / Group : 1;
  constexpr std::size_t kTile = arch_traits<A>::kTileOutputs, kMaxGroups = kTile / Group + V + 1;
  static_assert(Group % kOut == 0 || kHalves == 2, "a chunk of codes must lie inside one or two groups");
  const std::size_t T = n1 - n0, j0 = n0 / Group, groups = T / Group, chunks = (T + kOut - 1) / kOut;
  const std::size_t code_off = n0 * Bits / 8;
  const float c = static_cast<float>(1 << (Bits - 1));
  alignas(64) float facc[kTile + kOut];  // chunk-major, lanes in int8_sdot_chunk's order
  alignas(64) float bsum[kMaxGroups];
  alignas(64) std::int32_t corr[kMaxGroups];  // per group: c * sum of the block's a8 (4-bit), 0 (8-bit)
  alignas(64) float dq[kMaxGroups];
  alignas(64) std::uint32_t a8q[kQuads][kMaxGroups];  // 4 strips' a8 bytes per word
  alignas(64) float a8f[B][V];
  actsparse::detail::int8_unfolded_terms<kTile> nf;
  std::fill(facc, facc + chunks * kOut, 0.0f);
  std::fill(bsum, bsum + groups + V, 0.0f);
  dq[groups] = 0.0f;
  corr[groups] = 0;
  for (std::size_t q = 0; q < kQuads; ++q) a8q[q][groups] = 0;
  auto key = [&](std::size_t i) -> std::size_t { return Dense ? i : idx[i]; };
  auto unfolded = [&](std::size_t k, std::size_t j) { nf.add(W, x, k, j, n0, T); };
  std::uint32_t ks[B];
  std::size_t nb = 0;
  for (std::size_t i = 0; i < count;) {
    i = actsparse::detail::int8_block(x, key, i, count, keep_above, ks, nb);
    if (nb == 0) continue;
    const std::size_t quads = (nb + 3) / 4;
    // ---- the block's activations, V groups at a time; strips past nb get a8 = 0.
    for (std::size_t jt = 0; jt < groups; jt += V) {
      const std::size_t lanes = std::min(V, groups - jt);
      alignas(16) float s8q[V];
      int8_quantize<A>(W, x, ks, nb, j0 + jt, lanes, c, bsum + jt, a8f, dq + jt, s8q, unfolded);
      for (std::size_t l = 0; l < lanes; ++l) {
        corr[jt + l] = Bits == 8 ? 0 : static_cast<std::int32_t>(c * s8q[l]);
        for (std::size_t q = 0; q < quads; ++q) {
          std::uint32_t word = 0;
          for (std::size_t v = 0; v < 4 && 4 * q + v < nb; ++v)
            word |= (static_cast<std::uint32_t>(static_cast<std::int32_t>(a8f[4 * q + v][l])) & 0xffu) << (8 * v);
          a8q[q][jt + l] = word;
        }
      }
    }
    // ---- the codes, a chunk of outputs at a time.
    const std::uint8_t* codes[B];
    for (std::size_t u = 0; u < quads * 4; ++u) codes[u] = W.strip(ks[u < nb ? u : 0]) + code_off;
    for (std::size_t ch = 0; ch < chunks; ++ch) {
      const std::size_t off = ch * kChunkBytes, jt = ch * kOut / Group;
      int32x4_t acc[kRegs];
#pragma GCC unroll 16
      for (std::size_t r = 0; r < kRegs; ++r) acc[r] = vdupq_n_s32(0);
      for (std::size_t q = 0; q < quads; ++q) {
        int8x16_t act[kHalves];
        for (std::size_t h = 0; h < kHalves; ++h) act[h] = vreinterpretq_s8_u32(vdupq_n_u32(a8q[q][jt + h]));
        const std::uint8_t* const* p = codes + 4 * q;
        if constexpr (kStream)
          int8_sdot_stream_chunk<Bits, kOut / 8>(p, off, act[0], acc);
        else
          int8_sdot_chunk<Bits, kHalves>(p[0] + off, p[1] + off, p[2] + off, p[3] + off, act, acc);
      }
      float* f = facc + ch * kOut;
#pragma GCC unroll 16
      for (std::size_t r = 0; r < kRegs; ++r) {
        const std::size_t h = jt + r * kHalves / kRegs;
        vst1q_f32(f + 4 * r, vfmaq_f32(vld1q_f32(f + 4 * r), vdupq_n_f32(dq[h]),
                                       vcvtq_f32_s32(vsubq_s32(acc[r], vdupq_n_s32(corr[h])))));
      }
    }
  }
  for (std::size_t n = 0; n < T; ++n) {
    // Chunk slot of output m = n % kOut: 2-bit (4r + s) * 4 + i for m = 16r + 4i + s; 4-bit
    // (2r + h) * 4 + i for m = 8r + 2i + h; 8-bit and 3, 5, 6 bits m.
    const std::size_t m = n % kOut;
    const std::size_t slot = Bits == 2   ? (4 * (m / 16) + m % 4) * 4 + (m % 16) / 4
                             : Bits == 4 ? (2 * (m / 8) + m % 2) * 4 + (m % 8) / 2
                                         : m;
    const float v = facc[n - m + slot] + bsum[n / Group];
    actsparse::detail::store_output(y + n0 + n, v + nf[n], accumulate);
  }
}

#endif  // __aarch64__ && __ARM_FEATURE_DOTPROD

// One tile of the int8 mode on SIMD arch A: the integer-dot kernel where there is one.
template <int Bits, int Group, class A, bool Dense>
inline void int8_tile(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                      float keep_above, std::size_t n0, std::size_t n1, float* y, bool accumulate) {
#if defined(ACTSPARSE_INT8_AVX512)
  if constexpr (has_int8_kernel<A, Bits>()) {
    int8_pass<Bits, Group, A, Dense>(W, x, idx, count, keep_above, n0, n1, y, accumulate);
    return;
  }
#endif
#if defined(ACTSPARSE_INT8_SDOT)
  if constexpr (has_int8_kernel<A, Bits>()) {
    int8_sdot_pass<Bits, Group, A, Dense>(W, x, idx, count, keep_above, n0, n1, y, accumulate);
    return;
  }
#endif
  int8_generic_pass<Bits, Group, A, Dense>(W, x, idx, count, keep_above, n0, n1, y, accumulate);
}

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse

ACTSPARSE_INTRINSIC_WARNINGS_ON
