// actsparse/gemm.hpp: Y = X W^T for a small batch of activation rows (batched decode,
// speculative verification), with union sparsity.
//
// gemm() picks the measured-faster path (batched for nearly dense rows, else one gemv per
// row; see kGemmBatchedAbove); gemm_sparse (a union index list) and gemm_dense are the
// batched kernels:
//
// A strip is needed when any row needs it. The batched kernels walk the union of the rows'
// active lists in blocks of kMaxRows (4) rows: within a block, each strip is read and
// unpacked once and applied to every row active in the block's pass (a row inactive in all
// of a pass's strips skips it). Larger batches re-read the strips once per block, mostly
// from cache.
//
// Per output, each row accumulates exactly as gemv does (acc = fma(x_k * s, q, acc) over
// ascending k, bsum likewise, y = acc + bsum), and a skipped zero is a no-op there, so
// gemm(X) equals m separate gemv calls bit for bit, on the same arch, for any thread count.
//
// On a panel_matrix, each thread runs the 1-thread driver on its own panels (gemv.hpp,
// for_each_panel), writing their rows of Y; the results are bitwise the packed ones.
//
// Layers as in gemv.hpp: the driver splits outputs over threads; the macro-kernel holds
// the accumulators of up to kMaxRows rows for a tile of outputs sized to stay in L1 and
// walks the union list; the micro-kernel unpacks one chunk of one strip and applies it to
// the active rows.
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "detect.hpp"
#include "format.hpp"
#include "gemv.hpp"
#include "threading.hpp"
#include "unpack.hpp"
#include "xsimd_compat.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

ACTSPARSE_NAMESPACE_BEGIN

namespace simd {

template <class A>
struct gemm_traits {
  // Rows held at once; larger batches are processed kMaxRows rows at a time. 4 rows with
  // 1024-output tiles (16 KiB of accumulators, in L1) beat 64 rows with L2-sized tiles by
  // 1.3-3x per token for m = 4..64 (docs/performance.md, "Batches").
  static constexpr std::size_t kMaxRows = 4;
  // Accumulator floats per tile (rows x outputs): 16 KiB, in L1. Tiles in L2 (128 KiB)
  // were 3x slower at 64 rows: each 4-strip pass then moves one line per 2 FMAs.
  static constexpr std::size_t kTileFloats = 4096;
};

// Micro-kernel: for one group of Group outputs of U strips (codes[u] + offset), the chunk
// codes are unpacked once and applied to each listed row r: acc_r += a[u][r] * q_u, u in
// order. A row that is inactive in strip u has a[u][r] = 0: fma(0, q, acc) == acc exactly,
// so the result equals applying only its active strips.
template <int Bits, int Group, std::size_t U, class A>
inline void micro_group_rows(float* acc, std::size_t stride, const std::uint32_t* rows, std::size_t nrows,
                             const float (*a)[gemm_traits<A>::kMaxRows], const std::uint8_t* const* codes,
                             std::size_t offset) {
  using bf = xsimd::batch<float, A>;
  using bi = xsimd::batch<std::int32_t, A>;
  constexpr std::size_t V = bf::size, C = kChunk<A>, R = C / V;
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += C) {
    bf q[U][R];
    for (std::size_t u = 0; u < U; ++u) {
      bi qi[R];
      unpack_chunk<Bits, A>(codes[u] + offset + c * Bits / 8, qi, A{});
      for (std::size_t r = 0; r < R; ++r) q[u][r] = xsimd::to_float(qi[r]);
    }
    for (std::size_t i = 0; i < nrows; ++i) {
      float* y = acc + rows[i] * stride + c;
      bf v[R];
      for (std::size_t r = 0; r < R; ++r) v[r] = bf::load_aligned(y + r * V);
      for (std::size_t u = 0; u < U; ++u) {
        const bf av(a[u][i]);
        for (std::size_t r = 0; r < R; ++r) {
          // The same rounding as gemv's kernel for this format, so each row equals gemv.
          if constexpr (kFusedProducts<A, Bits, Group>)
            v[r] = simd::fma(av, q[u][r], v[r]);
          else
            v[r] = v[r] + simd::rounded_mul(av, q[u][r]);
        }
      }
      for (std::size_t r = 0; r < R; ++r) v[r].store_aligned(y + r * V);
    }
  }
}

