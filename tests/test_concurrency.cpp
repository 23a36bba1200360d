// tests/test_concurrency.cpp: calls from many threads at once, as a server makes them.
//
// Eight threads share read-only matrices and call gemv_dense, gemv_sparse, gemv and gemm
// with their own x and y for a bounded time (ACTSPARSE_STRESS_SECONDS, default 1), on 1 and
// 2 kernel threads; every result must equal, bit for bit, the one computed alone
// beforehand, which equals the scalar twin. The ThreadSanitizer step of the test command
// builds this file without OpenMP (the concurrency then comes from the test's threads
// alone) and with the dispatching library in the mix (ACTSPARSE_CONCURRENCY_DISPATCH).
// With OpenMP, two more tests pin down the documented thread counts (docs/integration.md,
// "Threads"): a call made inside an OpenMP parallel region runs on the calling thread, and
// P threads of a runtime's own calling with gemv_options{T} use at most P x T threads.
#include "test_common.hpp"

#if defined(ACTSPARSE_CONCURRENCY_DISPATCH)
#include <actsparse/dispatch.hpp>
#endif
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace actsparse;
using namespace actsparse_test;

namespace {

double stress_seconds() {
  const char* s = std::getenv("ACTSPARSE_STRESS_SECONDS");
  const double v = s != nullptr ? std::atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}

// Threads of this process, from /proc/self/status (-1 where there is none).
int os_threads() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.compare(0, 8, "Threads:") == 0) return std::atoi(line.c_str() + 8);
  return -1;
}

// One kind of call and its expected output, computed alone before the threads start.
struct job {
  const packed_matrix* W;
  int kind;  // 0 gemv_dense, 1 gemv_sparse, 2 gemv, 3 gemm (m = 3), 4 dispatch gemv, 5 dispatch gemm
  std::vector<float> x;             // [m][K]
  std::vector<std::uint32_t> idx;   // kind 1
  std::vector<float> expected;      // [m][N]
  std::size_t m = 1;
};

void run(const job& j, float* y, int threads) {
  const gemv_options o{threads};
  switch (j.kind) {
    case 0: gemv_dense(test_arch{}, *j.W, j.x.data(), y, o); break;
    case 1: gemv_sparse(test_arch{}, *j.W, j.x.data(), j.idx.data(), j.idx.size(), y, o); break;
    case 2: gemv(test_arch{}, *j.W, j.x.data(), y, 0.0f, o); break;
    case 3: gemm(test_arch{}, *j.W, j.x.data(), j.m, y, 0.0f, o); break;
#if defined(ACTSPARSE_CONCURRENCY_DISPATCH)
    case 4: dispatch::gemv(*j.W, j.x.data(), y, 0.0f, o); break;
    case 5: dispatch::gemm(*j.W, j.x.data(), j.m, y, 0.0f, o); break;
#endif
    default: break;
  }
}

#if defined(ACTSPARSE_CONCURRENCY_DISPATCH)
constexpr int kKinds = 6;
#else
constexpr int kKinds = 4;
#endif

}  // namespace

