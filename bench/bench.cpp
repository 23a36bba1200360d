// bench/bench.cpp: actsparse-bench, the Google Benchmark harness.
//
// Measures the kernels on real model shapes, bit widths, group sizes, sparsity levels and
// activation patterns, with the weights cache-resident ("hot": one matrix reused) or streamed
// from memory ("stream": a rotation through a pool of distinct matrices of at least
// max(1 GiB, 4 x the last-level cache hwloc reports), as a decode pass reads a whole model).
// Google Benchmark's JSON (--benchmark_out) is the report's only input; every row carries the
// numeric counters listed in docs/bench.md.
//
// Sweep flags select configurations by value (comma lists; absent = the default sweep):
//   --shapes 4096x14336,14336x4096   N x K (outputs x inputs)
//   --bits 2,3,4,5,6,8   --groups 32,64,128   --sparsity 0,50,90 (percent)
//   --pattern uniform,clustered   --threads 1,2   --mode hot,stream
//   --baselines 0|1 (fp32 / fp16 dense GEMV)   --detect 0|1 (find_active rows)
//   --batch 1,4,16,64 (gemm rows)   --approx 40,50 (thresholded gemv rows, percent)   --gemv 0|1
//   --panels 0|1 (default 1: each gemv and gemm row with t > 1 threads also on a panel_matrix of t panels)
//   --precision exact,int8 (default exact: gemv rows in each precision; int8 rows are named
//     dense_int8, sparse_int8, ..., and with int8 in the list every gemv row also carries
//     max_rel_err = max |y - ref| / max |ref| against a double-precision product)
// plus Google Benchmark's own flags (--benchmark_out=..., --benchmark_repetitions=...).
#include <benchmark/benchmark.h>
#include <hwloc.h>

#include <actsparse/actsparse.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "patterns.hpp"
#include "product_error.hpp"  // tools/common/
#include "reference_gemv.hpp"

namespace {

using arch = actsparse::simd::native_arch;

struct shape {
  std::size_t N, K;
};

struct sweep {
  std::vector<shape> shapes;
  std::vector<int> bits, groups, threads;
  std::vector<double> sparsity;  // fractions
  std::vector<bool> clustered, stream;
  std::vector<int> batch;         // gemm rows for these batch sizes (empty: none)
  std::vector<double> approx;     // thresholded-gemv rows for these target sparsities (empty: none)
  bool gemv = true, baselines = true, detect = true;
  bool panels = false;            // *_panels rows (gemv and gemm) for every thread count > 1
  std::vector<actsparse::precision> precisions = {actsparse::precision::exact};  // gemv rows
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "actsparse-bench: %s\n(see the header of bench/bench.cpp or docs/bench.md)\n", msg.c_str());
  std::exit(2);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = s.find(',', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

long parse_int(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const long r = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') usage_error(flag + ": '" + v + "' is not an integer");
  return r;
}

double parse_percent(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double r = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || r < 0 || r > 100) usage_error(flag + ": '" + v + "' is not a percentage in [0, 100]");
  return r / 100.0;
}

std::string pct_name(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s * 100);
  return buf;
}

std::size_t hardware_cores() {
  hwloc_topology_t t;
  hwloc_topology_init(&t);
  hwloc_topology_load(t);
  const int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
  hwloc_topology_destroy(t);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}

std::size_t llc_bytes() {
  hwloc_topology_t t;
  hwloc_topology_init(&t);
  hwloc_topology_load(t);
  std::size_t best = 0;
  for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_L3CACHE, o));)
    best = std::max<std::size_t>(best, o->attr->cache.size);
  if (best == 0)
    for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_L2CACHE, o));)
      best = std::max<std::size_t>(best, o->attr->cache.size);
  hwloc_topology_destroy(t);
  return best;
}

// Stream pools hold at least this many bytes of distinct matrices.
std::size_t pool_bytes() {
  static const std::size_t bytes = std::max<std::size_t>(std::size_t{1} << 30, 4 * llc_bytes());  // one hwloc load
  return bytes;
}

