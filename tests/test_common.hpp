// tests/test_common.hpp: what every test file shares: the arch under test, random data,
// the independent oracles and the tolerances.
//
// Each test binary is compiled once per ISA with that ISA's flags only (cmake/isa.cmake),
// so `test_arch` is the best arch those flags enable; test_main.cpp skips the whole binary
// when the CPU lacks the ISA. ACTSPARSE_TEST_ISA names it.
#pragma once

#include <gtest/gtest.h>

#include <actsparse/actsparse.hpp>
#if defined(ACTSPARSE_TEST_DISPATCH)
#include <actsparse/dispatch.hpp>
#endif
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#ifndef ACTSPARSE_TEST_ISA
#define ACTSPARSE_TEST_ISA "native"
#endif

namespace actsparse_test {

#if defined(ACTSPARSE_TEST_DISPATCH)
// The dispatching library's build of the same files (tests/CMakeLists.txt): every kernel
// call goes through actsparse::dispatch, whose instruction set the ctest entry picks with
// ACTSPARSE_ISA. `dispatched` is the tag; the overloads below route the tagged calls.
struct dispatched {};
using test_arch = dispatched;
// Edge lengths are chosen around the widest vector (16 floats), which also covers 4 and 8.
inline constexpr std::size_t kV = 16;
// Whether the kernels in use fuse each term (else: rounded product, then add); the scalar
// twin run with the same choice equals them bit for bit.
// The rounding of the kernels in use (gemv.hpp, kFusedProducts / kArchFma), asked of the
// arch each dispatcher table is built for. This file has no VBMI flags, so it sees the
// avx512 tables' kLut3 (false); kernel_fuses corrects it for the avx512vbmi table.
template <class F>
inline bool for_active_arch(F&& f) {
  switch (actsparse::dispatch::active()) {
    case actsparse::dispatch::isa::sse42: return f(xsimd::sse4_2{});
    case actsparse::dispatch::isa::avx2: return f(xsimd::fma3<xsimd::avx2>{});
    case actsparse::dispatch::isa::avx512:
    case actsparse::dispatch::isa::avx512vnni:
    case actsparse::dispatch::isa::avx512vbmi: return f(xsimd::avx512bw{});
    case actsparse::dispatch::isa::neon:
    case actsparse::dispatch::isa::neondot: return f(xsimd::neon64{});
    default: return f(xsimd::unavailable{});
  }
}
inline bool arch_fuses() {
  return for_active_arch([](auto arch) {
    using A = decltype(arch);
    if constexpr (std::is_same<A, xsimd::unavailable>::value) return true;
    else return actsparse::simd::kArchFma<A>;
  });
}
// Whether the kernels in use fuse each term (else: rounded product, then add); the scalar
// twin run with the same choice equals them bit for bit.
inline bool kernel_fuses(int bits, int group) {
  // avx512vbmi's 3-bit look-up kernel (traits.hpp, kLut3) rounds each product first.
  if (actsparse::dispatch::active() == actsparse::dispatch::isa::avx512vbmi && bits == 3 && group >= 64) return false;
  return for_active_arch(
      [&](auto arch) { return actsparse::simd::fused_products<decltype(arch)>(bits, group); });
}

namespace dsp = actsparse::dispatch;
using actsparse::gemv_options;
using actsparse::packed_matrix;
inline std::size_t find_active(dispatched, const float* x, std::size_t n, float t, std::uint32_t* idx) {
  return dsp::find_active(x, n, t, idx);
}
inline std::size_t find_active_union(dispatched, const float* X, std::size_t m, std::size_t n, float t,
                                     std::uint32_t* idx) {
  return dsp::find_active_union(X, m, n, t, idx);
}
inline void gemv_dense(dispatched, const packed_matrix& W, const float* x, float* y, const gemv_options& o = {}) {
  dsp::gemv_dense(W, x, y, o);
}
inline void gemv_sparse(dispatched, const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz,
                        float* y, const gemv_options& o = {}) {
  dsp::gemv_sparse(W, x, idx, nnz, y, o);
}
inline void gemv(dispatched, const packed_matrix& W, const float* x, float* y, float t = 0.0f,
                 const gemv_options& o = {}) {
  dsp::gemv(W, x, y, t, o);
}
using actsparse::panel_matrix;
inline void gemv_dense(dispatched, const panel_matrix& W, const float* x, float* y, const gemv_options& o = {}) {
  dsp::gemv_dense(W, x, y, o);
}
inline void gemv_sparse(dispatched, const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz,
                        float* y, const gemv_options& o = {}) {
  dsp::gemv_sparse(W, x, idx, nnz, y, o);
}
inline void gemv(dispatched, const panel_matrix& W, const float* x, float* y, float t = 0.0f,
                 const gemv_options& o = {}) {
  dsp::gemv(W, x, y, t, o);
}
inline void gemm_dense(dispatched, const packed_matrix& W, const float* X, std::size_t m, float* Y,
                       const gemv_options& o = {}) {
  dsp::gemm_dense(W, X, m, Y, o);
}
inline void gemm_sparse(dispatched, const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& o = {}) {
  dsp::gemm_sparse(W, X, m, idx, nnz, Y, o);
}
inline void gemm(dispatched, const packed_matrix& W, const float* X, std::size_t m, float* Y, float t = 0.0f,
                 const gemv_options& o = {}) {
  dsp::gemm(W, X, m, Y, t, o);
}
inline void gemm_dense(dispatched, const panel_matrix& W, const float* X, std::size_t m, float* Y,
                       const gemv_options& o = {}) {
  dsp::gemm_dense(W, X, m, Y, o);
}
inline void gemm_sparse(dispatched, const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& o = {}) {
  dsp::gemm_sparse(W, X, m, idx, nnz, Y, o);
}
inline void gemm(dispatched, const panel_matrix& W, const float* X, std::size_t m, float* Y, float t = 0.0f,
                 const gemv_options& o = {}) {
  dsp::gemm(W, X, m, Y, t, o);
}
#else
using test_arch = actsparse::simd::native_arch;
inline constexpr std::size_t kV = xsimd::batch<float, test_arch>::size;
inline bool kernel_fuses(int bits, int group) { return actsparse::simd::fused_products<test_arch>(bits, group); }
inline bool arch_fuses() { return actsparse::simd::kArchFma<test_arch>; }
#endif

// The scalar twin with the rounding of the kernels under test (dense when idx is null).
inline std::vector<float> twin(const actsparse::packed_matrix& W, const std::vector<float>& x,
                               const std::vector<std::uint32_t>* idx) {
  std::vector<float> y(W.rows());
  actsparse::detail::gemv_ref_impl(W, x.data(), idx ? idx->data() : nullptr, idx ? idx->size() : W.cols(),
                                   idx ? 0.0f : -std::numeric_limits<float>::infinity(), idx == nullptr, y.data(),
                                   kernel_fuses(W.bits(), W.group_size()), arch_fuses());
  return y;
}

// Outputs per gemv macro-kernel tile (the same on every arch).
inline constexpr std::size_t kTileOutputs = actsparse::simd::gemv_traits<void>::kTileOutputs;

inline constexpr int kBits[] = {2, 3, 4, 5, 6, 8};
inline constexpr int kGroups[] = {32, 64, 128};

inline std::vector<float> random_normal(std::size_t n, std::uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& e : v) e = d(rng);
  return v;
}

