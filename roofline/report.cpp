// roofline/report.cpp: `actsparse report`, machine profile + benchmark JSON -> a directory
// with index.html (self-contained: inline CSS and SVG, opens offline), report.md and
// rows.csv, and the decode and real-model pages when their results are given. Every input
// is read and checked before anything is written, and the directory is assembled beside
// the target and renamed into place, so a bad input never leaves a half-written report.
#include <fcntl.h>  // AT_FDCWD
#include <stdio.h>  // renameat2 (glibc 2.28)
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "bench_rows.hpp"
#include "decode.hpp"
#include "decode_report.hpp"
#include "machine.hpp"
#include "model.hpp"
#include "projection.hpp"
#include "report.hpp"
#include "report_html.hpp"
#include "study_report.hpp"
#include "study_result.hpp"
#include "svg.hpp"
#include "targets.hpp"

namespace roofline {
namespace {

namespace fs = std::filesystem;
using svg::escape;
using svg::num;

struct row_view {
  bench_row r;
  prediction p;
  const bench_row* dense = nullptr;     // the dense run of the same configuration
  const prediction* dense_p = nullptr;  // and its prediction
  double speedup() const { return dense ? dense->seconds / r.seconds : 1.0; }
  double ideal() const { return r.active > 0 ? 1.0 / r.active : 0.0; }
  double error() const { return p.seconds > 0 ? r.seconds / p.seconds - 1.0 : 0.0; }
};

// The model's speedup: predicted dense time / predicted sparse time.
double predict_ratio(const row_view& v) { return v.dense_p ? v.dense_p->seconds / v.p.seconds : 1.0; }

std::string shape_name(const bench_row& r) { return num(r.N, 6) + "x" + num(r.K, 6); }
std::string mode_name(const bench_row& r) { return r.stream ? "stream" : "hot"; }

// Rows on a panel_matrix (actsparse-bench --panels 1): the packed kind + "_panels".
bool is_panels(const bench_row& r) {
  const std::string suffix = "_panels";
  return r.kind.size() > suffix.size() && r.kind.compare(r.kind.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool same_config(const bench_row& a, const bench_row& b) {
  return a.N == b.N && a.K == b.K && a.bits == b.bits && a.group == b.group && a.threads == b.threads &&
         a.stream == b.stream;
}

void machine_section(tables& t, const machine_profile& m) {
  heading(t, "Machine", "Measured by `actsparse probe` on " + m.date + ".");
  std::vector<std::vector<std::string>> body = {
      {"host", m.hostname}, {"CPU", m.cpu_model}, {"kernel ISA", m.isa},
      {"packages / cores / PUs / NUMA nodes", std::to_string(m.packages) + " / " + std::to_string(m.cores) + " / " +
                                                  std::to_string(m.pus) + " / " + std::to_string(m.numa_nodes)},
      {"memory", num(double(m.memory_bytes) / (1 << 30), 4) + " GiB"}};
  for (const auto& c : m.caches)
    body.push_back({"L" + std::to_string(c.level) + " cache",
                    num(double(c.size) / 1024, 6) + " KiB x " + std::to_string(c.count) + ", " + std::to_string(c.line) + "-byte lines"});
  table(t, {"", ""}, body, "machine");

  std::vector<std::vector<std::string>> lv;
  for (const auto& l : m.levels)
    lv.push_back({l.name, std::to_string(l.threads), num(l.GBps, 4), num(double(l.capacity) / (1 << 20), 4)});
  t.html << "<h3>Read bandwidth per level</h3>\n";
  t.md << "### Read bandwidth per level\n";
  table(t, {"level", "threads", "GB/s", "capacity MiB"}, lv, "levels");

  std::vector<std::vector<std::string>> cc;
  for (const auto& c : m.compute)
    cc.push_back({std::to_string(c.bits), std::to_string(c.threads), num(c.weights_per_s / 1e9, 4), num(c.GFLOPs, 4)});
  t.html << "<h3>Compute ceiling of the dense kernel (cache-resident, g64)</h3>\n";
  t.md << "### Compute ceiling of the dense kernel (cache-resident, g64)\n";
  table(t, {"bits", "threads", "Gweights/s", "GFLOP/s"}, cc, "compute");
  std::vector<std::vector<std::string>> fc;
  for (const auto& f : m.fixed) fc.push_back({std::to_string(f.threads), num(f.seconds * 1e6, 3)});
  table(t, {"threads", "fixed cost per call (us)"}, fc, "fixed");

  svg::chart c("Read bandwidth vs working set", {"working set (KiB)", true}, {"GB/s", false});
  std::set<int> threads;
  for (const auto& p : m.sweep) threads.insert(p.threads);
  std::size_t i = 0;
  for (int th : threads) {
    svg::series s{std::to_string(th) + " thread(s)", svg::palette(i++), {}};
    for (const auto& p : m.sweep)
      if (p.threads == th) s.points.push_back({double(p.bytes) / 1024, p.GBps});
    c.add(s);
  }
  c.fit();
  t.html << "<figure id=\"sweep\">" << c.render() << "</figure>\n";
}

void roofline_section(tables& t, const machine_profile& m, const std::vector<row_view>& rows) {
  heading(t, "Roofline",
          "Every kernel run as a point: arithmetic intensity (useful flops per byte the format obliges the kernel to "
          "move) against achieved GFLOP/s. Sloped lines are the measured read bandwidth of each memory level, "
          "horizontal lines the measured compute ceiling of the dense kernel per bit width. Filled points read "
          "weights from DRAM (stream mode), hollow ones from cache (hot).");
  std::set<int> threads;
  for (const auto& v : rows) threads.insert(int(v.r.threads));
  for (int th : threads) {
    svg::chart c("Roofline, " + std::to_string(th) + " thread(s)", {"arithmetic intensity (flop/byte)", true},
                 {"GFLOP/s", true});
    std::size_t color = 0;
    for (const char* lvl : {"L1", "L2", "LLC", "DRAM"}) {
      double bw = 0;
      try {
        bw = m.level(lvl, th).GBps;
      } catch (const std::exception&) {
        continue;
      }
      svg::series s{std::string(lvl) + " " + num(bw, 3) + " GB/s", "#999", {}, true, false, true};
      s.color = svg::palette(color++ + 6);
      for (double ai : {0.05, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0}) s.points.push_back({ai, bw * ai});
      c.add(s);
    }
    std::set<int> bits;
    for (const auto& v : rows)
      if (v.r.kind == "dense" || v.r.kind == "sparse") bits.insert(int(v.r.bits));
    for (int b : bits) {
      double g = 0;
      for (const auto& cc : m.compute)
        if (cc.bits == b && cc.threads <= th) g = std::max(g, cc.GFLOPs);
      if (g <= 0) continue;
      svg::series s{std::to_string(b) + "-bit compute " + num(g, 3), "#555", {{0.05, g}, {30.0, g}}, true, false, true};
      s.color = svg::palette(b);
      c.add(s);
    }
    std::map<std::string, svg::series> pts;
    for (const auto& v : rows) {
      if (int(v.r.threads) != th || v.r.bytes <= 0 || v.r.GFLOPs <= 0) continue;
      const std::string key = v.r.kind + " " + mode_name(v.r);
      auto& s = pts[key];
      if (s.name.empty()) {
        s.name = key;
        s.line = false;
        s.hollow = !v.r.stream;
        static const char* order[] = {"dense", "sparse", "fp32", "fp16", "dense_panels", "sparse_panels"};
        const auto* it = std::find(std::begin(order), std::end(order), v.r.kind);
        s.color = svg::palette(it == std::end(order) ? 3 : std::size_t(it - std::begin(order)));
      }
      s.points.push_back({v.r.GFLOPs / v.r.eff_GBps, v.r.GFLOPs});
    }
    for (auto& [k, s] : pts) c.add(s);
    c.fit();
    t.html << "<figure class=\"roofline\">" << c.render() << "</figure>\n";
  }
}

void speedup_section(tables& t, const std::vector<row_view>& rows) {
  heading(t, "Speedup versus sparsity",
          "Sparse kernel time against the dense kernel of the same configuration, in the same run; the ideal is "
          "1/(1-s) (bytes saved), the model's prediction is predicted dense time / predicted sparse time.");
  std::set<std::tuple<int, int, bool>> panels;  // bits, threads, stream
  for (const auto& v : rows)
    if (v.r.kind == "sparse" && v.dense) panels.insert({int(v.r.bits), int(v.r.threads), v.r.stream});
  std::vector<std::vector<std::string>> body;
  for (const auto& [bits, th, stream] : panels) {
    svg::chart c(std::to_string(bits) + "-bit, " + std::to_string(th) + " thread(s), " + (stream ? "stream" : "hot"),
                 {"sparsity", false}, {"speedup over dense", true});
    std::map<std::string, svg::series> measured, predicted;
    svg::series ideal{"ideal 1/(1-s)", "#000", {}, true, false, true};
    std::set<double> ideal_x;
    std::size_t color = 0;
    for (const auto& v : rows) {
      if (v.r.kind != "sparse" || !v.dense || int(v.r.bits) != bits || int(v.r.threads) != th || v.r.stream != stream)
        continue;
      const std::string key = shape_name(v.r) + " g" + num(v.r.group) + (v.r.clustered ? " clustered" : " uniform");
      auto& s = measured[key];
      if (s.name.empty()) s = {key, svg::palette(color++), {}};
      s.points.push_back({1 - v.r.active, v.speedup()});
      const std::string pkey = shape_name(v.r) + " g" + num(v.r.group) + " model";
      auto& ps = predicted[pkey];
      if (ps.name.empty()) ps = {pkey, s.color, {}, true, false, true};
      if (!v.r.clustered) ps.points.push_back({1 - v.r.active, predict_ratio(v)});
      ideal_x.insert(1 - v.r.active);
      body.push_back({shape_name(v.r), std::to_string(bits), num(v.r.group), std::to_string(th), mode_name(v.r),
                      v.r.clustered ? "clustered" : "uniform", pct(1 - v.r.active), num(v.dense->seconds * 1e3, 4),
                      num(v.r.seconds * 1e3, 4), num(v.speedup(), 3) + "x", num(v.ideal(), 3) + "x",
                      num(predict_ratio(v), 3) + "x", pct(v.speedup() / v.ideal())});
    }
    for (double x : ideal_x) ideal.points.push_back({x, 1 / (1 - x)});
    for (auto& [k, s] : measured) {
      std::sort(s.points.begin(), s.points.end());
      c.add(s);
    }
    for (auto& [k, s] : predicted) {
      std::sort(s.points.begin(), s.points.end());
      c.add(s);
    }
    c.add(ideal);
    c.fit();
    c.x().lo = 0;
    c.x().hi = 1;
    t.html << "<figure class=\"speedup\">" << c.render() << "</figure>\n";
  }
  table(t,
        {"shape", "bits", "group", "threads", "mode", "pattern", "sparsity", "dense ms", "sparse ms", "speedup", "ideal",
         "model", "of ideal"},
        body, "speedups");
}

void roof_fraction_section(tables& t, const std::vector<row_view>& rows) {
  heading(t, "Fraction of the roof per bit width",
          "Effective bandwidth (bytes the format obliges the kernel to move / time) over the measured bandwidth of the "
          "level the weights come from, for the largest thread count measured. Stream mode: DRAM.");
  int max_t = 1;
  for (const auto& v : rows) max_t = std::max(max_t, int(v.r.threads));
  std::vector<std::string> cats;
  std::map<std::string, std::map<std::string, double>> vals;  // series -> category -> value
  std::vector<std::vector<std::string>> body;
  for (const auto& v : rows) {
    if (int(v.r.threads) != max_t || !v.r.stream || v.r.clustered) continue;
    std::string series;
    if (v.r.kind == "dense" || v.r.kind == "fp32" || v.r.kind == "fp16") series = "dense";
    else if (v.r.kind == "sparse" && std::abs(v.r.sparsity - 0.5) < 1e-6) series = "sparse 50%";
    else if (v.r.kind == "sparse" && std::abs(v.r.sparsity - 0.9) < 1e-6) series = "sparse 90%";
    else continue;
    const std::string cat = (v.r.kind == "fp32" || v.r.kind == "fp16") ? v.r.kind : num(v.r.bits) + "-bit";
    if (std::find(cats.begin(), cats.end(), cat) == cats.end()) cats.push_back(cat);
    const double f = v.r.eff_GBps / v.p.roof_GBps;
    vals[series][cat] = std::max(vals[series][cat], f);
    body.push_back({v.r.kind, shape_name(v.r), num(v.r.bits), pct(v.r.sparsity), num(v.r.eff_GBps, 4),
                    num(v.p.roof_GBps, 4), pct(f)});
  }
  std::sort(cats.begin(), cats.end(), [](const std::string& a, const std::string& b) {
    return std::atof(a.c_str()) != std::atof(b.c_str()) ? std::atof(a.c_str()) < std::atof(b.c_str()) : a < b;
  });
  std::vector<std::pair<std::string, std::vector<double>>> groups;
  for (const auto& [name, m] : vals) {
    std::vector<double> v;
    for (const auto& c : cats) v.push_back(m.count(c) ? m.at(c) : 0.0);
    groups.push_back({name, v});
  }
  if (!cats.empty())
    t.html << "<figure id=\"roof-fraction\">"
           << svg::bars("Effective bandwidth / DRAM roof, " + std::to_string(max_t) + " thread(s)", "fraction of roof",
                        cats, groups)
           << "</figure>\n";
  table(t, {"kernel", "shape", "bits", "sparsity", "effective GB/s", "roof GB/s", "of roof"}, body, "roof-fraction-table");
}

void bytes_section(tables& t, const std::vector<row_view>& rows) {
  heading(t, "Bytes saved",
          "Bytes per call the format obliges each kernel to move: the active strips with their scales and biases, x, "
          "the index list and y. One row per shape, bit width, group and sparsity (uniform pattern).");
  std::vector<std::string> cats;
  std::vector<double> dense_mb, sparse_mb;
  std::vector<std::vector<std::string>> body;
  std::set<std::string> seen;
  for (const auto& v : rows) {
    if (v.r.kind != "sparse" || !v.dense || v.r.clustered) continue;
    const std::string key = shape_name(v.r) + " " + num(v.r.bits) + "b g" + num(v.r.group) + " s" + num(100 * v.r.sparsity);
    if (!seen.insert(key).second) continue;
    body.push_back({shape_name(v.r), num(v.r.bits), num(v.r.group), pct(v.r.sparsity), num(v.dense->bytes / 1e6, 5),
                    num(v.r.bytes / 1e6, 5), num((v.dense->bytes - v.r.bytes) / 1e6, 5),
                    pct(1 - v.r.bytes / v.dense->bytes)});
    if (v.r.bits == 4 || cats.size() < 24) {
      cats.push_back(key);
      dense_mb.push_back(v.dense->bytes / 1e6);
      sparse_mb.push_back(v.r.bytes / 1e6);
    }
  }
  if (!cats.empty())
    t.html << "<figure id=\"bytes\">"
           << svg::bars("MB moved per call", "MB", cats, {{"dense", dense_mb}, {"sparse", sparse_mb}}, 900, 420)
           << "</figure>\n";
  table(t, {"shape", "bits", "group", "sparsity", "dense MB", "sparse MB", "saved MB", "saved"}, body, "bytes-table");
}

// Measured sparse efficiency (speedup / ideal) at sparsity s for one shape: 4-bit, stream
// mode, uniform pattern, the most threads measured; 0 when not measured.
double measured_efficiency(const std::vector<row_view>& rows, double s, double N, double K) {
  double best_t = 0, eff = 0;
  for (const auto& v : rows)
    if (v.r.kind == "sparse" && v.dense && v.r.stream && !v.r.clustered && v.r.bits == 4 && v.r.N == N &&
        v.r.K == K && std::abs(v.r.sparsity - s) < 1e-6 && v.r.threads > best_t) {
      best_t = v.r.threads;
      eff = v.speedup() / v.ideal();
    }
  return eff;
}

// The Apple projection with its compute side (docs/profiles.md, "Compute side"): each
// matrix at the slower of memory and the NEON inner loops, exact and int8 modes.
void compute_side_table(tables& t, const model_shape& model) {
  std::vector<std::vector<std::string>> body;
  for (const auto& prof : builtin_profiles()) {
    if (!prof.pcore.GHz) continue;
    auto cores = [](int n, const core_type& c) {
      return c.GHz ? std::to_string(n) + " x " + num(*c.GHz, 3) + " GHz (" + c.clock_kind + ")" : std::string("n/a");
    };
    std::vector<std::string> row{prof.label, cores(prof.p_cores, prof.pcore), cores(prof.e_cores, prof.ecore)};
    for (const char* precision : {"exact", "int8"}) {
      const projection_result d = project(model, 4, 64, {sparsity_kind::dense, 0}, prof, precision);
      const projection_result a = project(model, 4, 64, {sparsity_kind::all, 0.5}, prof, precision);
      row.push_back(num(d.compute_tps_dense, 4));
      row.push_back(num(d.roof_tps_dense, 4));
      row.push_back(num(a.roof_tps_sparse, 4));
      row.push_back(d.compute_bound_dense ? "compute" : "memory");
      row.push_back(d.has_e_compute ? num(d.chip_compute_tps_dense, 4) : "n/a");
    }
    body.push_back(row);
  }
  if (body.empty()) return;
  t.html << "<p>With the compute side: each matrix at the slower of its bytes over the bandwidth above and its "
            "NEON inner loop's counted cycles (SIMD operations over the P-core's SIMD pipes, or instructions over its decode width) "
            "over P-cores x clock. The P+E column is the compute side with the E-cores working too (each matrix split between "
            "all cores by their speed on its loop); the projection keeps to the P-cores, as the published decode rates "
            "it is validated on do. Counted in the aarch64 build's disassembly, not timed on Apple "
            "hardware: an upper bound (docs/profiles.md, \"Compute side\"; <code>actsparse project --precision "
            "exact|int8</code>).</p>\n";
  t.md << "\nWith the compute side (NEON inner loops counted, not timed on Apple hardware; docs/profiles.md):\n";
  table(t,
        {"profile", "P-cores x clock", "E-cores x clock", "exact: compute tok/s", "exact: tok/s dense", "exact: all 50%",
         "exact: bound", "exact: P+E compute tok/s", "int8: compute tok/s", "int8: tok/s dense", "int8: all 50%",
         "int8: bound", "int8: P+E compute tok/s"},
        body, "apple-compute-table");
}

void projection_section(tables& t, const std::vector<row_view>& rows) {
  heading(t, "What this means on Apple Silicon",
          "Decode tokens/s for Llama-3-8B at 4-bit g64 on each profile, from bytes per token and the profile's "
          "CPU-reachable bandwidth (fitted on published CPU-only decode measurements, or derived from other chips' "
          "where a chip has none; Apple's SoC figure is the upper bound; docs/profiles.md has the rule and sources). "
          "'ideal' reads exactly the active strips at the roof; 'at measured efficiency' slows the sparse strips by the fraction of ideal speedup this machine's "
          "kernels reached at the same sparsity in stream mode on the matching shape (14336x4096 for all projections, "
          "4096x14336 for FFN down). Every weight is read once per token, lm_head dense; "
          "activations and the KV cache are left out.");
  const model_shape& model = find_model("llama-3-8b");
  // Efficiencies from this machine's matching shapes: the FFN up projection (14336 x 4096)
  // stands for all projections at 50%, the FFN down projection (4096 x 14336) for down.
  const double e50 = measured_efficiency(rows, 0.5, double(model.intermediate), double(model.hidden));
  const double e90 = measured_efficiency(rows, 0.9, double(model.hidden), double(model.intermediate));
  std::vector<std::vector<std::string>> body;
  std::vector<std::string> cats;
  std::vector<double> dense_v, all_v, down_v;
  for (const auto& prof : builtin_profiles()) {
    const projection_result d = project(model, 4, 64, {sparsity_kind::dense, 0}, prof);
    const projection_result a = project(model, 4, 64, {sparsity_kind::all, 0.5}, prof);
    const projection_result f = project(model, 4, 64, {sparsity_kind::ffn_down, 0.9}, prof);
    // Sparsified bytes slowed by 1/efficiency, the rest at the roof.
    auto adjusted = [&](const projection_result& r, double s, double eff) {
      if (eff <= 0) return 0.0;
      const double kept = (d.bytes_dense - r.bytes_sparse) * (1 - s) / s;  // kept bytes of the sparsified part
      const double seconds = ((r.bytes_sparse - kept) + kept / eff) / (r.GBps * 1e9);
      return 1.0 / seconds;
    };
    const double a_adj = adjusted(a, 0.5, e50), f_adj = adjusted(f, 0.9, e90);
    body.push_back({prof.label, num(prof.projection_GBps(), 4) + " (" + prof.bandwidth_kind() + ")",
                    num(d.bytes_dense / 1e9, 4), num(d.tps_dense, 4), num(a.tps_sparse, 4), a_adj > 0 ? num(a_adj, 4) : "n/a",
                    num(f.tps_sparse, 4), f_adj > 0 ? num(f_adj, 4) : "n/a"});
    cats.push_back(prof.label);
    dense_v.push_back(d.tps_dense);
    all_v.push_back(a_adj > 0 ? a_adj : a.tps_sparse);
    down_v.push_back(f_adj > 0 ? f_adj : f.tps_sparse);
  }
  t.html << "<figure id=\"projections\">"
         << svg::bars("Llama-3-8B 4-bit decode tokens/s", "tokens/s", cats,
                      {{"dense", dense_v},
                       {std::string("all projections 50%") + (e50 > 0 ? " (measured eff.)" : " (ideal)"), all_v},
                       {std::string("FFN down 90%") + (e90 > 0 ? " (measured eff.)" : " (ideal)"), down_v}},
                      900, 420)
         << "</figure>\n";
  t.html << "<p>Measured efficiency used: " << (e50 > 0 ? pct(e50) : "not measured") << " of ideal at 50%, "
         << (e90 > 0 ? pct(e90) : "not measured") << " at 90%.</p>\n";
  t.md << "\nMeasured efficiency used: " << (e50 > 0 ? pct(e50) : "not measured") << " of ideal at 50%, "
       << (e90 > 0 ? pct(e90) : "not measured") << " at 90%.\n";
  table(t,
        {"profile", "GB/s used", "GB/token dense", "tok/s dense", "all 50% ideal", "all 50% at measured eff.",
         "FFN down 90% ideal", "FFN down 90% at measured eff."},
        body, "projections-table");
  compute_side_table(t, model);
}

void batch_section(tables& t, const std::vector<row_view>& rows) {
  std::vector<const row_view*> b;
  for (const auto& v : rows)
    if (v.r.kind.rfind("gemm_", 0) == 0 && !is_panels(v.r)) b.push_back(&v);
  if (b.empty()) return;
  heading(t, "Batches",
          "Time per token for m activation rows: gemm_rows is gemm() as shipped (its measured rule: one sparse gemv "
          "per row, or the batched kernel for nearly dense rows), gemm_sparse the batched kernel over the union of "
          "the rows' active strips (each strip unpacked once per block of 4 rows), gemm_dense the batched kernel over every strip. "
          "'union active' is the fraction of strips any row needs.");
  // One panel per matrix configuration, sparsity and row pattern.
  using panel_key = std::tuple<double, double, double, double, double, bool, double, bool>;
  auto config = [](const bench_row& r) { return std::make_tuple(r.N, r.K, r.bits, r.group, r.threads, r.stream); };
  std::set<panel_key> panels;  // N, K, bits, group, sparsity, correlated, threads, stream
  for (const auto* v : b)
    if (v->r.kind != "gemm_dense")
      panels.insert({v->r.N, v->r.K, v->r.bits, v->r.group, v->r.sparsity, v->r.correlated, v->r.threads, v->r.stream});
  std::vector<std::vector<std::string>> body;
  for (const auto& [N, K, bits, group, s, corr, th, stream] : panels) {
    svg::chart c(num(N, 6) + "x" + num(K, 6) + " " + num(bits) + "-bit g" + num(group) + ", " + pct(s) + " sparse, " +
                     (corr ? "correlated" : "independent") + " rows, " + num(th) + " thread(s), " + (stream ? "stream" : "hot"),
                 {"batch size m", true}, {"ms per token", false});
    std::map<std::string, svg::series> series;
    std::size_t color = 0;
    for (const auto* v : b) {
      if (config(v->r) != std::make_tuple(N, K, bits, group, th, stream)) continue;
      const bool dense = v->r.kind == "gemm_dense";
      if (!dense && (v->r.sparsity != s || v->r.correlated != corr)) continue;
      auto& ser = series[v->r.kind];
      if (ser.name.empty()) ser = {v->r.kind, svg::palette(color++), {}};
      ser.points.push_back({v->r.batch, v->r.seconds / v->r.batch * 1e3});
      if (!dense)
        body.push_back({v->r.kind, shape_name(v->r) + " " + num(bits) + "b", pct(s), corr ? "correlated" : "independent", num(v->r.batch), num(th),
                        stream ? "stream" : "hot", pct(v->r.active), pct(v->r.union_active),
                        num(v->r.seconds * 1e3, 4), num(v->r.seconds / v->r.batch * 1e3, 4)});
    }
    for (auto& [k, ser] : series) {
      std::sort(ser.points.begin(), ser.points.end());
      c.add(ser);
    }
    c.fit();
    c.y().lo = 0;
    t.html << "<figure class=\"batch\">" << c.render() << "</figure>\n";
  }
  for (const auto* v : b)
    if (v->r.kind == "gemm_dense")
      body.push_back({v->r.kind, shape_name(v->r) + " " + num(v->r.bits) + "b", "0%", "", num(v->r.batch), num(v->r.threads), v->r.stream ? "stream" : "hot", "100%",
                      "100%", num(v->r.seconds * 1e3, 4), num(v->r.seconds / v->r.batch * 1e3, 4)});
  table(t, {"kernel", "matrix", "sparsity", "rows", "m", "threads", "mode", "row active", "union active", "ms per call", "ms per token"},
        body, "batch-table");
}

// Panel matrices (actsparse-bench --panels 1) against the packed matrix of the same
// configuration, sparsity and pattern, in the same run.
void panels_section(tables& t, const std::vector<row_view>& rows) {
  std::vector<std::vector<std::string>> body;
  for (const auto& v : rows) {
    if (!is_panels(v.r)) continue;
    const std::string packed_kind = v.r.kind.substr(0, v.r.kind.size() - std::string("_panels").size());
    const row_view* packed = nullptr;
    for (const auto& d : rows)
      if (d.r.kind == packed_kind && same_config(d.r, v.r) && d.r.sparsity == v.r.sparsity &&
          d.r.clustered == v.r.clustered && d.r.batch == v.r.batch && d.r.correlated == v.r.correlated)
        packed = &d;
    if (!packed) continue;
    const bool batch = packed_kind.rfind("gemm_", 0) == 0;
    const std::string pattern = batch ? (v.r.correlated ? "correlated rows" : "independent rows")
                                      : (v.r.clustered ? "clustered" : "uniform");
    body.push_back({packed_kind, shape_name(v.r), num(v.r.bits), num(v.r.group), std::to_string(int(v.r.threads)),
                    num(v.r.batch), mode_name(v.r), pattern, pct(1 - v.r.active),
                    num(packed->r.seconds * 1e3, 4), num(v.r.seconds * 1e3, 4),
                    num(packed->r.seconds / v.r.seconds, 3) + "x"});
  }
  if (body.empty()) return;
  heading(t, "Panels: one buffer per thread",
          "The same products on a panel_matrix with one panel per thread (each thread streams its own contiguous "
          "buffer) against the packed matrix (each thread reads its slice of every strip). Results are bitwise "
          "equal; gain = packed time / panel time, in the same run.");
  table(t,
        {"kernel", "shape", "bits", "group", "threads", "m", "mode", "pattern", "sparsity", "packed ms", "panels ms",
         "gain"},
        body, "panels");
}

void approx_section(tables& t, const std::vector<row_view>& rows) {
  std::vector<std::vector<std::string>> body;
  svg::chart c("Approximate mode: error against sparsity", {"inputs skipped", false}, {"relative L2 error of y", false});
  svg::series err{"relative L2 error", svg::palette(1), {}};
  for (const auto& v : rows) {
    if (v.r.kind != "approx") continue;
    const row_view* dense = nullptr;
    for (const auto& d : rows)
      if (d.r.kind == "dense" && same_config(d.r, v.r)) dense = &d;
    err.points.push_back({1 - v.r.active, v.r.rel_l2_err});
    body.push_back({shape_name(v.r), num(v.r.bits), num(v.r.threads), v.r.stream ? "stream" : "hot", pct(v.r.sparsity),
                    pct(1 - v.r.active), num(v.r.threshold, 4), num(v.r.rel_l2_err, 3),
                    dense ? pct(1 - v.r.bytes / dense->r.bytes) : "n/a",
                    dense ? num(dense->r.seconds / v.r.seconds, 3) + "x" : "n/a"});
  }
  if (body.empty()) return;
  heading(t, "Approximate mode (thresholds for SwiGLU-style activations)",
          "Activations with no exact zeros (Laplace-distributed, heavy-tailed like SwiGLU outputs); the threshold for "
          "each target sparsity is calibrated on 64 other vectors (threshold_calibrator), and gemv(threshold) is timed "
          "with its detection. The error is |y_t - y| / |y| against the exact product, next to the bytes it saves and "
          "the speedup over the dense kernel of the same configuration.");
  std::sort(err.points.begin(), err.points.end());
  c.add(err);
  c.fit();
  c.x().lo = 0;
  c.x().hi = 1;
  t.html << "<figure id=\"approx\">" << c.render() << "</figure>\n";
  table(t,
        {"shape", "bits", "threads", "mode", "target", "skipped", "threshold", "rel. L2 error", "bytes saved",
         "speedup vs dense"},
        body, "approx-table");
}

void detect_section(tables& t, const std::vector<row_view>& rows, const std::vector<bench_row>& all) {
  std::vector<std::vector<std::string>> body;
  for (const auto& d : all) {
    if (d.kind != "find_active") continue;
    const bench_row* dense = nullptr;  // 1 thread, stream, 4-bit g64 preferred
    for (const auto& v : rows)
      if (v.r.kind == "dense" && v.r.K == d.K && v.r.threads == 1 && v.r.stream &&
          (!dense || (v.r.bits == 4 && v.r.group == 64)))
        dense = &v.r;
    body.push_back({num(d.K, 6), pct(d.sparsity), num(d.seconds * 1e6, 4),
                    dense ? shape_name(*dense) + " " + num(dense->bits) + "b g" + num(dense->group) : "n/a",
                    dense ? num(dense->seconds * 1e6, 5) : "n/a", dense ? pct(d.seconds / dense->seconds) : "n/a"});
  }
  if (body.empty()) return;
  heading(t, "Detection cost", "find_active on its own against one dense GEMV with the same K (1 thread, stream).");
  table(t, {"K", "sparsity", "find_active us", "dense GEMV", "dense us", "share"}, body, "detect");
}

void rows_section(tables& t, const std::vector<row_view>& rows) {
  heading(t, "Every run, measured and predicted",
          "Prediction = max(bytes / bandwidth of the level the data comes from, weights / compute ceiling) + fixed "
          "cost per call. Error = measured / predicted - 1.");
  std::vector<std::vector<std::string>> body;
  t.csv.precision(9);
  t.csv << "kind,N,K,bits,group,sparsity,active,threads,stream,clustered,bytes,seconds,eff_GBps,GFLOPs,"
           "predicted_seconds,level,roof_GBps,bound,prediction_error,speedup,ideal\n";
  for (const auto& v : rows) {
    body.push_back({v.r.kind, shape_name(v.r), num(v.r.bits), num(v.r.group), pct(v.r.sparsity),
                    std::to_string(int(v.r.threads)), mode_name(v.r), v.r.clustered ? "clustered" : "uniform",
                    num(v.r.bytes / 1e6, 5), num(v.r.seconds * 1e6, 5), num(v.r.eff_GBps, 4), num(v.p.seconds * 1e6, 5),
                    v.p.level, v.p.compute_bound ? "compute" : "memory", pct(v.error())});
    t.csv << v.r.kind << "," << v.r.N << "," << v.r.K << "," << v.r.bits << "," << v.r.group << "," << v.r.sparsity
          << "," << v.r.active << "," << v.r.threads << "," << v.r.stream << "," << v.r.clustered << "," << v.r.bytes
          << "," << v.r.seconds << "," << v.r.eff_GBps << "," << v.r.GFLOPs << "," << v.p.seconds << "," << v.p.level
          << "," << v.p.roof_GBps << "," << (v.p.compute_bound ? "compute" : "memory") << "," << v.error() << ","
          << v.speedup() << "," << v.ideal() << "\n";
  }
  table(t,
        {"kernel", "shape", "bits", "group", "sparsity", "threads", "mode", "pattern", "MB", "measured us",
         "eff GB/s", "predicted us", "level", "bound", "error"},
        body, "rows");
}


// The files a report directory holds: an existing --out is replaced only when it holds
// nothing else, so a mistyped --out (a source folder, a results file) is never deleted.
const std::vector<std::string> kReportFiles = {"index.html", "report.md",       "rows.csv",     "decode.html",
                                               "decode.md",  "real-model.html", "real-model.md"};

void check_replaceable(const fs::path& out) {
  std::string files;
  for (const auto& f : kReportFiles) files += (files.empty() ? "" : ", ") + f;
  const fs::file_status st = fs::symlink_status(out);
  if (!fs::exists(st)) return;
  if (!fs::is_directory(st))
    throw std::runtime_error("--out '" + out.string() + "' exists and is not a directory; give a new directory or a "
                             "previous report's (it holds only " + files + ")");
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || std::find(kReportFiles.begin(), kReportFiles.end(), name) == kReportFiles.end())
      throw std::runtime_error("--out '" + out.string() + "' exists and is not a report directory (it holds '" + name +
                               "'); a report replaces only a directory of " + files);
  }
}

// Puts the complete directory tmp at out. On Linux the two are swapped in one step
// (renameat2 RENAME_EXCHANGE), so out is at every moment the old report or the new one;
// elsewhere (or on a file system without the exchange) the old one is moved aside first,
// leaving a moment when out is missing and the old report sits at out.old-PID.
void replace_dir(const fs::path& tmp, const fs::path& out) {
  if (!fs::exists(fs::symlink_status(out))) {
    fs::rename(tmp, out);
    return;
  }
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(tmp);  // now the old report
    return;
  }
#endif
  const fs::path old = out.string() + ".old-" + std::to_string(getpid());
  fs::rename(out, old);
  fs::rename(tmp, out);
  fs::remove_all(old);
}

}  // namespace

