// roofline/machine.hpp: the machine profile (what `actsparse probe` measures, what the
// model and the report read), and its JSON form. Schema: docs/machine-profile.md.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace roofline {

struct cache_info {
  int level = 0;
  std::size_t size = 0;  // bytes, one instance
  int line = 0;          // bytes
  int count = 0;         // instances in the machine
};

struct sweep_point {
  int threads = 0;
  std::size_t bytes = 0;  // total working set, split evenly over the threads
  double GBps = 0;
};

struct level_bandwidth {
  std::string name;       // L1, L2, LLC, DRAM
  int threads = 0;
  double GBps = 0;        // plateau: median of the sweep points inside the level's window
  std::size_t capacity = 0;  // bytes the level holds for `threads` threads (measured for LLC)
};

struct compute_ceiling {
  int bits = 0;
  int threads = 0;
  double weights_per_s = 0;  // dense kernel, cache-resident (g64)
  double GFLOPs = 0;         // 2 flops per weight
};

struct fixed_cost {
  int threads = 0;
  double seconds = 0;  // one gemv_sparse call with nothing active
};

struct machine_profile {
  std::string schema = "actsparse-machine/1";
  std::string hostname, cpu_model, isa, date;
  int packages = 0, cores = 0, pus = 0, numa_nodes = 0;
  std::size_t memory_bytes = 0;
  std::vector<cache_info> caches;
  std::vector<sweep_point> sweep;
  std::vector<level_bandwidth> levels;
  std::vector<compute_ceiling> compute;
  std::vector<fixed_cost> fixed;

  // Lookups used by the model; they throw std::runtime_error naming what is missing.
  const level_bandwidth& level(const std::string& name, int threads) const;
  double compute_rate(int bits, int threads) const;  // weights per second
  double fixed_seconds(int threads) const;
  // The smallest level that holds `bytes` for `threads` threads (DRAM when none does).
  const level_bandwidth& level_holding(std::size_t bytes, int threads) const;
};

void to_json(nlohmann::json& j, const machine_profile& m);
void from_json(const nlohmann::json& j, machine_profile& m);

// Reads and validates a profile; throws std::runtime_error with the file name and the
// problem (unreadable, not JSON, truncated, wrong schema, missing field).
machine_profile load_machine(const std::string& path);
// The same from the file's text; `name` stands for the path in messages.
machine_profile parse_machine(const std::string& text, const std::string& name);

// What the records of a measurement share (the profile here, the decode results): this
// host's name, the current UTC time (ISO 8601), a median.
std::string host_name();
std::string now_utc();
double median(std::vector<double> v);

}  // namespace roofline