// The default sweep (docs/bench.md): the 4-bit g64 sparsity study on the Llama-3-8B FFN
// shapes, then every other width at three sparsities on the down projection.
std::vector<sweep> default_sweeps() {
  const std::size_t cores = hardware_cores();
  std::vector<int> threads = {1};
  if (cores > 1) threads.push_back(static_cast<int>(cores));
  sweep a;
  a.shapes = {{4096, 14336}, {14336, 4096}};
  a.bits = {4};
  a.groups = {64};
  a.threads = threads;
  a.sparsity = {0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99};
  a.clustered = {false, true};
  a.stream = {false, true};
  a.panels = true;
  sweep b = a;
  b.shapes = {{4096, 14336}};
  b.bits = {2, 3, 5, 6, 8};
  b.sparsity = {0, 0.5, 0.9};
  b.clustered = {false};
  b.baselines = false;
  b.detect = false;
  b.panels = false;
  // Batches: union sparsity and time per token versus batch size, all cores, streamed.
  sweep c = b;
  c.bits = {4};
  c.threads = {threads.back()};
  c.stream = {true};
  c.sparsity = {0.5, 0.9};
  c.batch = {1, 2, 4, 8, 16, 32, 64};
  c.gemv = false;
  c.panels = true;  // gemm on a panel_matrix too
  // Approximate mode: calibrated thresholds on heavy-tailed activations, 1 thread, streamed.
  sweep d = c;
  d.threads = {1};
  d.batch = {};
  d.approx = {0.25, 0.4, 0.5, 0.6, 0.7};
  return {a, b, c, d};
}

