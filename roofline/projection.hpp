// roofline/projection.hpp: what one decode pass reads, and how fast a target could run it.
// Model shapes (the linear layers of the built-in models), tables of a value per
// projection (bits, sparsity), decode plans (every weight matrix of a pass with its own
// bits and sparsity: mixed precision, per-projection sparsity), and the projection itself:
// bytes per token over a target's bandwidth (targets.hpp). `actsparse project`, the
// report's projections and the decode benchmark's model all start here (projection.cpp).
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "targets.hpp"

namespace roofline {

// ---- model shapes

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

// ---- where sparsity applies

enum class sparsity_kind { dense, all, ffn_down };
struct sparsity_profile {
  sparsity_kind kind = sparsity_kind::dense;
  double s = 0;  // fraction of inputs skipped, where the profile applies
  std::string describe() const;
};

// ---- per-projection tables

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

// The sparsity table of a named profile: dense; all (TEAL-style, as in Liu et al.,
// "Training-Free Activation Sparsity in Large Language Models", ICLR 2025, arXiv:2408.14690:
// every projection but lm_head at s); ffn_down (ReLU-style: the FFN down input at s).
projection_table sparsity_table(const sparsity_profile& sp);

// ---- decode plans

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

// ---- the NEON kernels' cost per weight (docs/profiles.md, "Compute side")

// One counted inner loop of the aarch64 build (roofline/profiles/neon_loops.json, written by
// tests/roofline/count_neon_loops.py from the objdump of the neon and neondot tables).
struct kernel_loop {
  std::string mode;  // "exact" or "int8"
  int bits = 4, group = 64;
  bool sparse = false;
  std::string kernel;  // the multiply instruction counted: "fmla" or "sdot"
  int instructions = 0, weights = 0, simd_ops = 0;
};
const std::vector<kernel_loop>& builtin_neon_loops();
// Throws naming the mode, bits, group and pass when the table has no such loop.
const kernel_loop& find_neon_loop(const std::string& mode, int bits, int group, bool sparse);

// Cycles one core of that type spends per weight in that loop: its SIMD operations over the
// core's SIMD pipes, or its instructions over the decode width, whichever is more. Throws
// naming the profile when the core type has no pipes or decode width.
double cycles_per_weight(const kernel_loop& loop, const core_type& core, const std::string& profile);

// ---- projection onto a target

struct projection_result {
  double bytes_dense = 0, bytes_sparse = 0;  // per token
  double GBps = 0;                           // bandwidth used
  bool cpu_measured = false;                 // GBps is a CPU-reachable figure (else the SoC upper bound)
  std::string bandwidth_kind;                // "CPU, fitted", "CPU, derived", "CPU, measured" or "SoC, upper bound"
  double tps_dense = 0, tps_sparse = 0;      // the memory side: tokens per second = GBps / bytes
  // The compute side, where the target has a clock (target_profile::pcore): tokens per
  // second if every P-core ran the precision's NEON inner loops with nothing else to wait
  // for, and the roofline of both sides, matrix by matrix (each at the slower of its bytes
  // over GBps and its loop cycles over P-cores x clock). Zero without a clock.
  bool has_compute = false;
  double compute_tps_dense = 0, compute_tps_sparse = 0;
  double roof_tps_dense = 0, roof_tps_sparse = 0;
  bool compute_bound_dense = false, compute_bound_sparse = false;  // compute time > memory time, summed
  // The chip's compute ceiling with its E-cores too (where the profile has an E-core clock):
  // every matrix split between all cores in proportion to their speed on its loop. The
  // roofline above keeps to the P-cores, as the published decode rates it is validated on
  // do (docs/profiles.md).
  bool has_e_compute = false;
  double chip_compute_tps_dense = 0, chip_compute_tps_sparse = 0;
};
// Decode reads every weight once per token (lm_head included, never sparsified); bytes of
// activations and the KV cache are left out (short contexts). precision: "exact" or "int8"
// (the loops of the compute side).
projection_result project(const model_shape& model, int bits, int group, const sparsity_profile& sp,
                          const target_profile& target, const std::string& precision = "exact");
// Bytes per token on a target: every matrix packed with the target's line as strip
// alignment, the sparse pass reading (1 - s) of each matrix's strips (and the sparse loop
// running on (1 - s) of its weights; a matrix at s = 0 runs the dense loop).
projection_result project(const std::vector<plan_matrix>& plan, const target_profile& target,
                          const std::string& precision = "exact");

// ---- CPU-reachable bandwidth from published CPU-only decode measurements (docs/profiles.md)

// One public llama.cpp CPU-only decode rate (roofline/profiles/apple_validation.json).
struct decode_measurement {
  std::string profile, model, quant, engine, source, url;
  int bits = 4, group = 64;   // the nearest actsparse width: Q4_0 and Q4_K are 4-bit g64 (4.5 bits/weight)
  std::optional<int> threads;  // unknown when the source does not say
  double tokens_per_s = 0;
};
std::vector<decode_measurement> builtin_decode_measurements();
// Throw std::runtime_error naming the file, the entry's index and the bad field.
std::vector<decode_measurement> load_decode_measurements(const std::string& path);
std::vector<decode_measurement> parse_decode_measurements(const std::string& text, const std::string& name);

// The rule: a P-core streams a fixed share of the DRAM bandwidth, the same on every chip of
// a generation (M1, M2, ...), so CPU GB/s = P-cores x per-P-core GB/s, capped at the SoC
// figure. The per-P-core figure is the median, over the measurements of the chip's
// generation (of all chips when its generation has none), of bytes per token x tokens/s /
// P-cores of the measured chip. Bytes per token come from the model catalogue at the
// measurement's nearest bit width, so the figure is "what llama.cpp's CPU decode reaches",
// kernel losses included, not a bandwidth sweep.
struct cpu_bandwidth_fit {
  double GBps = 0;           // min(SoC, P-cores x per_core_GBps)
  double per_core_GBps = 0;  // the fitted median
  int used = 0;              // measurements in the median
  int own = 0;               // of them on this very chip
  std::string pool;          // the generation ("M2") or "all generations"
  // "fitted" when the chip's own measurements are in the median, else "derived".
  std::string kind() const { return own > 0 ? "fitted" : "derived"; }
};
// skip: the index of a measurement held out of the fit (leave one out), or -1 for none.
// Throws when no measurement remains or a measured chip has no P-cores.
cpu_bandwidth_fit fit_cpu_bandwidth(const target_profile& target, const std::vector<target_profile>& profiles,
                                    const std::vector<decode_measurement>& ms, int skip = -1);

// Each measurement projected with the CPU figure fitted without it.
struct validation_row {
  double bytes = 0;           // per token, catalogue model at the measurement's width
  double effective_GBps = 0;  // bytes x published tokens/s
  cpu_bandwidth_fit fit;      // without this measurement
  double projected_tps = 0;   // fit.GBps / bytes
  double error = 0;           // projected / published - 1
};
std::vector<validation_row> validate_leave_one_out(const std::vector<target_profile>& profiles,
                                                   const std::vector<decode_measurement>& ms);

// Median and worst |error| of the rows against issue 19's goal: a projection a user can act
// on, median |error| within 15% and worst within 30%. `project --validate` and the report's
// decode page both state it.
inline constexpr double kValidationMedianGoal = 0.15, kValidationWorstGoal = 0.30;
struct validation_summary {
  double median_abs = 0, worst_abs = 0;
  bool met = false;  // both within their goals
};
validation_summary summarize_validation(const std::vector<validation_row>& rows);  // throws on no rows

}  // namespace roofline
