// roofline/bench_rows.hpp: the benchmark's results as the model and the report read them.
// actsparse-bench writes Google Benchmark JSON, one row per kernel run with its shape,
// format, sparsity and threads in counters; a bench_row is one such run, and load_bench
// the reader that turns the file into rows (bench_rows.cpp).
#pragma once

#include <string>
#include <vector>

namespace roofline {

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

}  // namespace roofline
