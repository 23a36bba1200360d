// roofline/study_result.hpp: the results of `actsparse study` (study_cmd.cpp writes them,
// schema "actsparse-study/1") as the report reads them back for its real-model page
// (study_report.hpp). Only what the page shows is read; the thresholds are left in the file.
// Not "study.hpp": that name is decoder/study.hpp's, which study_cmd.cpp includes.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace roofline {

// |x| at one projection's input, all layers merged: fraction[i] of the samples lie in
// (upper_edges[i-1], upper_edges[i]] (the first bin from 0), the last one above every edge.
struct study_histogram {
  std::string projection;  // q, k, v, o, gate, up, down
  double samples = 0, exact_zero_fraction = 0;
  std::vector<double> upper_edges, fraction, median_abs_per_layer;
};

// Quality on the evaluation text against the same weights' dense decode.
struct study_quality {
  std::string weights, rule;  // "4-bit g64" or "file Q4_1"; "dense", "magnitude" or "column_norm"
  double target = 0, perplexity = 0, perplexity_vs_dense = 0, mean_kl = 0, top1_agreement = 0, sparsity = 0;
};

// One projection kind's share of a speed run, per token.
struct study_projection {
  std::string projection, roof_level;  // roof_level empty: the study had no machine profile
  double sparsity = 0, bytes_per_token = 0, ms_per_token = 0, GBps = 0, roof_GBps = 0, roof_fraction = 0;
};

// Decode speed of one weight width, residency, thread count and target (magnitude rule).
struct study_speed {
  std::string weights;
  bool stream = false;  // residency: a pool of weight copies read in turn, or one copy ("hot")
  bool sparse = false;
  int copies = 1, threads = 1;
  double target = 0, tokens_per_s = 0, projections_ms_per_token = 0, projections_bytes_per_token = 0;
  // Every packed weight the decoder holds, one copy: the seven projections and lm_head. Less
  // a dense run's projections_bytes_per_token (every strip), it leaves lm_head's bytes.
  double weight_bytes = 0;
  std::vector<double> runs;  // tokens/s of each timed repetition; tokens_per_s is their median
  std::vector<study_projection> per_projection;
};

struct study_text {
  std::string file;
  double tokens_in_file = 0, tokens_used = 0, chunks = 0;
};

struct study_result {
  std::string date, model, hostname, cpu, cpu_family, cpu_model, l3;  // host fields may be empty
  study_text calibration, evaluation;
  int chunk = 0, dense_layers = 0;
  std::map<std::string, int> hparams;  // n_layers, n_embd, n_ff, n_heads, n_kv_heads, n_vocab
  std::vector<study_histogram> activations;
  std::vector<study_quality> quality;
  std::vector<study_speed> speed;  // empty while the study has not reached its speed part
};

study_result load_study(const std::string& path);  // throws naming the file and the field
study_result parse_study(const std::string& text, const std::string& name);  // `name` for messages

}  // namespace roofline
