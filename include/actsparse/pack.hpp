// actsparse/pack.hpp: quantizing a row-major weight matrix into the packed format
// (format.hpp), with MLX's affine rule or the searched one (cfg.rule, quantize.hpp), and
// dequantizing it back.
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "error.hpp"
#include "format.hpp"
#include "half.hpp"
#include "memory.hpp"
#include "quantize.hpp"

ACTSPARSE_NAMESPACE_BEGIN

namespace detail {

inline float load_element(const void* w, element_type t, std::size_t i) {
  switch (t) {
    case element_type::f16: return half_to_float(static_cast<const std::uint16_t*>(w)[i]);
    case element_type::bf16: return bf16_to_float(static_cast<const std::uint16_t*>(w)[i]);
    default: return static_cast<const float*>(w)[i];
  }
}

// Quantizes group j of strip k from its group_size weights (outputs [j*g, (j+1)*g) of input
// k). Groups own whole bytes of the code stream (g * bits / 8, g >= 32), so threads may
// fill different groups of one strip at once.
inline void pack_group(packed_matrix& W, std::size_t k, std::size_t j, const float* wg) {
  const int bits = W.bits();
  const std::size_t g = static_cast<std::size_t>(W.group_size());
  std::uint8_t* codes = W.strip(k);
  group_params p;
  if (W.config().rule == quant_rule::mse) {
    std::uint8_t q[kMseMaxGroup];
    p = mse_group_params(wg, g, bits, q);
    for (std::size_t i = 0; i < g; ++i) put_code(codes, j * g + i, bits, q[i]);
  } else {
    p = affine_group_params(wg, g, bits);
    for (std::size_t i = 0; i < g; ++i) put_code(codes, j * g + i, bits, affine_code(wg[i], p, bits));
  }
  W.scales(k)[j] = float_to_half(p.scale);
  W.biases(k)[j] = float_to_half(p.bias);
}

// Quantizes one strip from its N weights (column k of W, contiguous here).
inline void pack_strip(packed_matrix& W, std::size_t k, const float* col) {
  const std::size_t g = static_cast<std::size_t>(W.group_size());
  for (std::size_t j = 0; j < W.groups(); ++j) pack_group(W, k, j, col + j * g);
}

}  // namespace detail

// Quantizes W ([rows][cols], row-major, of the given element type) into the K-major format.
// Throws actsparse::error, naming the first offending element, if a weight is not finite
// or outside the fp16 range (|w| > 65504), since scale and bias are stored as fp16.
inline packed_matrix pack(const void* w, element_type type, std::size_t rows, std::size_t cols, quant_config cfg) {
  detail::check_shape("pack", rows, cols, cfg);
  detail::check_ptr("pack", "w", w);
  for (std::size_t i = 0; i < rows * cols; ++i) {
    const float v = detail::load_element(w, type, i);
    if (!(std::abs(v) <= 65504.0f))
      detail::fail("pack", "w[", i / cols, "][", i % cols, "] = ", v,
                   " is not a finite value within the fp16 range (|w| <= 65504)");
  }
  packed_matrix W(rows, cols, cfg);
  // Columns are gathered kBlock at a time so each row of W is read in contiguous runs.
  constexpr std::size_t kBlock = 32;
  const std::ptrdiff_t blocks = static_cast<std::ptrdiff_t>((cols + kBlock - 1) / kBlock);
#pragma omp parallel
  {
    detail::buffer<float> tile(kBlock * rows);
#pragma omp for schedule(dynamic)
    for (std::ptrdiff_t b = 0; b < blocks; ++b) {
      const std::size_t k0 = static_cast<std::size_t>(b) * kBlock;
      const std::size_t kn = std::min(kBlock, cols - k0);
      for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < kn; ++c) tile[c * rows + n] = detail::load_element(w, type, n * cols + k0 + c);
      for (std::size_t c = 0; c < kn; ++c) detail::pack_strip(W, k0 + c, tile.data() + c * rows);
    }
  }
  return W;
}

inline packed_matrix pack(const float* w, std::size_t rows, std::size_t cols, quant_config cfg) {
  return pack(static_cast<const void*>(w), element_type::f32, rows, cols, cfg);
}

// w_out[n][k] = scale * q + bias, in fp32 (one fused multiply-add from the fp16 values).
inline void dequantize(const packed_matrix& W, float* w_out) {
  if (W.empty()) detail::fail("dequantize", "W is empty (default-constructed or moved from)");
  detail::check_ptr("dequantize", "w_out", w_out);
  const std::size_t N = W.rows(), K = W.cols(), g = static_cast<std::size_t>(W.group_size());
  for (std::size_t k = 0; k < K; ++k) {
    const std::uint16_t* s = W.scales(k);
    const std::uint16_t* b = W.biases(k);
    for (std::size_t n = 0; n < N; ++n)
      w_out[n * K + k] = std::fma(half_to_float(s[n / g]), static_cast<float>(W.code(k, n)), half_to_float(b[n / g]));
  }
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse
