// bench/micro/strip_reads.cpp: actsparse-strip-reads, what skipping strips saves at the
// memory level, with no arithmetic in the way.
//
// Reads the active strips of matrices in a pool larger than the LLC (as the benchmark's
// stream mode does) and sums them with one add per 64-byte line. Threads split each strip
// into side-by-side slices, as the kernels split outputs. Prints the median time per matrix,
// the GB/s of the bytes read, and the time against reading every strip the same way.
//
// Usage: actsparse-strip-reads STRIP_BYTES K ACTIVE_FRACTION [PREFETCH [AHEAD [INTERLEAVE]]]
//   PREFETCH: none | spread (each line of the strip AHEAD strips on, as the line of this
//   strip is read: the kernels' scheme) | head (only the first line of that strip, then the
//   hardware prefetcher) ; AHEAD: strips (8) ; INTERLEAVE: strips read side by side, 64
//   bytes of each in turn, as the kernels' passes of 4 strips do (1).
//   Threads follow OMP_NUM_THREADS.
// Example (the FFN down matrix of Llama-3-8B at 4 bits: 2304-byte strips, K = 14336):
//   OMP_NUM_THREADS=1 actsparse-strip-reads 2304 14336 0.5 spread 8 4
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>

namespace {

enum class prefetch { none, spread, head };

struct options {
  std::size_t strip = 2304, K = 14336, ahead = 8, interleave = 1;
  double active = 0.5;
  prefetch pf = prefetch::spread;
};

// This thread's slice [l0, l1) (in lines) of the listed strips, U strips side by side. U is a
// template parameter so that the line loop has no per-strip branches: with U known only at
// run time (a loop over u inside the line loop), 50% of 2304-byte strips read at half the
// speed on the development machine (1 thread, no prefetch: 7-10 against 15-16 GB/s). The
// fewer instructions between line loads, the more strips the out-of-order window overlaps.
template <std::size_t U>
__m512 read_slices(const std::uint8_t* M, const std::uint32_t* idx, std::size_t n, std::size_t l0, std::size_t l1,
                   const options& o) {
  const std::size_t strip = o.strip, ahead = o.ahead;
  const prefetch pf = o.pf;
  __m512 acc = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + U <= n; i += U) {
    const std::uint8_t* p[U];
    const std::uint8_t* q[U];
    const bool pre = pf != prefetch::none && i + ahead + U <= n;
    for (std::size_t u = 0; u < U; ++u) {
      p[u] = M + idx[i + u] * strip;
      q[u] = pre ? M + idx[i + ahead + u] * strip : nullptr;
    }
    if (pre && pf == prefetch::head)
      for (std::size_t u = 0; u < U; ++u) __builtin_prefetch(q[u] + l0 * 64, 0, 2);
    if (pre && pf == prefetch::spread) {
      for (std::size_t l = l0; l < l1; ++l)
        for (std::size_t u = 0; u < U; ++u) {
          __builtin_prefetch(q[u] + l * 64, 0, 2);
          acc = _mm512_add_ps(acc, _mm512_load_ps(reinterpret_cast<const float*>(p[u] + l * 64)));
        }
    } else {
      for (std::size_t l = l0; l < l1; ++l)
        for (std::size_t u = 0; u < U; ++u)
          acc = _mm512_add_ps(acc, _mm512_load_ps(reinterpret_cast<const float*>(p[u] + l * 64)));
    }
  }
  for (; i < n; ++i)
    for (std::size_t l = l0; l < l1; ++l)
      acc = _mm512_add_ps(acc, _mm512_load_ps(reinterpret_cast<const float*>(M + idx[i] * strip + l * 64)));
  return acc;
}

