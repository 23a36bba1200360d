// roofline/study_report.cpp: the report's real-model page from `actsparse study` results.
// Quality rows and speed rows are joined by weight width and target; the speed runs use
// the magnitude rule, so their quality is the magnitude rule's (the dense row at target 0).
// The Apple projection runs each timed row's realised sparsity per projection through
// project() on the built-in profiles: memory and compute side, matrix by matrix.
#include "study_report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>
#include <set>

#include "projection.hpp"
#include "report_html.hpp"
#include "targets.hpp"

namespace roofline {
namespace {

bool same_target(double a, double b) { return std::abs(a - b) < 1e-9; }
std::string target_name(double t) { return t > 0 ? pct(t) : "dense"; }
std::string residency_name(bool stream) { return stream ? "streamed" : "hot"; }
std::string threads_name(int n) { return std::to_string(n) + (n == 1 ? " thread" : " threads"); }
std::string mb(double bytes) { return num(bytes / 1e6, 4); }

// The weight widths in the order the study ran them: the quality rows' order, then any
// width that was only timed.
std::vector<std::string> widths(const study_result& r) {
  std::vector<std::string> out;
  auto add = [&](const std::string& w) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  };
  for (const auto& q : r.quality) add(q.weights);
  for (const auto& s : r.speed) add(s.weights);
  return out;
}

// The sparsity rules besides dense, in the study's order.
std::vector<std::string> rules(const study_result& r) {
  std::vector<std::string> out;
  for (const auto& q : r.quality)
    if (q.rule != "dense" && std::find(out.begin(), out.end(), q.rule) == out.end()) out.push_back(q.rule);
  return out;
}

const study_quality* quality_of(const study_result& r, const std::string& weights, double target) {
  for (const auto& q : r.quality)
    if (q.weights == weights && same_target(q.target, target) && q.rule == (target > 0 ? "magnitude" : "dense"))
      return &q;
  return nullptr;
}

const study_speed* speed_of(const study_result& r, const std::string& weights, bool stream, int threads,
                            double target) {
  for (const auto& s : r.speed)
    if (s.weights == weights && s.stream == stream && s.threads == threads && s.sparse == (target > 0) &&
        same_target(s.target, target))
      return &s;
  return nullptr;
}

// The targets of one width's summary rows: its dense and magnitude quality rows' and its
// speed runs'.
std::set<double> summary_targets(const study_result& r, const std::string& weights) {
  std::set<double> out;
  for (const auto& q : r.quality)
    if (q.weights == weights && (q.rule == "dense" || q.rule == "magnitude")) out.insert(q.target);
  for (const auto& s : r.speed)
    if (s.weights == weights) out.insert(s.target);
  return out;
}

// The run whose bytes stand for a width and target on another machine: streamed where timed
// (each token's weights from memory, as on a target), else hot; the fewest threads.
const study_speed* bytes_run(const study_result& r, const std::string& weights, double target) {
  const study_speed* best = nullptr;
  for (const auto& s : r.speed)
    if (s.weights == weights && s.sparse == (target > 0) && same_target(s.target, target) &&
        (!best || std::make_pair(!s.stream, s.threads) < std::make_pair(!best->stream, best->threads)))
      best = &s;
  return best;
}

// Bytes one token reads in run s: its projections as measured, plus lm_head, which every run
// reads whole. The study records lm_head's bytes only inside weight_bytes (every packed
// weight, one copy), so they are that less the dense run's projection bytes (every strip).
// 0 when the width has no dense run or the figures do not leave lm_head a positive size.
double token_bytes(const study_result& r, const study_speed& s) {
  const study_speed* dense = bytes_run(r, s.weights, 0);
  if (!dense) return 0;
  const double lm_head = dense->weight_bytes - dense->projections_bytes_per_token;
  return lm_head > 0 && s.projections_bytes_per_token > 0 ? s.projections_bytes_per_token + lm_head : 0;
}

// Tokens/s as the Apple tables print them: whole numbers from 100 up (3 significant digits
// would print 1130 as 1.13e+03), below a billion (a file's absurd figures stay short).
std::string rate(double v) {
  if (!(v >= 100 && v < 1e9)) return num(v, 3);
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", v);
  return b;
}

// The first screen's Apple profiles: the slowest (M1) and the current line.
const char* const kFirstScreenProfiles[] = {"apple-m1", "apple-m4", "apple-m4-pro", "apple-m4-max"};

// Thread count and residency of every speed run, 1 thread hot first.
std::set<std::pair<int, bool>> speed_configs(const study_result& r) {
  std::set<std::pair<int, bool>> out;
  for (const auto& s : r.speed) out.insert({s.threads, s.stream});
  return out;
}

void quality_section(tables& t, const study_result& r) {
  heading(t, "Quality against sparsity",
          "Each weight width against its own dense decode on the evaluation text (" + r.evaluation.file + ", " +
              num(r.evaluation.tokens_used, 6) + " tokens in " + num(r.evaluation.chunks, 6) +
              " chunks decoded from an empty cache), for each rule: magnitude (TEAL: an input is skipped when |x| is "
              "at most its tensor's threshold) and column_norm (WINA: when |x| times the norm of its weight column "
              "is). Thresholds were calibrated per tensor on the calibration text for each target; the charts place "
              "each setting at the sparsity it reached on the evaluation text. Solid lines: magnitude; dashed: "
              "column_norm; each line starts at its width's dense decode.");
  const std::vector<std::string> ws = widths(r);
  svg::chart ppl("Perplexity relative to dense, by realised sparsity", {"realised sparsity (%)", false},
                 {"perplexity / dense perplexity", false});
  svg::chart kl("Mean KL divergence from dense, by realised sparsity", {"realised sparsity (%)", false},
                {"mean KL (nats per token)", false});
  for (std::size_t i = 0; i < ws.size(); ++i)
    for (const auto& rule : rules(r)) {
      svg::series sp{ws[i] + ", " + rule, svg::palette(i), {}}, sk = sp;
      sp.dashed = sk.dashed = rule != "magnitude";
      bool any = false;
      for (const auto& q : r.quality) {
        if (q.weights != ws[i] || (q.rule != rule && q.rule != "dense")) continue;
        any = any || q.rule == rule;
        sp.points.push_back({100 * q.sparsity, q.perplexity_vs_dense});
        sk.points.push_back({100 * q.sparsity, q.mean_kl});
      }
      if (!any) continue;  // a width with a dense row only (the file's own weights, usually)
      std::sort(sp.points.begin(), sp.points.end());
      std::sort(sk.points.begin(), sk.points.end());
      ppl.add(sp);
      kl.add(sk);
    }
  if (!ppl.empty()) {
    ppl.fit();
    double lowest = 1;
    for (const auto& q : r.quality) lowest = std::min(lowest, q.perplexity_vs_dense);
    ppl.y().lo = std::max(ppl.y().lo, std::floor(10 * lowest) / 10 - 0.1);  // ratios near 1: no empty band down to 0
    kl.fit();
    t.html << "<figure id=\"study-perplexity\">" << ppl.render() << "</figure>\n";
    t.html << "<figure id=\"study-kl\">" << kl.render() << "</figure>\n";
  }
  std::vector<std::vector<std::string>> body;
  for (const auto& q : r.quality)
    body.push_back({q.weights, q.rule, target_name(q.target), pct(q.sparsity), num(q.perplexity, 4),
                    num(q.perplexity_vs_dense, 4), num(q.mean_kl, 3), pct(q.top1_agreement)});
  table(t, {"weights", "rule", "target", "realised sparsity", "perplexity", "vs dense", "mean KL", "top-1 agreement"},
        body, "study-quality");
  columns(t, {{"weights", "the packed width the decoder ran (bits per weight, group size), or the file's own weights "
                          "dequantized to fp32 (\"file ...\")"},
              {"rule", "which inputs a sparse decode skips: dense skips none"},
              {"target", "the sparsity the thresholds were calibrated for on the calibration text"},
              {"realised sparsity", "the fraction of projection inputs actually skipped on the evaluation text"},
              {"perplexity", "exp of the mean negative log-likelihood of the next token on the evaluation text"},
              {"vs dense", "this perplexity over the same weights' dense perplexity; 1.05 means 5% worse"},
              {"mean KL", "the mean KL divergence of the next-token distribution from the dense one, in nats"},
              {"top-1 agreement", "how often the most likely next token is the one the dense decode picks"}});
}

void speed_section(tables& t, const study_result& r) {
  if (r.speed.empty()) {
    heading(t, "Speed against sparsity", "This study has no speed runs (run without --speed 0, to the end).");
    return;
  }
  heading(t, "Speed against sparsity",
          "Decode tokens/s, dense and sparse (magnitude rule, thresholds calibrated for each target), per weight "
          "width. Hot: one copy of the weights, which may stay in cache between tokens; streamed: a pool of copies "
          "read in turn, so each token's weights come from memory. Solid lines: hot; dashed: streamed.");
  const std::vector<std::string> ws = widths(r);
  std::set<int> threads;
  for (const auto& s : r.speed) threads.insert(s.threads);
  for (int th : threads) {
    svg::chart c("Decode speed, " + threads_name(th), {"target sparsity (%)", false}, {"tokens/s", false});
    for (std::size_t i = 0; i < ws.size(); ++i)
      for (bool stream : {false, true}) {
        svg::series s{ws[i] + ", " + residency_name(stream), svg::palette(i), {}};
        s.dashed = stream;
        for (const auto& run : r.speed)
          if (run.weights == ws[i] && run.stream == stream && run.threads == th)
            s.points.push_back({100 * run.target, run.tokens_per_s});
        std::sort(s.points.begin(), s.points.end());
        if (!s.points.empty()) c.add(s);
      }
    c.fit();
    t.html << "<figure class=\"study-speed\">" << c.render() << "</figure>\n";
  }
  std::vector<std::vector<std::string>> body;
  for (const auto& s : r.speed) {
    const auto [lo, hi] = std::minmax_element(s.runs.begin(), s.runs.end());
    body.push_back({s.weights, residency_name(s.stream), std::to_string(s.copies), std::to_string(s.threads),
                    target_name(s.target), num(s.tokens_per_s, 3),
                    s.runs.empty() ? "n/a" : num(*lo, 3) + " to " + num(*hi, 3), num(1e3 / s.tokens_per_s, 3),
                    num(s.projections_ms_per_token, 3), mb(s.projections_bytes_per_token)});
  }
  table(t, {"weights", "residency", "copies", "threads", "target", "tokens/s", "runs", "ms/token",
            "projections ms/token", "projections MB/token"},
        body, "study-speed-table");
  columns(t, {{"residency", "hot: one copy of the weights; streamed: a pool of copies used in turn, so no token "
                            "finds its weights in cache"},
              {"copies", "how many copies of the packed weights the pool holds"},
              {"target", "dense, or the sparsity the magnitude thresholds were calibrated for"},
              {"tokens/s", "the median over the timed repetitions"},
              {"runs", "the slowest and the fastest repetition, in tokens/s: the spread of the measurement"},
              {"ms/token", "the whole decode step, 1000 / tokens/s"},
              {"projections ms/token", "the part of it spent in the seven projections' products, detection included"},
              {"projections MB/token", "packed weight bytes the products read per token"}});
}

// One speed run by projection: the first width's, streamed where measured, on the fewest
// threads, dense beside the sparse target nearest 50%.
void projection_section(tables& t, const study_result& r) {
  if (r.speed.empty()) return;
  const study_speed& first = r.speed.front();
  bool stream = false;
  int threads = first.threads;
  for (const auto& s : r.speed)
    if (s.weights == first.weights) {
      stream = stream || s.stream;
      threads = std::min(threads, s.threads);
    }
  const study_speed* dense = speed_of(r, first.weights, stream, threads, 0);
  const study_speed* sparse = nullptr;
  for (const auto& s : r.speed)
    if (s.weights == first.weights && s.stream == stream && s.threads == threads && s.sparse &&
        (!sparse || std::abs(s.target - 0.5) < std::abs(sparse->target - 0.5)))
      sparse = &s;
  if (!dense || !sparse || dense->per_projection.size() != sparse->per_projection.size()) return;
  const bool roof = !dense->per_projection.empty() && !dense->per_projection.front().roof_level.empty();
  heading(t, "By projection",
          first.weights + ", " + residency_name(stream) + ", " + threads_name(threads) + ": the dense run beside the " +
              pct(sparse->target) + " target, all layers of each projection together, per token." +
              (roof ? " The roof is the read bandwidth of the memory level the weights come from, in the machine "
                      "profile the study was given (" + dense->per_projection.front().roof_level + ", " +
                      num(dense->per_projection.front().roof_GBps, 4) + " GB/s)."
                    : " The study had no machine profile, so no roof fraction."));
  std::vector<std::string> cats;
  std::vector<double> dense_ms, sparse_ms;
  std::vector<std::vector<std::string>> body;
  for (std::size_t i = 0; i < dense->per_projection.size(); ++i) {
    const study_projection& d = dense->per_projection[i];
    const study_projection& s = sparse->per_projection[i];
    cats.push_back(d.projection);
    dense_ms.push_back(d.ms_per_token);
    sparse_ms.push_back(s.ms_per_token);
    std::vector<std::string> row = {d.projection, pct(s.sparsity), num(d.ms_per_token, 3), num(s.ms_per_token, 3),
                                    num(d.ms_per_token / s.ms_per_token, 3) + "x", mb(d.bytes_per_token),
                                    mb(s.bytes_per_token), num(d.GBps, 3), num(s.GBps, 3)};
    if (roof) row.insert(row.end(), {pct(d.roof_fraction), s.roof_level.empty() ? "n/a" : pct(s.roof_fraction)});
    body.push_back(row);
  }
  t.html << "<figure id=\"study-projections\">"
         << svg::bars("ms per token by projection", "ms", cats,
                      {{"dense", dense_ms}, {"sparse " + pct(sparse->target), sparse_ms}})
         << "</figure>\n";
  std::vector<std::string> head = {"projection", "realised sparsity", "dense ms/token", "sparse ms/token", "speedup",
                                   "dense MB/token", "sparse MB/token", "dense GB/s", "sparse GB/s"};
  if (roof) head.insert(head.end(), {"dense of roof", "sparse of roof"});
  table(t, head, body, "study-projections-table");
  std::vector<std::pair<std::string, std::string>> meaning = {
      {"realised sparsity", "the fraction of this projection's inputs the sparse run skipped"},
      {"ms/token", "time inside this projection's products per token, all layers, detection included"},
      {"speedup", "dense ms/token over sparse ms/token"},
      {"MB/token", "packed weight bytes read per token: every strip dense, the active inputs' strips sparse"},
      {"GB/s", "those bytes over that time: the bandwidth the products reached"}};
  if (roof) meaning.push_back({"of roof", "that bandwidth over the roof's: how close the products came to it"});
  columns(t, meaning);
}

// The bins' names (for tooltips) and the labels under the axis: decades only.
void bin_names(const study_histogram& h, std::vector<std::string>& names, std::vector<std::string>& ticks) {
  for (std::size_t i = 0; i <= h.upper_edges.size(); ++i) {
    if (i == h.upper_edges.size()) {
      names.push_back("above " + num(h.upper_edges.back()));
      ticks.push_back("");
      continue;
    }
    const double e = h.upper_edges[i];
    names.push_back(i == 0 ? "0 to " + num(e) : num(h.upper_edges[i - 1]) + " to " + num(e));
    const double decade = std::log10(e);
    ticks.push_back(std::abs(decade - std::round(decade)) < 1e-9 ? num(e) : "");
  }
}

void activation_section(tables& t, const study_result& r) {
  heading(t, "Activations",
          "|x| at each projection's input over the calibration text (" + r.calibration.file + ", " +
              num(r.calibration.tokens_used, 6) + " tokens), all layers together, as the fraction of inputs in each "
              "bin; bins are a quarter decade wide and labelled at their upper edge, the first bin starts at 0 (exact "
              "zeros included). q, k and v read the same input, as do gate and up, so they share a chart.");
  // Projections with the same input have the same histogram: one chart for them.
  std::vector<std::pair<std::string, const study_histogram*>> inputs;
  for (const auto& h : r.activations) {
    auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto& in) {
      const study_histogram& g = *in.second;
      return g.fraction == h.fraction && g.samples == h.samples && g.exact_zero_fraction == h.exact_zero_fraction &&
             g.median_abs_per_layer == h.median_abs_per_layer;
    });
    if (it == inputs.end()) inputs.push_back({h.projection, &h});
    else it->first += ", " + h.projection;
  }
  std::vector<std::vector<std::string>> body;
  svg::chart med("Median |x| by layer", {"layer", false}, {"median |x|", true});
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& [name, h] = inputs[i];
    std::vector<std::string> names, ticks;
    bin_names(*h, names, ticks);
    t.html << "<figure class=\"study-histogram\">"
           << svg::bars("|x| at the input of " + name + " (exact zeros " + pct(h->exact_zero_fraction) + ")",
                        "fraction of inputs", names, {{name, h->fraction}}, 760, 280, ticks)
           << "</figure>\n";
    svg::series s{name, svg::palette(i), {}};
    for (std::size_t l = 0; l < h->median_abs_per_layer.size(); ++l)
      s.points.push_back({double(l), h->median_abs_per_layer[l]});
    med.add(s);
    const auto& m = h->median_abs_per_layer;
    body.push_back({name, num(h->samples, 15), pct(h->exact_zero_fraction), m.empty() ? "n/a" : num(m.front(), 3),
                    m.empty() ? "n/a" : num(m[m.size() / 2], 3), m.empty() ? "n/a" : num(m.back(), 3)});
  }
  if (!med.empty()) {
    med.fit();
    t.html << "<figure id=\"study-medians\">" << med.render() << "</figure>\n";
  }
  table(t, {"projections", "samples", "exact zeros", "median |x|, first layer", "median |x|, middle layer",
            "median |x|, last layer"},
        body, "study-activations");
  columns(t, {{"projections", "the projections that read this input"},
              {"samples", "input values recorded, all layers and tokens"},
              {"exact zeros", "the fraction of them exactly 0, which any threshold skips"},
              {"median |x|", "half of the layer's inputs are smaller in magnitude: the scale a threshold works at"}});
}