// Parses and removes the sweep flags; returns the sweeps to run.
std::vector<sweep> parse_flags(int& argc, char** argv) {
  sweep s = default_sweeps()[0];
  bool any = false;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    const std::size_t eq = a.find('=');
    auto take = [&](const char* name) {
      if (a.rfind(name, 0) != 0) return false;
      if (eq != std::string::npos && a.substr(0, eq) == name) {
        v = a.substr(eq + 1);
      } else if (a == name) {
        if (i + 1 >= argc) usage_error(std::string(name) + " needs a value");
        v = argv[++i];
      } else {
        return false;
      }
      any = true;
      return true;
    };
    if (take("--shapes")) {
      s.shapes.clear();
      for (const auto& e : split(v)) {
        const std::size_t x = e.find('x');
        if (x == std::string::npos) usage_error("--shapes: '" + e + "' is not NxK");
        const long n = parse_int("--shapes", e.substr(0, x)), k = parse_int("--shapes", e.substr(x + 1));
        if (n <= 0 || k <= 0) usage_error("--shapes: '" + e + "' must have positive N and K");
        s.shapes.push_back({static_cast<std::size_t>(n), static_cast<std::size_t>(k)});
      }
    } else if (take("--bits")) {
      s.bits.clear();
      for (const auto& e : split(v)) s.bits.push_back(static_cast<int>(parse_int("--bits", e)));
    } else if (take("--groups")) {
      s.groups.clear();
      for (const auto& e : split(v)) s.groups.push_back(static_cast<int>(parse_int("--groups", e)));
    } else if (take("--threads")) {
      s.threads.clear();
      for (const auto& e : split(v)) {
        const long t = parse_int("--threads", e);
        if (t < 1) usage_error("--threads: values must be >= 1");
        s.threads.push_back(static_cast<int>(t));
      }
    } else if (take("--sparsity")) {
      s.sparsity.clear();
      for (const auto& e : split(v)) s.sparsity.push_back(parse_percent("--sparsity", e));
    } else if (take("--pattern")) {
      s.clustered.clear();
      for (const auto& e : split(v)) {
        if (e != "uniform" && e != "clustered") usage_error("--pattern: '" + e + "'; legal values are uniform, clustered");
        s.clustered.push_back(e == "clustered");
      }
    } else if (take("--mode")) {
      s.stream.clear();
      for (const auto& e : split(v)) {
        if (e != "hot" && e != "stream") usage_error("--mode: '" + e + "'; legal values are hot, stream");
        s.stream.push_back(e == "stream");
      }
    } else if (take("--batch")) {
      s.batch.clear();
      for (const auto& e : split(v)) {
        const long m = parse_int("--batch", e);
        if (m < 1) usage_error("--batch: values must be >= 1");
        s.batch.push_back(static_cast<int>(m));
      }
    } else if (take("--approx")) {
      s.approx.clear();
      for (const auto& e : split(v)) s.approx.push_back(parse_percent("--approx", e));
    } else if (take("--precision")) {
      s.precisions.clear();
      for (const auto& e : split(v)) {
        if (e != "exact" && e != "int8") usage_error("--precision: '" + e + "'; legal values are exact, int8");
        s.precisions.push_back(e == "int8" ? actsparse::precision::int8 : actsparse::precision::exact);
      }
    } else if (take("--gemv")) {
      s.gemv = parse_int("--gemv", v) != 0;
    } else if (take("--baselines")) {
      s.baselines = parse_int("--baselines", v) != 0;
    } else if (take("--detect")) {
      s.detect = parse_int("--detect", v) != 0;
    } else if (take("--panels")) {
      const long p = parse_int("--panels", v);
      if (p != 0 && p != 1) usage_error("--panels: '" + v + "'; legal values are 0, 1");
      s.panels = p != 0;
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  for (int b : s.bits)
    if (!actsparse::detail::legal_bits(b)) usage_error("--bits: " + std::to_string(b) + "; legal values are 2, 3, 4, 5, 6, 8");
  for (int g : s.groups)
    if (!actsparse::detail::legal_group(g)) usage_error("--groups: " + std::to_string(g) + "; legal values are 32, 64, 128");
  for (const auto& sh : s.shapes)
    for (int g : s.groups)
      if (sh.N == 0 || sh.K == 0 || sh.N % static_cast<std::size_t>(g) != 0)
        usage_error("--shapes: N = " + std::to_string(sh.N) + " must be a positive multiple of every group size (" +
                    std::to_string(g) + ")");
  return any ? std::vector<sweep>{s} : default_sweeps();
}

// One pool of matrices at a time (the one the running benchmark needs): pools are 1-2 GiB,
// and benchmarks are registered grouped by pool. Copies are distinct memory with the same
// contents: what matters is that each call reads its weights from DRAM.
struct pool_cache {
  std::string key;
  std::vector<actsparse::packed_matrix> packed;
  std::vector<actsparse::panel_matrix> panels;
  std::vector<bench::dense_matrix> dense;
};
pool_cache g_pool;

std::string pool_key(const char* kind, shape sh, int bits, int group, bool stream) {
  return std::string(kind) + "/" + std::to_string(sh.N) + "x" + std::to_string(sh.K) + "/" + std::to_string(bits) +
         "/" + std::to_string(group) + (stream ? "/stream" : "/hot");
}

template <class M, class Make>
const std::vector<M>& cached_pool(std::vector<M>& slot, const std::string& key, bool stream, Make make) {
  if (g_pool.key != key) {
    g_pool = {};
    g_pool.key = key;
    slot.push_back(make());
    const std::size_t bytes = slot[0].bytes();
    const std::size_t copies = stream ? pool_bytes() / bytes + 1 : 1;
    for (std::size_t i = 1; i < copies; ++i) slot.push_back(slot[0]);
  }
  return slot;
}

actsparse::packed_matrix random_packed(shape sh, int bits, int group) {
  std::vector<float> w(sh.N * sh.K);
  std::mt19937 rng(static_cast<std::uint32_t>(bits * 131 + group));
  std::normal_distribution<float> nd(0.0f, 0.02f);
  for (auto& v : w) v = nd(rng);
  return actsparse::pack(w.data(), sh.N, sh.K, {bits, group});
}

const std::vector<actsparse::packed_matrix>& packed_pool(shape sh, int bits, int group, bool stream) {
  return cached_pool(g_pool.packed, pool_key("packed", sh, bits, group, stream), stream,
                     [&] { return random_packed(sh, bits, group); });
}

// The packed matrix of packed_pool in `panels` row blocks (one per thread).
const std::vector<actsparse::panel_matrix>& panel_pool(shape sh, int bits, int group, bool stream, int panels) {
  const std::string key = pool_key("panels", sh, bits, group, stream) + "/" + std::to_string(panels);
  return cached_pool(g_pool.panels, key, stream, [&] {
    return actsparse::panel_matrix(random_packed(sh, bits, group), static_cast<std::size_t>(panels));
  });
}

const std::vector<bench::dense_matrix>& dense_pool(shape sh, int bits, bool stream) {
  return cached_pool(g_pool.dense, pool_key("dense", sh, bits, 0, stream), stream,
                     [&] { return bench::dense_matrix::random(sh.N, sh.K, bits == 16, 3); });
}

void set_counters(benchmark::State& st, shape sh, double bits, double group, double sparsity, double active, int threads,
                  bool stream, bool clustered, bool dense, double bytes, double flops) {
  using C = benchmark::Counter;
  st.counters["N"] = double(sh.N);
  st.counters["K"] = double(sh.K);
  st.counters["bits"] = bits;
  st.counters["group"] = group;
  st.counters["sparsity"] = sparsity;
  st.counters["active"] = active;
  st.counters["threads"] = threads;
  st.counters["stream"] = stream;
  st.counters["clustered"] = clustered;
  st.counters["dense"] = dense;
  st.counters["bytes"] = bytes;
  st.counters["eff_GBps"] = C(bytes * double(st.iterations()) / 1e9, C::kIsRate);
  st.counters["GFLOPs"] = C(flops * double(st.iterations()) / 1e9, C::kIsRate);
}

std::string fmt_name(const char* kind, shape sh, int bits, int group, double s, bool clustered, int threads,
                     bool stream) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s/N:%zu/K:%zu/bits:%d/g:%d/s:%g/%s/t:%d/%s", kind, sh.N, sh.K, bits, group, s * 100,
                clustered ? "clustered" : "uniform", threads, stream ? "stream" : "hot");
  return buf;
}