// Macro-kernel: rows [0, M) of X (row stride ldx), outputs [n0, n1), strips listed in idx
// (Dense: all), kStripsPerPass strips per load/store of the accumulators. x_mk counts when
// !(|x_mk| <= keep_above); a row skips the strips where it does not.
template <int Bits, int Group, class A, bool Dense>
void gemm_tile(const packed_matrix& W, const float* X, std::size_t ldx, std::size_t M, const std::uint32_t* idx,
               std::size_t count, float keep_above, std::size_t n0, std::size_t n1, float* Y, std::size_t ldy,
               std::vector<float>& scratch) {
  using bf = xsimd::batch<float, A>;
  using Tr = gemm_traits<A>;
  constexpr std::size_t V = bf::size, U = gemv_traits<A>::kStripsPerPass;
  const std::size_t T = n1 - n0, groups = T / Group, j0 = n0 / Group;
  const std::size_t vgroups = (groups + V - 1) / V * V;
  const std::size_t code_off = n0 * Bits / 8;
  // Scratch: acc [M][T], bsum [M][vgroups], as [U][M][vgroups] (64-byte aligned rows).
  const std::size_t acc_stride = T, bs_stride = vgroups;
  scratch.assign(M * T + (1 + U) * M * vgroups + 16, 0.0f);
  float* base = scratch.data();
  while (reinterpret_cast<std::uintptr_t>(base) % 64) ++base;
  float* acc = base;
  float* bsum = acc + M * T;
  float* as = bsum + M * vgroups;  // strip u, row m: as + (u * M + m) * bs_stride
  std::uint32_t rows[Tr::kMaxRows];
  float a[U][Tr::kMaxRows];

  auto pass = [&](std::size_t i, auto strips) {
    constexpr std::size_t Un = decltype(strips)::value;
    const std::uint8_t* codes[Un];
    bool row_on[Un][Tr::kMaxRows];
    bool any[Tr::kMaxRows] = {};
    for (std::size_t u = 0; u < Un; ++u) {
      const std::size_t k = Dense ? i + u : idx[i + u];
      codes[u] = W.strip(k) + code_off;
      const std::uint16_t* sc = W.scales(k) + j0;
      const std::uint16_t* bi = W.biases(k) + j0;
      for (std::size_t m = 0; m < M; ++m) {
        const float xk = X[m * ldx + k];
        row_on[u][m] = false;
        if (!detail::is_active(xk, keep_above)) continue;
        if (!std::isfinite(xk)) {  // unfolded, as in gemv
          detail::add_nonfinite_strip(W, k, xk, n0, n1, acc + m * acc_stride);
          continue;
        }
        strip_products<A>(xk, sc, bi, vgroups, as + (u * M + m) * bs_stride, bsum + m * bs_stride);
        row_on[u][m] = any[m] = true;
      }
    }
    std::size_t nrows = 0;
    for (std::size_t m = 0; m < M; ++m)
      if (any[m]) rows[nrows++] = static_cast<std::uint32_t>(m);
    if (nrows == 0) return;
    const std::size_t ahead = i + Un + U * (gemv_traits<A>::kPrefetchPasses - 1);
    for (std::size_t u = ahead; u < std::min(ahead + Un, count); ++u)
      prefetch_range(W.strip(Dense ? u : idx[u]) + code_off, T * Bits / 8);
    for (std::size_t j = 0; j < groups; ++j) {
      for (std::size_t u = 0; u < Un; ++u)
        for (std::size_t r = 0; r < nrows; ++r)
          a[u][r] = row_on[u][rows[r]] ? as[(u * M + rows[r]) * bs_stride + j] : 0.0f;
      micro_group_rows<Bits, Group, Un, A>(acc + j * Group, acc_stride, rows, nrows, a, codes, j * Group * Bits / 8);
    }
  };
  std::size_t i = 0;
  for (; i + U <= count; i += U) pass(i, std::integral_constant<std::size_t, U>{});
  for (; i < count; ++i) pass(i, std::integral_constant<std::size_t, 1>{});

  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t n = 0; n < T; ++n) Y[m * ldy + n0 + n] = acc[m * acc_stride + n] + bsum[m * bs_stride + n / Group];
}

