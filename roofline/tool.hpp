// roofline/tool.hpp: what the parts of the `actsparse` tool share: benchmark rows, the
// model's prediction, target profiles, model shapes, projection, probe and report.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine.hpp"

#if defined(_OPENMP)
#include <omp.h>
inline int actsparse_omp_thread() { return omp_get_thread_num(); }
#else
inline int actsparse_omp_thread() { return 0; }
#endif

namespace roofline {

// ---- probe
struct probe_options {
  bool quick = false;   // small sweep for tests (DRAM window at 64 MiB: not a real DRAM figure)
  bool verbose = true;  // progress on stderr
};
machine_profile probe(const probe_options& opt);

// ---- benchmark rows (Google Benchmark JSON from actsparse-bench)
struct bench_row {
  std::string name, kind;  // dense, sparse, fp32, fp16, find_active, gemm_dense, gemm_sparse, gemm_rows, approx,
                           // and any of dense, sparse, gemm_* + "_panels" (on a panel_matrix)
  double N = 0, K = 0, bits = 0, group = 0, sparsity = 0, active = 1, threads = 1;
  bool stream = false, clustered = false, dense = false;
  double bytes = 0, eff_GBps = 0, GFLOPs = 0, seconds = 0;  // seconds per call (real time)
  // Batches (gemm_dense, gemm_sparse, gemm_rows) and approximate mode (approx).
  double batch = 1, union_active = 1, threshold = 0, rel_l2_err = 0;
  bool correlated = false;
};

// Reads actsparse-bench's JSON. Uses the median aggregates when the run had repetitions,
// the plain rows otherwise. Throws std::runtime_error naming the file and the problem.
std::vector<bench_row> load_bench(const std::string& path);
std::vector<bench_row> parse_bench(const std::string& text, const std::string& name);  // `name` for messages

// ---- the model: time = max(bytes / bandwidth of the level the data comes from,
//                            weights / compute ceiling) + fixed cost
struct prediction {
  double seconds = 0, memory_s = 0, compute_s = 0, fixed_s = 0, roof_GBps = 0;
  std::string level;  // L1, L2, LLC, DRAM
  bool compute_bound = false;
};
prediction predict(const machine_profile& m, const bench_row& r);
// The same for `bytes` read from level `lvl` and `weights` multiply-adds of a `bits`-bit
// kernel (bits 0: no compute term).
prediction predict_from(const machine_profile& m, const level_bandwidth& lvl, double bytes, double weights, int bits,
                        int threads);

// ---- target machines and model shapes
struct target_profile {
  std::string name, label;
  double soc_GBps = 0;
  std::optional<double> cpu_GBps;
  std::string soc_source, cpu_source, notes;
  int p_cores = 0, e_cores = 0, line = 128;
  // The figure projections use: the measured CPU-reachable bandwidth where one is
  // published, else the SoC figure (an upper bound for CPU kernels).
  double projection_GBps() const { return cpu_GBps ? *cpu_GBps : soc_GBps; }
};
std::vector<target_profile> builtin_profiles();
std::vector<target_profile> load_profiles(const std::string& path);  // user file, same JSON form
std::vector<target_profile> parse_target_profiles(const std::string& text, const std::string& name);  // its text
const target_profile& find_profile(const std::vector<target_profile>& all, const std::string& name);

struct projection_shape {
  std::string proj;  // q, k, v, o, gate, up, down, lm_head
  std::size_t N, K;  // outputs x inputs
  int count;         // matrices of this shape per token (layers)
};
struct model_shape {
  std::string name, label;
  int layers = 0;
  std::size_t hidden = 0, intermediate = 0, kv_dim = 0, vocab = 0;
  std::vector<projection_shape> projections() const;
};
const std::vector<model_shape>& builtin_models();
const model_shape& find_model(const std::string& name);

enum class sparsity_kind { dense, all, ffn_down };
struct sparsity_profile {
  sparsity_kind kind = sparsity_kind::dense;
  double s = 0;  // fraction of inputs skipped, where the profile applies
  std::string describe() const;
};

// Bytes of one K-major packed matrix (strips padded to `align` bytes).
double packed_bytes(std::size_t N, std::size_t K, int bits, int group, std::size_t align);

struct projection_result {
  double bytes_dense = 0, bytes_sparse = 0;  // per token
  double GBps = 0;                           // bandwidth used
  bool cpu_measured = false;                 // GBps is a measured CPU figure (else SoC upper bound)
  double tps_dense = 0, tps_sparse = 0;      // tokens per second = GBps / bytes
};
// Decode reads every weight once per token (lm_head included, never sparsified); bytes of
// activations and the KV cache are left out (short contexts).
projection_result project(const model_shape& model, int bits, int group, const sparsity_profile& sp,
                          const target_profile& target);

// ---- decode plans: every weight matrix of one decode pass with its own bits and sparsity
// (mixed precision, per-projection sparsity tables).

// A value per projection (q, k, v, o, gate, up, down, lm_head), optionally per layer, with a
// default for projections not named. Written inline as "4" or "default=4,v=6,down=6", or
// as a JSON object {"default": 4, "v": 6, "down": [6, 4, ...one per layer]}.
struct projection_table {
  double fallback = 0;
  std::map<std::string, std::vector<double>> values;  // one value (every layer) or one per layer
  double at(const std::string& proj, int layer) const;
  // Throw std::runtime_error naming `what`, the bad entry and the legal values.
  // `fallback`: the value of projections the text leaves out (and of "default" unless given).
  static projection_table parse_inline(const std::string& text, const std::string& what, double fallback);
  static projection_table parse_json(const nlohmann::json& j, const std::string& what, double fallback);
  static projection_table load(const std::string& path, const std::string& what, double fallback);
  void check(const model_shape& m, double lo, double hi, bool integer, const std::string& what) const;
};

// The sparsity table of a named profile: dense; all (TEAL-style: every projection but
// lm_head at s); ffn_down (ReLU-style: the FFN down input at s).
projection_table sparsity_table(const sparsity_profile& sp);

struct plan_matrix {
  std::string proj;
  int layer = 0;       // -1: lm_head
  std::size_t N = 0;   // outputs, padded up to the group (vocabularies need not divide it)
  std::size_t K = 0;   // inputs
  int bits = 4, group = 64;
  double sparsity = 0; // fraction of inputs skipped
  int count = 1;       // matrices alike (the report's per-part summaries)
};
std::vector<plan_matrix> decode_plan(const model_shape& m, const projection_table& bits, int group,
                                     const projection_table& sparsity);
double mean_bits(const std::vector<plan_matrix>& plan);  // weighted by weights, codes only

// Bytes per token on a target: every matrix packed with the target's line as strip
// alignment, the sparse pass reading (1 - s) of each matrix's strips.
projection_result project(const std::vector<plan_matrix>& plan, const target_profile& target);

// ---- report
struct report_options {
  std::string machine_path, bench_path, out_dir;
  std::string decode_path;  // optional: `actsparse decode` results, rendered as decode.html
};
void write_report(const report_options& opt);

}  // namespace roofline
