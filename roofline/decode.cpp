// roofline/decode.cpp: `actsparse decode`, the whole-model decode benchmark.
//
// Builds every linear layer of a model shape (q, k, v, o, gate, up, down per layer, then
// lm_head) as packed matrices at the chosen bits, then decodes tokens: per token, each
// matrix in decode order gets an activation vector drawn from the sparsity profile and one
// gemv. The whole model is read once per token, as a real decode pass reads it; with a model
// larger than the last-level cache that means streaming from memory. The dense pass (every
// input active, gemv_dense) and the sparse pass (gemv(), detection included, as a runtime
// calls it) alternate token by token, so their ratio comes from one run.
//
// Weights are random codes and scales written straight into the packed strips: quantizing
// 8 billion weights with pack() would take minutes and time does not depend on the values.
// Attention over the KV cache, norms and the other per-token work are left out: this
// measures the weight-streaming part of decode that sparsity changes.
#include <sys/resource.h>

#include <actsparse/actsparse.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "activation_patterns.hpp"  // tools/common/: the activation vectors actsparse-bench uses too
#include "decode.hpp"
#include "product_error.hpp"  // tools/common/: the error beside the int8 rows

namespace roofline {
namespace {

using clock_type = std::chrono::steady_clock;

// Key of a part: matrices of one projection with the same shape, bits and sparsity.
struct part_key {
  std::string proj;
  std::size_t N, K;
  int bits;
  double sparsity;
  bool operator<(const part_key& o) const {
    return std::tie(proj, N, K, bits, sparsity) < std::tie(o.proj, o.N, o.K, o.bits, o.sparsity);
  }
};

std::size_t read_meminfo(const char* field) {
  std::ifstream f("/proc/meminfo");
  std::string name;
  std::size_t kib = 0;
  std::string unit;
  while (f >> name >> kib) {
    std::getline(f, unit);
    if (name == std::string(field) + ":") return kib * 1024;
  }
  return 0;
}

std::size_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return std::size_t(u.ru_maxrss) * 1024;  // Linux reports KiB
}

// Bytes of one matrix as actsparse packs it on this machine (format.hpp's strip rule, model.hpp).
double machine_bytes(const plan_matrix& p) {
  return packed_bytes(p.N, p.K, p.bits, p.group, actsparse::kStripAlign);
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Random codes; scales in [0.005, 0.015) and biases = -scale * (2^bits - 1) / 2, so every
// weight is finite and centred, like a quantized layer's.
void fill_random(actsparse::packed_matrix& W, std::uint64_t seed) {
  const std::size_t cols = W.cols(), groups = W.groups(), codes = W.codes_bytes();
  const float half_range = float((1u << W.bits()) - 1) / 2;
#pragma omp parallel for schedule(static)
  for (std::size_t k = 0; k < cols; ++k) {
    std::uint64_t s = seed * 0x100000001B3ull + k;
    std::uint8_t* p = W.strip(k);
    for (std::size_t i = 0; i < codes; i += 8) {
      const std::uint64_t r = splitmix(s);
      std::memcpy(p + i, &r, std::min<std::size_t>(8, codes - i));
    }
    std::uint16_t* sc = W.scales(k);
    std::uint16_t* bi = W.biases(k);
    for (std::size_t g = 0; g < groups; ++g) {
      const float scale = 0.005f + 0.01f * float(splitmix(s) >> 40) / float(1 << 24);
      sc[g] = actsparse::float_to_half(scale);
      bi[g] = actsparse::float_to_half(-scale * half_range);
    }
  }
}

}  // namespace

std::string precision_name(actsparse::precision p) {
  return p == actsparse::precision::int8 ? "int8" : "exact";
}

const model_shape& default_decode_model(const projection_table& bits, int group, std::size_t available) {
  // Llama-3-8B when its weights take at most half the available memory, else the largest
  // built-in model that does (the smallest as a last resort).
  const model_shape* best = nullptr;
  double best_bytes = 0;
  for (const auto& m : builtin_models()) {
    try {
      bits.check(m, 2, 8, true, "bits");  // per-layer tables fit only models with their layer count
    } catch (const std::runtime_error&) {
      continue;
    }
    double bytes = 0;
    for (const auto& p : decode_plan(m, bits, group, {})) bytes += machine_bytes(p);
    const bool fits = bytes <= 0.5 * double(available);
    if (fits && m.name == "llama-3-8b") return m;
    if (fits && bytes > best_bytes) best = &m, best_bytes = bytes;
  }
  return best ? *best : find_model("qwen2-0.5b");
}

decode_result run_decode(const decode_options& opt) {
  if (opt.tokens < 1) throw std::runtime_error("--tokens must be >= 1, got " + std::to_string(opt.tokens));
  if (opt.group != 32 && opt.group != 64 && opt.group != 128)
    throw std::runtime_error("--group must be 32, 64 or 128, got " + std::to_string(opt.group));
  std::vector<int> thread_counts = opt.threads;
  if (thread_counts.empty()) {
    const int cores = std::max(1, int(std::thread::hardware_concurrency()));
    thread_counts = {1};
    if (cores > 1) thread_counts.push_back(cores);
  }
  for (int t : thread_counts)
    if (t < 1) throw std::runtime_error("--threads values must be >= 1, got " + std::to_string(t));

  decode_result r;
  const std::size_t available = read_meminfo("MemAvailable");
  const std::size_t total = read_meminfo("MemTotal");
  const projection_table& bits = opt.bits;
  const model_shape& model = opt.model.empty() ? default_decode_model(bits, opt.group, available) : find_model(opt.model);
  bits.check(model, 2, 8, true, "bits");
  auto no_seven = [](const std::string& name, double v) {  // check() allowed 2..8
    if (v == 7) throw std::runtime_error("bits: " + name + " = 7 is not a legal width (legal: 2, 3, 4, 5, 6, 8)");
  };
  no_seven("default", bits.fallback);
  for (const auto& [name, vs] : bits.values)
    for (double v : vs) no_seven(name, v);
  opt.sparsity.check(model, 0, 0.99, false, "sparsity");

  const std::vector<plan_matrix> plan = decode_plan(model, bits, opt.group, opt.sparsity);
  double weights_bytes = 0;
  for (const auto& p : plan) weights_bytes += machine_bytes(p);
  if (available > 0 && weights_bytes > 0.8 * double(available))
    throw std::runtime_error(model.label + " at these bits needs " + std::to_string(weights_bytes / 1e9).substr(0, 5) +
                             " GB of packed weights; this machine has " + std::to_string(available / 1e9).substr(0, 5) +
                             " GB available (the limit is 80%). Pick a smaller --model or fewer --bits");

  r.model = model;
  r.group = opt.group;
  r.bits_mean = mean_bits(plan);
  r.bits_spec = opt.bits_spec;
  r.sparsity_spec = opt.sparsity_spec;
  r.pattern = opt.clustered ? "clustered" : "uniform";
  r.tokens = opt.tokens;
  r.panels = opt.panels;
  r.date = now_utc();
  r.host = host_name();
  r.isa = actsparse::simd::native_arch::name();
  r.weights_bytes = weights_bytes;
  r.available_bytes = double(available);
  r.total_bytes = double(total);

  // Parts: the unit of the report (per projection, bits and sparsity).
  std::map<part_key, std::size_t> part_of;
  std::vector<std::size_t> matrix_part(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& p = plan[i];
    const part_key key{p.proj, p.N, p.K, p.bits, p.sparsity};
    auto it = part_of.find(key);
    if (it == part_of.end()) {
      it = part_of.emplace(key, r.parts.size()).first;
      decode_part d;
      d.proj = p.proj;
      d.N = p.N;
      d.K = p.K;
      d.bits = p.bits;
      d.sparsity = p.sparsity;
      r.parts.push_back(d);
    }
    matrix_part[i] = it->second;
    r.parts[it->second].matrices += 1;
  }

  if (opt.verbose)
    std::fprintf(stderr, "decode: building %s, %zu matrices, %.2f GB packed (%.2f GB available)\n", model.label.c_str(),
                 plan.size(), weights_bytes / 1e9, double(available) / 1e9);
  std::vector<actsparse::packed_matrix> W;
  W.reserve(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    W.emplace_back(plan[i].N, plan[i].K, actsparse::quant_config{plan[i].bits, plan[i].group});
    fill_random(W.back(), 1000 + i);
  }

  // Activations: kVariants vectors per (K, sparsity), rotated over tokens and layers.
  constexpr std::size_t kVariants = 4;
  std::map<std::pair<std::size_t, double>, std::vector<std::vector<float>>> xs;
  std::vector<std::uint32_t> active(plan.size());
  std::uint32_t seed = 7;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    for (double s : {0.0, plan[i].sparsity}) {
      auto& v = xs[{plan[i].K, s}];
      while (v.size() < kVariants) v.push_back(patterns::activations(plan[i].K, s, opt.clustered, seed++));
    }
    active[i] = std::uint32_t(plan[i].K - std::size_t(std::llround(plan[i].sparsity * double(plan[i].K))));
  }
  // Each matrix's pools, looked up once: the timed loop only indexes them.
  std::vector<const std::vector<std::vector<float>>*> dense_x(plan.size()), sparse_x(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    dense_x[i] = &xs.at({plan[i].K, 0.0});
    sparse_x[i] = &xs.at({plan[i].K, plan[i].sparsity});
  }
  std::size_t max_n = 0;
  for (const auto& p : plan) max_n = std::max(max_n, p.N);
  std::vector<float> y(max_n);

