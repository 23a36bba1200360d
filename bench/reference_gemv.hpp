// bench/reference_gemv.hpp: fp32 and fp16 dense GEMV baselines (W row-major [N][K]), what
// 16- and 32-bit weight storage costs on the same shapes. A plain vectorised dot product per
// row with four accumulators, rows split over OpenMP threads: streaming-bound, so it shows
// the memory roof for 32 and 16 bits per weight.
#pragma once

#include <actsparse/actsparse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

namespace bench {

// The baselines' storage gets what actsparse's packed buffers get (format.hpp,
// aligned_pages): 2 MiB alignment and transparent huge pages from 4 MiB up, so that the
// comparison is not about page size.
template <class T>
struct huge_page_allocator {
  using value_type = T;
  huge_page_allocator() = default;
  template <class U>
  huge_page_allocator(const huge_page_allocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(actsparse::detail::aligned_pages(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <class U>
  bool operator==(const huge_page_allocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const huge_page_allocator<U>&) const { return false; }
};

struct dense_matrix {
  std::size_t N = 0, K = 0;
  bool half = false;
  std::vector<float, huge_page_allocator<float>> f32;
  std::vector<std::uint16_t, huge_page_allocator<std::uint16_t>> f16;

  std::size_t bytes() const { return N * K * (half ? 2 : 4); }

  static dense_matrix random(std::size_t N, std::size_t K, bool half, std::uint32_t seed) {
    dense_matrix m{N, K, half, {}, {}};
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    if (half) {
      m.f16.resize(N * K);
      for (auto& v : m.f16) v = actsparse::float_to_half(nd(rng));
    } else {
      m.f32.resize(N * K);
      for (auto& v : m.f32) v = nd(rng);
    }
    return m;
  }
};

template <class A>
inline float dot_row(const dense_matrix& W, std::size_t n, const float* x) {
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t V = bf::size;
  bf acc[4] = {bf(0.0f), bf(0.0f), bf(0.0f), bf(0.0f)};
  std::size_t k = 0;
  auto load_w = [&](std::size_t i) {
    if (W.half) return actsparse::simd::load_halves<A>(W.f16.data() + n * W.K + i, A{});
    return bf::load_unaligned(W.f32.data() + n * W.K + i);
  };
  for (; k + 4 * V <= W.K; k += 4 * V)
    for (std::size_t u = 0; u < 4; ++u)
      acc[u] = actsparse::simd::fma(load_w(k + u * V), bf::load_unaligned(x + k + u * V), acc[u]);
  float sum = actsparse::simd::reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (; k < W.K; ++k)
    sum += (W.half ? actsparse::half_to_float(W.f16[n * W.K + k]) : W.f32[n * W.K + k]) * x[k];
  return sum;
}

template <class A>
inline void gemv_reference(const dense_matrix& W, const float* x, float* y, int threads) {
  const std::ptrdiff_t N = static_cast<std::ptrdiff_t>(W.N);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::ptrdiff_t n = 0; n < N; ++n) y[n] = dot_row<A>(W, static_cast<std::size_t>(n), x);
}

}  // namespace bench
