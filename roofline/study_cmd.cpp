// roofline/study_cmd.cpp: `actsparse study` (study_cmd.hpp). The steps, in order:
//   1. tokenize both texts; chunks of --chunk tokens;
//   2. profile the activations on the calibration text (8-bit g32 weights, the nearest to the
//      file's own), and calibrate per-tensor thresholds for each rule and target;
//   3. the file's own weights (reference mode), dense: the unit of the repacking cost; then
//      per weight width: perplexity, KL and top-1 against the same width's dense decode on
//      the evaluation text, for each rule and target;
//   4. per weight width: decode speed dense and sparse (magnitude rule) at each target, on 1
//      and 2 threads, hot (one copy of the weights) and streamed (a pool of copies).
// Everything goes to one JSON file; a table of the quality figures goes to stdout.
#include "study_cmd.hpp"

#include <actsparse/calibrate.hpp>
#include <actsparse/gguf.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "json_file.hpp"
#include "machine.hpp"
#include "study.hpp"
#include "tokenizer.hpp"

namespace roofline {
namespace {

namespace dec = actsparse::decoder;
namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("actsparse study: " + what); }

struct width {
  int bits = 0, group = 0;
  bool mse = false;   // packed with the searched quantizer (quant_rule::mse)
  bool int8 = false;  // the products in int8 precision
  std::string label() const {
    return std::to_string(bits) + "-bit g" + std::to_string(group) + (mse ? " mse" : "") + (int8 ? " int8" : "");
  }
  actsparse::precision precision() const { return int8 ? actsparse::precision::int8 : actsparse::precision::exact; }
  actsparse::quant_table table() const {
    actsparse::quant_table t = actsparse::quant_table::parse(std::to_string(bits), group);
    t.fallback.rule = mse ? actsparse::quant_rule::mse : actsparse::quant_rule::mlx;
    return t;
  }
};

width parse_width(std::string s) {
  width w;
  const std::string given = s;
  for (const auto& [suffix, flag] : {std::pair<std::string, bool*>{"/int8", &w.int8}, {"/mse", &w.mse}}) {
    if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
      *flag = true;
      s.resize(s.size() - suffix.size());
    }
  }
  char slash = 0;
  std::istringstream in(s);
  if (!(in >> w.bits >> slash >> w.group) || slash != '/' || !in.eof())
    fail("--widths entry '" + given + "' must be BITS/GROUP[/mse][/int8], e.g. 4/64, 4/64/int8 or 4/32/mse");
  if (w.bits < 2 || w.bits > 8 || w.bits == 7) fail("--widths '" + given + "': bits must be 2, 3, 4, 5, 6 or 8");
  if (w.group != 32 && w.group != 64 && w.group != 128) fail("--widths '" + given + "': group must be 32, 64 or 128");
  return w;
}

dec::sparsity_rule parse_rule(const std::string& s) {
  if (s == "magnitude") return dec::sparsity_rule::magnitude;
  if (s == "column_norm") return dec::sparsity_rule::column_norm;
  fail("--rules entry '" + s + "': legal values are magnitude (TEAL) and column_norm (WINA)");
}

std::vector<std::int32_t> tokenize_file(const dec::tokenizer& tok, const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(std::string(what) + " '" + path + "' cannot be opened");
  std::ostringstream s;
  s << f.rdbuf();
  std::vector<std::int32_t> ids = tok.encode(s.str());
  if (ids.size() < 2) fail(std::string(what) + " '" + path + "' has fewer than 2 tokens");
  return ids;
}

// The host facts every figure needs beside it: /proc/cpuinfo's model name, cpu family and
// model, and the last-level cache size from sysfs.
json host_facts() {
  json h;
  h["hostname"] = host_name();
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon), value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key == "model name" && !h.contains("cpu")) h["cpu"] = value;
    if (key == "cpu family" && !h.contains("cpu_family")) h["cpu_family"] = value;
    if (key == "model" && !h.contains("cpu_model")) h["cpu_model"] = value;
  }
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level(dir + "level"), size(dir + "size");
    int l = 0;
    std::string sz;
    if (level >> l && size >> sz && l == 3) h["l3"] = sz;
  }
  return h;
}

