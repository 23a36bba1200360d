// roofline/targets.hpp: the target machines decode speed is projected onto (`actsparse
// project`, the report's projections): each one's published memory bandwidth, core counts
// and cache line. The built-in ones are roofline/profiles/apple.json, compiled in; a user's
// file of the same form adds more (docs/profiles.md). Reader and lookup: targets.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace roofline {

struct target_profile {
  std::string name, label;
  double soc_GBps = 0;
  std::optional<double> cpu_GBps;
  std::string soc_source, cpu_source, notes;
  int p_cores = 0, e_cores = 0, line = 128;
  // The figure projections use: the measured CPU-reachable bandwidth where one is
  // published, else the SoC figure (an upper bound for CPU kernels).
  double projection_GBps() const { return cpu_GBps ? *cpu_GBps : soc_GBps; }
};
std::vector<target_profile> builtin_profiles();
std::vector<target_profile> load_profiles(const std::string& path);  // user file, same JSON form
std::vector<target_profile> parse_target_profiles(const std::string& text, const std::string& name);  // its text
const target_profile& find_profile(const std::vector<target_profile>& all, const std::string& name);

}  // namespace roofline
