// actsparse/mlx.hpp: MLX's quantized arrays in and out of the packed format. The codes of
// one strip are byte for byte row k of MLX's packed W^T (mx.quantize(W.T)), so both
// directions are copies; only scales that are not fp16 are converted.
#pragma once

#include "config.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "error.hpp"
#include "format.hpp"
#include "half.hpp"
#include "pack.hpp"

ACTSPARSE_NAMESPACE_BEGIN

// Imports MLX's packed arrays of the transposed weight: for W of rows x cols, MLX holds W^T
// ([cols][rows]) as wq [cols][rows * bits / 32] uint32, scales and biases [cols][rows / g]
// in the weights' dtype (what mx.quantize(W.T, group_size, bits) returns). fp16 scales and
// biases (the default) are copied, so to_mlx gives the arrays back bit for bit; bf16 or
// fp32 ones (scale_type) are rounded to fp16, and a value outside the fp16 range is an error
// that names it.
inline packed_matrix from_mlx(const std::uint32_t* wq, const void* scales, const void* biases, std::size_t rows,
                              std::size_t cols, quant_config cfg, element_type scale_type) {
  detail::check_shape("from_mlx", rows, cols, cfg);
  detail::check_ptr("from_mlx", "wq", wq);
  detail::check_ptr("from_mlx", "scales", scales);
  detail::check_ptr("from_mlx", "biases", biases);
  const std::size_t G = rows / static_cast<std::size_t>(cfg.group_size);
  if (scale_type != element_type::f16)
    for (const auto& [name, src] : {std::pair<const char*, const void*>{"scales", scales}, {"biases", biases}})
      for (std::size_t i = 0; i < cols * G; ++i) {
        const float v = detail::load_element(src, scale_type, i);
        if (!(std::abs(v) <= 65504.0f))
          detail::fail("from_mlx", name, "[", i / G, "][", i % G, "] = ", v, " is not a finite value within the fp16 range");
      }
  packed_matrix W(rows, cols, cfg);
  const auto* src = reinterpret_cast<const std::uint8_t*>(wq);
  for (std::size_t k = 0; k < cols; ++k) {
    std::memcpy(W.strip(k), src + k * W.codes_bytes(), W.codes_bytes());
    for (std::size_t j = 0; j < G; ++j) {
      if (scale_type == element_type::f16) {
        W.scales(k)[j] = static_cast<const std::uint16_t*>(scales)[k * G + j];
        W.biases(k)[j] = static_cast<const std::uint16_t*>(biases)[k * G + j];
      } else {
        W.scales(k)[j] = float_to_half(detail::load_element(scales, scale_type, k * G + j));
        W.biases(k)[j] = float_to_half(detail::load_element(biases, scale_type, k * G + j));
      }
    }
  }
  return W;
}

inline packed_matrix from_mlx(const std::uint32_t* wq, const std::uint16_t* scales, const std::uint16_t* biases,
                              std::size_t rows, std::size_t cols, quant_config cfg) {
  return from_mlx(wq, static_cast<const void*>(scales), static_cast<const void*>(biases), rows, cols, cfg,
                  element_type::f16);
}

// Exports to MLX's arrays (shapes as in from_mlx); the caller owns all three buffers.
inline void to_mlx(const packed_matrix& W, std::uint32_t* wq, std::uint16_t* scales, std::uint16_t* biases) {
  if (W.empty()) detail::fail("to_mlx", "W is empty (default-constructed or moved from)");
  detail::check_ptr("to_mlx", "wq", wq);
  detail::check_ptr("to_mlx", "scales", scales);
  detail::check_ptr("to_mlx", "biases", biases);
  auto* dst = reinterpret_cast<std::uint8_t*>(wq);
  const std::size_t G = W.groups();
  for (std::size_t k = 0; k < W.cols(); ++k) {
    std::memcpy(dst + k * W.codes_bytes(), W.strip(k), W.codes_bytes());
    std::memcpy(scales + k * G, W.scales(k), G * sizeof(std::uint16_t));
    std::memcpy(biases + k * G, W.biases(k), G * sizeof(std::uint16_t));
  }
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse
