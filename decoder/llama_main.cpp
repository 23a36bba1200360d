// decoder/llama_main.cpp: actsparse-llama, the decoder on a list of token ids. It runs them
// at positions 0, 1, ... and writes each position's logits as raw float32 (n_ids x n_vocab,
// little-endian as the machine stores them): the C++ side of tests/decoder/check_logits.py.
//
//   actsparse-llama --model FILE.gguf --ids 1,2,3 [--out logits.f32] [--mode reference|dense|sparse|sparse_kernel]
//                   [--bits default=8] [--group 32] [--threshold T] [--threads N] [--precision exact|int8]
//
// Prints the hyperparameters, the load time and the decode speed to stderr, and the greedy
// next token of each position to stdout.
#include "llama.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --model FILE.gguf --ids ID,ID,... [--out FILE]\n"
               "          [--mode reference|dense|sparse|sparse_kernel]\n"
               "          [--bits TABLE] [--group 32|64|128] [--quantizer mlx|mse] [--threshold T] [--threads N]\n"
               "          [--precision exact|int8]\n",
               argv0);
  return 2;
}

actsparse::decoder::linear_mode parse_mode(const std::string& s) {
  using actsparse::decoder::linear_mode;
  if (s == "reference") return linear_mode::reference;
  if (s == "dense") return linear_mode::dense;
  if (s == "sparse") return linear_mode::sparse;
  if (s == "sparse_kernel") return linear_mode::sparse_kernel;
  throw std::runtime_error("--mode " + s + ": expected reference, dense, sparse or sparse_kernel");
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, ids_text, out, mode = "dense", bits = "8", precision = "exact", quantizer = "mlx";
  int group = 32;
  float threshold = 0;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(argv[0]);
    const std::string v = argv[++i];
    if (a == "--model") model = v;
    else if (a == "--ids") ids_text = v;
    else if (a == "--out") out = v;
    else if (a == "--mode") mode = v;
    else if (a == "--bits") bits = v;
    else if (a == "--group") group = std::stoi(v);
    else if (a == "--quantizer") quantizer = v;
    else if (a == "--threshold") threshold = std::stof(v);
    else if (a == "--threads") threads = std::stoi(v);
    else if (a == "--precision") precision = v;
    else return usage(argv[0]);
  }
  if (model.empty() || ids_text.empty()) return usage(argv[0]);
  try {
    std::vector<std::int32_t> ids;
    std::stringstream ss(ids_text);
    for (std::string item; std::getline(ss, item, ',');) ids.push_back(std::stoi(item));

    const auto t_load = std::chrono::steady_clock::now();
    actsparse::gguf_file file(model);
    actsparse::decoder::options opt;
    opt.bits = actsparse::quant_table::parse(bits, group);
    opt.bits.fallback.rule = actsparse::parse_quant_rule(quantizer, "--quantizer");
    opt.mode = parse_mode(mode);
    opt.threads = threads;
    if (precision != "exact" && precision != "int8")
      throw std::runtime_error("--precision " + precision + ": expected exact or int8");
    opt.precision = precision == "int8" ? actsparse::precision::int8 : actsparse::precision::exact;
    opt.max_context = static_cast<int>(ids.size());
    const actsparse::decoder::llama_hparams hp = actsparse::decoder::read_llama_hparams(file);
    opt.thresholds = actsparse::decoder::uniform_thresholds(hp.n_layers, threshold);
    actsparse::decoder::llama_model llm(file, opt);
    std::fprintf(stderr,
                 "%d layers, embd %d, ffn %d, heads %d (kv %d), head dim %d, rope dim %d base %g, eps %g, vocab %d%s; "
                 "mode %s; loaded in %.2f s\n",
                 hp.n_layers, hp.n_embd, hp.n_ff, hp.n_heads, hp.n_kv_heads, hp.head_dim, hp.rope_dim,
                 double(hp.rope_base), double(hp.rms_eps), hp.n_vocab, hp.tied_output ? " (tied output)" : "",
                 mode.c_str(), seconds_since(t_load));

    std::FILE* f = out.empty() ? nullptr : std::fopen(out.c_str(), "wb");
    if (!out.empty() && f == nullptr) throw std::runtime_error("cannot write " + out);
    const auto t_run = std::chrono::steady_clock::now();
    for (std::size_t pos = 0; pos < ids.size(); ++pos) {
      const float* logits = llm.forward(ids[pos], static_cast<std::int32_t>(pos));
      int best = 0;
      for (int v = 1; v < hp.n_vocab; ++v)
        if (logits[v] > logits[best]) best = v;
      std::printf("%zu %d -> %d\n", pos, ids[pos], best);
      if (f != nullptr && std::fwrite(logits, sizeof(float), hp.n_vocab, f) != std::size_t(hp.n_vocab))
        throw std::runtime_error("write to " + out + " failed");
    }
    const double t = seconds_since(t_run);
    if (f != nullptr && std::fclose(f) != 0) throw std::runtime_error("write to " + out + " failed");
    std::fprintf(stderr, "%zu tokens in %.3f s: %.1f tokens/s\n", ids.size(), t, double(ids.size()) / t);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actsparse-llama: %s\n", e.what());
    return 1;
  }
  return 0;
}
