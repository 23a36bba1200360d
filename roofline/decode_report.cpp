// roofline/decode_report.cpp: the report's decode page, from `actsparse decode` results, the
// machine profile, the target profiles and the leave-one-out validation of their CPU figure.
#include "decode_report.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "decode.hpp"
#include "projection.hpp"
#include "report_html.hpp"
#include "targets.hpp"

namespace roofline {

namespace {

std::string ms(double s) { return num(s * 1e3, 4); }
std::string mb(double b) { return num(b / 1e6, 5); }
std::string ratio(double x) { return num(x, 3) + "x"; }

struct projection_sums {
  double bytes_dense = 0, bytes_sparse = 0, dense_s = 0, sparse_s = 0, dense_model = 0, sparse_model = 0;
  double weights = 0, bits_weights = 0, sparsity_weights = 0;
};

}  // namespace

void decode_page(tables& t, const decode_result& r, const machine_profile& m) {
  // Everything the page shows is computed first, so a missing figure throws before writing.
  int max_t = 0;
  for (const auto& run : r.runs) max_t = std::max(max_t, run.threads);
  // The per-projection table and the Apple projections use the first precision measured
  // (exact unless the run asked for int8 alone).
  const std::string& mode = r.runs.empty() ? std::string("exact") : r.runs.front().precision;
  const decode_run* dense_max = nullptr;
  const decode_run* sparse_max = nullptr;
  for (const auto& run : r.runs)
    if (run.threads == max_t && run.precision == mode) (run.sparse ? sparse_max : dense_max) = &run;
  if (!dense_max || !sparse_max) throw std::runtime_error("decode results lack a dense or a sparse pass");
  const double ideal = r.bytes(false) / r.bytes(true);

  heading(t, "Per token",
          r.model.label + ", " + r.bits_spec + " bits (mean " + num(r.bits_mean, 3) + " bits per weight before scales), g" +
              std::to_string(r.group) + ". Sparse pass: " + r.sparsity_spec + ", " + r.pattern +
              " activations; dense pass: every input active (gemv_dense). The passes alternate token by token; "
              "medians of " + std::to_string(r.tokens) + " tokens after one warm-up each. Mode: the precision "
              "(exact fp32, or int8: activations quantized per block of 32 active inputs and integer dot products); rel. err = "
              "max |y - ref| / max |ref| against the double-precision product, the largest over one matrix of each "
              "projection. " +
              (r.panels > 0 ? "Every matrix split into " + std::to_string(r.panels) +
                                  " panels (panel_matrix: one buffer per thread). "
                            : std::string()) +
              "Memory: " +
              num(r.weights_bytes / 1e9, 4) + " GB of packed weights, peak resident " + num(r.peak_rss_bytes / 1e9, 4) +
              " GB, " + num(r.total_bytes / 1e9, 4) + " GB in the machine. Model = the roofline prediction summed over "
              "the pass's matrices (max(bytes / bandwidth of the level holding the whole model, weights / compute "
              "ceiling) + fixed cost per call).");
  std::vector<std::vector<std::string>> body;
  std::map<int, double> speedups;
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const decode_run& run = r.runs[i];
    const decode_run* dense = &run;
    for (const auto& d : r.runs)
      if (!d.sparse && d.threads == run.threads && d.precision == run.precision) dense = &d;
    // The model is the exact kernels' roofline: the probe measures no int8 compute ceiling.
    const bool modelled = run.precision == "exact";
    double model_s = 0;
    if (modelled)
      for (const auto& p : r.parts) model_s += predict_decode(m, r, p, run.sparse, run.threads).seconds;
    const double bytes = r.bytes(run.sparse);
    const double speedup = dense->seconds / run.seconds;
    if (run.sparse && run.precision == mode) speedups[run.threads] = speedup;
    body.push_back({std::to_string(run.threads), run.sparse ? "sparse" : "dense", run.precision, ms(run.seconds),
                    mb(bytes), num(bytes / run.seconds / 1e9, 4), num(1 / run.seconds, 4),
                    modelled ? ms(model_s) : "n/a", modelled ? pct(run.seconds / model_s - 1) : "n/a",
                    ratio(speedup), run.sparse ? ratio(ideal) : "", run.sparse ? pct(speedup / ideal) : "",
                    run.max_rel_err >= 0 ? num(run.max_rel_err, 2) : "not measured"});
  }
  table(t, {"threads", "pass", "mode", "ms/token", "MB/token", "eff. GB/s", "tokens/s", "model ms", "error", "speedup",
            "ideal (bytes)", "of ideal", "rel. err"},
        body, "decode-tokens");