// Fraction of |x| in (edge[i-1], edge[i]] per projection kind, all layers merged; edges 0,
// then 10^(e/4) for e = -24 .. 8 (1e-6 .. 100), then infinity.
json histograms(const dec::activation_profile& prof, const dec::llama_hparams& hp) {
  std::vector<double> edges = {0.0};
  for (int e = -24; e <= 8; ++e) edges.push_back(std::pow(10.0, e / 4.0));
  json out = json::array();
  for (int p = 0; p < dec::kProjections; ++p) {
    actsparse::threshold_calibrator all;
    for (int l = 0; l < hp.n_layers; ++l) all.merge(prof.magnitude[l][p]);
    json h;
    h["projection"] = dec::projection_name(dec::projection(p));
    h["samples"] = prof.samples[p];
    h["exact_zero_fraction"] = prof.samples[p] ? double(prof.zeros[p]) / double(prof.samples[p]) : 0.0;
    std::vector<double> frac;
    double below = 0;
    for (std::size_t i = 1; i < edges.size(); ++i) {
      const double at = all.sparsity_at(static_cast<float>(edges[i]));
      frac.push_back(at - below);
      below = at;
    }
    frac.push_back(1.0 - below);
    h["upper_edges"] = std::vector<double>(edges.begin() + 1, edges.end());  // the last bin is above them
    h["fraction"] = frac;
    // Medians of |x| per layer: how the scale moves through the model.
    std::vector<float> med;
    for (int l = 0; l < hp.n_layers; ++l) med.push_back(prof.magnitude[l][p].threshold_for(0.5));
    h["median_abs_per_layer"] = med;
    out.push_back(h);
  }
  return out;
}

json eval_row(const std::string& weights, const std::string& rule, double target, const dec::eval_result& r,
              const dec::eval_result& dense) {
  json j;
  j["weights"] = weights;
  j["rule"] = rule;
  j["target"] = target;
  j["scored"] = r.scored;
  j["perplexity"] = r.perplexity();
  j["perplexity_vs_dense"] = dense.perplexity() > 0 ? r.perplexity() / dense.perplexity() : 0.0;
  j["mean_kl"] = r.mean_kl();
  j["top1_agreement"] = r.top1_agreement();
  j["sparsity"] = r.sparsity();
  json per = json::object();
  for (int p = 0; p < dec::kProjections; ++p) per[dec::projection_name(dec::projection(p))] = r.sparsity(dec::projection(p));
  j["sparsity_per_projection"] = per;
  return j;
}

void print_eval_header() {
  std::printf("%-12s %-11s %6s %9s %9s %8s %7s %8s\n", "weights", "rule", "target", "ppl", "ppl/dense", "mean KL",
              "top-1", "realised");
}
void print_eval_row(const json& j) {
  std::printf("%-12s %-11s %5.0f%% %9.3f %9.4f %8.4f %6.1f%% %7.1f%%\n", j["weights"].get<std::string>().c_str(),
              j["rule"].get<std::string>().c_str(), 100 * j["target"].get<double>(), j["perplexity"].get<double>(),
              j["perplexity_vs_dense"].get<double>(), j["mean_kl"].get<double>(),
              100 * j["top1_agreement"].get<double>(), 100 * j["sparsity"].get<double>());
  std::fflush(stdout);
}

}  // namespace

