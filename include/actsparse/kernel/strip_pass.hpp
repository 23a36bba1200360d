// actsparse/kernel/strip_pass.hpp: the macro-kernel, shared by gemv (one row) and the
// batched kernel (up to kGemmMaxRows rows): one tile of outputs [n0, n1) of M rows of
// activations, over the listed strips.
//
// It walks the list kStripsPerPass strips at a time. For each strip and row it converts the
// strip's fp16 scales and biases of the tile's groups into a_j = x * scale_j and the bias
// sums bsum_j += x * bias_j (strip_products), prefetches the strips kPrefetchPasses passes
// ahead (short strips of a sparse pass: the sweep, kSweepPasses ahead with the gaps between
// them), and calls the micro-kernel once per group. A row skips a strip where its x is
// inactive (|x| <= keep_above); a pass where every row skips every strip costs nothing.
//
// The bias is folded out of the inner loop. With a_kj = x_k * scale_kj:
//   y_n = sum_k x_k (scale_kj q_kn + bias_kj) = sum_k a_kj q_kn + sum_k x_k bias_kj
// The second sum is one value per group, N/g times cheaper than the codes, added once at
// the end: one FMA (or one look-up and add) per output per active input per row.
//
// x = +-Inf or NaN: the folded form would give Inf * 0 = NaN for every zero code, where a
// dense product gives +-Inf, so such a strip is applied unfolded (add_nonfinite_strip).
#pragma once

#include "../config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../detect.hpp"
#include "../format.hpp"
#include "../xsimd_compat.hpp"
#include "halves.hpp"
#include "micro.hpp"
#include "micro_ref.hpp"
#include "traits.hpp"

ACTSPARSE_INTRINSIC_WARNINGS_OFF

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