// x with the given fraction of exact zeros (independent, uniform), the rest normal.
inline std::vector<float> sparse_x(std::size_t n, double sparsity, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<float> d;
  std::vector<float> x(n);
  for (auto& e : x) e = u(rng) < sparsity ? 0.0f : d(rng);
  return x;
}

// m rows over K inputs: "independent" rows each drop a random `sparsity` of inputs;
// "correlated" rows share most of one active set (each keeps an input of a common base
// set with probability 0.8 and otherwise takes a random one), as nearby tokens do.
inline std::vector<float> batch_x(std::size_t m, std::size_t K, double sparsity, bool correlated, std::uint32_t seed) {
  std::vector<float> X(m * K, 0.0f);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<float> nd;
  const auto base = sparse_x(K, sparsity, seed + 1);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t k = 0; k < K; ++k) {
      const bool on = correlated ? (base[k] != 0.0f ? u(rng) < 0.8 : u(rng) < 0.2 * (1 - sparsity))
                                 : u(rng) >= sparsity;
      if (on) X[r * K + k] = nd(rng);
    }
  return X;
}

// A matrix packed from normal weights (sigma 0.05).
inline actsparse::packed_matrix random_matrix(std::size_t N, std::size_t K, actsparse::quant_config cfg,
                                              std::uint32_t seed) {
  const auto w = random_normal(N * K, seed, 0.05f);
  return actsparse::pack(w.data(), N, K, cfg);
}

