// actsparse/detect.hpp: activation detection, the active-index list (of one row, or the
// union over a batch's rows).
//
// Input k is active when |x[k]| > threshold, or x[k] is NaN: NaN and Inf always take part,
// so they propagate as in a dense product. With threshold 0 that is exact-zero skipping
// (+0 and -0 inactive). The list comes out ascending.
//
// find_active_simd<A> compares V lanes at a time; AVX-512 compacts with vpcompressd, the
// other archs write every index and advance by the lane's flag (branch-free: active
// patterns are random, so a branch per lane would mispredict about half the time).
#pragma once

#include "config.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "error.hpp"
#include "memory.hpp"
#include "xsimd_compat.hpp"

ACTSPARSE_NAMESPACE_BEGIN

namespace detail {
inline bool is_active(float v, float threshold) { return !(std::abs(v) <= threshold); }
}  // namespace detail

// Scalar reference twin.
inline std::size_t find_active_ref(const float* x, std::size_t n, float threshold, std::uint32_t* idx) {
  std::size_t m = 0;
  for (std::size_t k = 0; k < n; ++k) {
    idx[m] = static_cast<std::uint32_t>(k);
    m += detail::is_active(x[k], threshold) ? 1 : 0;
  }
  return m;
}

namespace simd {

template <class A>
inline std::size_t find_active_simd(const float* x, std::size_t n, float threshold, std::uint32_t* idx) {
  using bf = xsimd::batch<float, A>;
  constexpr std::size_t V = bf::size;
  const bf t(threshold);
  const std::size_t body = n - n % V;
  std::size_t m = 0, k = 0;
  for (; k < body; k += V) {
    const bf v = bf::load_unaligned(x + k);
    const auto active = !(xsimd::abs(v) <= t);  // true for NaN
#if XSIMD_WITH_AVX512F
    if constexpr (V == 16) {
      const __m512i lanes = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(k)),
                                             _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
      const __mmask16 bits = active;
      // m <= k here, so the full 16-lane store stays within idx[0, n).
      _mm512_storeu_si512(idx + m, _mm512_maskz_compress_epi32(bits, lanes));
      m += static_cast<std::size_t>(__builtin_popcount(bits));
      continue;
    }
#endif
    alignas(64) std::int32_t flag[V];
    xsimd::select(xsimd::bool_cast(active), xsimd::batch<std::int32_t, A>(1), xsimd::batch<std::int32_t, A>(0))
        .store_aligned(flag);
    for (std::size_t j = 0; j < V; ++j) {
      idx[m] = static_cast<std::uint32_t>(k + j);
      m += static_cast<std::size_t>(flag[j]);
    }
  }
  for (; k < n; ++k) {
    idx[m] = static_cast<std::uint32_t>(k);
    m += detail::is_active(x[k], threshold) ? 1 : 0;
  }
  return m;
}

}  // namespace simd

namespace detail {
// A finite threshold >= 0: NaN would make every input inactive, and +Inf would drop the
// infinite activations that must propagate.
inline void check_threshold(const char* where, float threshold) {
  if (!(threshold >= 0.0f) || !std::isfinite(threshold))
    fail(where, "threshold = ", threshold, " must be finite and >= 0");
}

inline void check_find_active(const float* x, std::size_t n, float threshold, const std::uint32_t* idx) {
  if (n > 0 && x == nullptr) fail("find_active", "x is null");
  if (n > 0 && idx == nullptr) fail("find_active", "idx is null (it must hold n entries)");
  check_threshold("find_active", threshold);
  if (n > 0xffffffffu) fail("find_active", "n = ", n, " exceeds 2^32 - 1 (indices are uint32)");
  // idx is written while x is still being read: an overlap would change x and the result.
  const auto xb = reinterpret_cast<std::uintptr_t>(x), ib = reinterpret_cast<std::uintptr_t>(idx);
  if (n > 0 && xb < ib + n * sizeof(std::uint32_t) && ib < xb + n * sizeof(float))
    fail("find_active", "idx (n = ", n, " entries) overlaps x; they must be separate buffers");
}
}  // namespace detail

// Writes the ascending indices k < n with |x[k]| > threshold (or NaN) to idx, which must
// have room for n entries (entries past the returned count may be overwritten), and
// returns their count.
template <class A>
inline std::size_t find_active(A, const float* x, std::size_t n, float threshold, std::uint32_t* idx) {
  detail::check_find_active(x, n, threshold, idx);
  if constexpr (std::is_same<A, xsimd::unavailable>::value)
    return find_active_ref(x, n, threshold, idx);
  else
    return simd::find_active_simd<A>(x, n, threshold, idx);
}

inline std::size_t find_active(const float* x, std::size_t n, float threshold, std::uint32_t* idx) {
  return find_active(simd::native_arch{}, x, n, threshold, idx);
}

// Writes the ascending indices k < n where any of the m rows of X ([m][n], row-major) has
// |x| > threshold (or NaN / Inf) to idx (room for n entries) and returns their count.
template <class A>
inline std::size_t find_active_union(A, const float* X, std::size_t m, std::size_t n, float threshold,
                                     std::uint32_t* idx) {
  if (m > 0 && n > 0 && X == nullptr) detail::fail("find_active_union", "X is null");
  if (n > 0 && idx == nullptr) detail::fail("find_active_union", "idx is null (it must hold n entries)");
  detail::check_threshold("find_active_union", threshold);
  detail::buffer<float> peak(n, 0.0f);  // max |x| over the rows; NaN, once seen, stays
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t k = 0; k < n; ++k) {
      const float v = std::abs(X[r * n + k]);
      if (v > peak[k] || std::isnan(v)) peak[k] = v;
    }
  return find_active(A{}, peak.data(), n, threshold, idx);
}
inline std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float threshold,
                                     std::uint32_t* idx) {
  return find_active_union(simd::native_arch{}, X, m, n, threshold, idx);
}

ACTSPARSE_NAMESPACE_END  // namespace actsparse