// One strip's per-group products for a tile: a[j] = x * scale_j and bsum[j] = fma(x,
// bias_j, bsum[j]) for j < groups, V lanes at a time (lanes past `groups` are never used).
// The scales' last vector may read past them into the biases; the biases' last vector is
// loaded only up to the last bias (load_halves_head): a whole vector would read up to 30
// bytes into the next strip's first line, which a sparse pass has not prefetched when
// that strip is inactive, one DRAM miss per skipped neighbour (on 576 x 1536, 4-bit g32,
// streamed, 1 thread, 25% sparse took 63 us against 52 dense; docs/performance.md). Dense
// passes (Whole = true) read every strip in turn, the next one included, so they keep the
// whole-vector load.
template <class A, bool Whole>
inline void strip_products(float x, const std::uint16_t* scales, const std::uint16_t* biases, std::size_t groups,
                           float* a, float* bsum) {
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t V = bf::size;
  const bf xv(x);
  std::size_t j = 0;
  for (; j + V <= groups; j += V) {
    (xv * load_halves<A>(scales + j, A{})).store_aligned(a + j);
    simd::fma(xv, load_halves<A>(biases + j, A{}), bf::load_aligned(bsum + j)).store_aligned(bsum + j);
  }
  if (j < groups) {
    (xv * load_halves<A>(scales + j, A{})).store_aligned(a + j);
    const bf b = Whole ? load_halves<A>(biases + j, A{}) : load_halves_head<A>(biases + j, groups - j, A{});
    simd::fma(xv, b, bf::load_aligned(bsum + j)).store_aligned(bsum + j);
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

// Accumulator floats of one tile: kTileOutputs for one row, kGemmTileFloats for a batch.
template <class A, std::size_t MaxRows>
inline constexpr std::size_t kTileFloats =
    MaxRows == 1 ? arch_traits<A>::kTileOutputs : arch_traits<A>::kGemmTileFloats;

// Y[m][n0, n1) for rows m < M of X (row m at X + m * ldx, of Y at Y + m * ldy), from the
// strips listed in idx (Dense: all `count` strips in order). x counts where
// !(|x| <= keep_above). M <= MaxRows; n0, n1 multiples of Group; M * (n1 - n0) <=
// kTileFloats<A, MaxRows>. accumulate: Y += the products instead of Y = them.
template <int Bits, int Group, class A, bool Dense, std::size_t MaxRows>
void strip_pass(const packed_matrix& W, const float* X, std::size_t ldx, std::size_t M, const std::uint32_t* idx,
                std::size_t count, float keep_above, std::size_t n0, std::size_t n1, float* Y, std::size_t ldy,
                bool accumulate) {
  using Tr = arch_traits<A>;
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t V = bf::size, U = Tr::kStripsPerPass, kAcc = kTileFloats<A, MaxRows>;
  constexpr std::size_t kMaxGroups = kAcc / Group + V;
  alignas(64) float acc[kAcc];                  // row m: acc + m * T, in slot order where kSlotOrder
  alignas(64) float bsum[MaxRows][kMaxGroups];  // row m's bias sums per group
  alignas(64) float as[U][MaxRows][kMaxGroups];  // strip u of the pass, row m: x * scale per group
  alignas(64) float zeros[kMaxGroups];           // the products of a strip a row skips

  if (MaxRows == 1) M = 1;  // the compiler then drops the row loops of gemv's pass
  const std::size_t T = n1 - n0, groups = T / Group, j0 = n0 / Group;
  // Scales and biases are converted V at a time (strip_products); bsum's lanes past
  // `groups` are never used.
  const std::size_t vgroups = (groups + V - 1) / V * V;
  const std::size_t code_off = n0 * Bits / 8;
  for (std::size_t n = 0; n < M * T; ++n) acc[n] = 0.0f;
  for (std::size_t j = 0; j < groups; ++j) zeros[j] = 0.0f;
  for (std::size_t m = 0; m < M && m < MaxRows; ++m)  // M <= MaxRows: the second test tells the compiler
    for (std::size_t j = 0; j < vgroups; ++j) bsum[m][j] = 0.0f;

  auto strip_index = [&](std::size_t i) -> std::size_t { return Dense ? i : idx[i]; };
  // Sparse passes over short whole strips: the sweep (traits.hpp, kSweepStripBytes). Each
  // listed strip is prefetched whole, and so are the strips between it and the previous
  // listed one when they span at most kSweepGapBytes: memory then sees one stream in
  // address order. swept: the list entries prefetched so far; frontier: the address up to
  // which they are. A list that steps back (any order is legal) restarts the frontier.
  // Tiles of part of a strip (threads splitting the outputs) keep the spread scheme: a
  // first try that also swept their slices ran 2x slower, and objdump showed why: g++ 12
  // had emitted no sweep code at all (no prefetch loop), so it ran without any prefetch.
  // After changing this code, check the objdump of strip_pass for the prefetcht1 loop.
  const bool sweep = !Dense && T == W.rows() && W.strip_bytes() <= Tr::kSweepStripBytes;
  std::size_t swept = 0;
  std::uintptr_t frontier = 0;
  auto sweep_to = [&](std::size_t end) {
    for (; swept < end; ++swept) {
      const auto s = reinterpret_cast<std::uintptr_t>(W.strip(strip_index(swept)));
      if (frontier == 0 || s > frontier + Tr::kSweepGapBytes || s + W.strip_bytes() <= frontier) frontier = s;
      for (const std::uintptr_t goal = s + W.strip_bytes(); frontier < goal; frontier += 64)
        prefetch_range(reinterpret_cast<const std::uint8_t*>(frontier), 1);
    }
  };
  if (sweep) sweep_to(std::min(count, U * Tr::kSweepPasses));
  auto pass = [&](std::size_t i, auto strips) {
    constexpr std::size_t Un = decltype(strips)::value;
    const std::uint8_t* codes[Un];
    bool on[Un][MaxRows];
    bool any[MaxRows] = {};
    for (std::size_t u = 0; u < Un; ++u) {
      const std::size_t k = strip_index(i + u);
      codes[u] = W.strip(k) + code_off;
      for (std::size_t m = 0; m < M; ++m) {
        const float xk = X[m * ldx + k];
        on[u][m] = false;
        if (!detail::is_active(xk, keep_above)) continue;
        if (!std::isfinite(xk)) {
          detail::add_nonfinite_strip(W, k, xk, n0, n1, acc + m * T, acc_slot<A, Bits, Group>);
          continue;
        }
        strip_products<A, Dense>(xk, W.scales(k) + j0, W.biases(k) + j0, groups, as[u][m], bsum[m]);
        on[u][m] = any[m] = true;
      }
    }
    std::uint32_t rows[MaxRows];
    std::size_t nrows = 0;
    for (std::size_t m = 0; m < M; ++m)
      if (any[m]) rows[nrows++] = static_cast<std::uint32_t>(m);
    if (nrows == 0) return;
    // Prefetch the strips kPrefetchPasses passes ahead, spread over this pass's groups (the
    // ahead strip's bytes at the offset this group reads), not in one burst: a burst of a
    // whole pass (up to ~150 lines) overflows the core's miss buffers. Short strips: the
    // sweep, kSweepPasses passes ahead (a pass of them is at most 64 lines).
    if (sweep) sweep_to(std::min(count, i + Un + U * Tr::kSweepPasses));
    const std::size_t ahead = i + Un + U * (Tr::kPrefetchPasses - 1);
    const std::size_t n_ahead = !sweep && ahead < count ? std::min(Un, count - ahead) : 0;
    const std::uint8_t* next[Un];
    for (std::size_t u = 0; u < n_ahead; ++u) {
      next[u] = W.strip(strip_index(ahead + u));
      prefetch_range(next[u] + W.codes_bytes() + j0 * 2, groups * 2);
      prefetch_range(next[u] + W.codes_bytes() + W.groups() * 2 + j0 * 2, groups * 2);
    }
    // Where the group loop reads row rows[r]'s products of strip u: zeros where it skips it.
    const float* src[Un][MaxRows];
    for (std::size_t u = 0; u < Un; ++u)
      for (std::size_t r = 0; r < nrows; ++r) src[u][r] = on[u][rows[r]] ? as[u][rows[r]] : zeros;
    for (std::size_t j = 0; j < groups; ++j) {
      const std::size_t off = j * Group * Bits / 8;
      for (std::size_t u = 0; u < n_ahead; ++u) prefetch_range(next[u] + code_off + off, Group * Bits / 8);
      float a[Un][MaxRows];
      for (std::size_t u = 0; u < Un; ++u)
        for (std::size_t r = 0; r < nrows; ++r) a[u][r] = src[u][r][j];
      micro_group<Bits, Group, Un, A, MaxRows>(acc + j * Group, T, rows, nrows, a, codes, off);
    }
  };
  std::size_t i = 0;
  for (; i + U <= count; i += U) pass(i, std::integral_constant<std::size_t, U>{});
  for (; i < count; ++i) pass(i, std::integral_constant<std::size_t, 1>{});

  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t n = 0; n < T; ++n)
      detail::store_output(Y + m * ldy + n0 + n, acc[m * T + acc_slot<A, Bits, Group>(n)] + bsum[m][n / Group],
                           accumulate);
}

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse

ACTSPARSE_INTRINSIC_WARNINGS_ON