void host_section(tables& t, const study_result& r) {
  heading(t, "Host and texts", "Where and on what the study ran (" + r.date + ").");
  auto or_na = [](const std::string& s) { return s.empty() ? std::string("n/a") : s; };
  auto text_row = [](const char* name, const study_text& x) {
    return std::vector<std::string>{name, x.file + ": " + num(x.tokens_used, 6) + " of " + num(x.tokens_in_file, 6) +
                                              " tokens, " + num(x.chunks, 6) + " chunks"};
  };
  std::string hp;
  for (const auto& [k, v] : r.hparams) hp += (hp.empty() ? "" : ", ") + k + " " + std::to_string(v);
  table(t, {"", ""},
        {{"host", r.hostname},
         {"CPU", or_na(r.cpu)},
         {"CPU family / model", or_na(r.cpu_family) + " / " + or_na(r.cpu_model)},
         {"L3 cache", or_na(r.l3)},
         {"model", r.model},
         {"hyperparameters", hp},
         text_row("calibration text", r.calibration),
         text_row("evaluation text", r.evaluation),
         {"chunk", std::to_string(r.chunk) + " tokens, each decoded from an empty cache"},
         {"dense layers", std::to_string(r.dense_layers) + " (the first layers keep every input)"}},
        "study-host");
}

}  // namespace