// The dense row and the sparse rows of one configuration on the matrices of `pool` (a
// function returning the pool, so it is built only when the first of its rows runs).
// `kind` is "" for packed matrices and "_panels" for panel matrices.
template <class Pool>
void register_gemv_rows(const sweep& sw, const std::string& base_kind, shape sh, int bits, int group, int threads,
                        bool stream, actsparse::precision prec, Pool pool_of) {
  const std::string kind = base_kind + (prec == actsparse::precision::int8 ? "_int8" : "");
  actsparse::gemv_options opt;
  opt.threads = threads;
  opt.precision = prec;
  const bool errors = std::find(sw.precisions.begin(), sw.precisions.end(), actsparse::precision::int8) !=
                      sw.precisions.end();
  // Dense run of this configuration: the denominator of every speedup.
  benchmark::RegisterBenchmark(
      fmt_name(("dense" + kind).c_str(), sh, bits, group, 0, false, threads, stream).c_str(),
      [=](benchmark::State& st) {
        const auto& pool = pool_of();
        const auto x = bench::activations(sh.K, 0.0, false, 1);
        std::vector<float> y(sh.N);
        std::size_t i = 0;
        double err = 0;
        if (errors) {
          actsparse::gemv_dense(arch{}, pool[0], x.data(), y.data(), opt);
          err = product_error::max_rel_err(pool[0], x.data(), y);
        }
        for (auto _ : st) {
          actsparse::gemv_dense(arch{}, pool[i], x.data(), y.data(), opt);
          benchmark::DoNotOptimize(y.data());
          i = (i + 1) % pool.size();
        }
        if (errors) st.counters["max_rel_err"] = err;
        const double bytes = double(pool[0].bytes()) + 4.0 * double(sh.K + sh.N);
        set_counters(st, sh, bits, group, 0, 1, threads, stream, false, true, bytes, 2.0 * sh.N * sh.K);
      })
      ->UseRealTime();
  for (bool clustered : sw.clustered)
    for (double s : sw.sparsity)
      benchmark::RegisterBenchmark(
          fmt_name(("sparse" + kind).c_str(), sh, bits, group, s, clustered, threads, stream).c_str(),
          [=](benchmark::State& st) {
            const auto& pool = pool_of();
            const auto x = bench::activations(sh.K, s, clustered, 2);
            std::vector<std::uint32_t> idx(sh.K);
            const std::size_t nnz = actsparse::find_active(arch{}, x.data(), sh.K, 0.0f, idx.data());
            std::vector<float> y(sh.N);
            std::size_t i = 0;
            double err = 0;
            if (errors) {
              actsparse::gemv_sparse(arch{}, pool[0], x.data(), idx.data(), nnz, y.data(), opt);
              err = product_error::max_rel_err(pool[0], x.data(), y);
            }
            for (auto _ : st) {
              actsparse::gemv_sparse(arch{}, pool[i], x.data(), idx.data(), nnz, y.data(), opt);
              benchmark::DoNotOptimize(y.data());
              i = (i + 1) % pool.size();
            }
            if (errors) st.counters["max_rel_err"] = err;
            const double bytes = double(nnz) * double(pool[0].strip_bytes()) + 4.0 * double(2 * nnz + sh.N);
            set_counters(st, sh, bits, group, s, double(nnz) / double(sh.K), threads, stream, clustered, false, bytes,
                         2.0 * double(sh.N) * double(nnz));
          })
          ->UseRealTime();
}

