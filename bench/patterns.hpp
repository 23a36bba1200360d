// bench/patterns.hpp: activation vectors for the benchmarks.
//
// Single vectors, uniform or clustered, come from tools/common/activation_patterns.hpp,
// which the `actsparse decode` benchmark shares; the batches and the dense heavy-tailed
// vectors below are the benchmark's own.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "activation_patterns.hpp"  // tools/common/

namespace bench {

using patterns::activations;  // under the name bench.cpp calls it by

// A batch of m activation rows, each with exactly round((1 - s) K) active inputs.
// "independent": every row draws its own uniform active set. "correlated": rows share
// most of one base set, as neighbouring tokens do: each row keeps 80% of the base set's
// inputs and takes the rest from outside it, so the union grows slowly with m.
inline std::vector<float> batch_activations(std::size_t m, std::size_t K, double sparsity, bool correlated,
                                            std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> value(0.0f, 1.0f);
  const std::size_t active = K - static_cast<std::size_t>(std::llround(sparsity * double(K)));
  std::vector<std::size_t> order(K);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), rng);  // base set = order[0, active)
  std::vector<float> X(m * K, 0.0f);
  for (std::size_t r = 0; r < m; ++r) {
    std::vector<std::size_t> pick;
    if (!correlated) {
      std::vector<std::size_t> all(order);
      std::shuffle(all.begin(), all.end(), rng);
      pick.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(active));
    } else {
      std::vector<std::size_t> base(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(active));
      std::vector<std::size_t> rest(order.begin() + static_cast<std::ptrdiff_t>(active), order.end());
      std::shuffle(base.begin(), base.end(), rng);
      std::shuffle(rest.begin(), rest.end(), rng);
      // Keep 80% of the base set, or more when too few inputs lie outside it.
      const std::size_t keep = std::min(
          active, std::max(static_cast<std::size_t>(std::llround(0.8 * double(active))), active - std::min(active, rest.size())));
      const std::size_t fresh = active - keep;
      pick.assign(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(keep));
      pick.insert(pick.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(fresh));
    }
    for (std::size_t k : pick) {
      float v;
      do v = value(rng);
      while (v == 0.0f);
      X[r * K + k] = v;
    }
  }
  return X;
}

// Activations with no exact zeros, heavy-tailed like SwiGLU outputs: Laplace(0, 1).
inline std::vector<float> laplace_activations(std::size_t K, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<float> mag(1.0f);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> x(K);
  for (auto& v : x) v = sign(rng) ? mag(rng) : -mag(rng);
  return x;
}

}  // namespace bench
