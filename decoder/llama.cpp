// decoder/llama.cpp: the Llama decoder of llama.hpp. Loading (hyperparameters, weights,
// buffers) comes first, then forward() and the few steps it names: rmsnorm, linear, rope,
// attention, swiglu. Every actsparse call is in linear().
#include "llama.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace actsparse::decoder {

namespace {

[[noreturn]] void fail_load(const std::string& what) { actsparse::detail::fail("llama_model", what); }

int positive_int(const gguf_file& f, const std::string& key) {
  const std::int64_t v = f.get_int(key);
  if (v <= 0 || v > (1 << 30)) fail_load(key + " = " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

// y = x / sqrt(mean(x^2) + eps) * w; the sum of squares in double.
void rmsnorm(const float* x, const float* w, int n, float eps, float* y) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += double(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

// Rotates the pairs (2i, 2i+1), i < rope_dim / 2, of each head by pos * inv_freq[i]: ggml's
// "normal" rope, which llama GGUF files expect (their q and k rows are permuted for it).
void rope(float* v, int n_heads, int head_dim, const std::vector<float>& inv_freq, int pos) {
  for (std::size_t i = 0; i < inv_freq.size(); ++i) {
    const double angle = double(pos) * inv_freq[i];
    const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    for (int h = 0; h < n_heads; ++h) {
      float* p = v + std::size_t(h) * head_dim + 2 * i;
      const float a = p[0], b = p[1];
      p[0] = a * c - b * s;
      p[1] = a * s + b * c;
    }
  }
}

// gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
void swiglu(float* gate, const float* up, int n) {
  for (int i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

// sum_i a[i] b[i] in eight partial sums added in a fixed order (vectorizable without
// reassociation; the same result on every run).
float dot(const float* a, const float* b, int n) {
  float acc[8] = {};
  const int body = n / 8 * 8;
  for (int i = 0; i < body; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (int i = body; i < n; ++i) acc[i - body] += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

// ---- loading

llama_hparams read_llama_hparams(const gguf_file& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch != "llama")
    fail_load("general.architecture is '" + arch + "'; this decoder reads only 'llama' (Llama, SmolLM2, ...)");
  llama_hparams hp;
  hp.n_layers = positive_int(f, "llama.block_count");
  hp.n_embd = positive_int(f, "llama.embedding_length");
  hp.n_ff = positive_int(f, "llama.feed_forward_length");
  hp.n_heads = positive_int(f, "llama.attention.head_count");
  const char* kv_heads = "llama.attention.head_count_kv";
  hp.n_kv_heads = f.has(kv_heads) ? positive_int(f, kv_heads) : hp.n_heads;
  hp.n_ctx = positive_int(f, "llama.context_length");
  hp.rope_base = f.has("llama.rope.freq_base") ? static_cast<float>(f.get_float("llama.rope.freq_base")) : 10000.0f;
  hp.rms_eps = static_cast<float>(f.get_float("llama.attention.layer_norm_rms_epsilon"));
  if (hp.n_embd % hp.n_heads != 0)
    fail_load("embedding_length " + std::to_string(hp.n_embd) + " is not a multiple of head_count " +
              std::to_string(hp.n_heads));
  if (hp.n_heads % hp.n_kv_heads != 0)
    fail_load("head_count " + std::to_string(hp.n_heads) + " is not a multiple of head_count_kv " +
              std::to_string(hp.n_kv_heads));
  hp.head_dim = hp.n_embd / hp.n_heads;
  hp.rope_dim = f.has("llama.rope.dimension_count") ? positive_int(f, "llama.rope.dimension_count") : hp.head_dim;
  if (hp.rope_dim % 2 != 0 || hp.rope_dim > hp.head_dim)
    fail_load("rope.dimension_count " + std::to_string(hp.rope_dim) + " must be even and at most the head size " +
              std::to_string(hp.head_dim));
  if (!(hp.rope_base > 0) || !(hp.rms_eps > 0)) fail_load("rope.freq_base and layer_norm_rms_epsilon must be > 0");
  // Features of other Llama-family files that this decoder does not implement: refused, not ignored.
  if (f.has("llama.rope.scaling.type") && f.get_string("llama.rope.scaling.type") != "none")
    fail_load("the file scales RoPE (llama.rope.scaling.type), which this decoder does not implement");
  if (f.has_tensor("rope_freqs.weight"))
    fail_load("the file has rope_freqs.weight (per-dimension RoPE factors), which this decoder does not implement");
  if (f.has("llama.attention.key_length") && f.get_int("llama.attention.key_length") != hp.head_dim)
    fail_load("llama.attention.key_length differs from embedding_length / head_count; not implemented");
  if (f.has("llama.expert_count") && f.get_int("llama.expert_count") > 0)
    fail_load("the file is a mixture of experts (llama.expert_count), which this decoder does not implement");
  const auto& emb = f.find("token_embd.weight");
  if (emb.shape.size() != 2 || emb.shape[0] != std::uint64_t(hp.n_embd))
    fail_load("token_embd.weight must be " + std::to_string(hp.n_embd) + " x n_vocab");
  hp.n_vocab = static_cast<int>(emb.shape[1]);
  hp.tied_output = !f.has_tensor("output.weight");
  return hp;
}

const char* rule_name(sparsity_rule r) { return r == sparsity_rule::magnitude ? "magnitude" : "column_norm"; }

const char* projection_tensor(projection p) {
  static const char* const kTensor[kProjections] = {"attn_q", "attn_k", "attn_v", "attn_output",
                                                    "ffn_gate", "ffn_up", "ffn_down"};
  return kTensor[static_cast<int>(p)];
}

std::vector<layer_thresholds> thresholds_from_table(const threshold_table& table, int n_layers) {
  std::vector<layer_thresholds> t(static_cast<std::size_t>(n_layers));
  for (int l = 0; l < n_layers; ++l)
    for (int p = 0; p < kProjections; ++p) {
      const std::string name = "blk." + std::to_string(l) + "." + projection_tensor(projection(p));
      if (!table.contains(name))
        actsparse::detail::fail("thresholds_from_table", "the table has no threshold for '", name, "' (a model of ",
                                n_layers, " layers needs blk.0 .. blk.", n_layers - 1, " x attn_q, attn_k, attn_v, ",
                                "attn_output, ffn_gate, ffn_up, ffn_down)");
      t[l][p] = table.get(name);
    }
  return t;
}

threshold_table thresholds_to_table(const std::vector<layer_thresholds>& t) {
  threshold_table table;
  for (std::size_t l = 0; l < t.size(); ++l)
    for (int p = 0; p < kProjections; ++p)
      table.set("blk." + std::to_string(l) + "." + projection_tensor(projection(p)), t[l][p]);
  return table;
}

const char* projection_name(projection p) {
  static const char* const kNames[kProjections] = {"q", "k", "v", "o", "gate", "up", "down"};
  return kNames[static_cast<int>(p)];
}

llama_model::linear_weight llama_model::load_linear(const std::string& name, const std::string& proj) const {
  const auto& t = file_.find(name);
  linear_weight w;
  w.cols = t.shape[0];
  w.rows = t.shape.size() > 1 ? t.shape[1] : 1;
  if (opt_.mode == linear_mode::reference) {
    w.fp32.resize(w.rows * w.cols);
    file_.dequantize(name, w.fp32.data());
  } else {
    w.packed.push_back(file_.pack(name, opt_.bits.for_projection(proj)));
    for (int c = 1; c < opt_.copies; ++c) w.packed.push_back(w.packed.front());
  }
  return w;
}

// c_k = sqrt(sum_n W[n][k]^2) over the file's dequantized weights, in double.
void llama_model::compute_column_norms() {
  std::vector<float> w;
  std::vector<double> ss;
  for (int l = 0; l < hp_.n_layers; ++l)
    for (int p = 0; p < kProjections; ++p) {
      linear_weight& lw = layers_[l].proj[p];
      if (!lw.col_norm.empty()) continue;
      const float* rows = lw.fp32.data();
      if (lw.fp32.empty()) {
        w.resize(lw.rows * lw.cols);
        file_.dequantize("blk." + std::to_string(l) + "." + projection_tensor(projection(p)) + ".weight", w.data());
        rows = w.data();
      }
      ss.assign(lw.cols, 0.0);
      for (std::size_t n = 0; n < lw.rows; ++n)
        for (std::size_t k = 0; k < lw.cols; ++k) ss[k] += double(rows[n * lw.cols + k]) * rows[n * lw.cols + k];
      lw.col_norm.resize(lw.cols);
      for (std::size_t k = 0; k < lw.cols; ++k) lw.col_norm[k] = static_cast<float>(std::sqrt(ss[k]));
    }
}

void llama_model::set_rule(sparsity_rule r) {
  if (r == sparsity_rule::column_norm) compute_column_norms();
  opt_.rule = r;
}

void llama_model::set_mode(linear_mode mode) {
  if ((mode == linear_mode::reference) != (opt_.mode == linear_mode::reference))
    actsparse::detail::fail("llama_model::set_mode", "reference mode holds other weights than the packed modes; "
                            "build another model to switch between them");
  opt_.mode = mode;
}

void llama_model::clear_stats() {
  stats_.assign(opt_.stats ? hp_.n_layers : 0, {});
}

std::size_t llama_model::weight_bytes() const {
  std::size_t bytes = 0;
  auto add = [&](const linear_weight& w) {
    bytes += w.packed.empty() ? w.fp32.size() * sizeof(float) : w.packed.front().bytes();
  };
  for (const auto& layer : layers_)
    for (const auto& w : layer.proj) add(w);
  add(output_);
  return bytes;
}

void llama_model::set_threads(int threads) {
  if (threads < 0) fail_load("options.threads = " + std::to_string(threads) + " must be >= 0 (0: OpenMP's setting)");
  opt_.threads = threads;
#if defined(_OPENMP)
  const int n = threads > 0 ? threads : omp_get_max_threads();
#else
  const int n = threads > 0 ? threads : 1;
#endif
  pool_.reset();
  if (n > 1) pool_ = std::make_unique<thread_pool>(n);
  gemv_opt_.threads = 1;  // each thread's share runs on that thread
  gemv_opt_.precision = opt_.precision;
  thread_index_.assign(std::size_t(n), std::vector<std::uint32_t>(std::max(hp_.n_embd, hp_.n_ff)));
  scores_.resize(std::size_t(n) * std::size_t(n_ctx_));  // n_ctx_ is 0 until the constructor sets it
}

// Runs product(options, thread) once per thread of the pool, each with its own run of whole
// groups of W's outputs (options.row_begin, row_end); on the calling thread alone without one.
template <class F>
void llama_model::in_ranges(const packed_matrix& W, F&& product) {
  if (!pool_) return product(gemv_opt_, 0);
  const std::size_t G = W.groups(), g = std::size_t(W.group_size()), p = std::size_t(pool_->size());
  pool_->run([&](int t) {
    gemv_options o = gemv_opt_;
    o.row_begin = G * std::size_t(t) / p * g;
    o.row_end = G * std::size_t(t + 1) / p * g;
    if (o.row_begin < o.row_end) product(o, t);  // (row_end 0 would mean all rows)
  });
}

llama_model::llama_model(const gguf_file& file, options opt)
    : file_(file), hp_(read_llama_hparams(file)), opt_(std::move(opt)) {
  set_threads(opt_.threads);
  if (opt_.copies < 1) fail_load("options.copies = " + std::to_string(opt_.copies) + " must be >= 1");
  n_ctx_ = opt_.max_context > 0 ? std::min(opt_.max_context, hp_.n_ctx) : hp_.n_ctx;
  set_thresholds(std::move(opt_.thresholds));

  auto norm = [&](const std::string& name) {
    const auto& t = file_.find(name);
    if (t.elements() != std::uint64_t(hp_.n_embd)) fail_load(name + " must hold embedding_length elements");
    std::vector<float> w(hp_.n_embd);
    file_.dequantize(name, w.data());
    return w;
  };
  const int kv_dim = hp_.n_kv_heads * hp_.head_dim;
  // Expected {rows, cols} of each projection, in projection order.
  const std::size_t shapes[kProjections][2] = {
      {std::size_t(hp_.n_embd), std::size_t(hp_.n_embd)}, {std::size_t(kv_dim), std::size_t(hp_.n_embd)},
      {std::size_t(kv_dim), std::size_t(hp_.n_embd)},      {std::size_t(hp_.n_embd), std::size_t(hp_.n_embd)},
      {std::size_t(hp_.n_ff), std::size_t(hp_.n_embd)},    {std::size_t(hp_.n_ff), std::size_t(hp_.n_embd)},
      {std::size_t(hp_.n_embd), std::size_t(hp_.n_ff)}};
  layers_.resize(hp_.n_layers);
  for (int l = 0; l < hp_.n_layers; ++l) {
    const std::string blk = "blk." + std::to_string(l) + ".";
    layers_[l].attn_norm = norm(blk + "attn_norm.weight");
    layers_[l].ffn_norm = norm(blk + "ffn_norm.weight");
    for (int p = 0; p < kProjections; ++p) {
      const std::string name = blk + projection_tensor(projection(p)) + ".weight";
      linear_weight& w = layers_[l].proj[p] = load_linear(name, projection_name(projection(p)));
      if (w.rows != shapes[p][0] || w.cols != shapes[p][1])
        fail_load(name + " is " + std::to_string(w.rows) + " x " + std::to_string(w.cols) + ", expected " +
                  std::to_string(shapes[p][0]) + " x " + std::to_string(shapes[p][1]));
    }
  }
  output_norm_ = norm("output_norm.weight");
  output_ = load_linear(hp_.tied_output ? "token_embd.weight" : "output.weight", "lm_head");
  if (output_.rows != std::size_t(hp_.n_vocab) || output_.cols != std::size_t(hp_.n_embd))
    fail_load("the output projection must be n_vocab x embedding_length");

  rope_inv_freq_.resize(hp_.rope_dim / 2);
  for (int i = 0; i < hp_.rope_dim / 2; ++i)
    rope_inv_freq_[i] = static_cast<float>(std::pow(double(hp_.rope_base), -2.0 * i / hp_.rope_dim));

  const std::size_t cache = std::size_t(hp_.n_layers) * n_ctx_ * kv_dim;
  k_cache_.assign(cache, 0.0f);
  v_cache_.assign(cache, 0.0f);
  x_.resize(hp_.n_embd);
  xn_.resize(hp_.n_embd);
  q_.resize(hp_.n_embd);
  k_.resize(kv_dim);
  v_.resize(kv_dim);
  att_.resize(hp_.n_embd);
  scores_.resize(std::size_t(pool_ ? pool_->size() : 1) * std::size_t(n_ctx_));
  gate_.resize(hp_.n_ff);
  up_.resize(hp_.n_ff);
  logits_.resize(hp_.n_vocab);
  masked_.resize(std::max(hp_.n_embd, hp_.n_ff));
  clear_stats();
  set_rule(opt_.rule);
  active_.resize(std::max(hp_.n_embd, hp_.n_ff));
}

void llama_model::set_thresholds(std::vector<layer_thresholds> t) {
  if (t.empty()) t.assign(hp_.n_layers, layer_thresholds{});
  if (t.size() != std::size_t(hp_.n_layers))
    fail_load("thresholds: " + std::to_string(t.size()) + " layers given, the model has " +
              std::to_string(hp_.n_layers));
  for (const auto& layer : t)
    for (float v : layer)
      if (!(v >= 0) || !std::isfinite(v)) fail_load("thresholds must be finite and >= 0");
  opt_.thresholds = std::move(t);
}

// ---- running

// y = W x (y += W x with accumulate) for one projection of one layer: the hook sees x
// first, then the mode's product.
void llama_model::linear(int layer, projection p, const float* x, float* y, bool accumulate) {
  const linear_weight& w = layers_[layer].proj[static_cast<int>(p)];
  if (opt_.on_input) opt_.on_input(layer, p, x, w.cols);
  const float t = opt_.thresholds[layer][static_cast<int>(p)];
  if (!opt_.stats) {
    linear(w, x, t, y, accumulate);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t strips = linear(w, x, t, y, accumulate);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  projection_stats& st = stats_[layer][static_cast<int>(p)];
  const bool by_norm = opt_.rule == sparsity_rule::column_norm && !w.col_norm.empty();
  std::size_t active = 0;
  for (std::size_t k = 0; k < w.cols; ++k) active += !(std::fabs(x[k]) * (by_norm ? w.col_norm[k] : 1.0f) <= t);
  ++st.calls;
  st.inputs += w.cols;
  st.active += opt_.mode == linear_mode::dense ? w.cols : active;
  st.bytes += w.packed.empty() ? 0 : strips * w.packed.front().strip_bytes();
  st.seconds += s;
}

// Returns how many strips (columns) the product read. accumulate: y += W x, the residual
// add folded into the product's store (bitwise the same as adding afterwards).
std::size_t llama_model::linear(const linear_weight& w, const float* x, float threshold, float* y, bool accumulate) {
  // The column_norm rule masks x by |x_k| c_k <= t (NaN kept); the product then runs on the
  // masked copy at threshold 0, so its exact zeros are what it skips.
  if (opt_.rule == sparsity_rule::column_norm && opt_.mode != linear_mode::dense && threshold > 0) {
    for (std::size_t k = 0; k < w.cols; ++k) masked_[k] = std::fabs(x[k]) * w.col_norm[k] <= threshold ? 0.0f : x[k];
    x = masked_.data();
    threshold = 0;
  }
  switch (opt_.mode) {
    case linear_mode::reference: {
      // The oracle's product: x thresholded as actsparse::gemv does (NaN kept), then each
      // output accumulated in double over the fp32 weights, eight partial sums per row
      // (vectorizable) added in a fixed order.
      if (x != masked_.data())
        for (std::size_t k = 0; k < w.cols; ++k)
          masked_[k] = std::fabs(x[k]) > threshold || std::isnan(x[k]) ? x[k] : 0.0f;
      const std::size_t body = w.cols / 8 * 8;
      for (std::size_t n = 0; n < w.rows; ++n) {
        const float* row = w.fp32.data() + n * w.cols;
        double acc[8] = {};
        for (std::size_t k = 0; k < body; k += 8)
          for (int j = 0; j < 8; ++j) acc[j] += double(row[k + j]) * masked_[k + j];
        for (std::size_t k = body; k < w.cols; ++k) acc[k - body] += double(row[k]) * masked_[k];
        const auto v = static_cast<float>(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
        y[n] = accumulate ? y[n] + v : v;
      }
      return w.cols;
    }
    case linear_mode::dense:
      in_ranges(current(w), [&](gemv_options o, int) {
        o.accumulate = accumulate;
        actsparse::gemv_dense(current(w), x, y, o);
      });
      return w.cols;
    case linear_mode::sparse: {
      // gemv lists the active inputs in each thread's buffer (options.index): no call allocates.
      in_ranges(current(w), [&](gemv_options o, int t) {
        o.accumulate = accumulate;
        o.index = thread_index_[std::size_t(t)].data();
        actsparse::gemv(current(w), x, y, threshold, o);
      });
      if (!opt_.stats) return w.cols;
      const auto nnz = static_cast<std::size_t>(std::count_if(x, x + w.cols, [&](float v) { return !(std::fabs(v) <= threshold); }));
      return actsparse::gemv_takes_sparse(actsparse::simd::native_arch{}, nnz, w.cols) ? nnz : w.cols;
    }
    case linear_mode::sparse_kernel: {
      const std::size_t nnz = actsparse::find_active(x, w.cols, threshold, active_.data());
      in_ranges(current(w), [&](gemv_options o, int) {
        o.accumulate = accumulate;
        actsparse::gemv_sparse(current(w), x, active_.data(), nnz, y, o);
      });
      return nnz;
    }
  }
  return 0;
}

// Grouped-query attention of one token (q_ at `pos`) over cached positions 0..pos: query head
// h reads kv head h / (n_heads / n_kv_heads). Writes att_.
// Heads are split between the threads (each head's arithmetic is the same on any thread, so
// the result does not depend on the count). Scores of four cached positions are computed side
// by side: four independent sums, each in dot()'s order.
void llama_model::attention(int layer, int pos) {
  const int hd = hp_.head_dim, kv_dim = hp_.n_kv_heads * hd, group = hp_.n_heads / hp_.n_kv_heads;
  const float* keys = k_cache_.data() + std::size_t(layer) * n_ctx_ * kv_dim;
  const float* values = v_cache_.data() + std::size_t(layer) * n_ctx_ * kv_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const auto heads = [&](int h_begin, int h_end, float* scores) {
    for (int h = h_begin; h < h_end; ++h) {
      const float* q = q_.data() + std::size_t(h) * hd;
      const std::size_t kv_off = std::size_t(h / group) * hd;
      const auto key = [&](int t) { return keys + std::size_t(t) * kv_dim + kv_off; };
      int t = 0;
      for (; t + 4 <= pos + 1; t += 4) {
        const float s0 = dot(q, key(t), hd), s1 = dot(q, key(t + 1), hd);
        const float s2 = dot(q, key(t + 2), hd), s3 = dot(q, key(t + 3), hd);
        scores[t] = s0 * scale, scores[t + 1] = s1 * scale, scores[t + 2] = s2 * scale, scores[t + 3] = s3 * scale;
      }
      for (; t <= pos; ++t) scores[t] = dot(q, key(t), hd) * scale;
      float max_score = -INFINITY;
      for (t = 0; t <= pos; ++t) max_score = std::max(max_score, scores[t]);
      float sum = 0;
      for (t = 0; t <= pos; ++t) sum += scores[t] = std::exp(scores[t] - max_score);
      float* out = att_.data() + std::size_t(h) * hd;
      std::fill(out, out + hd, 0.0f);
      for (t = 0; t <= pos; ++t) {
        const float* v = values + std::size_t(t) * kv_dim + kv_off;
        const float p = scores[t] / sum;
        for (int i = 0; i < hd; ++i) out[i] += p * v[i];
      }
    }
  };
  if (!pool_) return heads(0, hp_.n_heads, scores_.data());
  const int p = pool_->size();
  pool_->run([&](int t) {
    heads(hp_.n_heads * t / p, hp_.n_heads * (t + 1) / p, scores_.data() + std::size_t(t) * n_ctx_);
  });
}

const float* llama_model::forward(std::int32_t token, std::int32_t pos) {
  if (token < 0 || token >= hp_.n_vocab)
    actsparse::detail::fail("llama_model::forward", "token ", token, " is outside the vocabulary [0, ", hp_.n_vocab,
                            ")");
  if (pos < 0 || pos > n_cached_ || pos >= n_ctx_)
    actsparse::detail::fail("llama_model::forward", "pos ", pos, " must be in [0, ", std::min(n_cached_, n_ctx_ - 1),
                            "]: ", n_cached_, " positions are cached, the cache holds ", n_ctx_);
  const int n = hp_.n_embd, kv_dim = hp_.n_kv_heads * hp_.head_dim;
  file_.dequantize_rows("token_embd.weight", std::uint64_t(token), 1, x_.data());

  for (int l = 0; l < hp_.n_layers; ++l) {
    const layer_weights& w = layers_[l];
    // Attention block: x += o(attention(rope(q xn), rope(k xn), v xn)), xn = rmsnorm(x).
    rmsnorm(x_.data(), w.attn_norm.data(), n, hp_.rms_eps, xn_.data());
    linear(l, projection::q, xn_.data(), q_.data());
    linear(l, projection::k, xn_.data(), k_.data());
    linear(l, projection::v, xn_.data(), v_.data());
    rope(q_.data(), hp_.n_heads, hp_.head_dim, rope_inv_freq_, pos);
    rope(k_.data(), hp_.n_kv_heads, hp_.head_dim, rope_inv_freq_, pos);
    const std::size_t at = (std::size_t(l) * n_ctx_ + pos) * kv_dim;
    std::copy(k_.begin(), k_.end(), k_cache_.begin() + at);
    std::copy(v_.begin(), v_.end(), v_cache_.begin() + at);
    attention(l, pos);
    linear(l, projection::o, att_.data(), x_.data(), /*accumulate=*/true);

    // FFN block: x += down(silu(gate xn) * up xn), xn = rmsnorm(x).
    rmsnorm(x_.data(), w.ffn_norm.data(), n, hp_.rms_eps, xn_.data());
    linear(l, projection::gate, xn_.data(), gate_.data());
    linear(l, projection::up, xn_.data(), up_.data());
    swiglu(gate_.data(), up_.data(), hp_.n_ff);
    linear(l, projection::down, gate_.data(), x_.data(), /*accumulate=*/true);
  }
  n_cached_ = pos + 1;

  // The output projection is dense in every packed mode: its input is not sparse.
  rmsnorm(x_.data(), output_norm_.data(), n, hp_.rms_eps, xn_.data());
  if (opt_.mode == linear_mode::reference)
    linear(output_, xn_.data(), 0.0f, logits_.data());
  else
    in_ranges(current(output_), [&](const gemv_options& o, int) {
      actsparse::gemv_dense(current(output_), xn_.data(), logits_.data(), o);
    });
  ++n_forward_;
  return logits_.data();
}

}  // namespace actsparse::decoder
