// roofline/probe.hpp: `actsparse probe`, which measures the machine it runs on: topology
// from hwloc, read bandwidth per cache level and DRAM, the kernels' compute ceiling per bit
// width and the fixed cost of a call, as a machine profile (machine.hpp). The only part of
// the tool that talks to hwloc; how each figure is measured: probe.cpp.
#pragma once

#include "machine.hpp"

namespace roofline {

struct probe_options {
  bool quick = false;   // small sweep for tests (DRAM window at 64 MiB: not a real DRAM figure)
  bool verbose = true;  // progress on stderr
};
machine_profile probe(const probe_options& opt);

}  // namespace roofline
