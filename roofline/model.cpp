// roofline/model.cpp: benchmark rows, the roofline prediction, target profiles, model
// shapes and the decode projection.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "tool.hpp"

namespace roofline {

using nlohmann::json;

namespace {
std::string kind_of(const std::string& name) {
  const std::size_t slash = name.find('/');
  return name.substr(0, slash);
}

double counter(const json& b, const char* key, double fallback) {
  const auto it = b.find(key);
  return it != b.end() && it->is_number() ? it->get<double>() : fallback;
}

double to_seconds(double t, const std::string& unit) {
  if (unit == "ns") return t * 1e-9;
  if (unit == "us") return t * 1e-6;
  if (unit == "ms") return t * 1e-3;
  return t;
}
}  // namespace

std::vector<bench_row> load_bench(const std::string& path) {
  const json j = read_json_file(path, "benchmark JSON", true);
  if (!j.is_object() || !j.contains("benchmarks") || !j["benchmarks"].is_array())
    throw std::runtime_error("benchmark JSON '" + path + "' has no \"benchmarks\" array (not actsparse-bench output?)");
  const json& all = j["benchmarks"];
  bool aggregates = false;
  for (const auto& b : all)
    if (b.value("run_type", "") == "aggregate") aggregates = true;
  std::vector<bench_row> rows;
  for (const auto& b : all) {
    if (aggregates && b.value("aggregate_name", "") != "median") continue;
    if (b.contains("error_occurred") && b["error_occurred"].get<bool>()) continue;
    bench_row r;
    r.name = b.value("run_name", b.value("name", ""));
    r.kind = kind_of(r.name);
    static const char* kinds[] = {"dense",     "sparse",      "fp32",      "fp16",  "find_active",
                                  "gemm_dense", "gemm_sparse", "gemm_rows", "approx"};
    if (std::find(std::begin(kinds), std::end(kinds), r.kind) == std::end(kinds)) continue;
    if (!b.contains("real_time") || !b.contains("K"))
      throw std::runtime_error("benchmark JSON '" + path + "': row '" + r.name + "' lacks real_time or the K counter");
    r.N = counter(b, "N", 0);
    r.K = counter(b, "K", 0);
    r.bits = counter(b, "bits", 0);
    r.group = counter(b, "group", 0);
    r.sparsity = counter(b, "sparsity", 0);
    r.active = counter(b, "active", 1);
    r.threads = counter(b, "threads", 1);
    r.stream = counter(b, "stream", 0) != 0;
    r.clustered = counter(b, "clustered", 0) != 0;
    r.dense = counter(b, "dense", 0) != 0;
    r.bytes = counter(b, "bytes", 0);
    r.eff_GBps = counter(b, "eff_GBps", 0) / 1e0;
    r.GFLOPs = counter(b, "GFLOPs", 0);
    r.seconds = to_seconds(b["real_time"].get<double>(), b.value("time_unit", "ns"));
    r.batch = counter(b, "batch", 1);
    r.union_active = counter(b, "union_active", r.active);
    r.correlated = counter(b, "correlated", 0) != 0;
    r.threshold = counter(b, "threshold", 0);
    r.rel_l2_err = counter(b, "rel_l2_err", 0);
    rows.push_back(r);
  }
  if (rows.empty()) throw std::runtime_error("benchmark JSON '" + path + "' holds no actsparse-bench rows");
  return rows;
}

prediction predict(const machine_profile& m, const bench_row& r) {
  prediction p;
  const int t = int(r.threads);
  // The level the weights come from: DRAM when streamed; when hot, the smallest level that
  // holds the whole matrix (its active strips are spread over it).
  const double matrix_bytes = (r.kind == "fp32" || r.kind == "fp16" || r.bits <= 0)
                                  ? r.bytes
                                  : packed_bytes(std::size_t(r.N), std::size_t(r.K), int(r.bits), int(r.group), 64);
  const level_bandwidth& lvl = r.stream ? m.level("DRAM", t) : m.level_holding(std::size_t(matrix_bytes), t);
  p.level = lvl.name;
  p.roof_GBps = lvl.GBps;
  p.memory_s = r.bytes / (lvl.GBps * 1e9);
  if (r.kind != "fp32" && r.kind != "fp16" && r.bits > 0) {
    // One unpack-and-multiply-add per weight per row that uses it: batched rows share the
    // unpack, but the union kernel also pays FMAs for rows inactive within a pass, so for
    // them this is an estimate, not a bound.
    const double weights = r.N * r.K * r.active * r.batch;
    p.compute_s = weights / m.compute_rate(int(r.bits), t);
  }
  p.fixed_s = m.fixed_seconds(t);
  p.compute_bound = p.compute_s > p.memory_s;
  p.seconds = std::max(p.memory_s, p.compute_s) + p.fixed_s;
  return p;
}

// ---- profiles

const char* builtin_profiles_json();  // generated at build time from roofline/profiles/apple.json

namespace {

std::vector<target_profile> parse_profiles(const json& j, const std::string& where) {
  if (!j.is_array()) throw std::runtime_error(where + ": a profile file holds a JSON array of profiles");
  std::vector<target_profile> out;
  for (const auto& p : j) {
    try {
      target_profile t;
      t.name = p.at("name");
      t.label = p.value("label", t.name);
      t.soc_GBps = p.at("soc_bandwidth_GBps");
      if (p.contains("cpu_bandwidth_GBps") && p["cpu_bandwidth_GBps"].is_number()) t.cpu_GBps = p["cpu_bandwidth_GBps"].get<double>();
      t.soc_source = p.value("soc_bandwidth_source", "");
      if (p.contains("cpu_bandwidth_source") && p["cpu_bandwidth_source"].is_string()) t.cpu_source = p["cpu_bandwidth_source"];
      t.notes = p.value("notes", "");
      t.p_cores = p.value("performance_cores", 0);
      t.e_cores = p.value("efficiency_cores", 0);
      t.line = p.value("cache_line_bytes", 128);
      out.push_back(t);
    } catch (const json::exception& e) {
      throw std::runtime_error(where + ": a profile lacks a field: " + e.what());
    }
  }
  return out;
}
}  // namespace

std::vector<target_profile> builtin_profiles() {
  return parse_profiles(json::parse(builtin_profiles_json()), "built-in profiles");
}

std::vector<target_profile> load_profiles(const std::string& path) {
  return parse_profiles(read_json_file(path, "profile file"), "profile file '" + path + "'");
}

const target_profile& find_profile(const std::vector<target_profile>& all, const std::string& name) {
  for (const auto& p : all)
    if (p.name == name) return p;
  std::string names;
  for (const auto& p : all) names += (names.empty() ? "" : ", ") + p.name;
  throw std::runtime_error("unknown profile '" + name + "'; known profiles: " + names);
}

// ---- models: dimensions from each model's published config (hidden size, FFN size, layers,
// key/value width = kv heads x head dim, vocabulary).

const std::vector<model_shape>& builtin_models() {
  static const std::vector<model_shape> models = {
      {"llama-2-7b", "Llama-2-7B", 32, 4096, 11008, 4096, 32000},
      {"llama-3-8b", "Llama-3-8B", 32, 4096, 14336, 1024, 128256},
      {"mistral-7b", "Mistral-7B", 32, 4096, 14336, 1024, 32000},
      {"qwen2-1.5b", "Qwen2-1.5B", 28, 1536, 8960, 256, 151936},
      {"llama-3.2-1b", "Llama-3.2-1B", 16, 2048, 8192, 512, 128256},
      {"qwen2-0.5b", "Qwen2-0.5B", 24, 896, 4864, 128, 151936},
  };
  return models;
}

const model_shape& find_model(const std::string& name) {
  for (const auto& m : builtin_models())
    if (m.name == name) return m;
  std::string names;
  for (const auto& m : builtin_models()) names += (names.empty() ? "" : ", ") + m.name;
  throw std::runtime_error("unknown model '" + name + "'; known models: " + names);
}

std::vector<projection_shape> model_shape::projections() const {
  return {{"q", hidden, hidden, layers},          {"k", kv_dim, hidden, layers},
          {"v", kv_dim, hidden, layers},          {"o", hidden, hidden, layers},
          {"gate", intermediate, hidden, layers}, {"up", intermediate, hidden, layers},
          {"down", hidden, intermediate, layers}, {"lm_head", vocab, hidden, 1}};
}

std::string sparsity_profile::describe() const {
  char buf[96];
  switch (kind) {
    case sparsity_kind::dense: return "dense";
    case sparsity_kind::all: std::snprintf(buf, sizeof buf, "all projections at %g%%", s * 100); return buf;
    default: std::snprintf(buf, sizeof buf, "FFN down input at %g%%", s * 100); return buf;
  }
}

double packed_bytes(std::size_t N, std::size_t K, int bits, int group, std::size_t align) {
  const double payload = double(N) * bits / 8.0 + 4.0 * double(N) / group;
  return std::ceil(payload / double(align)) * double(align) * double(K);
}

projection_result project(const model_shape& model, int bits, int group, const sparsity_profile& sp,
                          const target_profile& target) {
  projection_result r;
  for (const auto& p : model.projections()) {
    // Vocabulary sizes need not be multiples of the group: pad the rows, as a packer would.
    const std::size_t N = (p.N + std::size_t(group) - 1) / std::size_t(group) * std::size_t(group);
    const double bytes = packed_bytes(N, p.K, bits, group, std::size_t(target.line)) * p.count;
    double keep = 1.0;
    if (p.proj != "lm_head" &&
        (sp.kind == sparsity_kind::all || (sp.kind == sparsity_kind::ffn_down && p.proj == "down")))
      keep = 1.0 - sp.s;
    r.bytes_dense += bytes;
    r.bytes_sparse += bytes * keep;
  }
  r.GBps = target.projection_GBps();
  r.cpu_measured = target.cpu_GBps.has_value();
  r.tps_dense = r.GBps * 1e9 / r.bytes_dense;
  r.tps_sparse = r.GBps * 1e9 / r.bytes_sparse;
  return r;
}

}  // namespace roofline
