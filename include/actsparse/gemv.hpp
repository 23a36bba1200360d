// actsparse/gemv.hpp: y = W x from the packed format, dense and sparse: the public entry
// points. They check their arguments, resolve the thread count and call the driver
// (kernel/driver.hpp); docs/architecture.md follows one call down to the micro-kernel.
//
// Results: per output, acc = fma(x_k * scale, q, acc) over ascending k (or, where a kernel
// rounds the product first, acc + (x_k * scale) * q; kFusedProducts in kernel/traits.hpp),
// the bias sums likewise, y = acc + bsum. The scalar twins (gemv_*_ref, kernel/micro_ref.hpp)
// follow the same order, so each arch's SIMD kernels equal them bit for bit; and since a
// zero x_k adds +-0, sparse(x) == dense(x) bitwise whenever the skipped x_k are zeros.
#pragma once

#include "config.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>

#include "detect.hpp"
#include "format.hpp"
#include "half.hpp"
#include "kernel/checks.hpp"
#include "kernel/driver.hpp"
#include "kernel/traits.hpp"
#include "memory.hpp"
#include "threading.hpp"
#include "xsimd_compat.hpp"

ACTSPARSE_NAMESPACE_BEGIN

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

// Whether gemv() on arch A takes the sparse path for nnz active inputs of `cols`. Both
// paths give bitwise the same y, so this only moves time (kernel/traits.hpp has the rule
// and its measurements).
template <class A>
inline bool gemv_takes_sparse(A, std::size_t nnz, std::size_t cols) {
  return static_cast<double>(nnz) < simd::arch_traits<A>::kSparseBelowActiveFraction * static_cast<double>(cols);
}
// The rule of the includer's native arch (earlier releases' global constant).
inline constexpr double kSparseBelowActiveFraction = simd::arch_traits<simd::native_arch>::kSparseBelowActiveFraction;

namespace detail {

// The entry points on either kind of matrix (packed_matrix, panel_matrix, or the
// dispatching library's views of them): check, then run.
template <class A, class Matrix>
inline void gemv_dense(const Matrix& W, const float* x, float* y, const gemv_options& opt) {
  check_gemv("gemv_dense", W, x, y);
  const outputs out = check_outputs("gemv_dense", W, opt);
  const int threads = requested_threads("gemv_dense", opt);
  run<A, true, 1>(W, x, 1, nullptr, W.cols(), -std::numeric_limits<float>::infinity(), y, W.rows(), threads, out);
}

template <class A, class Matrix>
inline void gemv_sparse(const Matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt) {
  check_gemv("gemv_sparse", W, x, y);
  check_index("gemv_sparse", W, idx, nnz, y, W.rows());
  const outputs out = check_outputs("gemv_sparse", W, opt);
  check_int8_index("gemv_sparse", idx, nnz, out);
  const int threads = requested_threads("gemv_sparse", opt);
  run<A, false, 1>(W, x, 1, idx, nnz, 0.0f, y, W.rows(), threads, out);
}

template <class A, class Matrix>
inline void gemv(A arch, const Matrix& W, const float* x, float* y, float threshold, const gemv_options& opt) {
  check_gemv("gemv", W, x, y);
  check_threshold("gemv", threshold);
  const outputs out = check_outputs("gemv", W, opt);
  check_index_buffer("gemv", opt.index, W.cols(), x, W.cols(), y, W.rows());
  const int threads = requested_threads("gemv", opt);
  buffer<std::uint32_t> own(opt.index ? 0 : W.cols());
  std::uint32_t* idx = opt.index ? opt.index : own.data();
  const std::size_t nnz = find_active(arch, x, W.cols(), threshold, idx);
  if (gemv_takes_sparse(arch, nnz, W.cols()))
    run<A, false, 1>(W, x, 1, idx, nnz, 0.0f, y, W.rows(), threads, out);
  else
    run<A, true, 1>(W, x, 1, nullptr, W.cols(), threshold, y, W.rows(), threads, out);
}

// x of type x_type (f32, f16 or bf16) as fp32: x itself, or its exact conversion into
// options.x_f32 (or a buffer of the call's own). Then f(the fp32 x).
template <class Matrix, class F>
inline void with_f32_activations(const char* where, const Matrix& W, const void* x, element_type x_type,
                                 const gemv_options& opt, F&& f) {
  check_ptr(where, "x", x);
  if (x_type == element_type::f32) return f(static_cast<const float*>(x));
  if (x_type != element_type::f16 && x_type != element_type::bf16)
    fail(where, "x_type = ", static_cast<int>(x_type), " is not an activation type (legal: f32, f16, bf16)");
  const std::size_t K = W.cols();
  if (opt.x_f32 && overlaps(opt.x_f32, K, static_cast<const float*>(x), (K + 1) / 2))
    fail(where, "options.x_f32 (room for ", K, " floats) overlaps x; give it its own buffer");
  buffer<float> own(opt.x_f32 ? 0 : K);
  float* xf = opt.x_f32 ? opt.x_f32 : own.data();
  const auto* h = static_cast<const std::uint16_t*>(x);
  for (std::size_t k = 0; k < K; ++k) xf[k] = x_type == element_type::f16 ? half_to_float(h[k]) : bf16_to_float(h[k]);
  f(static_cast<const float*>(xf));
}

}  // namespace detail

// ---- Kernels for an explicit arch (tests run every arch the CPU has; the dispatching
// library instantiates them per ISA). A = xsimd::unavailable selects the scalar twins.

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

// fp16 or bf16 activations: x of x_type (f16, bf16; f32 reads x as floats) converted
// exactly to fp32 (W.cols() conversions, into options.x_f32 or a buffer of the call's own;
// x_f32 is scratch, its content after the call unspecified), then the fp32 entry point of
// the same name: bitwise its result on the converted x.
template <class A, class Matrix>
inline void gemv_dense(A arch, const Matrix& W, const void* x, element_type x_type, float* y,
                       const gemv_options& opt = {}) {
  detail::with_f32_activations("gemv_dense", W, x, x_type, opt, [&](const float* xf) { gemv_dense(arch, W, xf, y, opt); });
}
template <class A, class Matrix>
inline void gemv_sparse(A arch, const Matrix& W, const void* x, element_type x_type, const std::uint32_t* idx,
                        std::size_t nnz, float* y, const gemv_options& opt = {}) {
  detail::with_f32_activations("gemv_sparse", W, x, x_type, opt,
                               [&](const float* xf) { gemv_sparse(arch, W, xf, idx, nnz, y, opt); });
}
template <class A, class Matrix>
inline void gemv(A arch, const Matrix& W, const void* x, element_type x_type, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  detail::with_f32_activations("gemv", W, x, x_type, opt, [&](const float* xf) { gemv(arch, W, xf, y, threshold, opt); });
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

template <class Matrix>
inline void gemv_dense(const Matrix& W, const void* x, element_type x_type, float* y, const gemv_options& opt = {}) {
  gemv_dense(simd::native_arch{}, W, x, x_type, y, opt);
}
template <class Matrix>
inline void gemv_sparse(const Matrix& W, const void* x, element_type x_type, const std::uint32_t* idx, std::size_t nnz,
                        float* y, const gemv_options& opt = {}) {
  gemv_sparse(simd::native_arch{}, W, x, x_type, idx, nnz, y, opt);
}
template <class Matrix>
inline void gemv(const Matrix& W, const void* x, element_type x_type, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemv(simd::native_arch{}, W, x, x_type, y, threshold, opt);
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse
