// actsparse/kernel/micro_ref.hpp: the scalar twin of every kernel, one output at a time in
// the kernels' exact order of operations (the fallback where no SIMD arch is enabled, and
// the tests' oracle), and the unfolded path for non-finite activations the SIMD kernels
// share with it.
//
// Per output: acc = fma(x_k * scale_kj, q_kn, acc) over the listed k in order (or, where a
// kernel rounds the product first, acc + (x_k * scale_kj) * q_kn), bsum_j = fma(x_k,
// bias_kj, bsum_j) likewise, y_n = acc + bsum_j. The SIMD kernels equal it bit for bit.
#pragma once

#include "../config.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../detect.hpp"
#include "../format.hpp"
#include "../half.hpp"
#include "../memory.hpp"

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

// Which outputs a call writes and how (gemv_options' row_begin, row_end and accumulate,
// resolved and checked at the entry point): [begin, end), end = 0 meaning all, both
// multiples of the group size; accumulate adds the product to what y holds; int8: the
// int8 precision mode (kernel/int8.hpp), else exact.
struct outputs {
  std::size_t begin = 0, end = 0;
  bool accumulate = false;
  bool int8 = false;
  std::size_t last(std::size_t rows) const { return end == 0 ? rows : end; }
};

// y[n] = v, or y[n] += v: the one store every kernel ends with.
inline void store_output(float* y, float v, bool accumulate) { *y = accumulate ? *y + v : v; }

// Shared by the scalar twins: the kernels' exact order of operations, one output at a time.
// `fused`: each term as fma(a, q, acc) (the FMA kernels), or as acc + (a * q) with the
// product rounded first (the look-up and non-FMA kernels, simd::kFusedProducts).
// `fused_bias`: the bias sums likewise (false only on archs without FMA, simd::kArchFma).
inline void gemv_ref_impl(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t count,
                          float keep_above, bool dense, float* y, bool fused = true, bool fused_bias = true,
                          const outputs& out = {}) {
  const std::size_t N = W.rows(), g = static_cast<std::size_t>(W.group_size());
  const std::size_t j0 = out.begin / g, j1 = out.last(N) / g;
  buffer<float> acc(N, 0.0f), bsum(W.groups(), 0.0f);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t k = dense ? i : idx[i];
    float xk = x[k];
    if (dense && !is_active(xk, keep_above)) xk = 0.0f;
    if (!std::isfinite(xk)) {
      add_nonfinite_strip(W, k, xk, j0 * g, j1 * g, acc.data() + j0 * g);
      xk = 0.0f;
    }
    for (std::size_t j = j0; j < j1; ++j) {
      const float a = xk * half_to_float(W.scales(k)[j]);
      const float b = half_to_float(W.biases(k)[j]);
      bsum[j] = fused_bias ? std::fma(xk, b, bsum[j]) : bsum[j] + rounded_product(xk, b);
      for (std::size_t n = j * g; n < (j + 1) * g; ++n) {
        const float q = static_cast<float>(W.code(k, n));
        acc[n] = fused ? std::fma(a, q, acc[n]) : acc[n] + rounded_product(a, q);
      }
    }
  }
  for (std::size_t n = j0 * g; n < j1 * g; ++n) store_output(y + n, acc[n] + bsum[n / g], out.accumulate);
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
