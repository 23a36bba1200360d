// roofline/main.cpp: the `actsparse` tool. Subcommands:
//   actsparse probe --out machine.json            measure this machine (docs/machine-profile.md)
//   actsparse report --machine M --bench B --out DIR   machine profile + benchmark JSON -> report
//   actsparse project --profile apple-m3-pro --model llama-3-8b --bits 4 --sparsity 0.5
//   actsparse project --list                      profile and model names
//   actsparse project --validate                  leave-one-out check of the CPU bandwidth fit
//   actsparse decode --model llama-3-8b --bits 4 --apply all --sparsity 0.5 --out decode.json
//                                                 whole-model decode benchmark (docs/decode.md)
//   actsparse gguf --model FILE.gguf [--dequantize OUT [--tensor NAME]...]
//                                                 a GGUF file's contents, or its tensors in fp32
//   actsparse convert --model FILE.gguf --bits default=4,down=6 --out FILE.aspk
//                                                 pack a GGUF model once into a file to map (docs/gguf.md)
// Errors go to stderr with exit status 1 (bad input) or 2 (bad command line).
//
// This file is the command line only: options, their checks and each subcommand's printed
// summary. The work is in the part each header names (probe, report, projection, decode,
// model_cmd; CMakeLists.txt lists them all).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "decode.hpp"
#include "json_file.hpp"
#include "machine.hpp"
#include "generate_cmd.hpp"
#include "study_cmd.hpp"
#include "model_cmd.hpp"
#include "probe.hpp"
#include "projection.hpp"
#include "report.hpp"
#include "targets.hpp"

using namespace roofline;