TEST(Concurrency, EightThreadsShareMatricesAndAgreeWithTheTwin) {
  const std::vector<packed_matrix> mats = {random_matrix(512, 384, {4, 64}, 1), random_matrix(256, 200, {3, 32}, 2),
                                           random_matrix(384, 129, {8, 128}, 3), random_matrix(192, 96, {5, 64}, 4)};
  constexpr int kThreads = 8;
  // Every thread owns one job per (matrix, kind): its own inputs and outputs.
  std::vector<std::vector<job>> jobs(kThreads);
  for (int t = 0; t < kThreads; ++t)
    for (std::size_t mi = 0; mi < mats.size(); ++mi)
      for (int kind = 0; kind < kKinds; ++kind) {
        job j;
        j.W = &mats[mi];
        j.kind = kind;
        j.m = (kind == 3 || kind == 5) ? 3 : 1;
        const std::size_t K = j.W->cols(), N = j.W->rows();
        const auto seed = static_cast<std::uint32_t>(1000 * t + 10 * mi + static_cast<std::size_t>(kind));
        j.x = j.m == 1 ? sparse_x(K, 0.5, seed) : batch_x(j.m, K, 0.5, true, seed);
        if (kind == 1) j.idx = active_list(j.x);
        j.expected.resize(j.m * N);
        run(j, j.expected.data(), 1);
        // Alone, each row equals the scalar twin with the kernels' rounding (the
        // dispatcher's own suite checks its tables against the twins: its ISA may not be
        // this binary's).
        for (std::size_t r = 0; r < j.m && kind < 4; ++r) {
          const std::vector<float> xr(j.x.begin() + static_cast<std::ptrdiff_t>(r * K),
                                      j.x.begin() + static_cast<std::ptrdiff_t>((r + 1) * K));
          const auto idx = active_list(xr);
          const std::vector<float> ref = twin(*j.W, xr, kind == 0 ? nullptr : &idx);
          ASSERT_TRUE(bitwise_equal(ref.data(), j.expected.data() + r * N, N))
              << "kind " << kind << " matrix " << mi << " row " << r << " differs from the scalar twin";
        }
        jobs[static_cast<std::size_t>(t)].push_back(std::move(j));
      }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(stress_seconds());
  std::atomic<long> calls{0}, wrong{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      std::vector<float> y;
      std::size_t i = static_cast<std::size_t>(t);
      do {
        const job& j = jobs[static_cast<std::size_t>(t)][i % jobs[0].size()];
        y.assign(j.expected.size(), -1.0f);
        run(j, y.data(), 1 + static_cast<int>((i / jobs[0].size()) % 2));  // 1 and 2 kernel threads
        if (!bitwise_equal(y.data(), j.expected.data(), y.size())) wrong.fetch_add(1);
        calls.fetch_add(1);
        ++i;
      } while (std::chrono::steady_clock::now() < deadline || i < static_cast<std::size_t>(t) + jobs[0].size());
    });
  go.store(true);
  for (auto& th : pool) th.join();
  EXPECT_EQ(wrong.load(), 0) << "of " << calls.load() << " calls";
  std::printf("%ld calls by %d threads in %.1f s (every kind on every matrix at least once per thread), %ld wrong\n",
              calls.load(), kThreads, stress_seconds(), wrong.load());
}

#if defined(_OPENMP)
// Inside an OpenMP parallel region nested regions are inactive (max-active-levels is 1 by
// default), so a call runs on its calling thread: no new threads, the same y.
TEST(Concurrency, CallsInsideAnOpenMPRegionRunOnTheCallingThread) {
  if (omp_get_max_active_levels() != 1) GTEST_SKIP() << "OMP_MAX_ACTIVE_LEVELS is set to allow nesting";
  const packed_matrix W = random_matrix(1024, 512, {4, 64}, 7);
  const auto x = sparse_x(512, 0.5, 8);
  std::vector<float> expected(1024);
  gemv(test_arch{}, W, x.data(), expected.data(), 0.0f, gemv_options{2});
#pragma omp parallel num_threads(2)
  {
  }
  const int before = os_threads();
  std::atomic<int> wrong{0}, inner_threads{0};
#pragma omp parallel num_threads(2)
  {
    std::vector<float> y(1024);
    for (int i = 0; i < 20; ++i) {
      gemv(test_arch{}, W, x.data(), y.data(), 0.0f, gemv_options{2});
      gemm(test_arch{}, W, x.data(), 1, y.data(), 0.0f, gemv_options{2});
      if (!bitwise_equal(y.data(), expected.data(), y.size())) wrong.fetch_add(1);
    }
    inner_threads.fetch_add(1);
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(inner_threads.load(), 2);
  if (before > 0) {
    EXPECT_LE(os_threads(), before) << "a nested call started threads of its own";
  }
}

// P threads of the caller's own, each calling with gemv_options{T}: at most P x T threads
// run kernels (T = 1: none besides the callers). Sampled while the calls run.
TEST(Concurrency, ARuntimesOwnThreadsUseAtMostTheirCountTimesT) {
  if (os_threads() < 0) GTEST_SKIP() << "no /proc/self/status";
  const packed_matrix W = random_matrix(2048, 512, {4, 64}, 9);
  const auto x = sparse_x(512, 0.3, 10);
  for (int T : {1, 2}) {
    constexpr int P = 4;
    const int base = os_threads();
    std::atomic<bool> stop{false};
    std::atomic<int> started{0};
    std::vector<std::thread> pool;
    for (int p = 0; p < P; ++p)
      pool.emplace_back([&] {
        std::vector<float> y(2048);
        started.fetch_add(1);
        while (!stop.load()) gemv_dense(test_arch{}, W, x.data(), y.data(), gemv_options{T});
      });
    int peak = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (started.load() < P || std::chrono::steady_clock::now() < end) peak = std::max(peak, os_threads());
    stop.store(true);
    for (auto& th : pool) th.join();
    EXPECT_LE(peak - base, P * T) << "T = " << T;
    EXPECT_GE(peak - base, P) << "T = " << T << ": the callers themselves were not seen";
  }
}
#endif