// Calls rows(kind, pool_of) with the packed pool (kind "") and, with sw.panels and t > 1
// threads (and at least one group per thread), again with a pool of panel_matrix of t panels
// (kind "_panels"). The packed pool's rows are all registered before the panel pool's, and
// the benchmark holds one pool at a time.
template <class Rows>
void on_each_pool(const sweep& sw, shape sh, int bits, int group, int threads, bool stream, Rows rows) {
  rows(std::string(), [=]() -> const auto& { return packed_pool(sh, bits, group, stream); });
  if (sw.panels && threads > 1 && sh.N / static_cast<std::size_t>(group) >= static_cast<std::size_t>(threads))
    rows(std::string("_panels"), [=]() -> const auto& { return panel_pool(sh, bits, group, stream, threads); });
}

// Packed rows for every configuration, and panel rows (dense_panels, sparse_panels) as
// on_each_pool says.
void register_gemv(const sweep& sw) {
  for (const shape sh : sw.shapes)
    for (int bits : sw.bits)
      for (int group : sw.groups)
        for (bool stream : sw.stream)
          for (int threads : sw.threads)
            on_each_pool(sw, sh, bits, group, threads, stream, [&](const std::string& kind, auto pool_of) {
              for (actsparse::precision prec : sw.precisions)
                register_gemv_rows(sw, kind, sh, bits, group, threads, stream, prec, pool_of);
            });
}

// Batched products: gemm_sparse over the union of m rows' active strips (each strip
// unpacked once per 4-row block; `bytes` counts each union strip once, the least any
// kernel must move), gemm_dense over every strip, and gemm() as shipped (gemm_rows). Rows
// are independent or correlated (bench/patterns.hpp). `kind` is "" for packed matrices and
// "_panels" for panel matrices (gemm_dense_panels, ...); `pool_of` as in register_gemv_rows.
template <class Pool>
void register_gemm_rows(const sweep& sw, const std::string& kind, shape sh, int bits, int group, int threads,
                        bool stream, int m, Pool pool_of) {
  using C = benchmark::Counter;
  auto counters = [=](benchmark::State& st, double s, double active, double union_active, bool correlated, bool dense,
                      double bytes, double flops) {
    set_counters(st, sh, bits, group, s, active, threads, stream, false, dense, bytes, flops);
    st.counters["batch"] = m;
    st.counters["union_active"] = union_active;
    st.counters["correlated"] = correlated;
    // kIsRate | kInvert gives seconds per unit: units of 1e-6 tokens make it microseconds.
    st.counters["us_per_token"] = C(double(st.iterations()) * m * 1e-6, C::kIsRate | C::kInvert);
  };
  const std::string config = "/N:" + std::to_string(sh.N) + "/K:" + std::to_string(sh.K) +
                             "/bits:" + std::to_string(bits) + "/g:" + std::to_string(group);
  const std::string tail = "/m:" + std::to_string(m) + "/t:" + std::to_string(threads) + (stream ? "/stream" : "/hot");
  benchmark::RegisterBenchmark(
      ("gemm_dense" + kind + config + tail).c_str(),
      [=](benchmark::State& st) {
        const auto& pool = pool_of();
        const auto X = bench::batch_activations(std::size_t(m), sh.K, 0.0, false, 5);
        std::vector<float> Y(std::size_t(m) * sh.N);
        std::size_t i = 0;
        for (auto _ : st) {
          actsparse::gemm_dense(arch{}, pool[i], X.data(), std::size_t(m), Y.data(), {threads});
          benchmark::DoNotOptimize(Y.data());
          i = (i + 1) % pool.size();
        }
        counters(st, 0, 1, 1, false, true, double(pool[0].bytes()) + 4.0 * m * double(sh.K + sh.N),
                 2.0 * m * double(sh.N) * double(sh.K));
      })
      ->UseRealTime();
  // gemm_rows: gemm() as shipped (its measured rule picks batched or per-row gemv);
  // gemm_sparse: the batched kernel over the union list.
  for (const bool via_gemm : {true, false})
    for (bool correlated : {false, true})
      for (double s : sw.sparsity)
        benchmark::RegisterBenchmark(
            (std::string(via_gemm ? "gemm_rows" : "gemm_sparse") + kind + config + "/s:" + pct_name(s) +
             (correlated ? "/correlated" : "/independent") + tail)
                .c_str(),
            [=](benchmark::State& st) {
              const auto& pool = pool_of();
              const auto X = bench::batch_activations(std::size_t(m), sh.K, s, correlated, 6);
              std::vector<std::uint32_t> idx(sh.K);
              const std::size_t nnz =
                  actsparse::find_active_union(arch{}, X.data(), std::size_t(m), sh.K, 0.0f, idx.data());
              double row_active = 0;
              for (float v : X) row_active += v != 0.0f ? 1 : 0;
              std::vector<float> Y(std::size_t(m) * sh.N);
              std::size_t i = 0;
              for (auto _ : st) {
                if (via_gemm)
                  actsparse::gemm(arch{}, pool[i], X.data(), std::size_t(m), Y.data(), 0.0f, {threads});
                else
                  actsparse::gemm_sparse(arch{}, pool[i], X.data(), std::size_t(m), idx.data(), nnz, Y.data(),
                                         {threads});
                benchmark::DoNotOptimize(Y.data());
                i = (i + 1) % pool.size();
              }
              // Strips the path must read: the union list once (gemm_sparse), all strips
              // once (gemm() batched) or each row's own strips (gemm() per row).
              const bool batched =
                  via_gemm && actsparse::gemm_takes_batched(sh.K, X.data(), std::size_t(m), 0.0f);
              const bool per_row = via_gemm && !batched;
              const double strips = per_row ? row_active : batched ? double(sh.K) : double(nnz);
              const double index = per_row ? row_active : batched ? 0.0 : double(nnz);
              const double bytes =
                  strips * double(pool[0].strip_bytes()) + 4.0 * (double(m) * double(sh.K + sh.N) + index);
              counters(st, s, row_active / double(m) / double(sh.K), double(nnz) / double(sh.K), correlated, false,
                       bytes, 2.0 * double(sh.N) * row_active);
            })
            ->UseRealTime();
}