  // Bytes per call, as the benchmark counts them: strips read, x, the index list, y.
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto& d = r.parts[matrix_part[i]];
    const double N = double(plan[i].N), K = double(plan[i].K), nnz = active[i];
    d.bytes_dense += double(W[i].bytes()) + 4 * (K + N);
    const bool sparse_path = actsparse::gemv_takes_sparse(actsparse::simd::native_arch{}, std::size_t(nnz), std::size_t(K));
    d.bytes_sparse += sparse_path ? nnz * double(W[i].strip_bytes()) + 4 * (K + nnz + N) : double(W[i].bytes()) + 4 * (K + N);
    d.weights_sparse += N * (sparse_path ? nnz : K);
    d.weights_dense += N * K;
  }

  // Panels (--panels): each matrix becomes a panel_matrix, one row block per thread; the
  // packed copy is dropped as soon as its panels exist. The bytes above stay those of the
  // packed matrix: the panels hold the same strips, cut by outputs (plus the line padding
  // of each panel strip, which is none for most model shapes: panel_matrix::strip_bytes).
  // Error of each precision against the double-precision product, measured before the
  // packed copies become panels (the panels hold the same strips).
  if (opt.precisions.empty()) throw std::runtime_error("--precision needs at least one of exact, int8");
  std::map<actsparse::precision, double> error;
  for (auto prec : opt.precisions) error[prec] = 0;
  std::vector<bool> part_seen(r.parts.size(), false);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (part_seen[matrix_part[i]]) continue;
    part_seen[matrix_part[i]] = true;
    const float* x = (*dense_x[i])[0].data();
    const std::vector<double> ref = product_error::reference(W[i], x);
    for (auto& [prec, err] : error) {
      actsparse::gemv_options g;
      g.precision = prec;
      actsparse::gemv_dense(W[i], x, y.data(), g);
      err = std::max(err, product_error::rel_err(ref, y.data()));
    }
  }

  std::vector<actsparse::panel_matrix> WP;
  if (opt.panels > 0) {
    WP.reserve(plan.size());
    for (auto& M : W) {
      WP.emplace_back(M, std::min<std::size_t>(std::size_t(opt.panels), M.groups()));
      M = actsparse::packed_matrix{};
    }
  }

  auto token = [&](bool sparse, int threads, actsparse::precision prec, std::size_t t, std::vector<double>* part_s) {
    actsparse::gemv_options g{threads};
    g.precision = prec;
    const auto start = clock_type::now();
    auto last = start;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const auto& v = *(sparse ? sparse_x : dense_x)[i];
      const float* x = v[(t + std::size_t(std::max(plan[i].layer, 0))) % kVariants].data();
      auto product = [&](const auto& M) {  // packed_matrix or panel_matrix
        if (sparse) actsparse::gemv(M, x, y.data(), 0.0f, g);
        else actsparse::gemv_dense(M, x, y.data(), g);
      };
      if (WP.empty()) product(W[i]);
      else product(WP[i]);
      const auto now = clock_type::now();
      if (part_s) (*part_s)[matrix_part[i]] += std::chrono::duration<double>(now - last).count();
      last = now;
    }
    return std::chrono::duration<double>(last - start).count();
  };

  for (int threads : thread_counts) {
    for (auto prec : opt.precisions) {
      decode_run dense, sparse;
      dense.threads = sparse.threads = threads;
      dense.sparse = false;
      sparse.sparse = true;
      dense.precision = sparse.precision = precision_name(prec);
      dense.max_rel_err = sparse.max_rel_err = error.at(prec);
      token(false, threads, prec, 0, nullptr);  // warm-up: first touch, thread pool start
      token(true, threads, prec, 0, nullptr);
      std::vector<std::vector<double>> dense_parts, sparse_parts;
      for (int t = 0; t < opt.tokens; ++t) {
        std::vector<double> dp(r.parts.size()), sp(r.parts.size());
        dense.token_seconds.push_back(token(false, threads, prec, std::size_t(t) + 1, &dp));
        sparse.token_seconds.push_back(token(true, threads, prec, std::size_t(t) + 1, &sp));
        dense_parts.push_back(dp);
        sparse_parts.push_back(sp);
      }
      for (auto* run : {&dense, &sparse}) {
        const auto& all = run->sparse ? sparse_parts : dense_parts;
        for (std::size_t p = 0; p < r.parts.size(); ++p) {
          std::vector<double> v;
          for (const auto& tok : all) v.push_back(tok[p]);
          run->part_seconds.push_back(median(v));
        }
        run->seconds = median(run->token_seconds);
      }
      if (opt.verbose)
        std::fprintf(stderr, "decode: %d thread(s), %s: dense %.2f ms/token, sparse %.2f ms/token (max rel. error %.2g)\n",
                     threads, dense.precision.c_str(), dense.seconds * 1e3, sparse.seconds * 1e3, dense.max_rel_err);
      r.runs.push_back(dense);
      r.runs.push_back(sparse);
    }
  }
  r.peak_rss_bytes = double(peak_rss_bytes());
  return r;
}

}  // namespace roofline
