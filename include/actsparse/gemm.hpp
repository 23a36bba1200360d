// actsparse/gemm.hpp: Y = X W^T for a small batch of activation rows (batched decode,
// speculative verification), with union sparsity: the public entry points.
//
// gemm() picks the measured-faster path per arch (batched, or one gemv per row; the rule
// and its measurements are in kernel/traits.hpp); gemm_sparse (a union index list) and
// gemm_dense are the batched kernels. A strip is needed when any row needs it. The batched
// kernels walk the union of the rows' active lists kGemmMaxRows rows at a time in the same
// strip pass as gemv (kernel/strip_pass.hpp): within a block, each strip is read once and
// applied to every row active in the pass (a row inactive in all of a pass's strips skips
// it). Larger batches re-read the strips once per block, mostly from cache.
//
// Per output, each row accumulates exactly as gemv does, and a skipped zero is a no-op
// there, so gemm(X) equals m separate gemv calls bit for bit, on the same arch, for any
// thread count. On a panel_matrix, each thread runs the 1-thread driver on its own panels;
// the results are bitwise the packed ones.
#pragma once

#include "config.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>

#include "detect.hpp"
#include "format.hpp"
#include "gemv.hpp"
#include "kernel/checks.hpp"
#include "kernel/driver.hpp"
#include "kernel/traits.hpp"
#include "threading.hpp"

ACTSPARSE_NAMESPACE_BEGIN

// The batched-or-per-row rule of gemm() on arch A, for X ([m][cols]) at this threshold:
// true when gemm() runs the batch. It depends on W only through cols.
template <class A>
inline bool gemm_takes_batched(A, std::size_t cols, const float* X, std::size_t m, float threshold) {
  using Tr = simd::arch_traits<A>;
  if (m < Tr::kGemmBatchedMinRows) return false;
  std::size_t active = 0;
  for (std::size_t i = 0; i < m * cols; ++i) active += detail::is_active(X[i], threshold) ? 1 : 0;
  const double fraction = static_cast<double>(active) / static_cast<double>(m * cols);
  return fraction > (m >= 8 ? Tr::kGemmBatchedAbove8 : Tr::kGemmBatchedAbove);
}
inline bool gemm_takes_batched(std::size_t cols, const float* X, std::size_t m, float threshold) {
  return gemm_takes_batched(simd::native_arch{}, cols, X, m, threshold);
}
inline bool gemm_takes_batched(const packed_matrix& W, const float* X, std::size_t m, float threshold) {
  return gemm_takes_batched(W.cols(), X, m, threshold);
}

namespace detail {

template <class A>
inline constexpr std::size_t kGemmRows = std::is_same<A, xsimd::unavailable>::value ? 1 : simd::arch_traits<A>::kGemmMaxRows;

// The entry points on either kind of matrix. ldy is W.rows() for the public calls; the
// dispatching library passes more for one panel of a matrix.
template <class A, class Matrix>
inline void gemm_sparse(const Matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                        float* Y, std::size_t ldy, const gemv_options& opt) {
  check_gemm("gemm_sparse", W, X, m, Y, ldy);
  check_index("gemm_sparse", W, idx, nnz, Y, m == 0 ? 0 : (m - 1) * ldy + W.rows());
  const outputs out = check_outputs("gemm_sparse", W, opt);
  check_int8_index("gemm_sparse", idx, nnz, out);
  const int threads = requested_threads("gemm_sparse", opt);
  if (m > 0) run<A, false, kGemmRows<A>>(W, X, m, idx, nnz, 0.0f, Y, ldy, threads, out);
}

template <class A, class Matrix>
inline void gemm_dense(const Matrix& W, const float* X, std::size_t m, float* Y, std::size_t ldy,
                       const gemv_options& opt) {
  check_gemm("gemm_dense", W, X, m, Y, ldy);
  const outputs out = check_outputs("gemm_dense", W, opt);
  const int threads = requested_threads("gemm_dense", opt);
  if (m > 0)
    run<A, true, kGemmRows<A>>(W, X, m, nullptr, W.cols(), -std::numeric_limits<float>::infinity(), Y, ldy, threads,
                               out);
}

template <class A, class Matrix>
inline void gemm(A arch, const Matrix& W, const float* X, std::size_t m, float* Y, std::size_t ldy, float threshold,
                 const gemv_options& opt) {
  check_gemm("gemm", W, X, m, Y, ldy);
  check_threshold("gemm", threshold);
  const outputs out = check_outputs("gemm", W, opt);
  if (m > 0) check_index_buffer("gemm", opt.index, W.cols(), X, m * W.cols(), Y, (m - 1) * ldy + W.rows());
  const int threads = requested_threads("gemm", opt);
  if (gemm_takes_batched(arch, W.cols(), X, m, threshold)) {
    run<A, true, kGemmRows<A>>(W, X, m, nullptr, W.cols(), threshold, Y, ldy, threads, out);
    return;
  }
  for (std::size_t r = 0; r < m; ++r) detail::gemv(arch, W, X + r * W.cols(), Y + r * ldy, threshold, opt);
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

// Y = X' W^T with x'_mk = x_mk where |x_mk| > threshold (or NaN / Inf), else 0, batched or
// per row by gemm_takes_batched. Row r of Y equals gemv(W, X + r * cols, ., threshold) bit
// for bit either way.
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
