// tests/decoder/test_llama.cpp: the reference decoder (decoder/llama.hpp) on the real
// SmolLM2 file (ACTSPARSE_MODEL, its path): the hyperparameters it reads, sparse mode at
// threshold 0 bitwise equal to dense over 40 positions (through actsparse::gemv and through
// find_active + gemv_sparse), the two sparse paths equal at a positive threshold, the input
// hook, the KV cache's reset, the thread count's independence, and the refusals. The
// logits' accuracy is check_logits.py's.
#include "llama.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gguf_writer.hpp"

namespace {

using actsparse::decoder::layer_thresholds;
using actsparse::decoder::linear_mode;
using actsparse::decoder::llama_model;
using actsparse::decoder::options;
using actsparse::decoder::projection;

constexpr int kPositions = 40;
// "The quick brown fox jumps over the lazy dog while the old farmer watches from his porch
// and thinks about the long winter that is coming to the valley", one token per word.
const std::int32_t kIds[kPositions] = {504,  2365,  6354, 16438, 27003, 690,   260,  23790, 2767, 979,
                                       260,  1573,  13497, 27593, 429,  650,   36241, 284,  12528, 563,
                                       260,  986,   4339, 338,   314,   4167,  288,  260,   12322, 451,
                                       713,  588,   384,  16622, 288,   4960,  540,  3180,  284,   4249};

const actsparse::gguf_file& smollm2() {
  static std::unique_ptr<actsparse::gguf_file> file;
  if (!file) {
    const char* path = std::getenv("ACTSPARSE_MODEL");
    if (path == nullptr || *path == '\0') throw std::runtime_error("set ACTSPARSE_MODEL to the SmolLM2 GGUF file");
    file = std::make_unique<actsparse::gguf_file>(path);
  }
  return *file;
}

options with_mode(linear_mode mode, const char* bits = "default=4,down=6", int group = 64) {
  options opt;
  opt.mode = mode;
  opt.bits = actsparse::quant_table::parse(bits, group);
  opt.max_context = kPositions;
  opt.threads = 2;  // the results do not depend on it
  return opt;
}

// The logits of every position of kIds, one after another.
std::vector<float> run(llama_model& m) {
  const std::size_t vocab = m.params().n_vocab;
  std::vector<float> out(kPositions * vocab);
  for (int p = 0; p < kPositions; ++p) {
    const float* logits = m.forward(kIds[p], p);
    std::memcpy(out.data() + p * vocab, logits, vocab * sizeof(float));
  }
  return out;
}

// Positions whose logits differ in any bit.
int differing_positions(const std::vector<float>& a, const std::vector<float>& b, std::size_t vocab) {
  int n = 0;
  for (int p = 0; p < kPositions; ++p)
    n += std::memcmp(a.data() + p * vocab, b.data() + p * vocab, vocab * sizeof(float)) != 0;
  return n;
}

TEST(Llama, ReadsTheHyperparametersFromTheFile) {
  const auto& f = smollm2();
  const auto hp = actsparse::decoder::read_llama_hparams(f);
  EXPECT_EQ(hp.n_layers, f.get_int("llama.block_count"));
  EXPECT_EQ(hp.n_embd, f.get_int("llama.embedding_length"));
  EXPECT_EQ(hp.n_ff, f.get_int("llama.feed_forward_length"));
  EXPECT_EQ(hp.n_heads, f.get_int("llama.attention.head_count"));
  EXPECT_EQ(hp.n_kv_heads, f.get_int("llama.attention.head_count_kv"));
  EXPECT_EQ(hp.n_ctx, f.get_int("llama.context_length"));
  EXPECT_EQ(hp.rope_dim, f.get_int("llama.rope.dimension_count"));
  EXPECT_EQ(hp.n_vocab, f.get_int("llama.vocab_size"));  // read from token_embd's shape
  EXPECT_EQ(hp.head_dim * hp.n_heads, hp.n_embd);
  EXPECT_EQ(hp.rope_base, static_cast<float>(f.get_float("llama.rope.freq_base")));
  EXPECT_TRUE(hp.tied_output);
}

TEST(Llama, SparseAtThresholdZeroIsBitwiseDense) {
  llama_model dense(smollm2(), with_mode(linear_mode::dense));
  llama_model sparse(smollm2(), with_mode(linear_mode::sparse));
  llama_model sparse_kernel(smollm2(), with_mode(linear_mode::sparse_kernel));
  const std::size_t vocab = dense.params().n_vocab;
  const std::vector<float> a = run(dense), b = run(sparse), c = run(sparse_kernel);
  EXPECT_EQ(differing_positions(a, b, vocab), 0) << "actsparse::gemv at threshold 0 against gemv_dense";
  EXPECT_EQ(differing_positions(a, c, vocab), 0) << "find_active + gemv_sparse at threshold 0 against gemv_dense";
}

TEST(Llama, TheTwoSparsePathsAgreeAtAPositiveThreshold) {
  // 0.05 drops 27-43% of each projection's inputs (measured over the first 16 tokens: q/k/v
  // 32%, o 27%, gate/up 36%, down 43%). Whichever kernel gemv picks for a product, sparse or
  // thresholded dense, y must equal find_active + gemv_sparse's.
  options opt = with_mode(linear_mode::sparse);
  opt.thresholds.assign(smollm2().get_int("llama.block_count"), layer_thresholds{});
  for (auto& t : opt.thresholds) t.fill(0.05f);
  llama_model sparse(smollm2(), opt);
  opt.mode = linear_mode::sparse_kernel;
  llama_model sparse_kernel(smollm2(), opt);
  llama_model dense(smollm2(), with_mode(linear_mode::dense));
  const std::size_t vocab = dense.params().n_vocab;
  const std::vector<float> a = run(sparse), b = run(sparse_kernel), d = run(dense);
  EXPECT_EQ(differing_positions(a, b, vocab), 0);
  EXPECT_EQ(differing_positions(a, d, vocab), kPositions) << "the threshold changed nothing";
}

TEST(Llama, LogitsDoNotDependOnTheThreadCount) {
  // The model splits each product's outputs between its threads (thread_pool.hpp); every
  // output is the same sum in the same order, so 1, 2 and 3 threads give the same bits, in
  // the dense mode and the sparse one at a positive threshold.
  for (linear_mode mode : {linear_mode::dense, linear_mode::sparse}) {
    options opt = with_mode(mode);
    if (mode == linear_mode::sparse) {
      opt.thresholds.assign(smollm2().get_int("llama.block_count"), layer_thresholds{});
      for (auto& t : opt.thresholds) t.fill(0.05f);
    }
    opt.threads = 1;
    llama_model m(smollm2(), opt);
    const std::size_t vocab = m.params().n_vocab;
    const std::vector<float> one = run(m);
    for (int threads : {2, 3}) {
      m.set_threads(threads);
      m.reset();
      EXPECT_EQ(differing_positions(one, run(m), vocab), 0) << threads << " threads against 1, mode " << int(mode);
    }
  }
}

TEST(Llama, Int8LogitsDoNotDependOnTheThreadCountAndSparseAtZeroIsDense) {
  // The int8 products (gemv_options::precision) keep both contracts of the exact ones:
  // the same bits for every thread count, and sparse at threshold 0 equal to dense.
  options opt = with_mode(linear_mode::dense);
  opt.precision = actsparse::precision::int8;
  opt.threads = 1;
  llama_model dense(smollm2(), opt);
  const std::size_t vocab = dense.params().n_vocab;
  const std::vector<float> one = run(dense);
  dense.set_threads(3);
  dense.reset();
  EXPECT_EQ(differing_positions(one, run(dense), vocab), 0) << "3 threads against 1";
  opt.mode = linear_mode::sparse;
  opt.threads = 2;
  llama_model sparse(smollm2(), opt);
  EXPECT_EQ(differing_positions(one, run(sparse), vocab), 0) << "sparse at threshold 0 against dense";
  // And it is a different computation from the exact one (the option reached the kernels).
  llama_model exact(smollm2(), with_mode(linear_mode::dense));
  EXPECT_EQ(differing_positions(one, run(exact), vocab), kPositions);
}

TEST(Llama, TheHookSeesEveryProjectionInputInOrder) {
  llama_model m(smollm2(), with_mode(linear_mode::dense));
  const auto& hp = m.params();
  std::vector<std::pair<int, projection>> calls;
  std::vector<float> down_input;
  m.set_input_hook([&](int layer, projection p, const float* x, std::size_t n) {
    calls.emplace_back(layer, p);
    EXPECT_EQ(n, std::size_t(p == projection::down ? hp.n_ff : hp.n_embd));
    if (layer == 0 && p == projection::down) down_input.assign(x, x + n);
  });
  m.forward(kIds[0], 0);
  ASSERT_EQ(calls.size(), std::size_t(7 * hp.n_layers));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].first, int(i / 7));
    EXPECT_EQ(static_cast<int>(calls[i].second), int(i % 7));
  }
  // The down input is the SwiGLU product: no exact zeros at threshold 0.
  std::size_t zeros = 0;
  for (float v : down_input) zeros += v == 0.0f;
  EXPECT_LT(zeros, down_input.size() / 10);
}

