// roofline/decode.hpp: the whole-model decode benchmark (`actsparse decode`): every linear
// layer of a model shape packed at the chosen bits, decoded token by token, dense and
// sparse (decode.cpp). Its results, their JSON form ("actsparse-decode/1", read by
// `actsparse report --decode`) and the roofline model's prediction for them live apart
// from the run, in decode_result.cpp, so the report reads results without the benchmark.
#pragma once

#include <actsparse/actsparse.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "machine.hpp"
#include "model.hpp"
#include "projection.hpp"

namespace roofline {

struct decode_options {
  std::string model;  // empty: the default for this machine's memory (default_decode_model)
  projection_table bits;      // bits per projection (and layer)
  projection_table sparsity;  // fraction of inputs skipped per projection (and layer)
  std::string bits_spec, sparsity_spec;  // as the user gave them, for the record
  int group = 64;
  int tokens = 16;            // measured tokens per pass and thread count (after one warm-up)
  std::vector<int> threads;   // thread counts, one pass pair each; empty: 1 and all cores
  bool clustered = false;     // activation pattern: uniform or clustered (activation_patterns.hpp)
  int panels = 0;             // 0: packed matrices; P: each split into min(P, groups) panels
  // Precision modes, one dense and one sparse pass each per thread count (gemv_options::precision).
  std::vector<actsparse::precision> precisions{actsparse::precision::exact};
  bool verbose = true;
};

// The matrices of one projection with the same shape, bits and sparsity, summed per token.
struct decode_part {
  std::string proj;
  std::size_t N = 0, K = 0;
  int bits = 0;
  double sparsity = 0;
  int matrices = 0;
  // Per token, all matrices of the part: bytes the kernels must move (strips, x, index list,
  // y) and multiply-adds, for the dense pass (gemv_dense) and the sparse one (gemv()).
  double bytes_dense = 0, bytes_sparse = 0, weights_dense = 0, weights_sparse = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(decode_part, proj, N, K, bits, sparsity, matrices, bytes_dense, bytes_sparse,
                                   weights_dense, weights_sparse)

struct decode_run {
  int threads = 1;
  bool sparse = false;
  std::string precision = "exact";  // actsparse::precision: "exact" or "int8"
  // max |y - ref| / max |ref| against the double-precision product, the largest over the
  // parts, each part's first matrix on one dense activation vector (tools/common/product_error.hpp);
  // the same figure on the dense and the sparse pass of a precision. Negative: not measured.
  double max_rel_err = -1;
  double seconds = 0;                // median per token
  std::vector<double> token_seconds;  // every measured token
  std::vector<double> part_seconds;   // median per token, per part (same order as parts)
};

struct decode_result {
  model_shape model;
  int group = 64;
  double bits_mean = 0;
  std::string bits_spec, sparsity_spec, pattern, date, host, isa;
  int tokens = 0;
  int panels = 0;  // as in decode_options
  double weights_bytes = 0, peak_rss_bytes = 0, available_bytes = 0, total_bytes = 0;
  std::vector<decode_part> parts;
  std::vector<decode_run> runs;  // per thread count and precision: dense, then sparse
  double bytes(bool sparse) const;        // per token, all parts
  std::vector<plan_matrix> plan() const;  // the parts as a plan (for target projections)
};

// Llama-3-8B when its packed weights (at `bits`) take at most half the available memory,
// else the largest built-in model that does.
const model_shape& default_decode_model(const projection_table& bits, int group, std::size_t available_bytes);

// Builds the model and runs the passes; throws std::runtime_error on bad options or when
// the model does not fit in memory.
decode_result run_decode(const decode_options& opt);

// "exact" or "int8".
std::string precision_name(actsparse::precision p);

// The roofline prediction for one part's matrices per token (summed over them).
prediction predict_decode(const machine_profile& m, const decode_result& r, const decode_part& p, bool sparse,
                          int threads);

// The JSON form of the results ("actsparse-decode/1").
void to_json(nlohmann::json& j, const decode_result& r);
decode_result load_decode(const std::string& path);  // throws naming the file and the problem
decode_result parse_decode(const std::string& text, const std::string& name);  // `name` for messages

}  // namespace roofline