void write_report(const report_options& opt) {
  // Read and check everything first: nothing is written unless both inputs are good.
  const machine_profile m = load_machine(opt.machine_path);
  const std::vector<bench_row> all = load_bench(opt.bench_path);
  std::optional<decode_result> decode;
  if (!opt.decode_path.empty()) decode = load_decode(opt.decode_path);
  std::optional<study_result> study;
  if (!opt.study_path.empty()) study = load_study(opt.study_path);
  std::vector<row_view> rows;
  for (const auto& r : all)
    if (r.kind != "find_active") rows.push_back({r, predict(m, r), nullptr, nullptr});
  for (auto& v : rows)  // sparse pairs with dense, sparse_panels with dense_panels
    if (v.r.kind == "sparse" || v.r.kind == "sparse_panels")
      for (const auto& d : rows)
        if (d.r.kind == "dense" + v.r.kind.substr(6) && same_config(d.r, v.r)) v.dense = &d.r, v.dense_p = &d.p;

  tables t;
  t.md << "# actsparse report\n\nMachine profile: `" << opt.machine_path << "`, benchmark: `" << opt.bench_path << "`.\n\n";
  if (study) {  // the answer to "is sparse decode worth it on a real model" comes before the machine
    heading(t, "Real model: sparse against dense decode",
            "From `actsparse study` on " + study->hostname + ": per weight width and target sparsity, the quality "
            "skipping inputs costs and the decode tokens/s it buys on this machine (speedup over dense in "
            "brackets), then projected on Apple Silicon.");
    study_summary(t, *study);
    study_apple(t, *study, false);
    t.html << "<p>Every Apple profile, charts, every measurement and what each column means: "
              "<a href=\"real-model.html\">real-model.html</a>.</p>\n";
    t.md << "Every Apple profile, charts, every measurement and what each column means: real-model.md.\n\n";
  }
  machine_section(t, m);
  roofline_section(t, m, rows);
  speedup_section(t, rows);
  roof_fraction_section(t, rows);
  bytes_section(t, rows);
  batch_section(t, rows);
  panels_section(t, rows);
  approx_section(t, rows);
  projection_section(t, rows);
  detect_section(t, rows, all);
  rows_section(t, rows);
  tables d, s;
  if (decode) decode_page(d, *decode, m);  // computes every figure before anything is written
  if (study) study_page(s, *study);
  std::vector<page_link> pages = {{"index.html", "Kernels"}};
  if (decode) pages.push_back({"decode.html", "Decode"});
  if (study) pages.push_back({"real-model.html", "Real model"});

  const fs::path out = opt.out_dir;
  check_replaceable(out);
  const fs::path tmp = out.string() + ".tmp-" + std::to_string(getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream f(tmp / name);
    f << text;
    f.close();
    if (!f) throw std::runtime_error("cannot write " + (tmp / name).string());
  };
  const std::string decode_link =
      decode ? " Whole-model decode: <a href=\"decode.html\">decode.html</a> (" + escape(decode->model.label) + ")." : "";
  write("index.html", html_page("index.html", pages, "actsparse report",
                                escape(m.cpu_model) + ", " + std::to_string(m.cores) + " core(s), kernels: " +
                                    escape(m.isa) + ". " + std::to_string(rows.size()) + " kernel runs." + decode_link,
                                t.html.str()));
  if (decode) {
    write("decode.html", html_page("decode.html", pages, "actsparse decode: " + decode->model.label,
                                   "Measured by <code>actsparse decode</code> on " + escape(decode->host) + ", " +
                                       escape(decode->date) + "; machine profile from " + escape(m.date) +
                                       ". <a href=\"index.html\">Kernel report</a>.",
                                   d.html.str()));
    write("decode.md", "# actsparse decode: " + decode->model.label + "\n\n" + d.md.str());
  }
  if (study) {
    const std::string title = "actsparse study: " + fs::path(study->model).filename().string();
    write("real-model.html",
          html_page("real-model.html", pages, title,
                    "Measured by <code>actsparse study</code> on " + escape(study->hostname) + ", " +
                        escape(study->date) + ": the reference decoder on a real model, its quality and its decode "
                        "speed with activation sparsity.",
                    s.html.str()));
    write("real-model.md", "# " + title + "\n\n" + s.md.str());
  }
  write("report.md", t.md.str());
  write("rows.csv", t.csv.str());
  replace_dir(tmp, out);
  std::printf("report: wrote %s/index.html, report.md, rows.csv%s%s (%zu runs)\n", out.c_str(),
              decode ? ", decode.html, decode.md" : "", study ? ", real-model.html, real-model.md" : "", rows.size());
}

}  // namespace roofline
