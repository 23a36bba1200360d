// actsparse/kernel/driver.hpp: the driver: threads over outputs, rows in blocks, tiles, and
// the panels of a panel_matrix; and run<A, Dense, MaxRows>, the one call every gemv and
// gemm entry point ends in (the scalar twins for A = xsimd::unavailable).
//
// The outputs are split into contiguous runs of whole groups, one per thread. Never the K
// inputs: each output is then accumulated by one thread, in ascending k, so Y is bitwise the
// same for every thread count and partition. Rows go kGemmMaxRows at a time (MaxRows = 1
// for gemv), each block over tiles of kTileFloats<A, MaxRows> / rows outputs.
#pragma once

#include "../config.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../format.hpp"
#include "../threading.hpp"
#include "formats.hpp"
#include "int8.hpp"
#include "micro_ref.hpp"
#include "strip_pass.hpp"
#include "traits.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

// Groups [g0, g1) of rows X[0, M) (M <= MaxRows) in tiles of equal size, each at most
// kTileFloats / M outputs: equal, because each tile walks the whole strip list, and a last
// tile of one group cost as much per strip as a full one (3 rows, 4096 outputs: tiles of
// 1344, 1344, 1344 and 64 outputs ran 1.2x slower per row than 4 tiles of 1024).
template <int Bits, int Group, class A, bool Dense, std::size_t MaxRows, bool Int8 = false>
void tiles(const packed_matrix& W, const float* X, std::size_t ldx, std::size_t M, const std::uint32_t* idx,
           std::size_t count, float keep_above, std::size_t g0, std::size_t g1, float* Y, std::size_t ldy,
           bool accumulate) {
  const std::size_t most = std::max<std::size_t>(1, kTileFloats<A, MaxRows> / M / Group);  // groups per tile
  const std::size_t n_tiles = (g1 - g0 + most - 1) / most;
  for (std::size_t t = 0; t < n_tiles; ++t) {
    const std::size_t a = g0 + (g1 - g0) * t / n_tiles, b = g0 + (g1 - g0) * (t + 1) / n_tiles;
    if constexpr (Int8)
      int8_tile<Bits, Group, A, Dense>(W, X, idx, count, keep_above, a * Group, b * Group, Y, accumulate);
    else
      strip_pass<Bits, Group, A, Dense, MaxRows>(W, X, ldx, M, idx, count, keep_above, a * Group, b * Group, Y, ldy,
                                                 accumulate);
  }
}

// Y[m] = W X[m] for the M rows of X (row m at X + m * W.cols(), of Y at Y + m * ldy), outputs
// out.begin to out.last(rows) only. Int8: the int8 mode's kernel (one row, MaxRows = 1).
template <int Bits, int Group, class A, bool Dense, std::size_t MaxRows, bool Int8 = false>
void run_rows(const packed_matrix& W, const float* X, std::size_t M, const std::uint32_t* idx, std::size_t count,
              float keep_above, float* Y, std::size_t ldy, int threads, const actsparse::detail::outputs& out) {
  using Tr = arch_traits<A>;
  const std::size_t first = out.begin / Group, G = out.last(W.rows()) / Group - first, K = W.cols();
  const std::size_t work = count * G * Group * M;
  // The int8 integer-dot kernels' own rule; the generic int8 pass runs at the exact speed.
  constexpr std::size_t kMinWork =
      Int8 && has_int8_kernel<A, Bits>() ? Tr::kMinInt8WeightsPerThread : Tr::kMinWeightsPerThread;
  const std::size_t useful = std::max<std::size_t>(1, work / kMinWork);
  const std::size_t slices = Dense ? std::max<std::size_t>(1, G * Group * Bits / 8 / Tr::kMinDenseSliceBytes) : G;
  const int p = static_cast<int>(std::min({static_cast<std::size_t>(threads), G, useful, slices}));
  if (G == 0) return;
  const bool acc = out.accumulate;
  actsparse::detail::parallel_for_threads(p, [&](int t, int nt) {
    const std::size_t g0 = first + G * static_cast<std::size_t>(t) / static_cast<std::size_t>(nt);
    const std::size_t g1 = first + G * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(nt);
    for (std::size_t m0 = 0; m0 < M; m0 += MaxRows) {
      const std::size_t rows = std::min(MaxRows, M - m0);
      // A block of one row is gemv's pass, with its larger tile (the same sums in the same
      // order: row m of a batch equals gemv of that row bitwise either way).
      if (rows == 1 && MaxRows > 1) {
        tiles<Bits, Group, A, Dense, 1>(W, X + m0 * K, K, 1, idx, count, keep_above, g0, g1, Y + m0 * ldy, ldy, acc);
      } else {
        tiles<Bits, Group, A, Dense, MaxRows, Int8>(W, X + m0 * K, K, rows, idx, count, keep_above, g0, g1,
                                                    Y + m0 * ldy, ldy, acc);
      }
    }
  });
}

}  // namespace simd

