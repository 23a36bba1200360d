// actsparse/quantize.hpp: the group quantizers: MLX's affine rule, exactly, and a searched
// rule of less error in the same format.
//
// MLX's rule (MLX backend/cpu/quantized.cpp, summarised in shared/BRIEF.md), all in fp32:
//   scale = max((w_max - w_min) / (2^bits - 1), 1e-7)
//   the edge with the larger magnitude is kept exact: edge = |w_min| > |w_max| ? w_min : w_max,
//   and the scale is negated when the edge is w_max;
//   q0 = rint(edge / scale); if q0 != 0 { scale = edge / q0; bias = edge } else bias = 0
//   code = clip(rint((w - bias) / scale), 0, 2^bits - 1)
// The codes are computed with the fp32 scale; scale and bias are then stored as fp16
// (round to nearest even), as MLX does for fp16 weights. Dequantized w = scale * q + bias.
//
// The searched rule (quant_rule::mse, mse_group_params) changes only the choice of scale
// and bias (and so of the codes): of MLX's pair and kMseSteps candidates it keeps the one
// whose stored fp16 values give the least sum of (scale q + bias - w)^2 over the group.
// Candidate i spans a fraction f = 0.8 + 0.2 i / (kMseSteps - 1) of [w_min, w_max] around
// its centre (clipping the tails); each weight takes its nearest code for the candidate's
// fp16 values, and then, twice, scale and bias are refitted by least squares to those codes,
// rounded to fp16, and the codes recomputed. The search compares candidates in fp32; the
// winner then replaces MLX's pair only if its error, in double, is strictly smaller, so the
// result is never worse than MLX's on a group (tests/test_quantize.cpp: 8-24% less RMS
// error at 2-4 bits, within 3% of a fine grid search). Packing takes about 10x as long as
// with MLX's rule. It does not depend on threads; a compiler that fuses the sums into fma
// (aarch64 g++ by default) may pick another candidate where two errors tie within
// rounding, so unlike MLX's rule it is not bit for bit the same across builds.
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "error.hpp"
#include "format.hpp"
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

namespace detail {

inline constexpr std::size_t kMseLanes = 8;  // partial sums the compiler can keep in vectors

// codes[i]: w[i]'s nearest code for p (ties up; the reciprocal's rounding may move a code
// whose w sits within an fp32 ulp of a midpoint), and the sum over the group of
// (scale * code + bias - w)^2 in fp32, in kMseLanes partial sums: the search's objective.
inline float search_codes(const float* w, std::size_t n, group_params p, float n_bins, float* codes) {
  const float inv = 1.0f / p.scale;
  float part[kMseLanes] = {};
  auto one = [&](std::size_t i, std::size_t l) {
    const float t = std::min(std::max((w[i] - p.bias) * inv, 0.0f), n_bins);
    const float q = static_cast<float>(static_cast<int>(t + 0.5f));
    const float d = p.scale * q + p.bias - w[i];
    codes[i] = q;
    part[l] += d * d;
  };
  std::size_t i = 0;
  for (; i + kMseLanes <= n; i += kMseLanes)
    for (std::size_t l = 0; l < kMseLanes; ++l) one(i + l, l);
  for (; i < n; ++i) one(i, 0);
  float e = 0;
  for (float v : part) e += v;
  return e;
}

// Sums of q, q^2 and q w over the group, in kMseLanes partial sums (q and q^2 are exact).
inline void code_sums(const float* w, const float* q, std::size_t n, float& sq, float& sqq, float& sqw) {
  float a[kMseLanes] = {}, b[kMseLanes] = {}, c[kMseLanes] = {};
  std::size_t i = 0;
  for (; i + kMseLanes <= n; i += kMseLanes)
    for (std::size_t l = 0; l < kMseLanes; ++l) a[l] += q[i + l], b[l] += q[i + l] * q[i + l], c[l] += q[i + l] * w[i + l];
  for (; i < n; ++i) a[0] += q[i], b[0] += q[i] * q[i], c[0] += q[i] * w[i];
  sq = sqq = sqw = 0;
  for (std::size_t l = 0; l < kMseLanes; ++l) sq += a[l], sqq += b[l], sqw += c[l];
}

// The group's squared error in double for codes q (fp32 values) and the fp16 pair p.
inline double group_sq_error(const float* w, std::size_t n, group_params p, const float* q) {
  double e = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = double(p.scale) * q[i] + double(p.bias) - double(w[i]);
    e += d * d;
  }
  return e;
}

