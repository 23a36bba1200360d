// roofline/probe.cpp: `actsparse probe`, which measures the machine.
//
// - Topology from hwloc: packages, cores, PUs, NUMA nodes, caches (size, line), memory.
// - Read bandwidth swept over working sets from 16 KiB to max(1 GiB, 4 x LLC), for 1..cores
//   threads, each pinned to its own core with hwloc and reading its own slice (best of a few
//   trials per size, as STREAM does). Each level's plateau is the median of the points in
//   its window (per-thread working set): L1 [8 KiB, L1/2], L2 [4 x L1, L2/2],
//   LLC [4 x L2, min(LLC/4, 32 MiB)] (a process really gets only 64-100 MiB of this kind
//   of VM's LLC), DRAM >= max(1 GiB, 4 x LLC). The LLC's usable capacity is measured: the largest
//   working set still above the geometric mean of the LLC and DRAM plateaus.
// - The compute ceiling of the kernels' own inner loop per bit width: the kernel on an
//   L2-resident matrix (1024 outputs x 768 strips per thread, g64), weights per second from
//   the time difference of 768 and 384 strips (fixed costs cancel), best of 5.
// - The fixed cost of a call per thread count: t(a) - (t(2a) - t(a)) over small active counts.
#include <hwloc.h>
#include <unistd.h>

#include <actsparse/actsparse.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "machine.hpp"
#include "probe.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace roofline {
namespace {

#if defined(_OPENMP)
int actsparse_omp_thread() { return omp_get_thread_num(); }
#else
int actsparse_omp_thread() { return 0; }
#endif

using arch = actsparse::simd::native_arch;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct topology {
  hwloc_topology_t t;
  topology() {
    hwloc_topology_init(&t);
    hwloc_topology_load(t);
  }
  ~topology() { hwloc_topology_destroy(t); }
  int count(hwloc_obj_type_t type) const { return std::max(0, hwloc_get_nbobjs_by_type(t, type)); }
  void bind_to_core(int i) const {
    const int cores = std::max(1, count(HWLOC_OBJ_CORE));
    hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(i % cores));
    if (core) hwloc_set_cpubind(t, core->cpuset, HWLOC_CPUBIND_THREAD);
  }
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const std::size_t c = line.find(':');
      if (c != std::string::npos) return line.substr(c + 2);
    }
  return "unknown";
}

void read_topology(const topology& topo, machine_profile& m) {
  m.packages = topo.count(HWLOC_OBJ_PACKAGE);
  m.cores = std::max(1, topo.count(HWLOC_OBJ_CORE));
  m.pus = topo.count(HWLOC_OBJ_PU);
  m.numa_nodes = std::max(1, topo.count(HWLOC_OBJ_NUMANODE));
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  m.memory_bytes = pages > 0 && page > 0 ? std::size_t(pages) * std::size_t(page) : 0;
  const hwloc_obj_type_t types[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE};
  for (int level = 1; level <= 4; ++level) {
    const int n = topo.count(types[level - 1]);
    if (n == 0) continue;
    hwloc_obj_t o = hwloc_get_obj_by_type(topo.t, types[level - 1], 0);
    m.caches.push_back({level, std::size_t(o->attr->cache.size), int(o->attr->cache.linesize), n});
  }
  m.hostname = host_name();
  m.cpu_model = cpu_model();
  m.isa = arch::name();
  m.date = now_utc();
}

std::size_t cache_size(const machine_profile& m, int level) {
  for (const auto& c : m.caches)
    if (c.level == level) return c.size;
  return 0;
}

// Sum of a float range with 8 independent accumulators: a pure read stream.
float read_sum(const float* p, std::size_t n) {
  using bf = xsimd::batch<float, arch>;
  constexpr std::size_t V = bf::size;
  bf acc[8];
  for (auto& a : acc) a = bf(0.0f);
  std::size_t i = 0;
  for (; i + 8 * V <= n; i += 8 * V)
    for (std::size_t u = 0; u < 8; ++u) acc[u] += bf::load_aligned(p + i + u * V);
  for (std::size_t u = 1; u < 8; ++u) acc[0] += acc[u];
  float s = actsparse::simd::reduce_add(acc[0]);
  for (; i < n; ++i) s += p[i];
  return s;
}

inline void benchmark_escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

