// tests/test_gguf_model.cpp: the real SmolLM2-135M-Instruct GGUF (scripts/fetch-model.sh,
// path in ACTSPARSE_MODEL): its metadata agrees with its tensors, every projection of one
// layer and lm_head pack at every bit width exactly as MLX's rules quantize the same fp32
// rows (tests/mlx_reference.hpp), and a whole converted model survives the model file.
// Prints the relative error per tensor and bit width (docs/gguf.md) and the load times.
// A missing model file fails the test: it never skips.
#include <gtest/gtest.h>

#include <actsparse/gguf.hpp>
#include <actsparse/mlx.hpp>
#include <actsparse/model_file.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "mlx_reference.hpp"

using namespace actsparse;

namespace {

std::string model_path() {
  const char* p = std::getenv("ACTSPARSE_MODEL");
  return p == nullptr ? "" : p;
}

// The model, opened once; fails the calling test when it cannot be.
const gguf_file* model() {
  static std::unique_ptr<gguf_file> f;
  static std::string error;
  if (!f && error.empty()) {
    const std::string path = model_path();
    if (path.empty() || !std::ifstream(path).good()) {
      error = "the model file '" + path + "' is missing: run scripts/fetch-model.sh and set ACTSPARSE_MODEL to its path";
    } else {
      try {
        f = std::make_unique<gguf_file>(path);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
  }
  if (!f) ADD_FAILURE() << error;
  return f.get();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(SmolLM2, MetadataAgreesWithTheTensors) {
  const gguf_file* g = model();
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->get_string("general.architecture"), "llama");
  const std::int64_t layers = g->get_int("llama.block_count");
  std::set<std::string> blocks;
  for (const auto& t : g->tensors())
    if (t.name.compare(0, 4, "blk.") == 0) blocks.insert(t.name.substr(0, t.name.find('.', 4)));
  EXPECT_EQ(static_cast<std::int64_t>(blocks.size()), layers);
  const auto& embd = g->find("token_embd.weight");
  const auto& up = g->find("blk.0.ffn_up.weight");
  const auto& k = g->find("blk.0.attn_k.weight");
  EXPECT_EQ(static_cast<std::int64_t>(embd.shape[0]), g->get_int("llama.embedding_length"));
  EXPECT_EQ(embd.shape[1], g->get_strings("tokenizer.ggml.tokens").size());
  EXPECT_EQ(static_cast<std::int64_t>(up.shape[1]), g->get_int("llama.feed_forward_length"));
  const std::int64_t heads = g->get_int("llama.attention.head_count"), kv = g->get_int("llama.attention.head_count_kv");
  EXPECT_EQ(static_cast<std::int64_t>(k.shape[1]), g->get_int("llama.embedding_length") / heads * kv);
  EXPECT_GT(g->get_float("llama.rope.freq_base"), 0.0);
  EXPECT_EQ(g->get_strings("tokenizer.ggml.merges").size() > 0, true);
  std::printf("SmolLM2: %lld layers, %zu tensors, hidden %llu, FFN %llu, vocab %llu, heads %lld/%lld\n",
              static_cast<long long>(layers), g->tensors().size(), static_cast<unsigned long long>(embd.shape[0]),
              static_cast<unsigned long long>(up.shape[1]), static_cast<unsigned long long>(embd.shape[1]),
              static_cast<long long>(heads), static_cast<long long>(kv));
}

// Every projection of layer 0 and lm_head (the tied token_embd), at every bit width with
// groups of 64: pack() of the GGUF tensor equals MLX's quantization of the dequantized
// rows, array for array. The relative error ||W' - W|| / ||W|| must fall with every bit.
TEST(SmolLM2, PacksLayerZeroAtEveryWidthAsMlxWould) {
  const gguf_file* g = model();
  ASSERT_NE(g, nullptr);
  const char* names[] = {"blk.0.attn_q.weight",   "blk.0.attn_k.weight",  "blk.0.attn_v.weight",
                         "blk.0.attn_output.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight",
                         "blk.0.ffn_down.weight", "token_embd.weight"};
  const int widths[] = {2, 3, 4, 5, 6, 8};
  std::printf("relative error ||W' - W|| / ||W|| of the repacked weights (g64), from the file's %s values:\n",
              g->find(names[0]).type.c_str());
  std::printf("%-26s %-12s", "tensor", "N x K");
  for (int b : widths) std::printf(" %8d-bit", b);
  std::printf("\n");
  for (const char* name : names) {
    const auto& t = g->find(name);
    const std::size_t K = t.shape[0], N = t.shape[1];
    std::vector<float> w(N * K);
    g->dequantize(name, w.data());
    std::printf("%-26s %-12s", name, (std::to_string(N) + " x " + std::to_string(K)).c_str());
    double previous = INFINITY;
    for (int bits : widths) {
      SCOPED_TRACE(::testing::Message() << name << " bits " << bits);
      const packed_matrix P = g->pack(name, {bits, 64});
      const actsparse_test::mlx_arrays ref = actsparse_test::mlx_quantize_transposed(w, N, K, bits, 64);
      std::vector<std::uint32_t> wq(ref.wq.size());
      std::vector<std::uint16_t> s(ref.scales.size()), b(ref.biases.size());
      to_mlx(P, wq.data(), s.data(), b.data());
      ASSERT_TRUE(wq == ref.wq && s == ref.scales && b == ref.biases);
      std::vector<float> d(N * K);
      dequantize(P, d.data());
      double err = 0, norm = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        err += (double(d[i]) - w[i]) * (double(d[i]) - w[i]);
        norm += double(w[i]) * w[i];
      }
      const double rel = std::sqrt(err / norm);
      std::printf(" %12.5f", rel);
      EXPECT_LT(rel, previous);
      previous = rel;
    }
    std::printf("\n");
  }
}

// The whole model through the bits table, into a model file and back: every matrix's
// bytes survive, and the views borrow the mapping.
TEST(SmolLM2, ConvertsTheWholeModelAndMapsItBack) {
  const gguf_file* g = model();
  ASSERT_NE(g, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const auto packed = g->pack_model(quant_table::parse("default=4,down=6"));
  const double pack_s = seconds_since(t0);
  const std::int64_t layers = g->get_int("llama.block_count");
  ASSERT_EQ(static_cast<std::int64_t>(packed.size()), 7 * layers + 1);
  std::vector<model_tensor> list;
  for (const auto& [name, W] : packed) {
    EXPECT_EQ(W.bits(), name.find("ffn_down") != std::string::npos ? 6 : 4) << name;
    list.push_back({name, &W, nullptr, 0});
  }
  const std::string path = ::testing::TempDir() + "actsparse_smollm2.aspk";
  write_model_file(path, list);
  const auto t1 = std::chrono::steady_clock::now();
  const model_file m(path);
  std::vector<packed_matrix> views;
  for (const auto& e : m.tensors()) views.push_back(m.matrix(e.name));
  const double load_s = seconds_since(t1);
  ASSERT_EQ(views.size(), packed.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    EXPECT_FALSE(views[i].owns_data());
    ASSERT_EQ(views[i].bytes(), packed[i].second.bytes());
    EXPECT_EQ(0, std::memcmp(views[i].data(), packed[i].second.data(), views[i].bytes())) << packed[i].first;
  }
  std::printf("SmolLM2 default=4,down=6: pack_model %.3f s, model file load (map + checksum + views) %.4f s\n", pack_s,
              load_s);
  std::remove(path.c_str());
}
