// roofline/machine.hpp: the machine profile (what `actsparse probe` measures, what the
// model and the report read), and its JSON form. Schema: docs/machine-profile.md.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
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

// Integer field `key` of object j as T: a JSON integer, or a float with an integral value,
// that T holds; else std::runtime_error naming the field. Not j.at(key).get<T>(): that
// converts a float such as 1e300 to int with undefined behaviour (the fuzzer's finding,
// docs/robustness.md) and a negative integer to size_t by wrapping.
template <class T>
T integer_field(const nlohmann::json& j, const char* key) {
  using limits = std::numeric_limits<T>;
  const nlohmann::json& v = j.at(key);
  if (v.is_number_unsigned()) {
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(limits::max())) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const std::int64_t s = v.get<std::int64_t>();
    if (s >= 0 ? static_cast<std::uint64_t>(s) <= static_cast<std::uint64_t>(limits::max())
               : limits::is_signed && s >= static_cast<std::int64_t>(limits::min()))
      return static_cast<T>(s);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == std::floor(d) && d >= static_cast<double>(limits::min()) && d < std::ldexp(1.0, limits::digits))
      return static_cast<T>(d);
  }
  throw std::runtime_error(std::string("\"") + key + "\": " + v.dump() + " is not an integer in range");
}

void to_json(nlohmann::json& j, const machine_profile& m);
void from_json(const nlohmann::json& j, machine_profile& m);

// Reads and validates a profile; throws std::runtime_error with the file name and the
// problem (unreadable, not JSON, truncated, wrong schema, missing field).
machine_profile load_machine(const std::string& path);
// The same from the file's text; `name` stands for the path in messages.
machine_profile parse_machine(const std::string& text, const std::string& name);

// Small shared helpers: this host's name, the current UTC time (ISO 8601), a median.
std::string host_name();
std::string now_utc();
double median(std::vector<double> v);

// Parses a whole JSON file, with a clear error on failure; nan_as_null turns the bare
// NaN/inf values Google Benchmark writes into null.
nlohmann::json read_json_file(const std::string& path, const char* what, bool nan_as_null = false);
// Its two halves: the file's text ("<what> '<path>' cannot be opened"), and the parse of a
// text that came from `name` ("<what> '<name>' is not valid JSON ...").
std::string read_text_file(const std::string& path, const char* what);
nlohmann::json parse_json_text(std::string text, const char* what, const std::string& name, bool nan_as_null = false);

}  // namespace roofline