void bandwidth_sweep(const topology& topo, machine_profile& m, const probe_options& opt) {
  const std::size_t llc = std::max(cache_size(m, 3), cache_size(m, 2));
  const std::size_t dram_from = opt.quick ? (std::size_t{64} << 20) : std::max<std::size_t>(std::size_t{1} << 30, 4 * llc);
  const std::size_t max_bytes = dram_from;
  std::vector<std::size_t> sizes;
  for (std::size_t s = 16 << 10; s < max_bytes; s *= 2) sizes.push_back(s);
  sizes.push_back(max_bytes);
  const std::size_t floats = max_bytes / sizeof(float) + 64;
  float* buf = static_cast<float*>(std::aligned_alloc(64, floats * sizeof(float)));
  if (!buf) throw std::runtime_error("probe: cannot allocate the " + std::to_string(max_bytes >> 20) + " MiB sweep buffer");
  for (int threads = 1; threads <= m.cores; ++threads) {
    // First touch by the pinned threads that will read each slice.
#pragma omp parallel num_threads(threads)
    {
      const int t = actsparse_omp_thread();
      topo.bind_to_core(t);
      const std::size_t per = floats / std::size_t(threads);
      std::fill(buf + std::size_t(t) * per, buf + std::size_t(t + 1) * per, 1.0f);
    }
    for (std::size_t ws : sizes) {
      const std::size_t per = ws / sizeof(float) / std::size_t(threads) / 64 * 64;  // floats per thread
      if (per == 0) continue;
      const std::size_t passes = std::max<std::size_t>(1, (opt.quick ? (8u << 20) : (64u << 20)) / ws);
      const int trials = ws >= (std::size_t{256} << 20) ? 3 : (opt.quick ? 2 : 5);
      double best = 0;
      std::vector<float> sink(std::size_t(threads), 0.0f);  // keeps the sums alive, one slot per thread
      for (int trial = 0; trial < trials; ++trial) {
        double elapsed = 0;
#pragma omp parallel num_threads(threads) reduction(max : elapsed)
        {
          const int t = actsparse_omp_thread();
          topo.bind_to_core(t);
          const float* p = buf + std::size_t(t) * (floats / std::size_t(threads));
          float s = read_sum(p, per);  // warm this level
#pragma omp barrier
          const auto t0 = clock_type::now();
          for (std::size_t r = 0; r < passes; ++r) {
            // Hide p from the optimiser so each pass really reads (read_sum is pure).
            asm volatile("" : "+r"(p) : : "memory");
            s += read_sum(p, per);
          }
          elapsed = seconds_since(t0);
          sink[std::size_t(t)] += s;
        }
        best = std::max(best, double(per) * sizeof(float) * threads * passes / elapsed / 1e9);
      }
      benchmark_escape(sink.data());
      m.sweep.push_back({threads, per * sizeof(float) * std::size_t(threads), best});
      if (opt.verbose) std::fprintf(stderr, "  read %2d thread(s) %10.1f KiB  %8.2f GB/s\n", threads, ws / 1024.0, best);
    }
  }
  std::free(buf);

  const std::size_t l1 = cache_size(m, 1), l2 = cache_size(m, 2);
  for (int threads = 1; threads <= m.cores; ++threads) {
    auto plateau = [&](const char* name, std::size_t lo, std::size_t hi, bool per_thread) {
      std::vector<double> v;
      for (const auto& p : m.sweep) {
        const std::size_t ws = per_thread ? p.bytes / std::size_t(threads) : p.bytes;
        if (p.threads == threads && ws >= lo && ws <= hi) v.push_back(p.GBps);
      }
      if (v.empty()) {  // no point in the window (tiny caches, quick mode): the nearest one
        double best = 1e300;
        for (const auto& p : m.sweep) {
          const double ws = double(per_thread ? p.bytes / std::size_t(threads) : p.bytes);
          if (p.threads == threads && std::abs(ws - double(lo)) < best) best = std::abs(ws - double(lo)), v = {p.GBps};
        }
      }
      m.levels.push_back({name, threads, median(v), 0});
    };
    plateau("L1", 8 << 10, std::max<std::size_t>(l1 / 2, 8 << 10), true);
    plateau("L2", 4 * l1, std::max(l2 / 2, 4 * l1), true);
    plateau("LLC", 4 * l2, std::max<std::size_t>(std::min<std::size_t>(llc / 4, 32u << 20), 4 * l2), true);
    // Slices are rounded down to whole lines per thread, so allow that much below dram_from.
    plateau("DRAM", dram_from - 256 * std::size_t(threads), ~std::size_t{0}, false);
    auto& L1 = m.levels[m.levels.size() - 4];
    auto& L2 = m.levels[m.levels.size() - 3];
    auto& LLC = m.levels[m.levels.size() - 2];
    auto& DRAM = m.levels[m.levels.size() - 1];
    L1.capacity = l1 * std::size_t(threads);
    L2.capacity = l2 * std::size_t(threads);
    const double cut = std::sqrt(LLC.GBps * DRAM.GBps);
    for (const auto& p : m.sweep)
      if (p.threads == threads && p.bytes > LLC.capacity && p.GBps >= cut && p.bytes < dram_from) LLC.capacity = p.bytes;
    DRAM.capacity = m.memory_bytes;
  }
}