template <int Bits, int Group, class A, bool Dense>
void gemm_run(const packed_matrix& W, const float* X, std::size_t M, const std::uint32_t* idx, std::size_t count,
              float keep_above, float* Y, std::size_t ldy, int threads) {
  using Tr = gemm_traits<A>;
  const std::size_t G = W.groups(), K = W.cols(), N = W.rows();  // Y: [M][ldy], row m at Y + m * ldy
  const std::size_t work = count * N * M;
  const std::size_t useful = std::max<std::size_t>(1, work / gemv_traits<A>::kMinWeightsPerThread);
  const int p = static_cast<int>(std::min({static_cast<std::size_t>(threads), G, useful}));
  actsparse::detail::parallel_for_threads(p, [&](int t, int nt) {
    std::vector<float> scratch;
    const std::size_t g0 = G * static_cast<std::size_t>(t) / static_cast<std::size_t>(nt);
    const std::size_t g1 = G * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(nt);
    for (std::size_t m0 = 0; m0 < M; m0 += Tr::kMaxRows) {
      const std::size_t rows = std::min(Tr::kMaxRows, M - m0);
      const std::size_t tile = std::max<std::size_t>(Group, Tr::kTileFloats / rows / Group * Group);
      for (std::size_t n = g0 * Group; n < g1 * Group; n += tile)
        gemm_tile<Bits, Group, A, Dense>(W, X + m0 * K, K, rows, idx, count, keep_above, n,
                                         std::min(n + tile, g1 * Group), Y + m0 * ldy, ldy, scratch);
    }
  });
}

}  // namespace simd

namespace detail {

// Y is m rows of W.rows() floats, ldy apart (ldy >= W.rows(): W.rows() for a whole matrix,
// the full output count when W is one panel of it).
template <class Matrix>  // packed_matrix or panel_matrix
inline void check_gemm(const char* where, const Matrix& W, const float* X, std::size_t m, const float* Y,
                       std::size_t ldy) {
  if (W.empty()) fail(where, "W is empty (default-constructed or moved from)");
  if (ldy < W.rows()) fail(where, "ldy = ", ldy, " is below W.rows() = ", W.rows());
  if (m == 0) return;
  check_ptr(where, "X", X);
  check_ptr(where, "Y", Y);
  if (overlaps(X, m * W.cols(), Y, (m - 1) * ldy + W.rows()))
    fail(where, "Y (", m, " x ", W.rows(), " floats) overlaps X (", m, " x ", W.cols(), " floats)");
}

template <class A, bool Dense>
inline void run_gemm(const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t count,
                     float keep_above, float* Y, std::size_t ldy, int threads) {
  if (m == 0) return;
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    // Scalar twins: row by row (the same per-row arithmetic as the batched kernel).
    std::vector<std::uint32_t> own;
    for (std::size_t r = 0; r < m; ++r) {
      const float* x = X + r * W.cols();
      own.clear();
      for (std::size_t i = 0; i < count; ++i) {
        const std::uint32_t k = Dense ? static_cast<std::uint32_t>(i) : idx[i];
        if (is_active(x[k], keep_above)) own.push_back(k);
      }
      gemv_ref_impl(W, x, own.data(), own.size(), 0.0f, false, Y + r * ldy);
    }
    (void)threads;
  } else {
    with_format(W, [&](auto bits, auto group) {
      simd::gemm_run<decltype(bits)::value, decltype(group)::value, A, Dense>(W, X, m, idx, count, keep_above, Y, ldy,
                                                                              threads);
    });
  }
}

