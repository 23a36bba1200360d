// actsparse/quantize.hpp: MLX's affine group quantizer, exactly, for one group.
//
// Rules (MLX backend/cpu/quantized.cpp, summarised in shared/BRIEF.md), all in fp32:
//   scale = max((w_max - w_min) / (2^bits - 1), 1e-7)
//   the edge with the larger magnitude is kept exact: edge = |w_min| > |w_max| ? w_min : w_max,
//   and the scale is negated when the edge is w_max;
//   q0 = rint(edge / scale); if q0 != 0 { scale = edge / q0; bias = edge } else bias = 0
//   code = clip(rint((w - bias) / scale), 0, 2^bits - 1)
// The codes are computed with the fp32 scale; scale and bias are then stored as fp16
// (round to nearest even), as MLX does for fp16 weights. Dequantized w = scale * q + bias.
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "half.hpp"

ACTSPARSE_NAMESPACE_BEGIN

struct group_params {
  float scale;  // fp32 scale used for the codes
  float bias;   // fp32 bias (the exact edge, or 0)
};

inline group_params affine_group_params(const float* w, std::size_t n, int bits) {
  float w_min = std::numeric_limits<float>::infinity();
  float w_max = -w_min;
  for (std::size_t i = 0; i < n; ++i) {
    w_max = std::max(w_max, w[i]);
    w_min = std::min(w_min, w[i]);
  }
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const bool min_is_edge = std::abs(w_min) > std::abs(w_max);
  float scale = std::max((w_max - w_min) / n_bins, 1e-7f);
  scale = min_is_edge ? scale : -scale;
  const float edge = min_is_edge ? w_min : w_max;
  const float q0 = std::rint(edge / scale);
  float bias = 0.0f;
  if (q0 != 0.0f) {
    scale = edge / q0;
    bias = edge;
  }
  return {scale, bias};
}

inline std::uint32_t affine_code(float w, group_params p, int bits) {
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const float q = std::rint((w - p.bias) / p.scale);
  return static_cast<std::uint32_t>(std::min(std::max(q, 0.0f), n_bins));
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse
