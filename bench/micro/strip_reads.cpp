// bench/micro/strip_reads.cpp: actsparse-strip-reads, what skipping strips saves at the
// memory level, apart from (or beside) the kernels' arithmetic.
//
// Reads the active strips of matrices in a pool larger than the LLC (as the benchmark's
// stream mode does) and sums them with one add per 64-byte line. Threads split each strip
// into side-by-side slices, as the kernels split outputs. Prints the median time per matrix,
// the GB/s of the bytes read, and the time against reading every strip the same way.
// With WORK 8 and INTERLEAVE 4 it behaves like the 4-bit kernel (docs/performance.md), so a
// prefetch scheme can be tried here in minutes before it is tried in gemv.hpp.
//
// Usage: actsparse-strip-reads STRIP_BYTES K ACTIVE_FRACTION
//          [PREFETCH [AHEAD [INTERLEAVE [WORK [POOL_MIB]]]]]
//   PREFETCH   none | spread (each line of the strip AHEAD strips on, as the same line of
//              this strip is read: the kernels' scheme; the default) | head (only the first
//              line of that strip, then the hardware prefetcher) | lines (the line AHEAD
//              line steps on along these strips, running on into the next pass's) | sweep
//              (every strip in address order, active or not, up to the one AHEAD strips on
//              in the list: sequential memory traffic, arithmetic on active strips only)
//   AHEAD      strips, or line steps for `lines` (8)
//   INTERLEAVE strips read side by side, 64 bytes of each in turn, as the kernels' passes
//              of 4 strips do: 1, 2, 4 or 8 (1)
//   WORK       0, or 8 permute-and-add pairs per line read, as the 4-bit look-up kernel
//              does per 64 code bytes (0)
//   POOL_MIB   size of the pool of matrices (2048; 0: one matrix, reused: hot)
//   Threads follow OMP_NUM_THREADS. PANELS=1 in the environment stores each thread's slices
//   of all strips one after another (a matrix split into per-thread panels of outputs), so
//   a thread's reads of consecutive strips are contiguous.
// Example (the FFN down matrix of Llama-3-8B at 4 bits: 2304-byte strips, K = 14336):
//   OMP_NUM_THREADS=1 actsparse-strip-reads 2304 14336 0.5 spread 8 4 8
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
#include <type_traits>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>

namespace {

enum class prefetch { none, spread, head, lines, sweep };

struct options {
  std::size_t strip = 2304, K = 14336, ahead = 8, interleave = 1, work = 0, pool_mib = 2048;
  bool panels = false;  // PANELS=1: each thread's slices of all strips stored together
  double active = 0.5;
  prefetch pf = prefetch::spread;
};

// This thread's slice [l0, l1) (in lines) of the listed strips, U strips side by side. U is a
// template parameter so that the line loop has no per-strip branches: with U known only at
// run time (a loop over u inside the line loop), 50% of 2304-byte strips read at half the
// speed on the development machine (1 thread, no prefetch: 7-10 against 15-16 GB/s). The
// fewer instructions between line loads, the more strips the out-of-order window overlaps.
// One line's load, plus Work permute-and-add pairs on it into independent accumulators
// (the 4-bit look-up kernel does 8 per 64 code bytes), so that the reads compete with
// arithmetic as in the kernels. Work is a template parameter for the same reason as U.
template <std::size_t Work>
inline __attribute__((always_inline)) void consume(__m512* acc, const std::uint8_t* line) {
  const __m512 v = _mm512_load_ps(reinterpret_cast<const float*>(line));
  acc[0] = _mm512_add_ps(acc[0], v);
  __m512i idx = _mm512_castps_si512(v);
  for (std::size_t w = 0; w < Work; ++w) {
    acc[w % 8] = _mm512_add_ps(acc[w % 8], _mm512_permutexvar_ps(idx, v));
    idx = _mm512_srli_epi32(idx, 4);
  }
}

template <std::size_t U, std::size_t Work>
__m512 read_slices(const std::uint8_t* M, std::size_t strip, const std::uint32_t* idx, std::size_t n, std::size_t l0,
                   std::size_t l1, const options& o) {
  const std::size_t ahead = o.ahead;
  const prefetch pf = o.pf;
  __m512 acc[8];
  for (auto& a : acc) a = _mm512_setzero_ps();
  std::size_t i = 0;
  std::size_t cs = n ? idx[0] : 0, cl = l0;  // `sweep`: the next strip and line to prefetch
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
    if (pf == prefetch::lines) {
      // AHEAD line steps ahead along this pass's strips, running on into the next pass's.
      const std::uint8_t* nx[U];
      const bool has_next = i + 2 * U <= n;
      for (std::size_t u = 0; u < U; ++u) nx[u] = has_next ? M + idx[i + U + u] * strip : nullptr;
      const std::size_t span = l1 - l0;
      for (std::size_t l = l0; l < l1; ++l) {
        const std::size_t t = l + ahead;
        for (std::size_t u = 0; u < U; ++u) {
          if (t < l1) __builtin_prefetch(p[u] + t * 64, 0, 2);
          else if (has_next && t - span < l1) __builtin_prefetch(nx[u] + (t - span) * 64, 0, 2);
          consume<Work>(acc, p[u] + l * 64);
        }
      }
      continue;
    }
    if (pf == prefetch::sweep) {
      // Every strip's slice in address order, active or not, up to the strip AHEAD strips on
      // in the list: the memory sees one sequential stream, the arithmetic only active strips.
      const std::size_t goal = idx[std::min(i + ahead + U, n) - 1];
      for (std::size_t l = l0; l < l1; ++l)
        for (std::size_t u = 0; u < U; ++u) {
          for (int r = 0; r < 4 && cs <= goal; ++r) {
            __builtin_prefetch(M + cs * strip + cl * 64, 0, 2);
            if (++cl == l1) cl = l0, ++cs;
          }
          consume<Work>(acc, p[u] + l * 64);
        }
      continue;
    }
    if (pre && pf == prefetch::spread) {
      for (std::size_t l = l0; l < l1; ++l)
        for (std::size_t u = 0; u < U; ++u) {
          __builtin_prefetch(q[u] + l * 64, 0, 2);
          consume<Work>(acc, p[u] + l * 64);
        }
    } else {
      for (std::size_t l = l0; l < l1; ++l)
        for (std::size_t u = 0; u < U; ++u) consume<Work>(acc, p[u] + l * 64);
    }
  }
  for (; i < n; ++i)
    for (std::size_t l = l0; l < l1; ++l)
      consume<Work>(acc, M + idx[i] * strip + l * 64);
  for (int j = 1; j < 8; ++j) acc[0] = _mm512_add_ps(acc[0], acc[j]);
  return acc[0];
}

