// tools/common/activation_patterns.hpp: the activation vectors of a given sparsity that
// both programs measuring the kernels feed them: actsparse-bench (bench/patterns.hpp) and
// the whole-model decode benchmark of the `actsparse` tool (roofline/decode.cpp). It lives
// here, beside neither program, because both need the same vectors (the decode run's
// "uniform" and "clustered" are the benchmark's, so their results compare) and neither
// program should reach into the other's folder.
//
// Exactly round((1 - s) K) inputs are active (non-zero), so every row's active fraction is
// the one asked for. "uniform": active positions drawn independently (a random subset).
// "clustered": the active inputs come in runs of geometric length, mean kMeanRun, with the
// zeros spread over the gaps between runs, like the runs seen in real ReLU traces.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace patterns {

inline constexpr double kMeanRun = 16.0;

inline std::vector<float> activations(std::size_t K, double sparsity, bool clustered, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> value(0.0f, 1.0f);
  const std::size_t active = K - static_cast<std::size_t>(std::llround(sparsity * double(K)));
  std::vector<char> on(K, 0);
  if (!clustered) {
    std::vector<std::size_t> pos(K);
    std::iota(pos.begin(), pos.end(), std::size_t{0});
    std::shuffle(pos.begin(), pos.end(), rng);
    for (std::size_t i = 0; i < active; ++i) on[pos[i]] = 1;
  } else if (active > 0) {
    std::geometric_distribution<std::size_t> run_len(1.0 / kMeanRun);
    std::vector<std::size_t> runs;
    for (std::size_t left = active; left > 0;) {
      const std::size_t r = std::min(left, 1 + run_len(rng));
      runs.push_back(r);
      left -= r;
    }
    // Spread the zeros over runs.size() + 1 gaps, interior gaps at least 1 so runs stay apart.
    const std::size_t zeros = K - active;
    std::vector<std::size_t> gaps(runs.size() + 1, 0);
    std::size_t free_zeros = zeros;
    for (std::size_t g = 1; g + 1 < gaps.size() && free_zeros > 0; ++g) gaps[g] = 1, --free_zeros;
    std::uniform_int_distribution<std::size_t> pick(0, gaps.size() - 1);
    for (; free_zeros > 0; --free_zeros) ++gaps[pick(rng)];
    std::size_t k = gaps[0];
    for (std::size_t r = 0; r < runs.size(); ++r) {
      for (std::size_t j = 0; j < runs[r] && k < K; ++j) on[k++] = 1;
      k += gaps[r + 1];
    }
  }
  std::vector<float> x(K, 0.0f);
  for (std::size_t k = 0; k < K; ++k)
    if (on[k]) {
      float v;
      do v = value(rng);
      while (v == 0.0f);
      x[k] = v;
    }
  return x;
}

}  // namespace patterns
