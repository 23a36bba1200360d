// decoder/study.hpp: the real-model study's three measurements on llama_model, kept apart
// from the command that runs them (roofline/study_cmd.cpp) so tests can call them.
//
// 1. profile_activations: every projection's input over a calibration text, into one
//    threshold_calibrator per (layer, projection) for |x_k| and one for |x_k| c_k (the
//    column-norm rule), plus exact-zero counts.
// 2. evaluate: over an evaluation text, per configuration (rule and thresholds), the
//    perplexity, the mean KL divergence of the next-token distribution from the same
//    model's dense one, top-1 agreement with dense, and the realised sparsity per projection.
// 3. time_decode: decode speed, with the per-projection counters of llama_model.
//
// Texts are split into chunks decoded from an empty cache (the file's BOS first when it asks
// for one); every chunk token after the first position is scored. Work is spread over the
// models given (one worker thread per model, each product on one thread); each chunk's
// results are kept apart and summed in chunk order, so the figures do not depend on the
// number of workers.
#pragma once

#include <actsparse/calibrate.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "llama.hpp"
#include "tokenizer.hpp"

namespace actsparse::decoder {

// `ids` in chunks of `chunk` tokens (the last chunk may be shorter, but not under 2 tokens),
// at most `max_tokens` tokens in all (0: every token); each chunk starts with BOS when the
// tokenizer adds one.
std::vector<std::vector<std::int32_t>> make_chunks(const tokenizer& tok, const std::vector<std::int32_t>& ids,
                                                   int chunk, std::size_t max_tokens);

// Progress: (chunks done, chunks in all).
using progress_fn = std::function<void(std::size_t, std::size_t)>;

struct activation_profile {
  // [layer][projection]
  std::vector<std::array<threshold_calibrator, kProjections>> magnitude, column_norm;
  std::array<std::uint64_t, kProjections> samples{}, zeros{};  // per projection kind, all layers
  std::uint64_t tokens = 0;

  // Per-tensor thresholds giving `sparsity` on the calibration text (TEAL's rule applied to
  // the chosen score): threshold_calibrator::threshold_for per (layer, projection).
  std::vector<layer_thresholds> thresholds(sparsity_rule rule, double sparsity) const;
};

// Decodes every chunk on the models (all built alike, packed modes) with thresholds 0.
activation_profile profile_activations(const std::vector<llama_model*>& models,
                                       const std::vector<std::vector<std::int32_t>>& chunks,
                                       const progress_fn& progress = {});

struct eval_config {
  std::string name;
  sparsity_rule rule = sparsity_rule::magnitude;
  double target = 0;                          // the calibrated sparsity, for the record
  std::vector<layer_thresholds> thresholds;  // empty: all 0
};

struct eval_result {
  std::uint64_t scored = 0;   // predictions scored
  double nll = 0;             // sum of -log p(next token)
  double kl = 0;              // sum over predictions of KL(dense || this)
  std::uint64_t top1 = 0;     // predictions whose argmax equals dense's
  std::array<std::uint64_t, kProjections> inputs{}, active{};  // per projection kind

  double perplexity() const;
  double mean_kl() const { return scored ? kl / double(scored) : 0.0; }
  double top1_agreement() const { return scored ? double(top1) / double(scored) : 0.0; }
  double sparsity(projection p) const;  // realised: 1 - active / inputs
  double sparsity() const;              // over all seven projections, weighted by inputs
};

// Result 0 is the model's own dense run (thresholds 0, magnitude rule); result i + 1 is
// configs[i], compared with it. The models' mode is kept (reference or a packed mode).
std::vector<eval_result> evaluate(const std::vector<llama_model*>& models,
                                  const std::vector<std::vector<std::int32_t>>& chunks,
                                  const std::vector<eval_config>& configs, const progress_fn& progress = {});

struct speed_result {
  double tokens_per_s = 0;  // median over the repetitions
  std::vector<double> runs;  // tokens per second of each repetition
  std::array<projection_stats, kProjections> per_kind{};  // all layers, all repetitions
  std::uint64_t tokens = 0;                               // tokens the counters cover
};

// Decodes `prompt` (untimed), then `reps` times the next `n` tokens of `text` (teacher
// forcing: the same work as greedy decoding), timing each repetition; the model's
// counters are cleared first. prompt + reps * n positions must fit the model's context.
speed_result time_decode(llama_model& model, const std::vector<std::int32_t>& prompt,
                         const std::vector<std::int32_t>& text, int n, int reps);

}  // namespace actsparse::decoder