  // ---- per projection, the most threads measured
  std::map<std::string, projection_sums> by;
  for (std::size_t i = 0; i < r.parts.size(); ++i) {
    const decode_part& p = r.parts[i];
    auto& s = by[p.proj];
    s.bytes_dense += p.bytes_dense;
    s.bytes_sparse += p.bytes_sparse;
    s.dense_s += dense_max->part_seconds[i];
    s.sparse_s += sparse_max->part_seconds[i];
    s.dense_model += predict_decode(m, r, p, false, max_t).seconds;
    s.sparse_model += predict_decode(m, r, p, true, max_t).seconds;
    const double w = double(p.N) * double(p.K) * p.matrices;
    s.weights += w;
    s.bits_weights += w * p.bits;
    s.sparsity_weights += w * p.sparsity;
  }
  heading(t, "Bytes and time per token by projection",
          "All layers of each projection together, " + std::to_string(max_t) + " thread(s), " + mode +
              " mode. Bytes are what the kernels must move per token (strips read, x, the index list, y); the "
              "sparse pass reads only the strips of active inputs. Measured = median per token of the summed call "
              "times; model = the roofline prediction for the same calls.");
  std::vector<std::string> cats;
  std::vector<double> bd, bs, td, ts, md, msp;
  body.clear();
  for (const auto& shape : r.model.projections()) {  // decode order
    const std::string& proj = shape.proj;
    if (!by.count(proj)) continue;
    const auto& s = by.at(proj);
    cats.push_back(proj);
    bd.push_back(s.bytes_dense / 1e6);
    bs.push_back(s.bytes_sparse / 1e6);
    td.push_back(s.dense_s * 1e3);
    ts.push_back(s.sparse_s * 1e3);
    md.push_back(s.dense_model * 1e3);
    msp.push_back(s.sparse_model * 1e3);
    body.push_back({proj, num(s.bits_weights / s.weights, 3), pct(s.sparsity_weights / s.weights), mb(s.bytes_dense),
                    mb(s.bytes_sparse), ms(s.dense_s), ms(s.dense_model), ms(s.sparse_s), ms(s.sparse_model),
                    ratio(s.dense_s / s.sparse_s), ratio(s.bytes_dense / s.bytes_sparse)});
  }
  t.html << "<figure id=\"decode-bytes\">"
         << svg::bars("MB per token by projection", "MB", cats, {{"dense", bd}, {"sparse", bs}}, 900, 380) << "</figure>\n";
  t.html << "<figure id=\"decode-time\">"
         << svg::bars("ms per token by projection, measured and model (" + std::to_string(max_t) + " thread(s))", "ms",
                      cats, {{"dense measured", td}, {"dense model", md}, {"sparse measured", ts}, {"sparse model", msp}},
                      900, 380)
         << "</figure>\n";
  table(t, {"projection", "bits", "sparsity", "dense MB", "sparse MB", "dense ms", "dense model ms", "sparse ms",
            "sparse model ms", "speedup", "ideal (bytes)"},
        body, "decode-projections");

  // ---- targets
  const double eff = speedups.count(max_t) ? speedups.at(max_t) / ideal : 0;
  const std::vector<plan_matrix> plan = r.plan();
  heading(t, "Projected decode on Apple Silicon",
          "Tokens per second for this pass (" + r.model.label + ", " + r.bits_spec + " bits, sparse pass: " +
              r.sparsity_spec + ") on each target profile. Assumptions: decode is bound by reading the weights; every "
              "weight matrix is read once per token, packed with the target's 128-byte lines; the bandwidth is the "
              "profile's CPU-reachable figure (fitted on published CPU-only decode measurements, or derived from other "
              "chips' where a chip has none; Apple's SoC figure is the upper bound; docs/profiles.md has the rule and "
              "sources; the validation below sets it beside published decode rates); attention over the KV cache, norms and activations are left out (short contexts). "
              "'ideal' reads exactly the active strips at that bandwidth; 'at this machine's efficiency' scales the "
              "ideal speedup by the fraction of it measured here (" +
              (eff > 0 ? pct(eff) : std::string("not measured")) + " with " + std::to_string(max_t) +
              " thread(s)), an assumption that the target's kernels lose as much to scattered reads as these do.");
  body.clear();
  cats.clear();
  std::vector<double> pd, pi, pe;
  for (const auto& prof : builtin_profiles()) {
    const projection_result p = project(plan, prof);
    const double adj = eff > 0 ? p.tps_dense * (p.bytes_dense / p.bytes_sparse) * eff : 0;
    body.push_back({prof.label, num(p.GBps, 4) + " (" + p.bandwidth_kind + ")",
                    num(p.bytes_dense / 1e9, 4), num(p.tps_dense, 4), num(p.bytes_sparse / 1e9, 4), num(p.tps_sparse, 4),
                    eff > 0 ? num(adj, 4) : "n/a"});
    cats.push_back(prof.label);
    pd.push_back(p.tps_dense);
    pi.push_back(p.tps_sparse);
    pe.push_back(adj);
  }
  std::vector<std::pair<std::string, std::vector<double>>> series = {{"dense", pd}, {"sparse, ideal", pi}};
  if (eff > 0) series.push_back({"sparse, at this machine's efficiency", pe});
  t.html << "<figure id=\"decode-projections\">"
         << svg::bars(r.model.label + " decode tokens/s by target", "tokens/s", cats, series, 900, 420) << "</figure>\n";
  table(t, {"profile", "GB/s used", "GB/token dense", "tok/s dense", "GB/token sparse", "tok/s sparse, ideal",
            "tok/s sparse, at this machine's efficiency"},
        body, "decode-projections-table");