void study_summary(tables& t, const study_result& r) {
  const auto configs = speed_configs(r);
  std::vector<std::string> head = {"weights",    "target",   "realised sparsity",
                                   "perplexity", "vs dense", "top-1 agreement"};
  for (const auto& [threads, stream] : configs)
    head.push_back("tokens/s, " + residency_name(stream) + ", " + threads_name(threads));
  std::vector<std::vector<std::string>> body;
  for (const auto& w : widths(r)) {
    for (double target : summary_targets(r, w)) {
      std::vector<std::string> row = {w, target_name(target)};
      if (const study_quality* q = quality_of(r, w, target))
        row.insert(row.end(), {pct(q->sparsity), num(q->perplexity, 4), num(q->perplexity_vs_dense, 4),
                               pct(q->top1_agreement)});
      else
        row.insert(row.end(), 4, "n/a");
      for (const auto& [threads, stream] : configs) {
        const study_speed* s = speed_of(r, w, stream, threads, target);
        const study_speed* d = speed_of(r, w, stream, threads, 0);
        std::string cell = s ? num(s->tokens_per_s, 3) : "n/a";
        if (s && s->sparse && d) cell += " (" + num(s->tokens_per_s / d->tokens_per_s, 3) + "x)";
        row.push_back(cell);
      }
      body.push_back(row);
    }
  }
  table(t, head, body, "study-summary");
}

