// decoder/study.cpp: the measurements of study.hpp.
#include "study.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

namespace actsparse::decoder {

namespace {

// Runs work(worker, chunk) for every chunk on one thread per model, chunks taken in turn;
// reports progress after each chunk and rethrows the first exception.
template <class Work>
void for_each_chunk(std::size_t workers, std::size_t chunks, const progress_fn& progress, Work&& work) {
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex mu;
  std::exception_ptr failure;
  auto run = [&](std::size_t w) {
    try {
      for (std::size_t c; (c = next++) < chunks;) {
        work(w, c);
        const std::size_t d = ++done;
        std::lock_guard<std::mutex> lock(mu);
        if (progress) progress(d, chunks);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
      next = chunks;
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(run, w);
  run(0);
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

void check_models(const char* where, const std::vector<llama_model*>& models) {
  if (models.empty()) actsparse::detail::fail(where, "no model given");
  for (const llama_model* m : models)
    if (m == nullptr) actsparse::detail::fail(where, "a model is null");
}

// log_softmax of n logits into out, in double.
void log_softmax(const float* logits, int n, double* out) {
  const double mx = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(double(logits[i]) - mx);
  const double lse = mx + std::log(sum);
  for (int i = 0; i < n; ++i) out[i] = double(logits[i]) - lse;
}

}  // namespace

std::vector<std::vector<std::int32_t>> make_chunks(const tokenizer& tok, const std::vector<std::int32_t>& ids,
                                                   int chunk, std::size_t max_tokens) {
  if (chunk < 2) actsparse::detail::fail("make_chunks", "chunk = ", chunk, " must be >= 2 tokens");
  const bool bos = tok.add_bos() && tok.bos() >= 0;
  const std::size_t n = max_tokens > 0 ? std::min(max_tokens, ids.size()) : ids.size();
  std::vector<std::vector<std::int32_t>> out;
  for (std::size_t at = 0; at < n; at += static_cast<std::size_t>(chunk)) {
    const std::size_t len = std::min<std::size_t>(static_cast<std::size_t>(chunk), n - at);
    if (len < 2) break;
    std::vector<std::int32_t> c;
    if (bos) c.push_back(tok.bos());
    c.insert(c.end(), ids.begin() + at, ids.begin() + at + len);
    out.push_back(std::move(c));
  }
  return out;
}

// ---- activations

std::vector<layer_thresholds> activation_profile::thresholds(sparsity_rule rule, double sparsity) const {
  const auto& cal = rule == sparsity_rule::magnitude ? magnitude : column_norm;
  std::vector<layer_thresholds> t(cal.size());
  for (std::size_t l = 0; l < cal.size(); ++l)
    for (int p = 0; p < kProjections; ++p) t[l][p] = cal[l][p].threshold_for(sparsity);
  return t;
}

activation_profile profile_activations(const std::vector<llama_model*>& models,
                                       const std::vector<std::vector<std::int32_t>>& chunks,
                                       const progress_fn& progress) {
  check_models("profile_activations", models);
  const int n_layers = models[0]->params().n_layers;
  // One profile per worker (histogram counts: their sum does not depend on the order).
  std::vector<activation_profile> part(models.size());
  for (std::size_t w = 0; w < models.size(); ++w) {
    part[w].magnitude.resize(n_layers);
    part[w].column_norm.resize(n_layers);
    llama_model& m = *models[w];
    m.set_thresholds({});
    m.set_rule(sparsity_rule::column_norm);  // computes the norms; at threshold 0 the rule changes nothing
    std::vector<float> scores;
    activation_profile& prof = part[w];
    m.set_input_hook([&m, &prof, scores](int layer, projection p, const float* x, std::size_t n) mutable {
      const int pi = static_cast<int>(p);
      prof.magnitude[layer][pi].add(x, n);
      const std::vector<float>& c = m.column_norms(layer, p);
      scores.resize(n);
      for (std::size_t k = 0; k < n; ++k) scores[k] = x[k] * c[k];
      prof.column_norm[layer][pi].add(scores.data(), n);
      prof.samples[pi] += n;
      prof.zeros[pi] += static_cast<std::uint64_t>(std::count(x, x + n, 0.0f));
    });
  }
  for_each_chunk(models.size(), chunks.size(), progress, [&](std::size_t w, std::size_t c) {
    llama_model& m = *models[w];
    m.reset();
    for (std::size_t i = 0; i < chunks[c].size(); ++i) m.forward(chunks[c][i], static_cast<std::int32_t>(i));
    part[w].tokens += chunks[c].size();
  });
  activation_profile out = std::move(part[0]);
  for (std::size_t w = 1; w < part.size(); ++w) {
    for (int l = 0; l < n_layers; ++l)
      for (int p = 0; p < kProjections; ++p) {
        out.magnitude[l][p].merge(part[w].magnitude[l][p]);
        out.column_norm[l][p].merge(part[w].column_norm[l][p]);
      }
    for (int p = 0; p < kProjections; ++p) {
      out.samples[p] += part[w].samples[p];
      out.zeros[p] += part[w].zeros[p];
    }
    out.tokens += part[w].tokens;
  }
  for (llama_model* m : models) {
    m->set_input_hook({});
    m->set_rule(sparsity_rule::magnitude);
  }
  return out;
}

// ---- quality

double eval_result::perplexity() const { return scored ? std::exp(nll / double(scored)) : 0.0; }

double eval_result::sparsity(projection p) const {
  const int i = static_cast<int>(p);
  return inputs[i] ? 1.0 - double(active[i]) / double(inputs[i]) : 0.0;
}

double eval_result::sparsity() const {
  std::uint64_t in = 0, act = 0;
  for (int p = 0; p < kProjections; ++p) {
    in += inputs[p];
    act += active[p];
  }
  return in ? 1.0 - double(act) / double(in) : 0.0;
}

std::vector<eval_result> evaluate(const std::vector<llama_model*>& models,
                                  const std::vector<std::vector<std::int32_t>>& chunks,
                                  const std::vector<eval_config>& configs, const progress_fn& progress) {
  check_models("evaluate", models);
  const int n_vocab = models[0]->params().n_vocab;
  const std::size_t n_results = configs.size() + 1;
  // [chunk][result], summed in chunk order at the end.
  std::vector<std::vector<eval_result>> per_chunk(chunks.size(), std::vector<eval_result>(n_results));
  for (llama_model* m : models) m->set_stats(true);

  for_each_chunk(models.size(), chunks.size(), progress, [&](std::size_t w, std::size_t c) {
    llama_model& m = *models[w];
    const std::vector<std::int32_t>& ids = chunks[c];
    const std::size_t scored = ids.size() - 1;
    std::vector<double> dense(scored * std::size_t(n_vocab));  // log p of the dense run
    std::vector<std::int32_t> dense_top(scored);
    std::vector<double> lp(n_vocab);
    for (std::size_t r = 0; r < n_results; ++r) {
      eval_result& res = per_chunk[c][r];
      if (r == 0) {
        m.set_rule(sparsity_rule::magnitude);
        m.set_thresholds({});
      } else {
        m.set_rule(configs[r - 1].rule);
        m.set_thresholds(configs[r - 1].thresholds);
      }
      m.clear_stats();
      m.reset();
      for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
        const float* logits = m.forward(ids[i], static_cast<std::int32_t>(i));
        double* out = r == 0 ? dense.data() + i * std::size_t(n_vocab) : lp.data();
        log_softmax(logits, n_vocab, out);
        const auto top = static_cast<std::int32_t>(std::max_element(logits, logits + n_vocab) - logits);
        res.nll -= out[ids[i + 1]];
        if (r == 0) {
          dense_top[i] = top;
          ++res.top1;
        } else {
          const double* d = dense.data() + i * std::size_t(n_vocab);
          double kl = 0;
          for (int v = 0; v < n_vocab; ++v) kl += std::exp(d[v]) * (d[v] - out[v]);
          res.kl += kl;
          res.top1 += top == dense_top[i];
        }
      }
      res.scored = scored;
      for (const auto& layer : m.stats())
        for (int p = 0; p < kProjections; ++p) {
          res.inputs[p] += layer[p].inputs;
          res.active[p] += layer[p].active;
        }
    }
  });
  for (llama_model* m : models) {
    m->set_stats(false);
    m->set_thresholds({});
    m->set_rule(sparsity_rule::magnitude);
  }

  std::vector<eval_result> total(n_results);
  for (const auto& chunk : per_chunk)
    for (std::size_t r = 0; r < n_results; ++r) {
      eval_result& t = total[r];
      const eval_result& e = chunk[r];
      t.scored += e.scored;
      t.nll += e.nll;
      t.kl += e.kl;
      t.top1 += e.top1;
      for (int p = 0; p < kProjections; ++p) {
        t.inputs[p] += e.inputs[p];
        t.active[p] += e.active[p];
      }
    }
  return total;
}

// ---- speed

speed_result time_decode(llama_model& model, const std::vector<std::int32_t>& prompt,
                         const std::vector<std::int32_t>& text, int n, int reps) {
  if (n < 1 || reps < 1) actsparse::detail::fail("time_decode", "n = ", n, " and reps = ", reps, " must be >= 1");
  const std::size_t need = prompt.size() + std::size_t(n) * reps;
  if (text.size() < std::size_t(n) * reps || need > std::size_t(model.context()))
    actsparse::detail::fail("time_decode", "the prompt (", prompt.size(), " tokens) and ", reps, " x ", n,
                            " tokens need ", need, " positions and as many text tokens; the context holds ",
                            model.context(), ", the text has ", text.size());
  model.reset();
  std::int32_t pos = 0;
  for (std::int32_t id : prompt) model.forward(id, pos++);
  model.set_stats(true);
  speed_result r;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) model.forward(text[std::size_t(rep) * n + i], pos++);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.runs.push_back(n / s);
  }
  for (const auto& layer : model.stats())
    for (int p = 0; p < kProjections; ++p) {
      projection_stats& k = r.per_kind[p];
      k.calls += layer[p].calls;
      k.inputs += layer[p].inputs;
      k.active += layer[p].active;
      k.bytes += layer[p].bytes;
      k.seconds += layer[p].seconds;
    }
  r.tokens = std::uint64_t(n) * reps;
  model.set_stats(false);
  std::vector<double> sorted = r.runs;
  std::sort(sorted.begin(), sorted.end());
  r.tokens_per_s = sorted[sorted.size() / 2];
  return r;
}

}  // namespace actsparse::decoder
