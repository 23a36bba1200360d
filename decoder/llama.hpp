// decoder/llama.hpp: a reference decoder for the Llama family as GGUF describes it
// (general.architecture = "llama"; SmolLM2-135M-Instruct first), one token at a time.
//
// What it implements: token embedding, then per layer RMSNorm, the q/k/v projections, RoPE
// on adjacent pairs (2i, 2i+1) as ggml's "normal" rope does (llama GGUF files store q and k
// with their rows permuted for it), grouped-query attention over a KV cache, the output
// projection, RMSNorm, a SwiGLU FFN (down(silu(gate x) * up x)); then the output norm and
// the output projection, tied to token_embd.weight when the file has no output.weight.
// Every hyperparameter comes from the file's metadata and tensor shapes; other
// architectures are refused by name.
//
// Every linear layer is one actsparse product on a packed_matrix (gguf_file::pack with the
// projection's bits from a quant_table), or, in reference mode, a plain fp32 matvec on the
// file's dequantized weights with double accumulation: the oracle's path.
//
// Checked against: an independent numpy forward pass in float64 over the same weights
// (tests/decoder/check_logits.py, ctest decoder_logits_oracle: PyPI gguf's dequantize,
// HF's rotate-half RoPE on q/k rows un-permuted to HF's order, the whole sequence at once
// with a causal mask), 70 tokens of SmolLM2-135M-Instruct Q4_1. Max |logit difference| /
// max |logit| per position: reference mode at most 1.5e-6 (bound 1e-3); packed 8-bit g32
// at most 5.3e-2 (repacking error, bound 0.1), greedy token equal at 69 of 70. Sparse modes
// at threshold 0 give logits bitwise equal to dense (tests/decoder/test_llama.cpp).
#pragma once

#include <actsparse/actsparse.hpp>
#include <actsparse/calibrate.hpp>
#include <actsparse/gguf.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "thread_pool.hpp"