// Panels: each panel's rows of Y by the 1-thread kernel, one thread per panel (gemv.hpp).
// The format was checked when the panels were made, so nothing here throws but allocation.
template <class A, bool Dense>
inline void run_gemm(const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t count,
                     float keep_above, float* Y, std::size_t ldy, int threads) {
  if (m == 0) return;
  for_each_panel(W, threads, Y, [&](const packed_matrix& P, float* Yp) {
    run_gemm<A, Dense>(P, X, m, idx, count, keep_above, Yp, ldy, 1);
  });
}

}  // namespace detail

// Writes the ascending indices k < n where any of the m rows of X ([m][n], row-major) has
// |x| > threshold (or NaN / Inf) to idx (room for n entries) and returns their count.
template <class A>
inline std::size_t find_active_union(A, const float* X, std::size_t m, std::size_t n, float threshold,
                                     std::uint32_t* idx) {
  if (m > 0 && n > 0 && X == nullptr) detail::fail("find_active_union", "X is null");
  if (n > 0 && idx == nullptr) detail::fail("find_active_union", "idx is null (it must hold n entries)");
  detail::check_threshold("find_active_union", threshold);
  std::vector<float> peak(n, 0.0f);  // max |x| over the rows; NaN, once seen, stays
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t k = 0; k < n; ++k) {
      const float v = std::abs(X[r * n + k]);
      if (v > peak[k] || std::isnan(v)) peak[k] = v;
    }
  return find_active(A{}, peak.data(), n, threshold, idx);
}
inline std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float threshold,
                                     std::uint32_t* idx) {
  return find_active_union(simd::native_arch{}, X, m, n, threshold, idx);
}

namespace detail {
// The entry points below, on either kind of matrix (gemv.hpp does the same for gemv). ldy is
// W.rows() for the public calls; the dispatching library passes more for one panel of a
// matrix.
template <class A, class Matrix>
inline void gemm_sparse(const Matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                        float* Y, std::size_t ldy, const gemv_options& opt) {
  check_gemm("gemm_sparse", W, X, m, Y, ldy);
  check_index("gemm_sparse", W, idx, nnz, Y, m == 0 ? 0 : (m - 1) * ldy + W.rows());
  const int threads = requested_threads("gemm_sparse", opt);
  run_gemm<A, false>(W, X, m, idx, nnz, 0.0f, Y, ldy, threads);
}

template <class A, class Matrix>
inline void gemm_dense(const Matrix& W, const float* X, std::size_t m, float* Y, std::size_t ldy,
                       const gemv_options& opt) {
  check_gemm("gemm_dense", W, X, m, Y, ldy);
  const int threads = requested_threads("gemm_dense", opt);
  run_gemm<A, true>(W, X, m, nullptr, W.cols(), -std::numeric_limits<float>::infinity(), Y, ldy, threads);
}
}  // namespace detail

// Y = X W^T over the strips in idx (a union list: any order, each listed once per use);
// in each row only the listed inputs with x != 0 count. X is [m][cols], Y is [m][rows].
template <class A>
inline void gemm_sparse(A, const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& opt = {}) {
  detail::gemm_sparse<A>(W, X, m, idx, nnz, Y, W.rows(), opt);
}
// The same on a panel matrix: one thread per panel, Y bitwise that of the packed matrix.
template <class A>
inline void gemm_sparse(A, const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& opt = {}) {
  detail::gemm_sparse<A>(W, X, m, idx, nnz, Y, W.rows(), opt);
}

// Y = X W^T over every strip.
template <class A>
inline void gemm_dense(A, const packed_matrix& W, const float* X, std::size_t m, float* Y,
                       const gemv_options& opt = {}) {
  detail::gemm_dense<A>(W, X, m, Y, W.rows(), opt);
}
template <class A>
inline void gemm_dense(A, const panel_matrix& W, const float* X, std::size_t m, float* Y,
                       const gemv_options& opt = {}) {
  detail::gemm_dense<A>(W, X, m, Y, W.rows(), opt);
}

