// roofline/generate_cmd.cpp: `actsparse generate`. Greedy decoding: the prompt's tokens go
// through the model one at a time, then each next token is the argmax of the logits. The
// text streams to stdout as it is made; timings go to stderr.
#include "generate_cmd.hpp"

#include <actsparse/calibrate.hpp>
#include <actsparse/gguf.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "llama.hpp"
#include "tokenizer.hpp"

namespace roofline {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int run_generate(const generate_cli& c) {
  namespace dec = actsparse::decoder;
  const actsparse::gguf_file file(c.model);
  const dec::tokenizer tok(file);

  std::string text = c.prompt;
  if (c.chat) text = "<|im_start|>user\n" + c.prompt + "<|im_end|>\n<|im_start|>assistant\n";
  std::vector<std::int32_t> ids;
  if (tok.add_bos() && tok.bos() >= 0) ids.push_back(tok.bos());
  const std::vector<std::int32_t> body = tok.encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  if (ids.empty()) throw actsparse::error("actsparse generate: --prompt is empty; give some text to continue");

  const int sparse_ways = (c.threshold > 0.0f) + !c.thresholds.empty() + (c.sparsity > 0);
  if (sparse_ways > 1)
    throw actsparse::error("actsparse generate: give at most one of --threshold, --thresholds and --sparsity");
  if (c.rule != "magnitude" && c.rule != "column_norm")
    throw actsparse::error("actsparse generate: --rule " + c.rule + ": legal values are magnitude and column_norm");
  dec::options opt;
  opt.bits = actsparse::quant_table::parse(c.bits, c.group);
  opt.bits.fallback.rule = actsparse::parse_quant_rule(c.quantizer, "actsparse generate --quantizer");
  opt.mode = c.reference ? dec::linear_mode::reference
                         : (sparse_ways > 0 ? dec::linear_mode::sparse : dec::linear_mode::dense);
  opt.threads = c.threads;
  opt.max_context = c.context;
  if (c.precision != "exact" && c.precision != "int8")
    throw actsparse::error("actsparse generate: --precision " + c.precision + ": legal values are exact and int8");
  opt.precision = c.precision == "int8" ? actsparse::precision::int8 : actsparse::precision::exact;
  std::cerr << "loading " << c.model << " ("
            << (c.reference ? "reference fp32"
                            : "bits " + c.bits + ", group " + std::to_string(c.group) + ", " + c.precision +
                                  (c.quantizer == "mse" ? ", quantizer mse" : ""))
            << ")...\n";
  dec::llama_model model(file, opt);
  const int n_layers = model.params().n_layers;
  if (c.threshold > 0.0f) model.set_thresholds(dec::uniform_thresholds(n_layers, c.threshold));
  if (!c.thresholds.empty())
    model.set_thresholds(dec::thresholds_from_table(actsparse::threshold_table::load(c.thresholds), n_layers));
  model.set_rule(c.rule == "column_norm" ? dec::sparsity_rule::column_norm : dec::sparsity_rule::magnitude);
  // --sparsity: the prompt runs dense while each projection's input is sampled; the
  // thresholds for the target then apply from the first new token on.
  std::vector<std::array<actsparse::threshold_calibrator, dec::kProjections>> cal;
  if (c.sparsity > 0) {
    cal.resize(n_layers);
    std::vector<float> score;
    model.set_input_hook([&](int layer, dec::projection p, const float* x, std::size_t n) {
      const std::vector<float>& norm = model.column_norms(layer, p);
      score.assign(x, x + n);
      if (!norm.empty())
        for (std::size_t k = 0; k < n; ++k) score[k] *= norm[k];
      cal[layer][static_cast<int>(p)].add(score.data(), n);
    });
  }
  const int n_vocab = model.params().n_vocab;
  if (static_cast<int>(ids.size()) + c.tokens > model.context())
    throw actsparse::error("actsparse generate: the prompt (" + std::to_string(ids.size()) + " tokens) and -n " +
                           std::to_string(c.tokens) + " need more than --context " +
                           std::to_string(model.context()) + " positions");

  std::cout << (c.chat ? c.prompt + "\n" : c.prompt) << std::flush;
  auto t0 = std::chrono::steady_clock::now();
  const float* logits = nullptr;
  for (std::size_t i = 0; i < ids.size(); ++i) logits = model.forward(ids[i], static_cast<std::int32_t>(i));
  const double prompt_s = seconds_since(t0);
  if (c.sparsity > 0) {
    std::vector<dec::layer_thresholds> t(cal.size());
    for (std::size_t l = 0; l < cal.size(); ++l)
      for (int p = 0; p < dec::kProjections; ++p) t[l][p] = cal[l][p].threshold_for(c.sparsity / 100.0);
    model.set_input_hook({});
    model.set_thresholds(std::move(t));
  }
  if (sparse_ways > 0) model.set_stats(true);

  dec::utf8_stream out(tok);
  int made = 0;
  t0 = std::chrono::steady_clock::now();
  for (int pos = static_cast<int>(ids.size()); made < c.tokens; ++pos) {
    const std::int32_t next = static_cast<std::int32_t>(std::max_element(logits, logits + n_vocab) - logits);
    ++made;
    if (next == tok.eos() || (c.chat && tok.is_control(next))) break;  // <|im_end|> ends a chat turn
    std::cout << out.push(next) << std::flush;
    if (made == c.tokens) break;
    logits = model.forward(next, pos);
  }
  std::cout << out.flush() << "\n";
  const double decode_s = seconds_since(t0);
  std::fprintf(stderr, "prompt: %zu tokens in %.3f s (%.1f tokens/s); decode: %d tokens in %.3f s (%.1f tokens/s)\n",
               ids.size(), prompt_s, ids.size() / prompt_s, made, decode_s, made / decode_s);
  if (sparse_ways > 0) {
    std::uint64_t inputs = 0, active = 0;
    for (const auto& layer : model.stats())
      for (const auto& p : layer) {
        inputs += p.inputs;
        active += p.active;
      }
    if (inputs > 0)
      std::fprintf(stderr, "decode: %.1f%% of the projections' inputs skipped (%s rule)\n",
                   100.0 * (1.0 - double(active) / double(inputs)), c.rule.c_str());
  }
  return 0;
}

}  // namespace roofline
