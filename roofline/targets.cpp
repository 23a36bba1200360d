// roofline/targets.cpp: the target profiles (targets.hpp): the built-in ones, compiled in
// from roofline/profiles/apple.json, a user's file of the same form, and lookup by name.
#include "targets.hpp"

#include <stdexcept>

#include "json_file.hpp"

namespace roofline {

using nlohmann::json;

const char* builtin_profiles_json();  // generated at build time from roofline/profiles/apple.json

namespace {

std::vector<target_profile> parse_profiles(const json& j, const std::string& where) {
  if (!j.is_array()) throw std::runtime_error(where + ": a profile file holds a JSON array of profiles");
  std::vector<target_profile> out;
  std::size_t index = 0;
  for (const auto& p : j) {
    // Errors name the profile: its index, and its name once read.
    std::string which = "profile " + std::to_string(index++);
    try {
      target_profile t;
      t.name = p.at("name");
      which += " ('" + t.name + "')";
      t.label = p.value("label", t.name);
      t.soc_GBps = p.at("soc_bandwidth_GBps");
      if (p.contains("generation") && !p["generation"].is_null()) {
        if (!p["generation"].is_string()) throw std::runtime_error("\"generation\" must be a string such as \"M2\"");
        t.generation = p["generation"];
      }
      if (p.contains("cpu_bandwidth_GBps") && p["cpu_bandwidth_GBps"].is_number()) {
        t.cpu_GBps = p["cpu_bandwidth_GBps"].get<double>();
        if (!(*t.cpu_GBps > 0)) throw std::runtime_error("\"cpu_bandwidth_GBps\" must be positive or null");
        // A figure without a kind is a user's measurement (the form before kinds existed).
        t.cpu_kind = "measured";
        if (p.contains("cpu_bandwidth_kind")) {
          const auto& k = p["cpu_bandwidth_kind"];
          if (!k.is_string() || (k != "measured" && k != "fitted" && k != "derived"))
            throw std::runtime_error("\"cpu_bandwidth_kind\": " + k.dump() + " is not one of \"measured\", \"fitted\", \"derived\"");
          t.cpu_kind = k;
        }
      }
      t.soc_source = p.value("soc_bandwidth_source", "");
      if (p.contains("cpu_bandwidth_source") && p["cpu_bandwidth_source"].is_string()) t.cpu_source = p["cpu_bandwidth_source"];
      t.notes = p.value("notes", "");
      // Not value(key, 0): it converts a float such as 1e300 to int with undefined behaviour.
      auto optional_int = [&](const char* key, int fallback) {
        return p.contains(key) ? integer_field<int>(p, key) : fallback;
      };
      t.p_cores = optional_int("performance_cores", 0);
      t.e_cores = optional_int("efficiency_cores", 0);
      t.line = optional_int("cache_line_bytes", 128);
      if (t.line < 1) throw std::runtime_error("\"cache_line_bytes\": " + std::to_string(t.line) + " is not positive");
      // A core type's fields, "p_core_GHz" and the like: all of them, or no clock at all.
      auto core = [&](const std::string& prefix, int count, const char* count_key) {
        core_type c;
        const std::string ghz = prefix + "_GHz";
        if (!p.contains(ghz) || p[ghz].is_null()) return c;
        const auto& f = p[ghz];
        if (!f.is_number() || !(f.get<double>() > 0 && f.get<double>() < 100))
          throw std::runtime_error("\"" + ghz + "\": " + f.dump() + " is not a clock in GHz (0 < GHz < 100)");
        c.GHz = f.get<double>();
        // A text field: absent gives `fallback`; anything but a string is refused by name.
        auto text = [&](const std::string& key, const char* fallback) -> std::string {
          if (!p.contains(key) || p[key].is_null()) return fallback;
          if (!p[key].is_string()) throw std::runtime_error("\"" + key + "\": " + p[key].dump() + " is not a string");
          return p[key].get<std::string>();
        };
        const std::string k = text(ghz + "_kind", "measured");
        if (k != "measured" && k != "press" && k != "derived")
          throw std::runtime_error("\"" + ghz + "_kind\": \"" + k + "\" is not one of \"measured\", \"press\", \"derived\"");
        c.clock_kind = k;
        c.clock_source = text(ghz + "_source", "");
        c.pipes_source = text(prefix + "_pipes_source", "");
        c.simd_pipes = optional_int((prefix + "_simd_pipes").c_str(), 0);
        c.decode_width = optional_int((prefix + "_decode_width").c_str(), 0);
        if (c.simd_pipes < 1 || c.simd_pipes > 64 || c.decode_width < 1 || c.decode_width > 64)
          throw std::runtime_error("a profile with \"" + ghz + "\" needs \"" + prefix + "_simd_pipes\" and \"" + prefix +
                                   "_decode_width\" in 1..64 (got " + std::to_string(c.simd_pipes) + " and " +
                                   std::to_string(c.decode_width) + ")");
        if (count < 1)
          throw std::runtime_error("a profile with \"" + ghz + "\" needs \"" + count_key + "\" >= 1");
        return c;
      };
      t.pcore = core("p_core", t.p_cores, "performance_cores");
      t.ecore = core("e_core", t.e_cores, "efficiency_cores");
      if (t.ecore.GHz && !t.pcore.GHz)
        throw std::runtime_error("\"e_core_GHz\" without \"p_core_GHz\": the compute side starts from the P-cores");
      out.push_back(t);
    } catch (const json::exception& e) {
      throw std::runtime_error(where + ": " + which + " lacks a field or has one of the wrong type: " + e.what());
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(where + ": " + which + ": " + e.what());
    }
  }
  return out;
}
}  // namespace

std::vector<target_profile> builtin_profiles() {
  return parse_profiles(json::parse(builtin_profiles_json()), "built-in profiles");
}

std::vector<target_profile> load_profiles(const std::string& path) {
  return parse_target_profiles(read_text_file(path, "profile file"), path);
}

std::vector<target_profile> parse_target_profiles(const std::string& text, const std::string& path) {
  return parse_profiles(parse_json_text(text, "profile file", path), "profile file '" + path + "'");
}

const target_profile& find_profile(const std::vector<target_profile>& all, const std::string& name) {
  for (const auto& p : all)
    if (p.name == name) return p;
  std::string names;
  for (const auto& p : all) names += (names.empty() ? "" : ", ") + p.name;
  throw std::runtime_error("unknown profile '" + name + "'; known profiles: " + names);
}

}  // namespace roofline
