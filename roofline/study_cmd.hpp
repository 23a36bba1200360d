// roofline/study_cmd.hpp: `actsparse study`, the real-model study (docs/real-model.md):
// activation distributions and thresholds on a calibration text, quality against sparsity on
// an evaluation text, and decode speed, for a Llama-family GGUF file through the reference
// decoder (decoder/study.hpp). Writes one JSON file (schema actsparse-study/1) and a table.
#pragma once

#include <string>
#include <vector>

namespace roofline {

struct study_cli {
  std::string model;                 // the GGUF file
  std::string calib_text, eval_text;  // plain UTF-8 texts, disjoint
  std::size_t calib_tokens = 2048;   // tokens of each text used (0: all)
  std::size_t eval_tokens = 1024;
  int chunk = 256;                   // tokens decoded from an empty cache at a time
  std::vector<int> sparsity = {25, 40, 50, 60, 70};  // target %, calibrated per tensor
  std::vector<std::string> rules = {"magnitude", "column_norm"};
  int dense_layers = 0;              // the first N layers keep every input (threshold 0)
  std::vector<std::string> widths = {"4/64", "4/32", "4/32/mse", "8/32"};  // bits/group[/mse] of the packed weights
  bool reference = true;             // also the file's own weights (fp32 dequantized): the repacking cost
  std::size_t reference_tokens = 0;  // evaluation tokens for the reference run (0: as eval_tokens)
  bool reference_sparse = false;     // the reference run also evaluates every sparse setting (the oracle test's)
  int workers = 2;                   // models decoding chunks side by side (one thread each)
  std::vector<int> threads = {1, 2};  // speed runs
  int speed_tokens = 64;             // tokens per timed repetition
  int speed_reps = 3;
  double stream_mib = 1536;          // pool of weight copies for the streamed speed runs (0: no stream runs)
  bool speed = true;
  std::string machine;               // optional machine profile: roofline fraction of each projection
  std::string thresholds_dir;        // optional: write each calibrated threshold table here
  std::string out = "study.json";
  bool quiet = false;
};
int run_study(const study_cli& c);

}  // namespace roofline