// Packed rows for every configuration and batch size, and panel rows (gemm_*_panels) as
// on_each_pool says.
void register_gemm(const sweep& sw) {
  for (const shape sh : sw.shapes)
    for (int bits : sw.bits)
      for (int group : sw.groups)
        for (bool stream : sw.stream)
          for (int threads : sw.threads)
            on_each_pool(sw, sh, bits, group, threads, stream, [&](const std::string& kind, auto pool_of) {
              for (int m : sw.batch) register_gemm_rows(sw, kind, sh, bits, group, threads, stream, m, pool_of);
            });
}

// Approximate mode: heavy-tailed activations with no exact zeros (Laplace), the threshold
// calibrated for the target sparsity on 64 other vectors, gemv(threshold) timed with its
// detection; rel_l2_err = |y_t - y| / |y| against the exact dense product.
void register_approx(const sweep& sw) {
  for (const shape sh : sw.shapes)
    for (int bits : sw.bits)
      for (int group : sw.groups)
        for (bool stream : sw.stream)
          for (int threads : sw.threads)
            for (double s : sw.approx)
              benchmark::RegisterBenchmark(
                  fmt_name("approx", sh, bits, group, s, false, threads, stream).c_str(),
                  [=](benchmark::State& st) {
                    const auto& pool = packed_pool(sh, bits, group, stream);
                    actsparse::threshold_calibrator cal;
                    for (std::uint32_t v = 0; v < 64; ++v) {
                      const auto sample = bench::laplace_activations(sh.K, 1000 + v);
                      cal.add(sample.data(), sample.size());
                    }
                    const float t = cal.threshold_for(s);
                    const auto x = bench::laplace_activations(sh.K, 7);
                    std::vector<float> y(sh.N), exact(sh.N);
                    std::vector<std::uint32_t> idx(sh.K);
                    const std::size_t nnz = actsparse::find_active(arch{}, x.data(), sh.K, t, idx.data());
                    actsparse::gemv_dense(arch{}, pool[0], x.data(), exact.data(), {threads});
                    actsparse::gemv(arch{}, pool[0], x.data(), y.data(), t, {threads});
                    double err = 0, ref = 0;
                    for (std::size_t n = 0; n < sh.N; ++n) {
                      err += double(y[n] - exact[n]) * double(y[n] - exact[n]);
                      ref += double(exact[n]) * double(exact[n]);
                    }
                    std::size_t i = 0;
                    for (auto _ : st) {
                      actsparse::gemv(arch{}, pool[i], x.data(), y.data(), t, {threads});
                      benchmark::DoNotOptimize(y.data());
                      i = (i + 1) % pool.size();
                    }
                    const double bytes = double(nnz) * double(pool[0].strip_bytes()) + 4.0 * double(sh.K + nnz + sh.N);
                    set_counters(st, sh, bits, group, s, double(nnz) / double(sh.K), threads, stream, false, false, bytes,
                                 2.0 * double(sh.N) * double(nnz));
                    st.counters["threshold"] = t;
                    st.counters["rel_l2_err"] = std::sqrt(err / ref);
                    st.counters["approx"] = 1;
                  })
                  ->UseRealTime();
}