namespace {

// The study's model as a catalogue shape, from the file's hyperparameters; nullopt when
// one is missing or outside what a decoder could hold (a damaged file's figures).
std::optional<model_shape> study_model(const study_result& r) {
  auto h = [&](const char* k) {
    const auto it = r.hparams.find(k);
    return it == r.hparams.end() ? 0 : it->second;
  };
  const int layers = h("n_layers"), embd = h("n_embd"), ff = h("n_ff"), heads = h("n_heads"),
            kv_heads = h("n_kv_heads"), vocab = h("n_vocab");
  const int most = 1 << 22;
  if (layers < 1 || layers > 1024 || embd < 1 || embd > most || ff < 1 || ff > most || vocab < 1 || vocab > most ||
      heads < 1 || embd % heads || kv_heads < 1 || kv_heads > heads)
    return std::nullopt;
  model_shape m;
  m.name = m.label = r.model;
  m.layers = layers;
  m.hidden = std::size_t(embd);
  m.intermediate = std::size_t(ff);
  m.kv_dim = std::size_t(embd / heads * kv_heads);
  m.vocab = std::size_t(vocab);
  return m;
}

// A packed width's bits, group and precision from its name ("4-bit g64", "4-bit g64 int8",
// "4-bit g32 mse", "4-bit g32 mse int8", exactly as study_cmd.cpp writes it); false for the
// file's own weights and any width the NEON loop table lacks a dense or a sparse loop for.
bool packed_width(const std::string& w, int& bits, int& group, std::string& precision) {
  const char* p = w.data();
  const char* const end = w.data() + w.size();
  auto number = [&](int& v) {
    const auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc() || r.ptr == p) return false;
    p = r.ptr;
    return true;
  };
  auto literal = [&](const char* text) {
    const std::size_t n = std::strlen(text);
    if (std::size_t(end - p) < n || std::memcmp(p, text, n) != 0) return false;
    p += n;
    return true;
  };
  if (!number(bits) || !literal("-bit g") || !number(group)) return false;
  std::string rest(p, end);
  if (rest.compare(0, 4, " mse") == 0) rest.erase(0, 4);  // the searched quantizer: the same format
  if (rest != "" && rest != " int8") return false;
  precision = rest.empty() ? "exact" : "int8";
  const auto& loops = builtin_neon_loops();
  auto has = [&](bool sparse) {
    return std::any_of(loops.begin(), loops.end(), [&](const kernel_loop& l) {
      return l.mode == precision && l.bits == bits && l.group == group && l.sparse == sparse;
    });
  };
  return has(false) && has(true);
}