// p with scale and bias rounded to the fp16 values the strip stores; ok is false where the
// scale rounds to 0 or either value leaves the fp16 range.
inline group_params fp16_params(double scale, double bias, bool& ok) {
  const group_params p{half_to_float(float_to_half(static_cast<float>(scale))),
                       half_to_float(float_to_half(static_cast<float>(bias)))};
  ok = p.scale != 0.0f && std::abs(p.scale) <= 65504.0f && std::abs(p.bias) <= 65504.0f;
  return p;
}

}  // namespace detail

inline constexpr int kMseSteps = 8;
inline constexpr std::size_t kMseMaxGroup = 128;

// The searched rule (header comment): the pair, and each weight's code in codes[0..n).
// MLX's fp32 pair and codes where they win, else fp16 values and the nearest codes.
inline group_params mse_group_params(const float* w, std::size_t n, int bits, std::uint8_t* codes) {
  if (n == 0 || n > kMseMaxGroup) detail::fail("mse_group_params", "n = ", n, " must be 1 to ", kMseMaxGroup);
  // MLX's pair and codes go to the output first; a searched pair that wins overwrites them.
  // MLX's codes come from its fp32 scale; what the strip stores is the fp16 pair.
  const group_params mlx = affine_group_params(w, n, bits);
  float q[kMseMaxGroup], best_q[kMseMaxGroup];
  float w_min = w[0], w_max = w[0];
  double sw = 0;
  for (std::size_t i = 0; i < n; ++i) {
    codes[i] = static_cast<std::uint8_t>(affine_code(w[i], mlx, bits));
    q[i] = codes[i];
    w_min = std::min(w_min, w[i]), w_max = std::max(w_max, w[i]), sw += w[i];
  }
  if (!(w_max > w_min)) return mlx;  // a constant group: MLX's pair is exact
  bool ok = false;
  const double mlx_err = detail::group_sq_error(w, n, detail::fp16_params(mlx.scale, mlx.bias, ok), q);
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const double centre = 0.5 * (double(w_min) + w_max);
  group_params best{};
  float best_err = std::numeric_limits<float>::infinity();
  for (int step = 0; step < kMseSteps; ++step) {
    const double half = 0.5 * (double(w_max) - w_min) * (0.8 + 0.2 * step / (kMseSteps - 1));
    group_params p = detail::fp16_params(2 * half / n_bins, centre - half, ok);
    if (!ok) continue;
    float err = detail::search_codes(w, n, p, n_bins, q);
    for (int fit = 0; fit < 2; ++fit) {
      float sq, sqq, sqw;
      detail::code_sums(w, q, n, sq, sqq, sqw);
      const double det = double(n) * sqq - double(sq) * sq;
      if (!(det > 0)) break;  // one code for the whole group: nothing to fit
      const double scale = (double(n) * sqw - double(sq) * sw) / det;
      const group_params fitted = detail::fp16_params(scale, (sw - scale * sq) / double(n), ok);
      if (!ok) break;
      p = fitted;
      err = detail::search_codes(w, n, p, n_bins, q);
    }
    if (err < best_err) best = p, best_err = err, std::copy(q, q + n, best_q);
  }
  // The winner against MLX's pair in double, so the result is never worse than MLX's.
  if (!(best_err < std::numeric_limits<float>::infinity()) || !(detail::group_sq_error(w, n, best, best_q) < mlx_err))
    return mlx;
  for (std::size_t i = 0; i < n; ++i) codes[i] = static_cast<std::uint8_t>(best_q[i]);
  return best;
}


ACTSPARSE_NAMESPACE_END  // namespace actsparse