// Best-of-5 seconds per call of f, each trial at least `min_s` long.
template <class F>
double best_call_seconds(F&& f, double min_s) {
  double best = 1e30;
  for (int trial = 0; trial < 5; ++trial) {
    std::size_t calls = 0;
    const auto t0 = clock_type::now();
    do {
      f();
      ++calls;
    } while (seconds_since(t0) < min_s);
    best = std::min(best, seconds_since(t0) / double(calls));
  }
  return best;
}

void compute_ceilings(machine_profile& m, const probe_options& opt) {
  // Per thread 1024 outputs x up to 768 strips: <= 768 KiB at 8 bits, inside a 1 MiB L2.
  // The rate comes from the difference of two strip counts, so the fixed cost of a call
  // (fork/join, tile setup) cancels.
  const std::size_t K = 768;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> x(K);
  for (auto& v : x) v = nd(rng);
  std::vector<std::uint32_t> idx(K);
  for (std::size_t k = 0; k < K; ++k) idx[k] = std::uint32_t(k);
  for (int threads = 1; threads <= m.cores; ++threads) {
    const std::size_t N = 1024 * std::size_t(threads);
    std::vector<float> w(N * K), y(N);
    for (auto& v : w) v = nd(rng);
    for (int bits : {2, 3, 4, 5, 6, 8}) {
      const auto W = actsparse::pack(w.data(), N, K, {bits, 64});
      auto t_of = [&](std::size_t strips) {
        return best_call_seconds(
            [&] { actsparse::gemv_sparse(arch{}, W, x.data(), idx.data(), strips, y.data(), {threads}); },
            opt.quick ? 0.005 : 0.03);
      };
      const double dt = t_of(K) - t_of(K / 2);
      const double rate = dt > 0 ? double(N * (K - K / 2)) / dt : double(N * K) / t_of(K);
      m.compute.push_back({bits, threads, rate, 2.0 * rate / 1e9});
      if (opt.verbose) std::fprintf(stderr, "  compute %d-bit %d thread(s): %.2f Gweights/s\n", bits, threads, rate / 1e9);
    }
  }
  // Fixed cost per call: two small active counts on a 4096-output matrix, extrapolated to 0.
  const std::size_t N2 = 4096, K2 = 256;
  std::vector<float> w2(N2 * K2);
  for (auto& v : w2) v = nd(rng);
  const auto W2 = actsparse::pack(w2.data(), N2, K2, {4, 64});
  std::vector<float> x2(K2, 1.0f), y2(N2);
  std::vector<std::uint32_t> idx2(K2);
  for (std::size_t k = 0; k < K2; ++k) idx2[k] = std::uint32_t(k);
  for (int threads = 1; threads <= m.cores; ++threads) {
    auto t_of = [&](std::size_t nnz) {
      return best_call_seconds(
          [&] { actsparse::gemv_sparse(arch{}, W2, x2.data(), idx2.data(), nnz, y2.data(), {threads}); },
          opt.quick ? 0.005 : 0.02);
    };
    const double a = t_of(64), b = t_of(128);
    m.fixed.push_back({threads, std::max(0.0, 2 * a - b)});
  }
}

}  // namespace

machine_profile probe(const probe_options& opt) {
  topology topo;
  machine_profile m;
  read_topology(topo, m);
  if (opt.verbose) std::fprintf(stderr, "probe: %d core(s), %zu cache level(s); read bandwidth sweep\n", m.cores, m.caches.size());
  bandwidth_sweep(topo, m, opt);
  if (opt.verbose) std::fprintf(stderr, "probe: compute ceilings\n");
  compute_ceilings(m, opt);
  return m;
}

}  // namespace roofline