// When gemm() runs the rows as one batch: measured on the development machine
// (docs/performance.md, "Batches"; 4096 x 14336, 4-bit g64, streamed, per token):
//   - the batched kernel over all strips beats one gemv per row from 4 rows on (1.49-1.91 ms
//     against 2.13 per token), while the rows are nearly dense;
//   - one sparse gemv per row wins whenever the rows are sparse: it reads only each row's own
//     strips, and the batched union kernel pays every row's FMA on every strip of a pass
//     (2.3-2.5 ms per token at 50% sparsity against 1.1-1.3 per row).
// So: batched when m >= 4 and the rows' mean active fraction is above kGemmBatchedAbove
// (0.9; 0.75 from 8 rows on), else one gemv per row.
inline constexpr std::size_t kGemmBatchedMinRows = 4;
inline constexpr double kGemmBatchedAbove = 0.9, kGemmBatchedAbove8 = 0.75;

// The rule above, on X ([m][cols]) at this threshold: true when gemm() runs the batch. It
// depends on W only through cols.
inline bool gemm_takes_batched(std::size_t cols, const float* X, std::size_t m, float threshold) {
  if (m < kGemmBatchedMinRows) return false;
  std::size_t active = 0;
  for (std::size_t i = 0; i < m * cols; ++i) active += detail::is_active(X[i], threshold) ? 1 : 0;
  const double fraction = static_cast<double>(active) / static_cast<double>(m * cols);
  return fraction > (m >= 8 ? kGemmBatchedAbove8 : kGemmBatchedAbove);
}
inline bool gemm_takes_batched(const packed_matrix& W, const float* X, std::size_t m, float threshold) {
  return gemm_takes_batched(W.cols(), X, m, threshold);
}

namespace detail {
template <class A, class Matrix>
inline void gemm(A arch, const Matrix& W, const float* X, std::size_t m, float* Y, std::size_t ldy, float threshold,
                 const gemv_options& opt) {
  check_gemm("gemm", W, X, m, Y, ldy);
  check_threshold("gemm", threshold);
  const int threads = requested_threads("gemm", opt);
  if (gemm_takes_batched(W.cols(), X, m, threshold)) {
    run_gemm<A, true>(W, X, m, nullptr, W.cols(), threshold, Y, ldy, threads);
    return;
  }
  for (std::size_t r = 0; r < m; ++r) detail::gemv(arch, W, X + r * W.cols(), Y + r * ldy, threshold, opt);
}
}  // namespace detail

// Y = X' W^T with x'_mk = x_mk where |x_mk| > threshold (or NaN / Inf), else 0, by the rule
// above. Row r of Y equals gemv(W, X + r * cols, ., threshold) bit for bit either way.
template <class A>
inline void gemm(A arch, const packed_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  detail::gemm(arch, W, X, m, Y, W.rows(), threshold, opt);
}
template <class A>
inline void gemm(A arch, const panel_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  detail::gemm(arch, W, X, m, Y, W.rows(), threshold, opt);
}

inline void gemm_sparse(const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& opt = {}) {
  gemm_sparse(simd::native_arch{}, W, X, m, idx, nnz, Y, opt);
}
inline void gemm_sparse(const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& opt = {}) {
  gemm_sparse(simd::native_arch{}, W, X, m, idx, nnz, Y, opt);
}
inline void gemm_dense(const packed_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt = {}) {
  gemm_dense(simd::native_arch{}, W, X, m, Y, opt);
}
inline void gemm_dense(const panel_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt = {}) {
  gemm_dense(simd::native_arch{}, W, X, m, Y, opt);
}
inline void gemm(const packed_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemm(simd::native_arch{}, W, X, m, Y, threshold, opt);
}
inline void gemm(const panel_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemm(simd::native_arch{}, W, X, m, Y, threshold, opt);
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