// The ascending indices of x's non-zero entries (what find_active(x, 0) returns).
inline std::vector<std::uint32_t> active_list(const std::vector<float>& x) {
  std::vector<std::uint32_t> idx;
  for (std::size_t k = 0; k < x.size(); ++k)
    if (x[k] != 0.0f) idx.push_back(static_cast<std::uint32_t>(k));
  return idx;
}

// Oracle: dequantize (independently: from the fp16 scale/bias and the code) and take a
// double-precision dense product. Also returns, per output, the magnitude the float
// kernel's rounding error scales with: sum_k |x_k| (|scale q| + |bias|).
struct oracle_result {
  std::vector<double> y, magnitude;
};

inline oracle_result dense_oracle(const actsparse::packed_matrix& W, const std::vector<float>& x) {
  const std::size_t N = W.rows(), K = W.cols(), g = static_cast<std::size_t>(W.group_size());
  oracle_result r{std::vector<double>(N, 0.0), std::vector<double>(N, 0.0)};
  for (std::size_t k = 0; k < K; ++k) {
    if (x[k] == 0.0f) continue;
    for (std::size_t n = 0; n < N; ++n) {
      const double s = actsparse::half_to_float(W.scales(k)[n / g]);
      const double b = actsparse::half_to_float(W.biases(k)[n / g]);
      const double q = W.code(k, n);
      r.y[n] += static_cast<double>(x[k]) * (s * q + b);
      r.magnitude[n] += std::abs(static_cast<double>(x[k])) * (std::abs(s * q) + std::abs(b));
    }
  }
  return r;
}

// The float kernels accumulate one rounding per term and per partial sum; codes are exact
// integers, so the bound does not depend on the bit width: |y - oracle| <= c * eps *
// (active terms + 4) * magnitude. kAccumTol = 1 is that worst-case bound, not a fudge
// factor; the per-width names keep the door open for formats where it would differ.
inline constexpr double kAccumTol[9] = {0, 0, 1, 1, 1, 1, 1, 0, 1};

inline double tolerance(int bits, std::size_t terms, double magnitude) {
  return kAccumTol[bits] * std::numeric_limits<float>::epsilon() * static_cast<double>(terms + 4) * magnitude +
         std::numeric_limits<float>::denorm_min();
}

inline ::testing::AssertionResult near_oracle(const std::vector<float>& y, const oracle_result& o, int bits,
                                              std::size_t terms) {
  for (std::size_t n = 0; n < y.size(); ++n) {
    const double err = std::abs(static_cast<double>(y[n]) - o.y[n]);
    if (!(err <= tolerance(bits, terms, o.magnitude[n])))
      return ::testing::AssertionFailure() << "y[" << n << "] = " << y[n] << ", oracle " << o.y[n] << ", error " << err
                                           << " > tolerance " << tolerance(bits, terms, o.magnitude[n]);
  }
  return ::testing::AssertionSuccess();
}

inline bool bitwise_equal(const float* a, const float* b, std::size_t n) {
  return std::memcmp(a, b, n * sizeof(float)) == 0;
}

}  // namespace actsparse_test
