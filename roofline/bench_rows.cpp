// roofline/bench_rows.cpp: the reader of actsparse-bench's Google Benchmark JSON
// (bench_rows.hpp): the counters of each row of a kind the report knows, as a bench_row.
#include "bench_rows.hpp"

#include <algorithm>
#include <stdexcept>

#include "json_file.hpp"

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
  return parse_bench(read_text_file(path, "benchmark JSON"), path);
}

namespace {
std::vector<bench_row> bench_rows(const json& j, const std::string& path) {
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
    static const char* kinds[] = {"dense",        "sparse",        "fp32",           "fp16",
                                  "find_active",  "gemm_dense",    "gemm_sparse",    "gemm_rows",
                                  "approx",       "dense_panels",  "sparse_panels",  "gemm_dense_panels",
                                  "gemm_sparse_panels", "gemm_rows_panels"};
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
}  // namespace

std::vector<bench_row> parse_bench(const std::string& text, const std::string& path) {
  const json j = parse_json_text(text, "benchmark JSON", path, true);
  try {
    return bench_rows(j, path);
  } catch (const json::exception& e) {  // a field of another type: "real_time": "fast", "error_occurred": 1
    throw std::runtime_error("benchmark JSON '" + path + "' has a field of the wrong type: " + e.what());
  }
}

}  // namespace roofline