namespace {

int run_probe(const std::string& out, bool quick, bool quiet) {
  const machine_profile m = probe({quick, !quiet});
  write_json(out, nlohmann::json(m));
  for (const auto& l : m.levels)
    if (!quiet) std::fprintf(stderr, "  %-4s %d thread(s): %8.2f GB/s\n", l.name.c_str(), l.threads, l.GBps);
  std::printf("probe: wrote %s\n", out.c_str());
  return 0;
}

// `actsparse project --validate`: each CPU-only decode measurement projected with the CPU
// figure fitted without it (projection.hpp), then every profile's figure fitted on all of
// them beside the one its JSON carries. Markdown tables: docs/profiles.md shows this output.
// Exit status 1 when a built-in profile's cpu_bandwidth_GBps or kind disagrees with the fit.
int run_validate(const std::vector<target_profile>& profiles, const std::string& validation_file) {
  const std::vector<decode_measurement> ms =
      validation_file.empty() ? builtin_decode_measurements() : load_decode_measurements(validation_file);
  const std::vector<validation_row> rows = validate_leave_one_out(profiles, ms);
  std::printf("Leave-one-out validation: %zu CPU-only decode measurements (%s)\n\n", ms.size(),
              validation_file.empty() ? "roofline/profiles/apple_validation.json" : validation_file.c_str());
  std::printf("| # | chip | model | quant | bits | threads | published tok/s | GB/token | effective GB/s | "
              "fit pool (n) | per-P-core GB/s | CPU GB/s | projected tok/s | error |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const decode_measurement& m = ms[i];
    const validation_row& r = rows[i];
    std::printf("| %zu | %s | %s | %s | %d | %s | %.2f | %.3f | %.1f | %s (%d) | %.2f | %.1f | %.2f | %+.1f%% |\n", i + 1,
                find_profile(profiles, m.profile).label.c_str(), find_model(m.model).label.c_str(), m.quant.c_str(),
                m.bits, m.threads ? std::to_string(*m.threads).c_str() : "?", m.tokens_per_s, r.bytes / 1e9,
                r.effective_GBps, r.fit.pool.c_str(), r.fit.used, r.fit.per_core_GBps, r.fit.GBps, r.projected_tps,
                r.error * 100);
  }
  const validation_summary sum = summarize_validation(rows);
  std::printf("\nmedian |error| %.1f%%, worst %.1f%% (goal: median within %.0f%%, worst within %.0f%%: %s)\n\n",
              sum.median_abs * 100, sum.worst_abs * 100, kValidationMedianGoal * 100, kValidationWorstGoal * 100,
              sum.met ? "met" : "not met");

  std::printf("| profile | generation | P-cores | SoC GB/s | fit pool (n, own) | per-P-core GB/s | CPU GB/s | kind | "
              "profile's CPU GB/s |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  int mismatches = 0;
  for (const auto& p : profiles) {
    if (p.p_cores < 1) continue;
    const cpu_bandwidth_fit f = fit_cpu_bandwidth(p, profiles, ms);
    // Profiles carry the figure to 0.1 GB/s.
    const bool agrees = p.cpu_GBps && std::abs(*p.cpu_GBps - f.GBps) <= 0.051 && p.cpu_kind == f.kind();
    mismatches += !agrees;
    char carried[64] = "none";
    if (p.cpu_GBps) std::snprintf(carried, sizeof carried, "%.1f (%s)", *p.cpu_GBps, p.cpu_kind.c_str());
    std::printf("| %s | %s | %d | %.0f | %s (%d, %d) | %.2f | %.1f | %s | %s%s |\n", p.name.c_str(),
                p.generation.empty() ? "?" : p.generation.c_str(), p.p_cores, p.soc_GBps, f.pool.c_str(), f.used, f.own,
                f.per_core_GBps, f.GBps, f.kind().c_str(), carried, agrees ? "" : " **differs**");
  }
  if (mismatches)
    std::printf("\n%d profile(s) carry a CPU figure or kind other than the fit: update roofline/profiles/apple.json\n",
                mismatches);
  return mismatches && validation_file.empty() ? 1 : 0;
}

int run_project(const std::string& profile_name, const std::string& profiles_file, const std::string& model_name,
                int bits, int group, double sparsity, const std::string& kind, bool list, bool validate,
                const std::string& validation_file, const std::string& bandwidth, const std::string& precision) {
  std::vector<target_profile> profiles = builtin_profiles();
  if (!profiles_file.empty())
    for (const auto& p : load_profiles(profiles_file)) profiles.push_back(p);
  if (validate) return run_validate(profiles, validation_file);
  if (list) {
    std::printf("profiles:\n");
    for (const auto& p : profiles) {
      char clock[96] = "no clock";
      if (p.pcore.GHz) std::snprintf(clock, sizeof clock, "%d P-cores at %.2f GHz (%s)", p.p_cores, *p.pcore.GHz, p.pcore.clock_kind.c_str());
      std::printf("  %-16s %-16s SoC %6.0f GB/s, CPU %s, %s\n", p.name.c_str(), p.label.c_str(), p.soc_GBps,
                  p.cpu_GBps ? (std::to_string(int(*p.cpu_GBps + 0.5)) + " GB/s (" + p.cpu_kind + ")").c_str() : "unknown",
                  clock);
    }
    std::printf("models:\n");
    for (const auto& m : builtin_models())
      std::printf("  %-14s %d layers, hidden %zu, FFN %zu, kv %zu, vocab %zu\n", m.name.c_str(), m.layers, m.hidden,
                  m.intermediate, m.kv_dim, m.vocab);
    return 0;
  }
  if (profile_name.empty() || model_name.empty()) throw CLI::ValidationError("project", "--profile and --model are required (or --list)");
  if (!(sparsity >= 0 && sparsity < 1)) throw CLI::ValidationError("--sparsity", "must be in [0, 1)");
  target_profile target = find_profile(profiles, profile_name);
  const std::optional<double> cpu = target.cpu_GBps;
  if (bandwidth == "soc") target.cpu_GBps.reset();
  const model_shape& model = find_model(model_name);
  std::vector<sparsity_profile> sps;
  if (kind == "dense" || kind == "each") sps.push_back({sparsity_kind::dense, 0});
  if (kind == "all" || kind == "each") sps.push_back({sparsity_kind::all, sparsity});
  if (kind == "ffn-down" || kind == "each") sps.push_back({sparsity_kind::ffn_down, sparsity});
  const projection_result base = project(model, bits, group, {sparsity_kind::dense, 0}, target, precision);
  std::printf("%s on %s, %d-bit g%d (%.2f bits/weight before padding)\n", model.label.c_str(), target.label.c_str(), bits,
              group, bits + 32.0 / group);
  if (target.cpu_GBps)
    std::printf("bandwidth: %.1f GB/s, CPU-reachable, %s (%s); the SoC figure, %.0f GB/s, is the upper bound\n",
                base.GBps, target.cpu_kind.c_str(),
                target.cpu_kind == "measured" ? "a cited measurement"
                : target.cpu_kind == "fitted" ? "on published CPU-only decode rates that include this chip's"
                                              : "from other chips' published CPU-only decode rates; none of this chip",
                target.soc_GBps);
  else
    std::printf("bandwidth: %.0f GB/s (published SoC figure: an upper bound for CPU kernels%s)\n", base.GBps,
                cpu ? "; --bandwidth cpu for the CPU-reachable figure" : "; no CPU-reachable figure in the profile");
  if (base.has_compute) {
    // Per core, the dense loop of this width: weights per second.
    const kernel_loop& loop = find_neon_loop(precision, bits, group, false);
    auto gweights = [&](const core_type& c) { return *c.GHz / cycles_per_weight(loop, c, target.name); };
    std::printf("compute: %d P-cores at %.2f GHz (%s), %d SIMD pipes and %d-wide decode each, running the %s mode's\n"
                "NEON inner loops (roofline/profiles/neon_loops.json): the dense loop at %.1f Gweights/s per P-core\n",
                target.p_cores, *target.pcore.GHz, target.pcore.clock_kind.c_str(), target.pcore.simd_pipes,
                target.pcore.decode_width, precision.c_str(), gweights(target.pcore));
    if (base.has_e_compute)
      std::printf("E-cores: %d at %.2f GHz (%s), %d SIMD pipes and %d-wide decode each: %.1f Gweights/s per E-core;\n"
                  "the chip's compute ceiling with them is the last column (tokens/s keeps to the P-cores)\n",
                  target.e_cores, *target.ecore.GHz, target.ecore.clock_kind.c_str(), target.ecore.simd_pipes,
                  target.ecore.decode_width, gweights(target.ecore));
    else
      std::printf("E-cores: no clock in the profile, left out\n");
  } else {
    std::printf("compute: the profile has no clock, so no compute side (memory only)\n");
  }
  std::printf("%-28s %10s %12s %12s %12s %9s %9s %7s %12s\n", "sparsity profile", "MB/token", "memory tok/s",
              "compute tok/s", "tokens/s", "bound", "vs dense", "ideal", "P+E compute");
  const double dense_tps = base.has_compute ? base.roof_tps_dense : base.tps_dense;
  for (const auto& sp : sps) {
    const projection_result r = project(model, bits, group, sp, target, precision);
    const double tps = r.has_compute ? r.roof_tps_sparse : r.tps_sparse;
    char compute[32] = "n/a", chip[32] = "n/a";
    if (r.has_compute) std::snprintf(compute, sizeof compute, "%.1f", r.compute_tps_sparse);
    if (r.has_e_compute) std::snprintf(chip, sizeof chip, "%.1f", r.chip_compute_tps_sparse);
    std::printf("%-28s %10.1f %12.1f %12s %12.1f %9s %8.2fx %6.2fx %12s\n", sp.describe().c_str(), r.bytes_sparse / 1e6,
                r.tps_sparse, compute, tps, r.compute_bound_sparse ? "compute" : "memory", tps / dense_tps,
                base.bytes_dense / r.bytes_sparse, chip);
  }
  std::printf("assumes: every weight read once per token from memory at the bandwidth above, activations and KV\n"
              "cache ignored, lm_head dense; sparse strips read at the same bandwidth as dense. tokens/s is the\n"
              "roofline of the two sides matrix by matrix; the compute side counts only the inner loops (no\n"
              "activation quantization, index lists or thread start), so it is an upper bound, and it is not\n"
              "timed on Apple hardware (docs/profiles.md, \"Compute side\").\n");
  return 0;
}

struct decode_cli {
  decode_options opt;
  std::string bits = "4", bits_file, apply = "all", sparsity_file, pattern = "uniform", out = "decode.json", machine;
  std::vector<std::string> precisions{"exact"};
  double sparsity = 0.5;
};

int run_decode_cmd(decode_cli& c) {
  decode_options& o = c.opt;
  o.bits = c.bits_file.empty() ? projection_table::parse_inline(c.bits, "--bits", 4)
                               : projection_table::load(c.bits_file, "--bits-file", 4);
  o.bits_spec = c.bits_file.empty() ? c.bits : "file " + c.bits_file;
  if (!c.sparsity_file.empty()) c.apply = "file";
  if (c.apply == "file") {
    if (c.sparsity_file.empty()) throw CLI::ValidationError("--apply", "'file' needs --sparsity-file");
    o.sparsity = projection_table::load(c.sparsity_file, "--sparsity-file", 0);
    // The default never reaches lm_head (its input, the final hidden state, is dense); name
    // lm_head in the file to sparsify it.
    if (!o.sparsity.values.count("lm_head")) o.sparsity.values["lm_head"] = {0.0};
    o.sparsity_spec = "per-projection table from " + c.sparsity_file;
  } else {
    const sparsity_profile sp{c.apply == "dense" ? sparsity_kind::dense
                              : c.apply == "all" ? sparsity_kind::all
                                                 : sparsity_kind::ffn_down,
                              c.sparsity};
    o.sparsity = sparsity_table(sp);
    o.sparsity_spec = sp.describe();
  }
  o.clustered = c.pattern == "clustered";
  o.precisions.clear();
  for (const auto& p : c.precisions)
    o.precisions.push_back(p == "int8" ? actsparse::precision::int8 : actsparse::precision::exact);
  std::optional<machine_profile> machine;
  if (!c.machine.empty()) machine = load_machine(c.machine);  // read before the long run

  const decode_result r = run_decode(o);
  write_json(c.out, nlohmann::json(r));

  std::printf("%s, %s bits (mean %.2f), g%d: %.2f GB packed weights, peak RSS %.2f GB of %.2f GB total\n",
              r.model.label.c_str(), r.bits_spec.c_str(), r.bits_mean, r.group, r.weights_bytes / 1e9,
              r.peak_rss_bytes / 1e9, r.total_bytes / 1e9);
  std::printf("sparse pass: %s (%s activations); %d tokens per pass, medians\n", r.sparsity_spec.c_str(),
              r.pattern.c_str(), r.tokens);
  if (r.panels > 0) std::printf("matrices split into %d panels each (panel_matrix)\n", r.panels);
  // The model column is the exact kernels' roofline: the probe measures no int8 ceiling.
  std::printf("%-8s %-7s %-6s %10s %10s %10s %9s %10s %9s %8s %9s\n", "threads", "pass", "mode", "ms/token", "MB/token",
              "eff GB/s", "tokens/s", "model ms", "speedup", "ideal", "rel. err");
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const decode_run& run = r.runs[i];
    const decode_run& dense = r.runs[i - (run.sparse ? 1 : 0)];
    const double bytes = r.bytes(run.sparse);
    double model_s = 0;
    const bool modelled = machine && run.precision == "exact";
    if (modelled)
      for (const auto& p : r.parts) model_s += predict_decode(*machine, r, p, run.sparse, run.threads).seconds;
    std::printf("%-8d %-7s %-6s %10.2f %10.1f %10.2f %9.2f %10s %8.2fx %7.2fx %9.2g\n", run.threads,
                run.sparse ? "sparse" : "dense", run.precision.c_str(), run.seconds * 1e3, bytes / 1e6,
                bytes / run.seconds / 1e9, 1.0 / run.seconds, modelled ? std::to_string(model_s * 1e3).substr(0, 7).c_str() : "-",
                dense.seconds / run.seconds, r.bytes(false) / bytes, run.max_rel_err);
  }
  std::printf("decode: wrote %s\n", c.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"actsparse: machine probe, roofline report and decode projections"};
  app.require_subcommand(1);

  auto* probe_cmd = app.add_subcommand("probe", "measure this machine: topology, bandwidth per level, compute ceilings");
  std::string probe_out = "machine.json";
  bool quick = false, quiet = false;
  probe_cmd->add_option("--out", probe_out, "machine profile to write (JSON)");
  probe_cmd->add_flag("--quick", quick, "a small sweep for tests (its DRAM figure is not real)");
  probe_cmd->add_flag("--quiet", quiet, "no progress output");

  auto* report_cmd = app.add_subcommand("report", "machine profile + benchmark JSON -> HTML/Markdown/CSV report");
  report_options ropt;
  ropt.out_dir = "actsparse-report";
  report_cmd->add_option("--machine", ropt.machine_path, "machine profile from `actsparse probe`")->required();
  report_cmd->add_option("--bench", ropt.bench_path, "actsparse-bench --benchmark_out JSON")->required();
  report_cmd->add_option("--out", ropt.out_dir, "report directory (replaced only when the report is complete)");

  auto* project_cmd = app.add_subcommand("project", "decode tokens/s and bytes/token of a model on a target profile");
  std::string profile, profiles_file, model, kind = "each";
  int bits = 4, group = 64;
  double sparsity = 0.5;
  bool list = false;
  project_cmd->add_option("--profile", profile, "target profile, e.g. apple-m3-pro (see --list)");
  project_cmd->add_option("--profiles-file", profiles_file, "extra profiles (JSON array, docs/profiles.md)");
  project_cmd->add_option("--model", model, "model, e.g. llama-3-8b (see --list)");
  project_cmd->add_option("--bits", bits, "bits per code")->check(CLI::IsMember({2, 3, 4, 5, 6, 8}));
  project_cmd->add_option("--group", group, "group size")->check(CLI::IsMember({32, 64, 128}));
  project_cmd->add_option("--sparsity", sparsity, "fraction of inputs skipped where the profile applies, in [0, 1)");
  project_cmd->add_option("--apply", kind, "where sparsity applies: dense, all, ffn-down, or each (print all three)")
      ->check(CLI::IsMember({"dense", "all", "ffn-down", "each"}));
  project_cmd->add_flag("--list", list, "list profiles and models");
  bool validate = false;
  std::string validation_file, bandwidth = "cpu";
  project_cmd->add_flag("--validate", validate,
                        "leave-one-out check of the CPU bandwidth fit against published CPU-only decode rates (docs/profiles.md)");
  project_cmd->add_option("--validation-file", validation_file, "measurements for --validate (JSON array, default: the built-in ones)");
  project_cmd->add_option("--bandwidth", bandwidth, "cpu: the profile's CPU-reachable figure (default), soc: Apple's SoC figure")
      ->check(CLI::IsMember({"cpu", "soc"}));
  std::string project_precision = "exact";
  project_cmd->add_option("--precision", project_precision, "exact (default) or int8: whose NEON loops the compute side counts")
      ->check(CLI::IsMember({"exact", "int8"}));

  auto* decode_cmd = app.add_subcommand("decode", "whole-model decode benchmark: every linear layer of a model, per token");
  decode_cli dc;
  decode_cmd->add_option("--model", dc.opt.model, "model shape (see `actsparse project --list`); default: llama-3-8b when it fits in half the available memory");
  decode_cmd->add_option("--bits", dc.bits, "bits per code: 4, or per projection: default=4,v=6,down=6 (legal: 2 3 4 5 6 8)");
  decode_cmd->add_option("--bits-file", dc.bits_file, "bits per projection and layer from a JSON file (docs/decode.md)");
  decode_cmd->add_option("--group", dc.opt.group, "group size")->check(CLI::IsMember({32, 64, 128}));
  decode_cmd->add_option("--apply", dc.apply, "sparse pass: all (TEAL-style), ffn-down (ReLU-style), dense, or file")
      ->check(CLI::IsMember({"dense", "all", "ffn-down", "file"}));
  decode_cmd->add_option("--sparsity", dc.sparsity, "fraction of inputs skipped where --apply puts it, in [0, 0.99]")
      ->check(CLI::Range(0.0, 0.99));
  decode_cmd->add_option("--sparsity-file", dc.sparsity_file, "sparsity per projection and layer from a JSON file (docs/decode.md)");
  decode_cmd->add_option("--pattern", dc.pattern, "active positions: uniform or clustered")
      ->check(CLI::IsMember({"uniform", "clustered"}));
  decode_cmd->add_option("--tokens", dc.opt.tokens, "measured tokens per pass and thread count (after one warm-up)")
      ->check(CLI::Range(1, 100000));
  const CLI::Validator thread_count(
      [](std::string& v) -> std::string {
        char* e = nullptr;
        const long t = std::strtol(v.c_str(), &e, 10);
        return v.empty() || *e != '\0' || t < 1 || t > 1024 ? "'" + v + "' is not a thread count (integers >= 1)" : "";
      },
      "THREADS");
  decode_cmd->add_option("--threads", dc.opt.threads, "comma list of thread counts; default: 1 and all cores")
      ->delimiter(',')
      ->check(thread_count);
  decode_cmd->add_option("--panels", dc.opt.panels,
                         "split each matrix by outputs into this many panels (panel_matrix), one per thread; 0: off")
      ->check(CLI::Range(0, 1024));
  decode_cmd->add_option("--precision", dc.precisions,
                         "comma list of precision modes, one dense and one sparse pass each: exact (fp32, the default), "
                         "int8 (activations quantized per block of 32 active inputs, integer dot products; docs/performance.md)")
      ->delimiter(',')
      ->check(CLI::IsMember({"exact", "int8"}));
  decode_cmd->add_option("--machine", dc.machine, "machine profile (actsparse probe): print the model's prediction too");
  decode_cmd->add_option("--out", dc.out, "results (JSON, for `actsparse report --decode`)");
  decode_cmd->add_flag("--quiet", [&](std::int64_t) { dc.opt.verbose = false; }, "no progress output");
  report_cmd->add_option("--decode", ropt.decode_path, "results of `actsparse decode` (adds decode.html)");
  report_cmd->add_option("--study", ropt.study_path, "results of `actsparse study` (adds real-model.html)");

  auto* gguf_cmd = app.add_subcommand("gguf", "a GGUF model file: metadata and tensors, or tensors dequantized to fp32");
  gguf_cli gc;
  gguf_cmd->add_option("--model", gc.model, "the GGUF file")->required();
  gguf_cmd->add_option("--dequantize", gc.dequantize, "write the tensors as raw little-endian fp32, ne0 fastest, to this file (- for stdout)");
  gguf_cmd->add_option("--tensor", gc.tensors, "a tensor to dequantize (repeatable; default: every tensor, in file order)");

  auto* convert_cmd = app.add_subcommand("convert", "pack a GGUF model's projections into a model file that runtimes map (docs/model-file.md)");
  convert_cli cc;
  convert_cmd->add_option("--model", cc.model, "the GGUF file")->required();
  convert_cmd->add_option("--bits", cc.bits, "bits per code: 4, or per projection: default=4,v=6,down=6 (legal: 2 3 4 5 6 8)");
  convert_cmd->add_option("--group", cc.group, "group size")->check(CLI::IsMember({32, 64, 128}));
  convert_cmd->add_option("--quantizer", cc.quantizer, "each group's scale and bias: mlx (MLX's rule) or mse (searched, less error, slower to pack)")
      ->check(CLI::IsMember({"mlx", "mse"}));
  convert_cmd->add_option("--out", cc.out, "the model file to write")->required();
  convert_cmd->add_flag("--quiet", cc.quiet, "no progress output");

#if defined(ACTSPARSE_TOOL_GENERATE)
  auto* generate_cmd = app.add_subcommand("generate", "text from a GGUF model (Llama family) through the reference decoder, greedy");
  generate_cli gen;
  generate_cmd->add_option("--model", gen.model, "the GGUF file")->required();
  generate_cmd->add_option("--prompt", gen.prompt, "the text to continue")->required();
  generate_cmd->add_flag("--chat", gen.chat, "wrap the prompt in a ChatML user turn and stop at the end of the answer");
  generate_cmd->add_option("-n,--tokens", gen.tokens, "new tokens at most")->check(CLI::Range(1, 1 << 20));
  generate_cmd->add_option("--bits", gen.bits, "bits per code: 8, or per projection: default=4,down=6 (legal: 2 3 4 5 6 8)");
  generate_cmd->add_option("--group", gen.group, "group size")->check(CLI::IsMember({32, 64, 128}));
  generate_cmd->add_option("--quantizer", gen.quantizer, "each group's scale and bias: mlx (MLX's rule) or mse (searched, less error, slower to load)")
      ->check(CLI::IsMember({"mlx", "mse"}));
  generate_cmd->add_option("--threshold", gen.threshold,
                           "inputs with |x| <= this count as zero at every projection (0: exact, dense)")
      ->check(CLI::Range(0.0f, 1e30f));
  generate_cmd->add_option("--thresholds", gen.thresholds,
                           "a threshold per tensor (blk.L.attn_q ...), as actsparse study --thresholds-dir writes them");
  generate_cmd->add_option("--rule", gen.rule, "what thresholds compare: magnitude (|x|) or column_norm (|x| ||W[:,k]||)")
      ->check(CLI::IsMember({"magnitude", "column_norm"}));
  generate_cmd->add_option("--sparsity", gen.sparsity,
                           "% of each projection's inputs to skip, thresholds calibrated on the prompt (0-99)")
      ->check(CLI::Range(0.0, 99.0));
  generate_cmd->add_flag("--reference", gen.reference, "fp32 dequantized weights, plain matvec (the oracle's path)");
  generate_cmd->add_option("--threads", gen.threads, "threads for the products (0: OpenMP's default)")
      ->check(CLI::Range(0, 1024));
  generate_cmd->add_option("--context", gen.context, "KV cache positions")->check(CLI::Range(1, 1 << 20));
  generate_cmd->add_option("--precision", gen.precision,
                           "the packed products: exact (fp32) or int8 (activations quantized per block of 32 active inputs)")
      ->check(CLI::IsMember({"exact", "int8"}));

  auto* study_cmd = app.add_subcommand(
      "study", "real-model study: activations, thresholds, quality against sparsity, decode speed (docs/real-model.md)");
  study_cli st;
  study_cmd->add_option("--model", st.model, "the GGUF file (Llama family)")->required();
  study_cmd->add_option("--calib-text", st.calib_text, "plain UTF-8 text to calibrate thresholds on")->required();
  study_cmd->add_option("--eval-text", st.eval_text, "another plain UTF-8 text to evaluate on")->required();
  study_cmd->add_option("--calib-tokens", st.calib_tokens, "calibration tokens used (0: the whole text)");
  study_cmd->add_option("--eval-tokens", st.eval_tokens, "evaluation tokens used (0: the whole text)");
  study_cmd->add_option("--reference-tokens", st.reference_tokens,
                        "evaluation tokens for the file's own weights (0: as --eval-tokens)");
  study_cmd->add_option("--chunk", st.chunk, "tokens decoded from an empty cache at a time")->check(CLI::Range(2, 1 << 16));
  study_cmd->add_option("--sparsity", st.sparsity, "target sparsities in % (legal: 0 to 99)")->delimiter(',');
  study_cmd->add_option("--rules", st.rules, "magnitude (TEAL) and/or column_norm (WINA)")->delimiter(',');
  study_cmd->add_option("--dense-layers", st.dense_layers, "the first N layers keep every input")
      ->check(CLI::Range(0, 1 << 20));
  study_cmd->add_option("--widths", st.widths, "packed weights as BITS/GROUP[/mse][/int8], e.g. 4/64,4/32,8/32,4/64/int8,4/32/mse (int8: the fast mode's products; mse: packed with the searched quantizer; "
                        "none: only the file's own weights)")->delimiter(',');
  study_cmd->add_option("--reference", st.reference, "also evaluate the file's own weights (fp32 dequantized): 1 or 0");
  study_cmd->add_option("--reference-sparse", st.reference_sparse,
                        "the file's own weights also at every sparse setting (the oracle test's check): 1 or 0");
  study_cmd->add_option("--workers", st.workers, "models decoding chunks side by side, one thread each")
      ->check(CLI::Range(1, 256));
  study_cmd->add_option("--threads", st.threads, "thread counts of the speed runs")->delimiter(',');
  study_cmd->add_option("--speed-tokens", st.speed_tokens, "tokens per timed repetition")->check(CLI::Range(1, 1 << 16));
  study_cmd->add_option("--speed-reps", st.speed_reps, "timed repetitions (the median is kept)")->check(CLI::Range(1, 100));
  study_cmd->add_option("--speed", st.speed, "run the speed part: 1 or 0");
  study_cmd->add_option("--stream-mib", st.stream_mib, "pool of weight copies for the streamed speed runs, MiB (0: none)")
      ->check(CLI::Range(0.0, 1e6));
  study_cmd->add_option("--machine", st.machine, "machine profile (actsparse probe): roofline fraction per projection");
  study_cmd->add_option("--thresholds-dir", st.thresholds_dir, "write each calibrated threshold table into this folder");
  study_cmd->add_option("--out", st.out, "the JSON results");
  study_cmd->add_flag("--quiet", st.quiet, "no progress output");
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*probe_cmd) return run_probe(probe_out, quick, quiet);
    if (*report_cmd) {
      write_report(ropt);
      return 0;
    }
    if (*decode_cmd) return run_decode_cmd(dc);
    if (*gguf_cmd) return run_gguf(gc);
    if (*convert_cmd) return run_convert(cc);
#if defined(ACTSPARSE_TOOL_GENERATE)
    if (*generate_cmd) return run_generate(gen);
    if (*study_cmd) return run_study(st);
#endif
    if (*project_cmd) return run_project(profile, profiles_file, model, bits, group, sparsity, kind, list, validate,
                                            validation_file, bandwidth, project_precision);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actsparse: %s\n", e.what());
    return 1;
  }
  return 0;
}
