// roofline/targets.hpp: the target machines decode speed is projected onto (`actsparse
// project`, the report's projections): each one's published memory bandwidth, core counts
// and cache line. The built-in ones are roofline/profiles/apple.json, compiled in; a user's
// file of the same form adds more (docs/profiles.md). Reader and lookup: targets.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace roofline {

// One kind of CPU core of a chip, for the compute side.
struct core_type {
  std::optional<double> GHz;  // none: not known
  std::string clock_kind;     // "measured", "press" or "derived"
  std::string clock_source, pipes_source;
  int simd_pipes = 0, decode_width = 0;
};

struct target_profile {
  std::string name, label;
  std::string generation;  // "M1", "M2", ...: the pool the CPU figure is fitted on (docs/profiles.md)
  double soc_GBps = 0;
  std::optional<double> cpu_GBps;
  // How cpu_GBps was obtained: "measured" (a cited bandwidth measurement), "fitted" (from
  // CPU-only decode measurements that include this chip's) or "derived" (from other chips').
  std::string cpu_kind;
  std::string soc_source, cpu_source, notes;
  int p_cores = 0, e_cores = 0, line = 128;
  // The compute side (docs/profiles.md, "Compute side"): per core type, its clock with every
  // core of the type busy, its 128-bit SIMD pipes and its decode width. A profile without a
  // P-core clock has no compute side; one without an E-core clock leaves its E-cores out.
  core_type pcore, ecore;
  // The figure projections use: the CPU-reachable bandwidth where the profile has one, else
  // the SoC figure (an upper bound for CPU kernels).
  double projection_GBps() const { return cpu_GBps ? *cpu_GBps : soc_GBps; }
  // "CPU, fitted" and the like, or "SoC, upper bound": what projection_GBps() is.
  std::string bandwidth_kind() const { return cpu_GBps ? "CPU, " + cpu_kind : "SoC, upper bound"; }
};
std::vector<target_profile> builtin_profiles();
std::vector<target_profile> load_profiles(const std::string& path);  // user file, same JSON form
std::vector<target_profile> parse_target_profiles(const std::string& text, const std::string& name);  // its text
const target_profile& find_profile(const std::vector<target_profile>& all, const std::string& name);

}  // namespace roofline