// Seconds to read the listed strips of matrix M with every thread, each its slice.
double read_matrix(const std::uint8_t* M, const std::vector<std::uint32_t>& idx, const options& o, float* sink) {
  const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel
  {
    const std::size_t nt = std::size_t(omp_get_num_threads()), t = std::size_t(omp_get_thread_num());
    const std::size_t lines = o.strip / 64, l0 = lines * t / nt, l1 = lines * (t + 1) / nt;
    __m512 acc;
    switch (o.interleave) {
      case 1: acc = read_slices<1>(M, idx.data(), idx.size(), l0, l1, o); break;
      case 2: acc = read_slices<2>(M, idx.data(), idx.size(), l0, l1, o); break;
      case 4: acc = read_slices<4>(M, idx.data(), idx.size(), l0, l1, o); break;
      default: acc = read_slices<8>(M, idx.data(), idx.size(), l0, l1, o); break;
    }
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, acc);
    for (float v : lanes) sink[t * 16] += v;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s STRIP_BYTES K ACTIVE_FRACTION [none|spread|head [AHEAD [INTERLEAVE]]]\n", argv[0]);
    return 2;
  }
  o.strip = std::strtoul(argv[1], nullptr, 10);
  o.K = std::strtoul(argv[2], nullptr, 10);
  o.active = std::atof(argv[3]);
  if (argc > 4) {
    const std::string p = argv[4];
    if (p == "none") o.pf = prefetch::none;
    else if (p == "spread") o.pf = prefetch::spread;
    else if (p == "head") o.pf = prefetch::head;
    else {
      std::fprintf(stderr, "PREFETCH = '%s': legal values are none, spread, head\n", p.c_str());
      return 2;
    }
  }
  if (argc > 5) o.ahead = std::strtoul(argv[5], nullptr, 10);
  if (argc > 6) o.interleave = std::strtoul(argv[6], nullptr, 10);
  if (o.strip < 64 || o.strip % 64 || o.K == 0 || !(o.active > 0 && o.active <= 1) || (o.interleave != 1 && o.interleave != 2 && o.interleave != 4 && o.interleave != 8)) {
    std::fprintf(stderr, "STRIP_BYTES must be a multiple of 64, K > 0, 0 < ACTIVE_FRACTION <= 1, INTERLEAVE 1, 2, 4 or 8\n");
    return 2;
  }
  // A pool of 2 GiB of matrices on huge pages, as the benchmark's stream mode.
  const std::size_t mat = o.K * o.strip, copies = std::max<std::size_t>(2, (std::size_t{2} << 30) / mat);
  auto* pool = static_cast<std::uint8_t*>(std::aligned_alloc(std::size_t{1} << 21, copies * mat));
  if (!pool) {
    std::fprintf(stderr, "cannot allocate the %zu MiB pool\n", copies * mat >> 20);
    return 1;
  }
  madvise(pool, copies * mat, MADV_HUGEPAGE);
  std::memset(pool, 1, copies * mat);

  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::uint32_t> active, all(o.K);
  for (std::uint32_t k = 0; k < o.K; ++k) {
    all[k] = k;
    if (u(rng) < o.active) active.push_back(k);
  }
  std::vector<float> sink(16 * 256, 0.0f);
  auto median_seconds = [&](const std::vector<std::uint32_t>& idx) {
    std::vector<double> t;
    for (std::size_t r = 0; r < 3 * copies; ++r) t.push_back(read_matrix(pool + (r % copies) * mat, idx, o, sink.data()));
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  };
  const double t_all = median_seconds(all), t_active = median_seconds(active);
  const double gb_all = double(o.K * o.strip) / t_all / 1e9, gb_active = double(active.size() * o.strip) / t_active / 1e9;
  std::printf("strip %zu B, K %zu, %d thread(s), prefetch %s, ahead %zu, interleave %zu: all %.3f ms (%.1f GB/s); "
              "%.0f%% active %.3f ms (%.1f GB/s); time ratio %.2f (ideal %.2f)\n",
              o.strip, o.K, omp_get_max_threads(), argc > 4 ? argv[4] : "spread", o.ahead, o.interleave, t_all * 1e3,
              gb_all, 100.0 * double(active.size()) / double(o.K), t_active * 1e3, gb_active, t_active / t_all,
              double(active.size()) / double(o.K));
  return sink[0] == 12345.0f ? 1 : 0;  // keeps the sums alive
}
#else
int main() {
  std::fprintf(stderr, "actsparse-strip-reads: built without AVX-512 (it reads with 64-byte vector loads)\n");
  return 2;
}
#endif
