// roofline/machine.cpp: machine profile lookups and its JSON form.
#include "machine.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "json_file.hpp"  // integer_field, read_text_file, parse_json_text

namespace roofline {

std::string host_name() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return date;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

using nlohmann::json;

const level_bandwidth& machine_profile::level(const std::string& name, int threads) const {
  const level_bandwidth* best = nullptr;
  for (const auto& l : levels)
    if (l.name == name && l.threads <= threads && (!best || l.threads > best->threads)) best = &l;
  if (!best) throw std::runtime_error("machine profile has no " + name + " bandwidth for " + std::to_string(threads) + " thread(s)");
  return *best;
}

double machine_profile::compute_rate(int bits, int threads) const {
  const compute_ceiling* best = nullptr;
  for (const auto& c : compute)
    if (c.bits == bits && c.threads <= threads && (!best || c.threads > best->threads)) best = &c;
  if (!best) throw std::runtime_error("machine profile has no compute ceiling for " + std::to_string(bits) + "-bit, " +
                                      std::to_string(threads) + " thread(s)");
  return best->weights_per_s;
}

double machine_profile::fixed_seconds(int threads) const {
  const fixed_cost* best = nullptr;
  for (const auto& f : fixed)
    if (f.threads <= threads && (!best || f.threads > best->threads)) best = &f;
  return best ? best->seconds : 0.0;
}

const level_bandwidth& machine_profile::level_holding(std::size_t bytes, int threads) const {
  for (const char* name : {"L1", "L2", "LLC"}) {
    const level_bandwidth& l = level(name, threads);
    if (bytes <= l.capacity) return l;
  }
  return level("DRAM", threads);
}

void to_json(json& j, const machine_profile& m) {
  j = json{{"schema", m.schema},
           {"host", {{"hostname", m.hostname}, {"cpu_model", m.cpu_model}, {"isa", m.isa}, {"date", m.date}}},
           {"topology",
            {{"packages", m.packages}, {"cores", m.cores}, {"pus", m.pus}, {"numa_nodes", m.numa_nodes},
             {"memory_bytes", m.memory_bytes}, {"caches", json::array()}}},
           {"bandwidth", {{"sweep", json::array()}, {"levels", json::array()}}},
           {"compute", json::array()},
           {"fixed_cost", json::array()}};
  for (const auto& c : m.caches)
    j["topology"]["caches"].push_back({{"level", c.level}, {"size", c.size}, {"line", c.line}, {"count", c.count}});
  for (const auto& p : m.sweep)
    j["bandwidth"]["sweep"].push_back({{"threads", p.threads}, {"bytes", p.bytes}, {"GBps", p.GBps}});
  for (const auto& l : m.levels)
    j["bandwidth"]["levels"].push_back(
        {{"name", l.name}, {"threads", l.threads}, {"GBps", l.GBps}, {"capacity", l.capacity}});
  for (const auto& c : m.compute)
    j["compute"].push_back({{"bits", c.bits}, {"threads", c.threads}, {"weights_per_s", c.weights_per_s}, {"GFLOPs", c.GFLOPs}});
  for (const auto& f : m.fixed) j["fixed_cost"].push_back({{"threads", f.threads}, {"seconds", f.seconds}});
}

void from_json(const json& j, machine_profile& m) {
  m.schema = j.at("schema").get<std::string>();
  if (m.schema != "actsparse-machine/1") throw std::runtime_error("unknown schema '" + m.schema + "' (expected actsparse-machine/1)");
  const json& h = j.at("host");
  m.hostname = h.at("hostname");
  m.cpu_model = h.at("cpu_model");
  m.isa = h.at("isa");
  m.date = h.at("date");
  const json& t = j.at("topology");
  m.packages = integer_field<int>(t, "packages");
  m.cores = integer_field<int>(t, "cores");
  m.pus = integer_field<int>(t, "pus");
  m.numa_nodes = integer_field<int>(t, "numa_nodes");
  m.memory_bytes = integer_field<std::size_t>(t, "memory_bytes");
  for (const auto& c : t.at("caches"))
    m.caches.push_back({integer_field<int>(c, "level"), integer_field<std::size_t>(c, "size"), integer_field<int>(c, "line"),
                        integer_field<int>(c, "count")});
  for (const auto& p : j.at("bandwidth").at("sweep"))
    m.sweep.push_back({integer_field<int>(p, "threads"), integer_field<std::size_t>(p, "bytes"), p.at("GBps")});
  for (const auto& l : j.at("bandwidth").at("levels"))
    m.levels.push_back({l.at("name"), integer_field<int>(l, "threads"), l.at("GBps"), integer_field<std::size_t>(l, "capacity")});
  for (const auto& c : j.at("compute"))
    m.compute.push_back({integer_field<int>(c, "bits"), integer_field<int>(c, "threads"), c.at("weights_per_s"), c.at("GFLOPs")});
  for (const auto& f : j.at("fixed_cost")) m.fixed.push_back({integer_field<int>(f, "threads"), f.at("seconds")});
  if (m.levels.empty()) throw std::runtime_error("bandwidth.levels is empty");
}

machine_profile load_machine(const std::string& path) {
  return parse_machine(read_text_file(path, "machine profile"), path);
}

machine_profile parse_machine(const std::string& text, const std::string& path) {
  const json j = parse_json_text(text, "machine profile", path);
  try {
    return j.get<machine_profile>();
  } catch (const json::exception& e) {
    throw std::runtime_error("machine profile '" + path + "' is incomplete: " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("machine profile '" + path + "': " + e.what());
  }
}

}  // namespace roofline
