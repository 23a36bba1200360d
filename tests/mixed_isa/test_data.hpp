// tests/mixed_isa/test_data.hpp: what the mixed-ISA programs (tu_base.cpp and
// static_consumer/consumer.cpp) share: a failure counter, deterministic data without
// <random> (whose engines would be one more template both units could share), and a bitwise
// comparison. Included by one translation unit of each program.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

struct lcg {
  std::uint64_t s;
  float uniform() {  // [-1, 1)
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<std::int64_t>(s >> 40) - (1 << 23)) / static_cast<float>(1 << 23);
  }
};

std::vector<float> weights(std::size_t n, std::uint64_t seed) {
  lcg r{seed};
  std::vector<float> w(n);
  for (auto& v : w) v = 0.05f * r.uniform();
  return w;
}

// About half the entries exact zeros.
std::vector<float> activations(std::size_t n, std::uint64_t seed) {
  lcg r{seed};
  std::vector<float> x(n);
  for (auto& v : x) {
    const float u = r.uniform();
    v = u < 0.0f ? 0.0f : 2.0f * r.uniform();
  }
  return x;
}

bool bitwise_equal(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

}  // namespace