int run_study(const study_cli& c) {
  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
  auto say = [&](const std::string& s) {
    if (!c.quiet) std::fprintf(stderr, "[study %6.0f s] %s\n", elapsed(), s.c_str());
  };
  auto progress = [&](const std::string& what) -> dec::progress_fn {
    if (c.quiet) return {};
    const bool tty = isatty(2) != 0;
    return [what, tty, &elapsed](std::size_t done, std::size_t all) {
      // On a terminal one line rewritten; in a log a line per tenth of the chunks.
      if (!tty && done != all && done * 10 / all == (done - 1) * 10 / all) return;
      std::fprintf(stderr, "%s[study %6.0f s] %s: chunk %zu of %zu%s", tty ? "\r" : "", elapsed(), what.c_str(), done,
                   all, tty && done != all ? "" : "\n");
    };
  };
  if (c.chunk < 2) fail("--chunk " + std::to_string(c.chunk) + " must be >= 2");
  if (c.workers < 1) fail("--workers " + std::to_string(c.workers) + " must be >= 1");
  if (c.dense_layers < 0) fail("--dense-layers " + std::to_string(c.dense_layers) + " must be >= 0");
  for (int s : c.sparsity)
    if (s < 0 || s >= 100) fail("--sparsity " + std::to_string(s) + " must be in [0, 100)");
  std::vector<width> widths;
  for (const auto& w : c.widths)
    if (w != "none") widths.push_back(parse_width(w));  // "none": only the file's own weights
  std::vector<dec::sparsity_rule> rules;
  for (const auto& r : c.rules) rules.push_back(parse_rule(r));
  machine_profile machine;
  const bool have_machine = !c.machine.empty();
  if (have_machine) machine = load_machine(c.machine);

  const actsparse::gguf_file file(c.model);
  const dec::tokenizer tok(file);
  const std::vector<std::int32_t> calib_ids = tokenize_file(tok, c.calib_text, "--calib-text");
  const std::vector<std::int32_t> eval_ids = tokenize_file(tok, c.eval_text, "--eval-text");
  const auto calib = dec::make_chunks(tok, calib_ids, c.chunk, c.calib_tokens);
  const auto eval = dec::make_chunks(tok, eval_ids, c.chunk, c.eval_tokens);
  const auto eval_ref = dec::make_chunks(tok, eval_ids, c.chunk, c.reference_tokens ? c.reference_tokens : c.eval_tokens);
  // Where the results go, before an hour of decoding: the thresholds' folder is made, the
  // JSON's folder must exist and be writable.
  if (!c.thresholds_dir.empty()) {
    std::error_code ec;
    fs::create_directories(c.thresholds_dir, ec);
    if (ec || !fs::is_directory(c.thresholds_dir, ec))
      fail("--thresholds-dir '" + c.thresholds_dir + "': cannot make the folder" + (ec ? ": " + ec.message() : ""));
  }
  {
    const fs::path out_dir = fs::path(c.out).parent_path();
    const std::string dir = out_dir.empty() ? std::string(".") : out_dir.string();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail("--out '" + c.out + "': no folder '" + dir + "' to write it in");
    if (::access(dir.c_str(), W_OK) != 0) fail("--out '" + c.out + "': the folder '" + dir + "' is not writable");
  }
  auto count = [](const std::vector<std::vector<std::int32_t>>& chunks) {
    std::size_t n = 0;
    for (const auto& ch : chunks) n += ch.size();
    return n;
  };
  say("calibration text: " + std::to_string(calib_ids.size()) + " tokens, using " + std::to_string(count(calib)) +
      " in " + std::to_string(calib.size()) + " chunks; evaluation text: " + std::to_string(eval_ids.size()) +
      " tokens, using " + std::to_string(count(eval)) + " in " + std::to_string(eval.size()) + " chunks");

  json out;
  out["schema"] = "actsparse-study/1";
  out["host"] = host_facts();
  out["date"] = now_utc();
  out["model"] = c.model;
  out["texts"] = {{"calibration", {{"file", c.calib_text}, {"tokens_in_file", calib_ids.size()},
                                    {"tokens_used", count(calib)}, {"chunks", calib.size()}}},
                  {"evaluation", {{"file", c.eval_text}, {"tokens_in_file", eval_ids.size()},
                                   {"tokens_used", count(eval)}, {"chunks", eval.size()}}},
                  {"chunk", c.chunk}};

  // A model per worker, one thread per product.
  auto make_models = [&](dec::options opt, int n) {
    opt.threads = 1;
    opt.max_context = c.chunk + 1;
    std::vector<std::unique_ptr<dec::llama_model>> m;
    for (int i = 0; i < n; ++i) m.push_back(std::make_unique<dec::llama_model>(file, opt));
    return m;
  };
  auto pointers = [](const std::vector<std::unique_ptr<dec::llama_model>>& m) {
    std::vector<dec::llama_model*> p;
    for (const auto& x : m) p.push_back(x.get());
    return p;
  };

  // ---- 2. activations and thresholds (8-bit g32)
  dec::options base;
  base.mode = dec::linear_mode::sparse;
  base.bits = actsparse::quant_table::parse("8", 32);
  dec::activation_profile prof;
  {
    auto models = make_models(base, c.workers);
    say("profiling activations on the calibration text (8-bit g32 weights)");
    prof = dec::profile_activations(pointers(models), calib, progress("calibration"));
  }
  const dec::llama_hparams hp = dec::read_llama_hparams(file);
  out["hparams"] = {{"n_layers", hp.n_layers}, {"n_embd", hp.n_embd}, {"n_ff", hp.n_ff}, {"n_heads", hp.n_heads},
                    {"n_kv_heads", hp.n_kv_heads}, {"n_vocab", hp.n_vocab}};
  out["activations"] = histograms(prof, hp);

  // The calibrated per-tensor thresholds, the first --dense-layers layers at 0.
  auto thresholds_for = [&](dec::sparsity_rule rule, double target) {
    std::vector<dec::layer_thresholds> t = prof.thresholds(rule, target);
    for (int l = 0; l < std::min(c.dense_layers, hp.n_layers); ++l) t[l].fill(0.0f);
    return t;
  };
  std::vector<dec::eval_config> configs;
  json thresholds = json::array();
  for (std::size_t r = 0; r < rules.size(); ++r)
    for (int s : c.sparsity) {
      if (s == 0) continue;  // threshold 0 everywhere: the dense row
      dec::eval_config cfg;
      cfg.rule = rules[r];
      cfg.target = s / 100.0;
      cfg.name = c.rules[r] + " " + std::to_string(s) + "%";
      cfg.thresholds = thresholds_for(cfg.rule, cfg.target);
      configs.push_back(cfg);
      json t;
      t["rule"] = c.rules[r];
      t["target"] = cfg.target;
      json layers = json::array();
      for (int l = 0; l < hp.n_layers; ++l)
        layers.push_back(std::vector<float>(cfg.thresholds[l].begin(), cfg.thresholds[l].end()));
      t["per_layer"] = layers;  // [layer][q, k, v, o, gate, up, down]
      if (!c.thresholds_dir.empty()) {
        const std::string path = c.thresholds_dir + "/thresholds-" + c.rules[r] + "-" + std::to_string(s) + ".txt";
        dec::thresholds_to_table(cfg.thresholds).save(path);
        t["file"] = path;
      }
      thresholds.push_back(t);
    }
  out["thresholds"] = thresholds;
  out["dense_layers"] = c.dense_layers;

  // ---- 3. quality
  json quality = json::array();
  if (!c.quiet) print_eval_header();
  // The file's own weights first: one dense pass (or more with --reference-sparse), the
  // unit of the repacking cost.
  if (c.reference) {
    dec::options opt = base;
    opt.mode = dec::linear_mode::reference;
    auto models = make_models(opt, c.workers);
    say("evaluating the file's own weights (reference mode, fp32 dequantized)");
    const auto res = dec::evaluate(pointers(models), eval_ref, c.reference_sparse ? configs : std::vector<dec::eval_config>{},
                                   progress("reference"));
    const std::string label = "file " + file.find("blk.0.ffn_down.weight").type;
    for (std::size_t i = 0; i < res.size(); ++i) {
      quality.push_back(i == 0 ? eval_row(label, "dense", 0.0, res[0], res[0])
                               : eval_row(label, dec::rule_name(configs[i - 1].rule), configs[i - 1].target, res[i], res[0]));
      if (!c.quiet) print_eval_row(quality.back());
    }
  }
  for (const width& w : widths) {
    dec::options opt = base;
    opt.bits = w.table();
    opt.precision = w.precision();
    auto models = make_models(opt, c.workers);
    say("evaluating " + w.label() + ": dense and " + std::to_string(configs.size()) + " sparse settings");
    const auto res = dec::evaluate(pointers(models), eval, configs, progress(w.label()));
    quality.push_back(eval_row(w.label(), "dense", 0.0, res[0], res[0]));
    if (!c.quiet) print_eval_row(quality.back());
    for (std::size_t i = 0; i < configs.size(); ++i) {
      json row = eval_row(w.label(), dec::rule_name(configs[i].rule), configs[i].target, res[i + 1], res[0]);
      quality.push_back(row);
      if (!c.quiet) print_eval_row(row);
    }
    out["quality"] = quality;
    write_json(c.out, out);  // each width's rows as soon as they exist
  }
  out["quality"] = quality;
  write_json(c.out, out);

  // ---- 4. speed
  json speed = json::array();
  if (c.speed) {
    const std::size_t prompt_len = 32;
    if (eval_ids.size() < prompt_len + std::size_t(c.speed_tokens) * c.speed_reps)
      fail("the evaluation text is too short for the speed runs");
    const std::vector<std::int32_t> prompt(eval_ids.begin(), eval_ids.begin() + prompt_len);
    const std::vector<std::int32_t> text(eval_ids.begin() + prompt_len, eval_ids.end());
    const int ctx = static_cast<int>(prompt_len) + c.speed_tokens * c.speed_reps;
    std::vector<int> targets = {0};
    for (int s : c.sparsity)
      if (s > 0) targets.push_back(s);
    for (const width& w : widths) {
      dec::options opt = base;
      opt.bits = w.table();
      opt.precision = w.precision();
      opt.max_context = ctx;
      for (const bool stream : {false, true}) {
        if (stream && c.stream_mib <= 0) continue;
        std::unique_ptr<dec::llama_model> m;
        opt.copies = 1;
        m = std::make_unique<dec::llama_model>(file, opt);
        if (stream) {
          opt.copies = std::max(2, static_cast<int>(std::ceil(c.stream_mib * 1048576.0 / double(m->weight_bytes()))));
          m = std::make_unique<dec::llama_model>(file, opt);
        }
        const std::size_t bytes = m->weight_bytes();
        say("speed " + w.label() + (stream ? ", streamed (" + std::to_string(opt.copies) + " copies, " +
                                                 std::to_string(bytes * opt.copies >> 20) + " MiB)"
                                           : ", hot (" + std::to_string(bytes >> 20) + " MiB of weights)"));
        for (int threads : c.threads) {
          m->set_threads(threads);
          for (int s : targets) {
            m->set_mode(s == 0 ? dec::linear_mode::dense : dec::linear_mode::sparse);
            m->set_thresholds(s == 0 ? std::vector<dec::layer_thresholds>{}
                                     : thresholds_for(dec::sparsity_rule::magnitude, s / 100.0));
            const dec::speed_result r = dec::time_decode(*m, prompt, text, c.speed_tokens, c.speed_reps);
            json j;
            j["weights"] = w.label();
            j["residency"] = stream ? "stream" : "hot";
            j["copies"] = opt.copies;
            j["weight_bytes"] = bytes;
            j["threads"] = threads;
            j["mode"] = s == 0 ? "dense" : "sparse";
            j["rule"] = s == 0 ? "dense" : "magnitude";
            j["target"] = s / 100.0;
            j["tokens_per_s"] = r.tokens_per_s;
            j["runs"] = r.runs;
            double proj_s = 0;
            std::uint64_t proj_bytes = 0;
            json per = json::array();
            for (int p = 0; p < dec::kProjections; ++p) {
              const auto& k = r.per_kind[p];
              json q;
              q["projection"] = dec::projection_name(dec::projection(p));
              q["sparsity"] = k.inputs ? 1.0 - double(k.active) / double(k.inputs) : 0.0;
              q["bytes_per_token"] = double(k.bytes) / double(r.tokens);
              q["ms_per_token"] = 1e3 * k.seconds / double(r.tokens);
              const double gbps = k.seconds > 0 ? double(k.bytes) / k.seconds / 1e9 : 0.0;
              q["GBps"] = gbps;
              if (have_machine) {
                const level_bandwidth& lv = stream ? machine.level("DRAM", threads)
                                                   : machine.level_holding(bytes, threads);
                q["roof_level"] = lv.name;
                q["roof_GBps"] = lv.GBps;
                q["roof_fraction"] = lv.GBps > 0 ? gbps / lv.GBps : 0.0;
              }
              per.push_back(q);
              proj_s += k.seconds;
              proj_bytes += k.bytes;
            }
            j["per_projection"] = per;
            j["projections_ms_per_token"] = 1e3 * proj_s / double(r.tokens);
            j["projections_bytes_per_token"] = double(proj_bytes) / double(r.tokens);
            speed.push_back(j);
            if (!c.quiet)
              std::fprintf(stderr, "  %-12s %-6s %d thread%s %-6s %3d%%: %7.1f tokens/s (projections %.2f ms/token)\n",
                           w.label().c_str(), stream ? "stream" : "hot", threads, threads == 1 ? " " : "s",
                           s == 0 ? "dense" : "sparse", s, r.tokens_per_s, 1e3 * proj_s / double(r.tokens));
          }
        }
      }
    }
  }
  out["speed"] = speed;
  out["seconds"] = elapsed();
  write_json(c.out, out);
  say("wrote " + c.out);
  return 0;
}

}  // namespace roofline
