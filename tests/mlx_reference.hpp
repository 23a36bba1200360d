// tests/mlx_reference.hpp: MLX's quantize-and-pack of W^T, transcribed from MLX's CPU rules
// independently of format.hpp: the oracle pack() is checked against (test_format.cpp) and
// the GGUF repacking too (test_gguf_model.cpp).
#pragma once

#include <actsparse/half.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace actsparse_test {

// MLX's arrays for W^T ([K][N], groups along N), written from MLX's CPU packing rules and
// independent of format.hpp: 2/4/8 bits as uint32 words of 32/bits codes, code j at bit
// bits*j; 3 and 5 bits as 8 codes in 3 or 5 bytes, 6 bits as 4 codes in 3 bytes, each pack
// a little-endian integer. Scales and biases fp16.
struct mlx_arrays {
  std::vector<std::uint32_t> wq;
  std::vector<std::uint16_t> scales, biases;
};

inline mlx_arrays mlx_quantize_transposed(const std::vector<float>& w, std::size_t N, std::size_t K, int bits, int g) {
  mlx_arrays m;
  m.wq.assign(K * N * static_cast<std::size_t>(bits) / 32, 0);
  m.scales.resize(K * N / static_cast<std::size_t>(g));
  m.biases.resize(m.scales.size());
  auto* bytes = reinterpret_cast<std::uint8_t*>(m.wq.data());
  const int per_pack = (bits == 3 || bits == 5) ? 8 : bits == 6 ? 4 : 32 / bits;
  const int pack_bytes = (bits == 3) ? 3 : bits == 5 ? 5 : bits == 6 ? 3 : 4;
  std::size_t out = 0;  // byte position in wq
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<float> row(N);
    for (std::size_t n = 0; n < N; ++n) row[n] = w[n * K + k];
    for (std::size_t j = 0; j < N / static_cast<std::size_t>(g); ++j) {
      const float* grp = row.data() + j * static_cast<std::size_t>(g);
      float lo = grp[0], hi = grp[0];
      for (int i = 1; i < g; ++i) lo = std::min(lo, grp[i]), hi = std::max(hi, grp[i]);
      const float n_bins = static_cast<float>((1 << bits) - 1);
      const bool use_min = std::abs(lo) > std::abs(hi);
      float scale = std::max((hi - lo) / n_bins, 1e-7f);
      if (!use_min) scale = -scale;
      const float edge = use_min ? lo : hi;
      const float q0 = std::rint(edge / scale);
      float bias = 0.0f;
      if (q0 != 0.0f) scale = edge / q0, bias = edge;
      for (int p = 0; p < g / per_pack; ++p) {
        std::uint64_t packed = 0;
        for (int i = 0; i < per_pack; ++i) {
          float q = std::rint((grp[p * per_pack + i] - bias) / scale);
          q = std::min(std::max(q, 0.0f), n_bins);
          packed |= static_cast<std::uint64_t>(q) << (i * bits);
        }
        for (int b = 0; b < pack_bytes; ++b) bytes[out++] = static_cast<std::uint8_t>(packed >> (8 * b));
      }
      m.scales[k * N / static_cast<std::size_t>(g) + j] = actsparse::float_to_half(scale);
      m.biases[k * N / static_cast<std::size_t>(g) + j] = actsparse::float_to_half(bias);
    }
  }
  return m;
}

}  // namespace actsparse_test