namespace detail {

// Panels: thread t of p takes panels t, t + p, ..., and runs product(panel, its rows of Y,
// the panel's outputs within `out`) on one thread, for the panels that hold any of `out`'s
// outputs. At most one thread per panel. product must not throw (it runs inside the
// parallel region): check everything before. Panels is panel_matrix or any type with its
// panels(), panel(b) and first_row(b).
template <class Panels, class F>
inline void for_each_panel(const Panels& W, int threads, float* y, const outputs& out, F&& product) {
  const std::size_t lo = out.begin, hi = out.last(W.rows());
  std::size_t b0 = 0, b1 = W.panels();  // the panels that meet [lo, hi)
  while (b0 < b1 && W.first_row(b0) + W.panel(b0).rows() <= lo) ++b0;
  while (b1 > b0 && W.first_row(b1 - 1) >= hi) --b1;
  const int p = static_cast<int>(std::min(static_cast<std::size_t>(std::max(threads, 1)), b1 - b0));
  parallel_for_threads(p, [&](int t, int nt) {
    for (std::size_t b = b0 + static_cast<std::size_t>(t); b < b1; b += static_cast<std::size_t>(nt)) {
      const packed_matrix& P = W.panel(b);  // a reference: a copy would be the panel's whole buffer per call
      const std::size_t f = W.first_row(b);
      const outputs part{std::max(lo, f) - f, std::min(hi, f + P.rows()) - f, out.accumulate, out.int8};
      product(P, y + f, part);
    }
  });
}

// y = W x in the int8 mode (kernel/int8.hpp): its SIMD kernels on every xsimd arch, the
// scalar twin (on one thread) on the scalar build.
template <class A, bool Dense>
inline void run_int8(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                     float keep_above, float* y, int threads, const outputs& out) {
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    (void)threads;
    gemv_int8_ref_impl(W, x, idx, count, keep_above, Dense, y, out);
  } else {
    with_format(W, [&](auto bits, auto group) {
      simd::run_rows<decltype(bits)::value, decltype(group)::value, A, Dense, 1, true>(W, x, 1, idx, count, keep_above,
                                                                                     y, W.rows(), threads, out);
    });
  }
}

// Y[m] = W X[m], m < M, over the listed strips (Dense: all, x masked by keep_above), the
// outputs `out` names (int8: one row at a time, run_int8).
template <class A, bool Dense, std::size_t MaxRows>
inline void run(const packed_matrix& W, const float* X, std::size_t M, const std::uint32_t* idx, std::size_t count,
                float keep_above, float* Y, std::size_t ldy, int threads, const outputs& out) {
  if (out.int8) {
    for (std::size_t m = 0; m < M; ++m)
      run_int8<A, Dense>(W, X + m * W.cols(), idx, count, keep_above, Y + m * ldy, threads, out);
    return;
  }
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    (void)threads;
    for (std::size_t m = 0; m < M; ++m)
      gemv_ref_impl(W, X + m * W.cols(), idx, count, keep_above, Dense, Y + m * ldy, true, true, out);
  } else {
    with_format(W, [&](auto bits, auto group) {
      simd::run_rows<decltype(bits)::value, decltype(group)::value, A, Dense, MaxRows>(W, X, M, idx, count,
                                                                                     keep_above, Y, ldy, threads, out);
    });
  }
}

// The same on panels: each panel's rows of Y by the 1-thread driver, one thread per panel.
// The format is resolved here, outside the threads (with_format throws on a bad one).
template <class A, bool Dense, std::size_t MaxRows, class Panels>
inline void run_panels(const Panels& W, const float* X, std::size_t M, const std::uint32_t* idx, std::size_t count,
                       float keep_above, float* Y, std::size_t ldy, int threads, const outputs& out) {
  if (M == 0) return;
  auto generic = [&] {
    for_each_panel(W, threads, Y, out, [&](const packed_matrix& P, float* Yp, const outputs& part) {
      run<A, Dense, MaxRows>(P, X, M, idx, count, keep_above, Yp, ldy, 1, part);
    });
  };
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    generic();
  } else if (out.int8) {
    generic();
  } else {
    with_format(W.panel(0), [&](auto bits, auto group) {
      for_each_panel(W, threads, Y, out, [&](const packed_matrix& P, float* Yp, const outputs& part) {
        simd::run_rows<decltype(bits)::value, decltype(group)::value, A, Dense, MaxRows>(P, X, M, idx, count,
                                                                                       keep_above, Yp, ldy, 1, part);
      });
    });
  }
}

template <class A, bool Dense, std::size_t MaxRows, class Panels,
          std::enable_if_t<!std::is_same<Panels, packed_matrix>::value, int> = 0>
inline void run(const Panels& W, const float* X, std::size_t M, const std::uint32_t* idx, std::size_t count,
                float keep_above, float* Y, std::size_t ldy, int threads, const outputs& out) {
  run_panels<A, Dense, MaxRows>(W, X, M, idx, count, keep_above, Y, ldy, threads, out);
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
