// roofline/main.cpp: the `actsparse` tool. Subcommands:
//   actsparse probe --out machine.json            measure this machine (docs/machine-profile.md)
//   actsparse report --machine M --bench B --out DIR   machine profile + benchmark JSON -> report
//   actsparse project --profile apple-m3-pro --model llama-3-8b --bits 4 --sparsity 0.5
//   actsparse project --list                      profile and model names
// Errors go to stderr with exit status 1 (bad input) or 2 (bad command line).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "tool.hpp"

using namespace roofline;

namespace {

int run_probe(const std::string& out, bool quick, bool quiet) {
  const machine_profile m = probe({quick, !quiet});
  const std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp);
    if (!f) throw std::runtime_error("cannot write '" + out + "'");
    f << nlohmann::json(m).dump(2) << "\n";
    f.close();
    if (!f) throw std::runtime_error("cannot write '" + out + "'");
  }
  if (std::rename(tmp.c_str(), out.c_str()) != 0) throw std::runtime_error("cannot write '" + out + "'");
  for (const auto& l : m.levels)
    if (!quiet) std::fprintf(stderr, "  %-4s %d thread(s): %8.2f GB/s\n", l.name.c_str(), l.threads, l.GBps);
  std::printf("probe: wrote %s\n", out.c_str());
  return 0;
}

int run_project(const std::string& profile_name, const std::string& profiles_file, const std::string& model_name,
                int bits, int group, double sparsity, const std::string& kind, bool list) {
  std::vector<target_profile> profiles = builtin_profiles();
  if (!profiles_file.empty())
    for (const auto& p : load_profiles(profiles_file)) profiles.push_back(p);
  if (list) {
    std::printf("profiles:\n");
    for (const auto& p : profiles)
      std::printf("  %-16s %-16s SoC %6.0f GB/s, CPU %s\n", p.name.c_str(), p.label.c_str(), p.soc_GBps,
                  p.cpu_GBps ? (std::to_string(int(*p.cpu_GBps)) + " GB/s (measured)").c_str() : "unknown");
    std::printf("models:\n");
    for (const auto& m : builtin_models())
      std::printf("  %-14s %d layers, hidden %zu, FFN %zu, kv %zu, vocab %zu\n", m.name.c_str(), m.layers, m.hidden,
                  m.intermediate, m.kv_dim, m.vocab);
    return 0;
  }
  if (profile_name.empty() || model_name.empty()) throw CLI::ValidationError("project", "--profile and --model are required (or --list)");
  if (!(sparsity >= 0 && sparsity < 1)) throw CLI::ValidationError("--sparsity", "must be in [0, 1)");
  const target_profile& target = find_profile(profiles, profile_name);
  const model_shape& model = find_model(model_name);
  std::vector<sparsity_profile> sps;
  if (kind == "dense" || kind == "each") sps.push_back({sparsity_kind::dense, 0});
  if (kind == "all" || kind == "each") sps.push_back({sparsity_kind::all, sparsity});
  if (kind == "ffn-down" || kind == "each") sps.push_back({sparsity_kind::ffn_down, sparsity});
  const projection_result base = project(model, bits, group, {sparsity_kind::dense, 0}, target);
  std::printf("%s on %s, %d-bit g%d (%.2f bits/weight before padding)\n", model.label.c_str(), target.label.c_str(), bits,
              group, bits + 32.0 / group);
  std::printf("bandwidth: %.0f GB/s (%s)\n", base.GBps,
              base.cpu_measured ? "measured CPU-reachable figure" : "published SoC figure: an upper bound for CPU kernels");
  std::printf("%-28s %14s %14s %12s %9s\n", "sparsity profile", "MB/token", "tokens/s", "vs dense", "ideal");
  for (const auto& sp : sps) {
    const projection_result r = project(model, bits, group, sp, target);
    std::printf("%-28s %14.1f %14.1f %11.2fx %8.2fx\n", sp.describe().c_str(), r.bytes_sparse / 1e6, r.tps_sparse,
                r.tps_sparse / base.tps_dense, base.bytes_dense / r.bytes_sparse);
  }
  std::printf("assumes: every weight read once per token from memory at the bandwidth above, activations and KV\n"
              "cache ignored, lm_head dense; sparse strips read at the same bandwidth as dense (see the report for\n"
              "the fraction of roof this machine's kernels reach).\n");
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
    if (*project_cmd) return run_project(profile, profiles_file, model, bits, group, sparsity, kind, list);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actsparse: %s\n", e.what());
    return 1;
  }
  return 0;
}
