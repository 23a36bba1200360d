// roofline/generate_cmd.hpp: `actsparse generate`, text from a GGUF model through the
// reference decoder (decoder/llama.hpp) and its tokenizer (decoder/tokenizer.hpp).
#pragma once

#include <string>

namespace roofline {

struct generate_cli {
  std::string model;              // the GGUF file
  std::string prompt;             // the text to continue
  bool chat = false;              // wrap the prompt in the file's ChatML turns (SmolLM2-Instruct)
  int tokens = 64;                // new tokens at most (stops early at the end-of-text token)
  std::string bits = "8";         // quant_table: "8" or "default=4,down=6"
  int group = 32;                 // group size of the packed weights
  std::string quantizer = "mlx";  // actsparse::quant_rule: mlx or mse
  float threshold = 0.0f;         // |x| <= threshold counts as zero at every projection's input
  std::string thresholds;         // a threshold table per tensor (actsparse study --thresholds-dir)
  std::string rule = "magnitude";  // what the thresholds compare: |x| (magnitude) or |x| ||W[:,k]|| (column_norm)
  double sparsity = 0;            // % of each projection's inputs to skip, thresholds calibrated on the prompt
  bool reference = false;         // fp32 dequantized weights (the oracle's path), no kernels
  int threads = 0;                // 0: OpenMP's default
  int context = 2048;             // KV cache positions
  std::string precision = "exact";  // the packed products': exact or int8 (gemv_options::precision)
};
int run_generate(const generate_cli& c);

}  // namespace roofline
