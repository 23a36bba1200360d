// bench/demo.cpp: actsparse-demo, the interim main job. It measures dense vs sparse GEMV on
// one real shape and prints time, bytes moved and effective bandwidth, with the weights
// cache-resident ("hot": one matrix reused) and streamed from memory ("stream": a rotation
// through a pool of copies larger than the last-level cache, as a decode pass reads a
// whole model). The Google Benchmark harness and report replace it (issue 3).
//
// Usage: actsparse-demo [N K bits group pool_MiB reps sparsities panels]
//   defaults: 4096 14336 4 64 1280 15 0,0.2,0.5,0.7,0.9,0.95 0
//   (Llama-3-8B FFN down projection, 4.5 bpw, 1.25 GiB pool). panels > 0 also times the
//   same matrices as panel_matrix of that many panels (columns p_dense_ms, p_sparse_ms).
// Threads follow OMP_NUM_THREADS. Figures are medians over reps calls; activations are
// uniform random with exact zeros.
#include <actsparse/actsparse.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median seconds per call of f(matrix index), rotating through `count` matrices.
template <class F>
double time_calls(std::size_t count, int reps, F&& f) {
  std::vector<double> t;
  std::size_t next = 0;
  for (std::size_t i = 0; i < std::max<std::size_t>(count, 4); ++i) f(next++ % count);  // warm-up: the whole pool
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clock_type::now();
    f(next++ % count);
    t.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  return median(t);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t N = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4096;
  const std::size_t K = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 14336;
  const int bits = argc > 3 ? std::atoi(argv[3]) : 4;
  const int group = argc > 4 ? std::atoi(argv[4]) : 64;
  const std::size_t pool_mib = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1280;
  const int reps = argc > 6 ? std::atoi(argv[6]) : 15;
  std::vector<double> sparsities;
  for (const char* p = argc > 7 ? argv[7] : "0,0.2,0.5,0.7,0.9,0.95"; *p;) {
    char* end;
    sparsities.push_back(std::strtod(p, &end));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p) break;
  }
  const std::size_t panels = argc > 8 ? std::strtoull(argv[8], nullptr, 10) : 0;

  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(N * K);
  for (auto& v : w) v = normal(rng);
  actsparse::packed_matrix first;
  try {
    first = actsparse::pack(w.data(), N, K, {bits, group});
  } catch (const actsparse::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  w = {};
  const std::size_t copies = std::max<std::size_t>(1, (pool_mib << 20) / first.bytes() + 1);
  std::vector<actsparse::packed_matrix> pool(copies, first);
  std::vector<actsparse::panel_matrix> panel_pool;
  try {
    if (panels > 0) panel_pool.assign(copies, actsparse::panel_matrix(first, panels));
  } catch (const actsparse::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  std::printf("actsparse-demo: W %zu x %zu, %d-bit g%d (%.2f bits/weight), %.1f MiB per matrix; "
              "stream pool %zu copies = %.0f MiB; %d reps, medians\n",
              N, K, bits, group, first.bytes() * 8.0 / double(N * K), first.bytes() / 1048576.0, copies,
              copies * first.bytes() / 1048576.0, reps);
  std::printf("%-7s %8s %7s %11s %11s %8s %9s %12s %12s%s\n", "mode", "sparsity", "active", "dense_ms", "sparse_ms",
              "speedup", "ideal", "dense_GB/s", "sparse_GB/s", panels ? "  p_dense_ms  p_sparse_ms" : "");

  std::vector<float> x(K), y(N);
  std::vector<std::uint32_t> idx(K);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const char* mode : {"hot", "stream"}) {
    const std::size_t count = mode[0] == 'h' ? 1 : copies;
    for (double s : sparsities) {
      for (auto& v : x) v = u(rng) < s ? 0.0f : normal(rng);
      const std::size_t nnz = actsparse::find_active(x.data(), K, 0.0f, idx.data());
      const double td = time_calls(count, reps, [&](std::size_t i) { actsparse::gemv_dense(pool[i], x.data(), y.data()); });
      const double ts = time_calls(count, reps, [&](std::size_t i) {
        actsparse::gemv_sparse(pool[i], x.data(), idx.data(), nnz, y.data());
      });
      // Bytes each kernel must move by the format: its strips, x, the index list, y.
      const double dense_bytes = double(first.bytes()) + 4.0 * (K + N);
      const double sparse_bytes = double(nnz) * first.strip_bytes() + 4.0 * (2 * nnz + N);
      const double ideal = nnz ? double(K) / double(nnz) : 0.0;
      std::printf("%-7s %7.0f%% %7zu %11.3f %11.3f %7.2fx %8.2fx %12.2f %12.2f", mode, s * 100, nnz, td * 1e3,
                  ts * 1e3, td / ts, ideal, dense_bytes / td / 1e9, sparse_bytes / ts / 1e9);
      if (panels) {
        const double tpd = time_calls(count, reps, [&](std::size_t i) {
          actsparse::gemv_dense(panel_pool[i], x.data(), y.data());
        });
        const double tps = time_calls(count, reps, [&](std::size_t i) {
          actsparse::gemv_sparse(panel_pool[i], x.data(), idx.data(), nnz, y.data());
        });
        std::printf(" %11.3f %12.3f", tpd * 1e3, tps * 1e3);
      }
      std::printf("\n");
    }
  }
  return 0;
}