  // ---- validation: `actsparse project --validate`'s leave-one-out rows (projection.hpp)
  const std::vector<target_profile> profiles = builtin_profiles();
  const std::vector<decode_measurement> measured = builtin_decode_measurements();
  const std::vector<validation_row> rows = validate_leave_one_out(profiles, measured);
  const validation_summary summary = summarize_validation(rows);
  heading(t, "Validation against published CPU-only decode rates, leave one out",
          "Each published llama.cpp decode rate with the model run on the CPU "
          "(roofline/profiles/apple_validation.json) beside the dense projection of its model at the nearest "
          "actsparse width, using its chip's CPU-reachable figure fitted without that measurement: P-cores x the "
          "median per-P-core GB/s of the other measurements of the chip's generation (of all generations when none "
          "is left), capped at Apple's SoC figure (docs/profiles.md). Error = projected / published - 1; the goal is "
          "a median |error| within " + pct(kValidationMedianGoal) + " and a worst within " +
              pct(kValidationWorstGoal) + ". `actsparse project --validate` prints the same rows.");
  const std::string metal =
      "The Apple GPU (Metal) cannot be run on these machines, so it is left out of the model, and of this table, "
      "until it can be measured.";
  t.html << "<p id=\"decode-metal\">" << escape(metal) << "</p>\n";
  t.md << "\n" << metal << "\n";
  body.clear();
  std::string sources_html, sources_md;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const decode_measurement& v = measured[i];
    const validation_row& r = rows[i];
    const std::string chip = find_profile(profiles, v.profile).label;
    const std::string what = find_model(v.model).label + ", " + v.quant;
    body.push_back({std::to_string(i + 1), chip, what, v.threads ? std::to_string(*v.threads) : "not stated",
                    num(v.tokens_per_s, 4), num(r.bytes / 1e9, 4),
                    num(r.fit.GBps, 4) + " (" + r.fit.pool + ", " + std::to_string(r.fit.used) + ")",
                    num(r.projected_tps, 4), (r.error >= 0 ? "+" : "") + pct(r.error), v.url});
    sources_html += "<li>" + escape(chip + ", " + what + ": " + v.source + " ") + "<a href=\"" + escape(v.url) + "\">" +
                    escape(v.url) + "</a></li>\n";
    sources_md += std::to_string(i + 1) + ". " + chip + ", " + what + ": " + v.source + " " + v.url + "\n";
  }
  table(t, {"#", "chip", "model, quant", "threads", "published tok/s", "GB/token",
            "CPU GB/s without it (pool, n)", "projected tok/s (held out)", "error", "source"},
        body, "decode-validation");
  t.html << "<ol id=\"decode-validation-sources\">\n" << sources_html << "</ol>\n";
  t.md << sources_md;
  const std::string verdict = "Median |error| " + pct(summary.median_abs) + ", worst " + pct(summary.worst_abs) +
                              ": the goal (median within " + pct(kValidationMedianGoal) + ", worst within " +
                              pct(kValidationWorstGoal) + ") is " + (summary.met ? "met" : "not met") + ".";
  t.html << "<p id=\"decode-verdict\">" << escape(verdict) << "</p>\n";
  t.md << "\n" << verdict << "\n";
}

}  // namespace roofline