namespace actsparse::decoder {

// The model's shape, read from the file (llama.* keys and tensor shapes).
struct llama_hparams {
  int n_layers = 0;    // llama.block_count
  int n_embd = 0;      // llama.embedding_length
  int n_ff = 0;        // llama.feed_forward_length
  int n_heads = 0;     // llama.attention.head_count
  int n_kv_heads = 0;  // llama.attention.head_count_kv (= n_heads when absent)
  int head_dim = 0;    // n_embd / n_heads
  int rope_dim = 0;    // llama.rope.dimension_count, else head_dim: the first rope_dim of each head rotate
  int n_ctx = 0;       // llama.context_length
  int n_vocab = 0;     // token_embd.weight's ne1
  float rope_base = 0;  // llama.rope.freq_base (10000 when absent, as ggml)
  float rms_eps = 0;    // llama.attention.layer_norm_rms_epsilon
  bool tied_output = false;  // no output.weight: the output projection is token_embd.weight
};

// Reads and checks the hyperparameters; throws actsparse::error for another architecture
// or a missing / inconsistent key.
llama_hparams read_llama_hparams(const gguf_file& file);

// The seven projections of a layer, in the order forward() calls them. Their names are
// quant_table's ("q", ..., "down").
enum class projection : int { q, k, v, o, gate, up, down };
inline constexpr int kProjections = 7;
const char* projection_name(projection p);
// The projection's tensor in a GGUF layer: "attn_q", "attn_k", "attn_v", "attn_output",
// "ffn_gate", "ffn_up", "ffn_down"; its weight is "blk.<layer>.<tensor>.weight".
const char* projection_tensor(projection p);

// How each linear layer is computed.
enum class linear_mode {
  reference,      // fp32 dequantized file weights, double accumulation; inputs thresholded as below
  dense,          // actsparse::gemv_dense on the packed weights; thresholds ignored
  sparse,         // actsparse::gemv(W, x, y, threshold): detect, then the sparse or dense kernel
  sparse_kernel,  // actsparse::find_active, then always actsparse::gemv_sparse (tests, measurements)
};

// Per layer, one threshold per projection (indexed by projection): x_k with |x_k| <= t
// counts as zero. All 0 keeps every non-zero input (exact).
using layer_thresholds = std::array<float, kProjections>;
// The same threshold t at every projection of n_layers layers.
inline std::vector<layer_thresholds> uniform_thresholds(int n_layers, float t) {
  layer_thresholds layer;
  layer.fill(t);
  return std::vector<layer_thresholds>(static_cast<std::size_t>(n_layers), layer);
}

// Which inputs a sparse mode skips. magnitude (TEAL): x_k with |x_k| <= t. column_norm
// (WINA): x_k with |x_k| * c_k <= t, c_k the Euclidean norm of W's column k (its strip),
// computed once at load from the file's weights. Reference mode masks by the same rule.
enum class sparsity_rule { magnitude, column_norm };
const char* rule_name(sparsity_rule r);

// Per (layer, projection) counters, kept when options.stats is on: calls, inputs seen,
// inputs active after the threshold, seconds inside the product (the detection included),
// and bytes of packed weights the product read (every strip dense, the active strips sparse).
struct projection_stats {
  std::uint64_t calls = 0, inputs = 0, active = 0, bytes = 0;
  double seconds = 0;
};

// Thresholds named "blk.<layer>.<tensor>" (projection_tensor) in a threshold_table, as
// `actsparse study --thresholds-dir` writes them; a missing name is an error that names it.
std::vector<layer_thresholds> thresholds_from_table(const threshold_table& table, int n_layers);
// The reverse: every layer's thresholds into a table.
threshold_table thresholds_to_table(const std::vector<layer_thresholds>& t);

// Called with each projection's input before any threshold: (layer, projection, x, n).
// q, k and v share their input (the attention norm's output), so do gate and up; each
// projection still gets its own call. x is valid only during the call.
using input_hook = std::function<void(int, projection, const float*, std::size_t)>;

struct options {
  // Packed modes: bits and group size per projection. 8 bits in groups of 32 stay nearest
  // the file's weights (0.6% relative error added to Q4_1's, docs/gguf.md).
  quant_table bits = quant_table::parse("8", 32);
  linear_mode mode = linear_mode::dense;
  std::vector<layer_thresholds> thresholds;  // empty (all 0) or one entry per layer
  sparsity_rule rule = sparsity_rule::magnitude;
  // Threads for the products (0: OpenMP's setting, omp_get_max_threads()). Above 1 the
  // model keeps its own threads (thread_pool.hpp) and splits each product's outputs between
  // them; logits are bitwise the same for every count.
  int threads = 0;
  int max_context = 0;                       // KV cache positions; 0 = the file's context length
  input_hook on_input;                       // optional
  bool stats = false;                        // keep projection_stats (costs a count per product)
  // Packed copies of every weight, used in turn by successive forward() calls, so that a
  // pool larger than the last-level cache makes each token stream its weights from memory
  // (the benchmark's stream mode). 1 = one copy (hot).
  int copies = 1;
  // The packed products' precision (gemv_options::precision): exact fp32, or int8
  // activations with integer dot products. Reference mode ignores it.
  actsparse::precision precision = actsparse::precision::exact;
};

class llama_model {
 public:
  // Loads (dequantizes or packs) every weight. `file` must outlive the model: forward()
  // reads the token's embedding row from it.
  llama_model(const gguf_file& file, options opt);

  const llama_hparams& params() const { return hp_; }
  const options& settings() const { return opt_; }
  int context() const { return n_ctx_; }  // positions the KV cache holds