// Run s's decode plan: the model's matrices at the run's width, each projection at the
// sparsity it realised in the run (lm_head dense), and the precision whose loops it runs.
// nullopt when the study lacks the model's shape, the width is not a packed one, or a
// sparse run lacks a projection's realised sparsity.
struct run_plan {
  std::vector<plan_matrix> plan;
  std::string precision;
};
std::optional<run_plan> plan_of_run(const std::optional<model_shape>& m, const study_speed& s) {
  int bits = 0, group = 0;
  std::string precision;
  if (!m || !packed_width(s.weights, bits, group, precision)) return std::nullopt;
  projection_table sparsity;
  if (s.sparse)
    for (const char* proj : {"q", "k", "v", "o", "gate", "up", "down"}) {
      const auto p = std::find_if(s.per_projection.begin(), s.per_projection.end(),
                                  [&](const study_projection& x) { return x.projection == proj; });
      if (p == s.per_projection.end() || !(p->sparsity >= 0 && p->sparsity < 1)) return std::nullopt;
      sparsity.values[proj] = {p->sparsity};
    }
  projection_table width;
  width.fallback = bits;
  return run_plan{decode_plan(*m, width, group, sparsity), precision};
}

}  // namespace

void study_apple(tables& t, const study_result& r, bool every_profile) {
  const std::string title = "Projected on Apple Silicon: memory and compute";
  t.html << "<h3>" << escape(title) << "</h3>\n";
  t.md << "### " << title << "\n\n";
  if (r.speed.empty()) {
    const std::string text = "This study has no speed runs yet, so no sparsity per projection to project.";
    t.html << "<p>" << escape(text) << "</p>\n";
    t.md << text << "\n\n";
    return;
  }
  // One column per projection alike, slowest bandwidth first: profiles with the same
  // bandwidth and the same P-cores (count, clock, pipes, decode width) share one.
  struct column {
    std::string label;
    target_profile profile;
  };
  auto same_projection = [](const target_profile& a, const target_profile& b) {
    return a.projection_GBps() == b.projection_GBps() && bool(a.cpu_GBps) == bool(b.cpu_GBps) &&
           a.line == b.line && a.p_cores == b.p_cores && a.pcore.GHz == b.pcore.GHz &&
           a.pcore.simd_pipes == b.pcore.simd_pipes && a.pcore.decode_width == b.pcore.decode_width;
  };
  std::vector<column> profiles;
  for (const auto& p : builtin_profiles()) {
    const bool shown = every_profile || std::find_if(std::begin(kFirstScreenProfiles), std::end(kFirstScreenProfiles),
                                                     [&](const char* n) { return p.name == n; }) !=
                                            std::end(kFirstScreenProfiles);
    if (!shown) continue;
    const std::string apple = "Apple ", name = p.label.rfind(apple, 0) == 0 ? p.label.substr(apple.size()) : p.label;
    auto same = std::find_if(profiles.begin(), profiles.end(),
                             [&](const column& c) { return same_projection(c.profile, p); });
    if (same == profiles.end())
      profiles.push_back({name, p});
    else
      same->label += ", " + name;
  }
  std::stable_sort(profiles.begin(), profiles.end(), [](const column& a, const column& b) {
    return a.profile.projection_GBps() < b.profile.projection_GBps();
  });
  // The answer's terms before the table, how its figures were derived after it.
  const std::string lead =
      "Decode tokens/s on each profile (the columns after the target): each of the model's matrices, at the sparsity "
      "each projection reached in this study's run, takes the longer of two times: reading its weights at the "
      "profile's CPU-reachable bandwidth (docs/profiles.md; Apple's SoC figure where a profile has none, which CPU "
      "cores do not reach), and running the NEON inner loops of the row's precision on every P-core (instructions "
      "counted in the aarch64 build, over each core's SIMD pipes and decode width at its clock). C marks a profile "
      "where the loops, summed over the matrices, take longer than the reads (compute-bound: a cheaper loop, "
      "such as the int8 mode's, or more cores would help); "
      "unmarked, it is memory-bound and only fewer bytes help. The work besides the matrices (attention, norms, "
      "finding the active inputs) is left out, so real decode is slower; no figure here was timed on a Mac.";
  t.html << "<p>" << escape(lead) << "</p>\n";
  t.md << lead << "\n";
  // The answer first: a narrow window shows the tokens/s before the detail scrolls away.
  std::vector<std::string> head = {"weights", "target"};
  for (const auto& c : profiles)
    head.push_back(c.label + ": " + num(c.profile.projection_GBps(), 4) + " GB/s" + (c.profile.cpu_GBps ? " CPU" : "") +
                   (c.profile.pcore.GHz ? ", " + std::to_string(c.profile.p_cores) + " P-cores" : ""));
  head.insert(head.end(), {"perplexity vs dense", "MB/token", "speedup"});
  std::vector<std::vector<std::string>> body;
  const std::optional<model_shape> model = study_model(r);
  for (const auto& w : widths(r)) {
    const study_speed* dense = bytes_run(r, w, 0);
    const double dense_bytes = dense ? token_bytes(r, *dense) : 0;
    for (double target : summary_targets(r, w)) {
      const study_speed* s = bytes_run(r, w, target);
      if (!s) continue;  // not timed: no realised sparsity
      const double bytes = token_bytes(r, *s);
      const study_quality* q = quality_of(r, w, target);
      const std::optional<run_plan> plan = plan_of_run(model, *s);
      std::vector<std::string> row = {w, target_name(target)};
      for (const auto& c : profiles) {
        const std::optional<projection_result> p =
            plan ? std::optional<projection_result>(project(plan->plan, c.profile, plan->precision)) : std::nullopt;
        if (!p)
          row.push_back("n/a");
        else if (p->has_compute)
          row.push_back(rate(p->roof_tps_sparse) + (p->compute_bound_sparse ? " C" : ""));
        else
          row.push_back(rate(p->tps_sparse));
      }
      row.insert(row.end(), {q ? num(q->perplexity_vs_dense, 4) : "n/a", bytes > 0 ? mb(bytes) : "n/a",
                             bytes > 0 && dense_bytes > 0 ? num(dense_bytes / bytes, 3) + "x" : "n/a"});
      body.push_back(row);
    }
  }
  table(t, head, body, every_profile ? "study-apple-all" : "study-apple");
  // How the figures were derived: the full page's sentence per column, or the first
  // screen's one paragraph.
  const std::string bytes_how =
      "the bytes one token read on this machine: the seven projections as this study's decoder read them in the "
      "streamed run (the hot one where none was streamed; dense reads every strip, sparse only the active inputs' "
      "strips), plus lm_head, always dense, whose bytes are the run's weight_bytes (every packed weight the decoder "
      "holds) less the dense run's projection bytes; rows not timed are left out";
  const std::string speedup_how = "the same width's dense MB/token over this row's";
  const std::string profile_how =
      "tokens/s = 1 / the sum over the model's matrices (from the file's hyperparameters) of the longer of their "
      "bytes packed with the profile's cache line over its bandwidth and their weights times the NEON loop's cycles "
      "per weight over P-cores x clock, as `actsparse project --precision` computes them; the file's own weights "
      "(no packed width) are n/a; docs/profiles.md has the bandwidths', clocks' and pipes' sources";
  if (every_profile) {
    columns(t, {{"each profile's column", profile_how},
                {"perplexity vs dense", "the quality the row costs, as in the table above"},
                {"MB/token", bytes_how},
                {"speedup", speedup_how}});
    return;
  }
  const std::string how = "Each profile's column: " + profile_how + ". MB/token: " + bytes_how + ". Speedup: " +
                          speedup_how + ". Shown: the slowest profile and the current line.";
  t.html << "<p>" << escape(how) << "</p>\n";
  t.md << how << "\n\n";
}

void study_page(tables& t, const study_result& r) {
  heading(t, "Sparse against dense decode",
          "Per weight width and target sparsity (magnitude rule, the one the speed runs use): what skipping inputs "
          "costs in quality on the evaluation text, and the decode speed it buys, dense first.");
  study_summary(t, r);
  columns(t, {{"weights", "the packed width (bits per weight, group size); \"file ...\" is the model file's own "
                          "weights dequantized to fp32, whose perplexity shows what repacking costs"},
              {"target", "dense, or the sparsity the per-tensor thresholds were calibrated for"},
              {"realised sparsity", "the fraction of projection inputs skipped on the evaluation text"},
              {"perplexity", "on the evaluation text; lower is better"},
              {"vs dense", "perplexity over the same weights' dense perplexity; 1.05 means 5% worse"},
              {"top-1 agreement", "how often the most likely next token is the one the dense decode picks"},
              {"tokens/s", "median decode speed in that residency and thread count, with the speedup over the same "
                           "weights' dense decode in brackets; n/a: not timed"}});
  study_apple(t, r, true);
  quality_section(t, r);
  speed_section(t, r);
  projection_section(t, r);
  activation_section(t, r);
  host_section(t, r);
}

}  // namespace roofline