// Seconds to read the listed strips of matrix M with every thread, each its slice.
double read_matrix(const std::uint8_t* M, const std::vector<std::uint32_t>& idx, const options& o, float* sink) {
  const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel
  {
    const std::size_t nt = std::size_t(omp_get_num_threads()), t = std::size_t(omp_get_thread_num());
    const std::size_t lines = o.strip / 64;
    std::size_t l0 = lines * t / nt, l1 = lines * (t + 1) / nt, stride = o.strip;
    const std::uint8_t* base = M;
    if (o.panels) {  // thread t's slices: lines [l0, l1) of every strip, one after another
      base = M + o.K * l0 * 64;
      stride = (l1 - l0) * 64;
      l1 -= l0;
      l0 = 0;
    }
    auto run = [&](auto u, auto work) {
      return read_slices<decltype(u)::value, decltype(work)::value>(base, stride, idx.data(), idx.size(), l0, l1, o);
    };
    auto with_u = [&](auto work) {
      switch (o.interleave) {
        case 1: return run(std::integral_constant<std::size_t, 1>{}, work);
        case 2: return run(std::integral_constant<std::size_t, 2>{}, work);
        case 4: return run(std::integral_constant<std::size_t, 4>{}, work);
        default: return run(std::integral_constant<std::size_t, 8>{}, work);
      }
    };
    const __m512 acc =
        o.work ? with_u(std::integral_constant<std::size_t, 8>{}) : with_u(std::integral_constant<std::size_t, 0>{});
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
    std::fprintf(stderr, "usage: %s STRIP_BYTES K ACTIVE_FRACTION [none|spread|head|lines|sweep [AHEAD [INTERLEAVE [WORK [POOL_MIB]]]]]\n", argv[0]);
    return 2;
  }
  o.strip = std::strtoul(argv[1], nullptr, 10);
  o.K = std::strtoul(argv[2], nullptr, 10);
  o.active = std::atof(argv[3]);
  if (argc > 4) {
    const std::string p = argv[4];
    if (p == "none") o.pf = prefetch::none;
    else if (p == "lines") o.pf = prefetch::lines;
    else if (p == "spread") o.pf = prefetch::spread;
    else if (p == "head") o.pf = prefetch::head;
    else if (p == "sweep") o.pf = prefetch::sweep;
    else {
      std::fprintf(stderr, "PREFETCH = '%s': legal values are none, spread, head, lines, sweep\n", p.c_str());
      return 2;
    }
  }
  if (argc > 5) o.ahead = std::strtoul(argv[5], nullptr, 10);
  if (argc > 6) o.interleave = std::strtoul(argv[6], nullptr, 10);
  if (argc > 7) o.work = std::strtoul(argv[7], nullptr, 10);
  if (argc > 8) o.pool_mib = std::strtoul(argv[8], nullptr, 10);
  o.panels = std::getenv("PANELS") && std::string(std::getenv("PANELS")) == "1";
  if (o.work != 0 && o.work != 8) {
    std::fprintf(stderr, "WORK = %zu: legal values are 0 and 8\n", o.work);
    return 2;
  }
  if (o.strip < 64 || o.strip % 64 || o.K == 0 || !(o.active > 0 && o.active <= 1) || (o.interleave != 1 && o.interleave != 2 && o.interleave != 4 && o.interleave != 8)) {
    std::fprintf(stderr, "STRIP_BYTES must be a multiple of 64, K > 0, 0 < ACTIVE_FRACTION <= 1, INTERLEAVE 1, 2, 4 or 8\n");
    return 2;
  }
  // A pool of POOL_MIB (2 GiB) of matrices on huge pages, as the benchmark's stream mode;
  // a pool of 0 reuses one matrix (hot, as the benchmark's hot mode).
  const std::size_t mat = o.K * o.strip, copies = std::max<std::size_t>(1, (o.pool_mib << 20) / mat);
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
    for (std::size_t r = 0; r < std::max<std::size_t>(3 * copies, 50); ++r) t.push_back(read_matrix(pool + (r % copies) * mat, idx, o, sink.data()));
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  };
  const double t_all = median_seconds(all), t_active = median_seconds(active);
  const double gb_all = double(o.K * o.strip) / t_all / 1e9, gb_active = double(active.size() * o.strip) / t_active / 1e9;
  std::printf("%sstrip %zu B, K %zu, %d thread(s), prefetch %s, ahead %zu, interleave %zu, work %zu: all %.3f ms (%.1f GB/s); "
              "%.0f%% active %.3f ms (%.1f GB/s); time ratio %.2f (ideal %.2f)\n",
              o.panels ? "panels, " : "", o.strip, o.K, omp_get_max_threads(), argc > 4 ? argv[4] : "spread", o.ahead, o.interleave, o.work, t_all * 1e3,
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