// fp32 and fp16 dense GEMV: what 16- and 32-bit weight storage costs on the same shapes.
void register_baselines(const sweep& sw) {
  for (const shape sh : sw.shapes)
    for (int bits : {32, 16})
      for (bool stream : sw.stream)
        for (int threads : sw.threads)
          benchmark::RegisterBenchmark(
              fmt_name(bits == 32 ? "fp32" : "fp16", sh, bits, 0, 0, false, threads, stream).c_str(),
              [=](benchmark::State& st) {
                const auto& pool = dense_pool(sh, bits, stream);
                const std::size_t bytes_per = pool[0].bytes();
                const auto x = bench::activations(sh.K, 0.0, false, 1);
                std::vector<float> y(sh.N);
                std::size_t i = 0;
                for (auto _ : st) {
                  bench::gemv_reference<arch>(pool[i], x.data(), y.data(), threads);
                  benchmark::DoNotOptimize(y.data());
                  i = (i + 1) % pool.size();
                }
                set_counters(st, sh, bits, 0, 0, 1, threads, stream, false, true,
                             double(bytes_per) + 4.0 * double(sh.K + sh.N), 2.0 * sh.N * sh.K);
              })
              ->UseRealTime();
}

// find_active on its own, per input length and sparsity (its cost against a dense GEMV).
void register_detect(const sweep& sw) {
  std::vector<std::size_t> ks;
  for (const shape sh : sw.shapes) ks.push_back(sh.K);
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  for (std::size_t K : ks)
    for (double s : sw.sparsity)
      benchmark::RegisterBenchmark(("find_active/K:" + std::to_string(K) + "/s:" + pct_name(s)).c_str(),
                                   [=](benchmark::State& st) {
                                     const auto x = bench::activations(K, s, false, 2);
                                     std::vector<std::uint32_t> idx(K);
                                     std::size_t nnz = 0;
                                     for (auto _ : st) {
                                       nnz = actsparse::find_active(arch{}, x.data(), K, 0.0f, idx.data());
                                       benchmark::DoNotOptimize(idx.data());
                                     }
                                     st.counters["K"] = double(K);
                                     st.counters["sparsity"] = s;
                                     st.counters["active"] = double(nnz) / double(K);
                                     st.counters["detect"] = 1;
                                     st.counters["bytes"] = 4.0 * double(K + nnz);
                                   })
          ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<sweep> sweeps = parse_flags(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  for (const sweep& s : sweeps)
    if (s.gemv) register_gemv(s);
  for (const sweep& s : sweeps)
    if (!s.batch.empty()) register_gemm(s);
  for (const sweep& s : sweeps)
    if (!s.approx.empty()) register_approx(s);
  for (const sweep& s : sweeps)
    if (s.baselines) register_baselines(s);
  for (const sweep& s : sweeps)
    if (s.detect) register_detect(s);
  benchmark::AddCustomContext("actsparse_version", actsparse::kVersion);
  benchmark::AddCustomContext("actsparse_arch", arch::name());
  benchmark::AddCustomContext("stream_pool_bytes", std::to_string(pool_bytes()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