TEST(Llama, ResetForgetsTheCache) {
  llama_model m(smollm2(), with_mode(linear_mode::dense));
  const std::size_t vocab = m.params().n_vocab;
  const std::vector<float> first = run(m);
  m.reset();
  EXPECT_THROW(m.forward(kIds[1], 1), actsparse::error);  // position 0 is no longer cached
  EXPECT_EQ(differing_positions(run(m), first, vocab), 0);
  EXPECT_THROW(m.forward(kIds[0], kPositions), actsparse::error);  // beyond max_context
  EXPECT_THROW(m.forward(-1, 0), actsparse::error);
  EXPECT_THROW(m.forward(m.params().n_vocab, 0), actsparse::error);
}

TEST(Llama, RefusesBadThresholds) {
  llama_model m(smollm2(), with_mode(linear_mode::sparse));
  EXPECT_THROW(m.set_thresholds(std::vector<layer_thresholds>(3)), actsparse::error);
  std::vector<layer_thresholds> t(m.params().n_layers);
  t[2][4] = -1.0f;
  EXPECT_THROW(m.set_thresholds(t), actsparse::error);
}

TEST(Llama, RefusesOtherArchitecturesByName) {
  using namespace actsparse_test;
  const gguf_built b = build_gguf({kv_string("general.architecture", "gpt2"), kv("gpt2.block_count", kU32, 1u)}, {});
  const auto f = actsparse::gguf_file::from_memory(b.data(), b.size(), "gpt2.gguf");
  try {
    actsparse::decoder::read_llama_hparams(f);
    FAIL() << "a gpt2 file was accepted";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("'gpt2'"), std::string::npos) << e.what();
  }
}

}  // namespace