  void set_thresholds(std::vector<layer_thresholds> t);  // empty = all 0
  void set_rule(sparsity_rule r);  // computes the column norms on first use of column_norm
  // Column norms c_k of a projection (column_norm rule; empty before it was needed).
  const std::vector<float>& column_norms(int layer, projection p) const {
    return layers_[layer].proj[static_cast<int>(p)].col_norm;
  }
  // Counters since the last clear_stats(), [layer][projection]; empty unless options.stats.
  const std::vector<std::array<projection_stats, kProjections>>& stats() const { return stats_; }
  void clear_stats();
  void set_stats(bool on) { opt_.stats = on; clear_stats(); }
  void set_threads(int threads);
  // Between the packed modes (dense, sparse, sparse_kernel); not into or out of reference.
  void set_mode(linear_mode mode);
  // Bytes of packed weights of one copy: all projections of all layers, and the output layer.
  std::size_t weight_bytes() const;
  void set_input_hook(input_hook hook) { opt_.on_input = std::move(hook); }

  // Forgets every cached position.
  void reset() { n_cached_ = 0; }

  // Runs `token` at position `pos` and returns the logits (n_vocab floats, valid until the
  // next call). Positions 0 .. pos - 1 must be cached (pos <= number cached so far); a pos
  // below that overwrites the cache from there on.
  const float* forward(std::int32_t token, std::int32_t pos);

 private:
  // One linear layer's weights, in the form the mode needs.
  struct linear_weight {
    std::size_t rows = 0, cols = 0;
    std::vector<packed_matrix> packed;  // dense, sparse, sparse_kernel: options.copies copies
    std::vector<float> fp32;            // reference: [rows][cols]
    std::vector<float> col_norm;        // column_norm rule: cols norms
  };
  struct layer_weights {
    std::vector<float> attn_norm, ffn_norm;
    std::array<linear_weight, kProjections> proj;
  };

  linear_weight load_linear(const std::string& name, const std::string& proj) const;
  void compute_column_norms();
  const packed_matrix& current(const linear_weight& w) const { return w.packed[n_forward_ % w.packed.size()]; }
  void linear(int layer, projection p, const float* x, float* y, bool accumulate = false);
  std::size_t linear(const linear_weight& w, const float* x, float threshold, float* y, bool accumulate = false);
  template <class F>
  void in_ranges(const packed_matrix& W, F&& product);
  void attention(int layer, int pos);

  const gguf_file& file_;
  llama_hparams hp_;
  options opt_;
  gemv_options gemv_opt_;
  int n_ctx_ = 0;
  int n_cached_ = 0;
  std::uint64_t n_forward_ = 0;  // forward() calls: copy n_forward_ % copies serves the next
  std::vector<std::array<projection_stats, kProjections>> stats_;

  std::vector<layer_weights> layers_;
  std::vector<float> output_norm_;
  linear_weight output_;
  std::vector<float> rope_inv_freq_;  // rope_dim / 2 entries: rope_base^(-2i / rope_dim)

  // KV cache: [layer][position][kv_heads * head_dim].
  std::vector<float> k_cache_, v_cache_;

  // Activations, sized at construction.
  std::vector<float> x_;       // residual stream (n_embd)
  std::vector<float> xn_;      // normed input of q/k/v and gate/up (n_embd)
  std::vector<float> q_, k_, v_;  // n_embd, kv_dim, kv_dim
  std::vector<float> att_;     // attention output, the o input (n_embd)
  std::vector<float> scores_;  // attention weights: one head at a time per thread (n_ctx each)
  std::vector<float> gate_, up_;  // n_ff; gate_ becomes the down input silu(gate) * up
  std::vector<float> logits_;     // n_vocab
  std::vector<float> masked_;     // reference mode and column_norm rule: the thresholded input
  std::vector<std::uint32_t> active_;  // the sparse modes' active list (gemv's options.index)
  std::unique_ptr<thread_pool> pool_;  // threads > 1
  std::vector<std::vector<std::uint32_t>> thread_index_;  // the other threads' index buffers
};

}  // namespace actsparse::decoder
