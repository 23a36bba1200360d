// roofline/projection.cpp: model shapes, per-projection tables, decode plans and their
// projection onto a target (projection.hpp).
#include "projection.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "json_file.hpp"
#include "model.hpp"  // packed_bytes

namespace roofline {

const char* apple_validation_json();  // generated at build time from roofline/profiles/apple_validation.json

// ---- models: dimensions from each model's published config (hidden size, FFN size, layers,
// key/value width = kv heads x head dim, vocabulary).

const std::vector<model_shape>& builtin_models() {
  static const std::vector<model_shape> models = {
      {"llama-2-7b", "Llama-2-7B", 32, 4096, 11008, 4096, 32000},
      {"llama-3-8b", "Llama-3-8B", 32, 4096, 14336, 1024, 128256},
      {"mistral-7b", "Mistral-7B", 32, 4096, 14336, 1024, 32000},
      {"qwen2-1.5b", "Qwen2-1.5B", 28, 1536, 8960, 256, 151936},
      {"llama-3.2-1b", "Llama-3.2-1B", 16, 2048, 8192, 512, 128256},
      {"qwen2-0.5b", "Qwen2-0.5B", 24, 896, 4864, 128, 151936},
      {"llama-2-13b", "Llama-2-13B", 40, 5120, 13824, 5120, 32000},
      {"llama-3-70b", "Llama-3-70B", 80, 8192, 28672, 1024, 128256},
  };
  return models;
}

const model_shape& find_model(const std::string& name) {
  for (const auto& m : builtin_models())
    if (m.name == name) return m;
  std::string names;
  for (const auto& m : builtin_models()) names += (names.empty() ? "" : ", ") + m.name;
  throw std::runtime_error("unknown model '" + name + "'; known models: " + names);
}

std::vector<projection_shape> model_shape::projections() const {
  return {{"q", hidden, hidden, layers},          {"k", kv_dim, hidden, layers},
          {"v", kv_dim, hidden, layers},          {"o", hidden, hidden, layers},
          {"gate", intermediate, hidden, layers}, {"up", intermediate, hidden, layers},
          {"down", hidden, intermediate, layers}, {"lm_head", vocab, hidden, 1}};
}

std::string sparsity_profile::describe() const {
  char buf[96];
  switch (kind) {
    case sparsity_kind::dense: return "dense";
    case sparsity_kind::all: std::snprintf(buf, sizeof buf, "all projections at %g%%", s * 100); return buf;
    default: std::snprintf(buf, sizeof buf, "FFN down input at %g%%", s * 100); return buf;
  }
}

// ---- decode plans

namespace {
const char* const kProjections[] = {"q", "k", "v", "o", "gate", "up", "down", "lm_head"};

bool known_projection(const std::string& p) {
  return std::find(std::begin(kProjections), std::end(kProjections), p) != std::end(kProjections);
}

std::string projection_names() {
  std::string s = "default";
  for (const char* p : kProjections) s += std::string(", ") + p;
  return s;
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double parse_number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw std::runtime_error(what + ": '" + text + "' is not a number");
  return v;
}
}  // namespace

double projection_table::at(const std::string& proj, int layer) const {
  const auto it = values.find(proj);
  if (it == values.end()) return fallback;
  if (it->second.size() == 1 || layer < 0) return it->second.front();
  return it->second.at(std::size_t(layer));
}

projection_table projection_table::parse_inline(const std::string& text, const std::string& what, double fallback) {
  projection_table t;
  t.fallback = fallback;
  if (text.find('=') == std::string::npos) {
    t.fallback = parse_number(text, what);
    return t;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw std::runtime_error(what + ": '" + item + "' is not name=value (names: " + projection_names() + ")");
    const std::string name = item.substr(0, eq);
    const double v = parse_number(item.substr(eq + 1), what + " " + name);
    if (name == "default") t.fallback = v;
    else if (known_projection(name)) t.values[name] = {v};
    else throw std::runtime_error(what + ": unknown projection '" + name + "' (names: " + projection_names() + ")");
    start = end + 1;
  }
  return t;
}

projection_table projection_table::parse_json(const nlohmann::json& j, const std::string& what, double fallback) {
  projection_table t;
  t.fallback = fallback;
  if (j.is_number()) {
    t.fallback = j.get<double>();
    return t;
  }
  if (!j.is_object()) throw std::runtime_error(what + ": expected a number or an object of projection names");
  for (const auto& [name, v] : j.items()) {
    if (!name.empty() && name[0] == '_') continue;  // "_about" and the like: comments
    if (name == "default") {
      if (!v.is_number()) throw std::runtime_error(what + ": \"default\" must be a number");
      t.fallback = v.get<double>();
      continue;
    }
    if (!known_projection(name))
      throw std::runtime_error(what + ": unknown projection '" + name + "' (names: " + projection_names() + ")");
    if (v.is_number()) {
      t.values[name] = {v.get<double>()};
    } else if (v.is_array() && !v.empty()) {
      for (const auto& e : v) {
        if (!e.is_number()) throw std::runtime_error(what + ": \"" + name + "\" holds a non-number");
        t.values[name].push_back(e.get<double>());
      }
    } else {
      throw std::runtime_error(what + ": \"" + name + "\" must be a number or a non-empty array (one per layer)");
    }
  }
  return t;
}

projection_table projection_table::load(const std::string& path, const std::string& what, double fallback) {
  return parse_json(read_json_file(path, what.c_str()), what + " '" + path + "'", fallback);
}

void projection_table::check(const model_shape& m, double lo, double hi, bool integer, const std::string& what) const {
  auto check_value = [&](const std::string& name, double v) {
    char range[96];
    std::snprintf(range, sizeof range, integer ? "%g..%g" : "[%g, %g]", lo, hi);
    if (!(v >= lo && v <= hi) || (integer && v != std::floor(v)))
      throw std::runtime_error(what + ": " + name + " = " + format_number(v) + " is outside " + range);
  };
  check_value("default", fallback);
  for (const auto& [name, vs] : values) {
    if (vs.size() != 1 && (name == "lm_head" || vs.size() != std::size_t(m.layers)))
      throw std::runtime_error(what + ": \"" + name + "\" has " + std::to_string(vs.size()) + " values; give one, or " +
                               std::to_string(m.layers) + " (one per layer of " + m.label + ")");
    for (double v : vs) check_value(name, v);
  }
}

projection_table sparsity_table(const sparsity_profile& sp) {
  projection_table t;
  if (sp.kind == sparsity_kind::all) {
    t.fallback = sp.s;
    t.values["lm_head"] = {0.0};
  } else if (sp.kind == sparsity_kind::ffn_down) {
    t.values["down"] = {sp.s};
  }
  return t;
}

std::vector<plan_matrix> decode_plan(const model_shape& m, const projection_table& bits, int group,
                                     const projection_table& sparsity) {
  std::vector<plan_matrix> plan;
  for (const auto& p : m.projections()) {
    const bool head = p.proj == "lm_head";
    for (int l = 0; l < p.count; ++l) {
      const int layer = head ? -1 : l;
      plan_matrix x;
      x.proj = p.proj;
      x.layer = layer;
      x.N = (p.N + std::size_t(group) - 1) / std::size_t(group) * std::size_t(group);
      x.K = p.K;
      x.bits = int(bits.at(p.proj, layer));
      x.group = group;
      x.sparsity = sparsity.at(p.proj, layer);
      plan.push_back(x);
    }
  }
  // Decode order: layer by layer, q k v o gate up down, then lm_head.
  std::stable_sort(plan.begin(), plan.end(), [](const plan_matrix& a, const plan_matrix& b) {
    const int la = a.layer < 0 ? 1 << 30 : a.layer, lb = b.layer < 0 ? 1 << 30 : b.layer;
    return la < lb;
  });
  return plan;
}

double mean_bits(const std::vector<plan_matrix>& plan) {
  double w = 0, b = 0;
  for (const auto& p : plan) {
    w += double(p.N) * double(p.K);
    b += double(p.N) * double(p.K) * p.bits;
  }
  return w > 0 ? b / w : 0;
}


// ---- projection onto a target

projection_result project(const model_shape& model, int bits, int group, const sparsity_profile& sp,
                          const target_profile& target, const std::string& precision) {
  projection_table b;
  b.fallback = bits;
  return project(decode_plan(model, b, group, sparsity_table(sp)), target, precision);
}

projection_result project(const std::vector<plan_matrix>& plan, const target_profile& target,
                          const std::string& precision) {
  if (precision != "exact" && precision != "int8")
    throw std::runtime_error("precision '" + precision + "': legal values are exact, int8");
  projection_result r;
  r.GBps = target.projection_GBps();
  r.cpu_measured = target.cpu_GBps.has_value();
  r.bandwidth_kind = target.bandwidth_kind();
  r.has_compute = target.pcore.GHz.has_value();
  r.has_e_compute = r.has_compute && target.ecore.GHz.has_value();
  const double hz = r.has_compute ? target.p_cores * *target.pcore.GHz * 1e9 : 0;  // P-core cycles per second
  const double e_hz = r.has_e_compute ? target.e_cores * *target.ecore.GHz * 1e9 : 0;
  // Weights per second of a loop on the P-cores, and on the E-cores (0 without their clock);
  // with both, a matrix is split between every core in proportion to its rate.
  auto p_rate = [&](const kernel_loop& loop) { return hz / cycles_per_weight(loop, target.pcore, target.name); };
  auto e_rate = [&](const kernel_loop& loop) {
    return r.has_e_compute ? e_hz / cycles_per_weight(loop, target.ecore, target.name) : 0.0;
  };
  // Seconds per token of the compute side, and of the roofline matrix by matrix.
  double cpu_d = 0, cpu_s = 0, roof_d = 0, roof_s = 0, chip_d = 0, chip_s = 0;
  for (const auto& p : plan) {
    const double bytes = packed_bytes(p.N, p.K, p.bits, p.group, std::size_t(target.line)) * p.count;
    r.bytes_dense += bytes;
    r.bytes_sparse += bytes * (1.0 - p.sparsity);
    if (!r.has_compute) continue;
    const double md = bytes / (r.GBps * 1e9), ms = md * (1.0 - p.sparsity);
    const double weights = double(p.N) * double(p.K) * p.count;
    const kernel_loop& dense = find_neon_loop(precision, p.bits, p.group, false);
    const kernel_loop& sparse = p.sparsity > 0 ? find_neon_loop(precision, p.bits, p.group, true) : dense;
    const double active = weights * (1.0 - p.sparsity);
    const double pd = p_rate(dense), ps = p_rate(sparse);
    const double cd = weights / pd, cs = active / ps;
    cpu_d += cd;
    cpu_s += cs;
    roof_d += std::max(md, cd);
    roof_s += std::max(ms, cs);
    chip_d += weights / (pd + e_rate(dense));
    chip_s += active / (ps + e_rate(sparse));
  }
  r.tps_dense = r.GBps * 1e9 / r.bytes_dense;
  r.tps_sparse = r.GBps * 1e9 / r.bytes_sparse;
  if (r.has_compute) {
    r.compute_tps_dense = 1.0 / cpu_d;
    r.compute_tps_sparse = 1.0 / cpu_s;
    r.roof_tps_dense = 1.0 / roof_d;
    r.roof_tps_sparse = 1.0 / roof_s;
    r.compute_bound_dense = r.compute_tps_dense < r.tps_dense;
    r.compute_bound_sparse = r.compute_tps_sparse < r.tps_sparse;
    r.chip_compute_tps_dense = 1.0 / chip_d;
    r.chip_compute_tps_sparse = 1.0 / chip_s;
  }
  return r;
}

// ---- the NEON kernels' cost per weight

const char* neon_loops_json();  // generated at build time from roofline/profiles/neon_loops.json

const std::vector<kernel_loop>& builtin_neon_loops() {
  static const std::vector<kernel_loop> loops = [] {
    std::vector<kernel_loop> out;
    for (const auto& e : nlohmann::json::parse(neon_loops_json())) {
      kernel_loop l;
      l.mode = e.at("mode");
      l.bits = e.at("bits");
      l.group = e.at("group");
      l.sparse = e.at("pass") == "sparse";
      l.kernel = e.at("kernel");
      l.instructions = e.at("instructions");
      l.weights = e.at("weights");
      l.simd_ops = e.at("simd_ops");
      out.push_back(l);
    }
    return out;
  }();
  return loops;
}

const kernel_loop& find_neon_loop(const std::string& mode, int bits, int group, bool sparse) {
  for (const auto& l : builtin_neon_loops())
    if (l.mode == mode && l.bits == bits && l.group == group && l.sparse == sparse) return l;
  throw std::runtime_error("no counted NEON loop for " + mode + " " + std::to_string(bits) + "-bit g" +
                           std::to_string(group) + (sparse ? " sparse" : " dense") +
                           " in roofline/profiles/neon_loops.json");
}

double cycles_per_weight(const kernel_loop& loop, const core_type& core, const std::string& profile) {
  if (core.simd_pipes < 1 || core.decode_width < 1 || loop.weights < 1)
    throw std::runtime_error("profile '" + profile + "' has no SIMD pipes or decode width for the compute side");
  return std::max(double(loop.simd_ops) / core.simd_pipes, double(loop.instructions) / core.decode_width) /
         loop.weights;
}

// ---- CPU-reachable bandwidth from published CPU-only decode measurements

namespace {

std::string string_field(const nlohmann::json& e, const char* key, bool required) {
  if (!e.contains(key) || e[key].is_null()) {
    if (required) throw std::runtime_error(std::string("\"") + key + "\" is missing");
    return "";
  }
  if (!e[key].is_string()) throw std::runtime_error(std::string("\"") + key + "\": " + e[key].dump() + " is not a string");
  return e[key];
}

std::vector<decode_measurement> parse_measurements(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) throw std::runtime_error(where + ": a measurement file holds a JSON array of measurements");
  std::vector<decode_measurement> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    try {
      if (!e.is_object()) throw std::runtime_error("is not an object");
      decode_measurement m;
      m.profile = string_field(e, "profile", true);
      m.model = string_field(e, "model", true);
      find_model(m.model);  // an unknown model lists the known ones
      m.quant = string_field(e, "quant", false);
      m.engine = string_field(e, "engine", false);
      m.source = string_field(e, "source", true);
      m.url = string_field(e, "url", true);
      m.bits = integer_field<int>(e, "bits");
      if (m.bits != 2 && m.bits != 3 && m.bits != 4 && m.bits != 5 && m.bits != 6 && m.bits != 8)
        throw std::runtime_error("\"bits\": " + std::to_string(m.bits) + " is not one of 2, 3, 4, 5, 6, 8");
      if (e.contains("group")) m.group = integer_field<int>(e, "group");
      if (m.group != 32 && m.group != 64 && m.group != 128)
        throw std::runtime_error("\"group\": " + std::to_string(m.group) + " is not one of 32, 64, 128");
      if (e.contains("threads") && !e["threads"].is_null()) {
        m.threads = integer_field<int>(e, "threads");
        if (*m.threads < 1) throw std::runtime_error("\"threads\": must be at least 1 or null");
      }
      if (!e.contains("tokens_per_s") || !e["tokens_per_s"].is_number())
        throw std::runtime_error("\"tokens_per_s\" must be a number");
      m.tokens_per_s = e["tokens_per_s"].get<double>();
      if (!(m.tokens_per_s > 0 && m.tokens_per_s < 1e6))
        throw std::runtime_error("\"tokens_per_s\": " + e["tokens_per_s"].dump() + " is not in (0, 1e6)");
      out.push_back(m);
    } catch (const nlohmann::json::exception& x) {
      throw std::runtime_error(where + ": measurement " + std::to_string(i) + ": " + x.what());
    } catch (const std::runtime_error& x) {
      throw std::runtime_error(where + ": measurement " + std::to_string(i) + ": " + x.what());
    }
  }
  return out;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The profile a measurement names, or an error naming the measurement and its field.
const target_profile& measured_chip(const std::vector<target_profile>& profiles, const std::vector<decode_measurement>& ms,
                                    std::size_t i) {
  try {
    return find_profile(profiles, ms[i].profile);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("measurement " + std::to_string(i) + ": \"profile\": " + e.what());
  }
}

// Bytes per token of the measurement's model, dense, at its width, packed for its chip.
double measurement_bytes(const decode_measurement& m, const target_profile& chip) {
  return project(find_model(m.model), m.bits, m.group, {sparsity_kind::dense, 0}, chip).bytes_dense;
}

}  // namespace

std::vector<decode_measurement> builtin_decode_measurements() {
  return parse_measurements(nlohmann::json::parse(apple_validation_json()), "built-in decode measurements");
}

std::vector<decode_measurement> load_decode_measurements(const std::string& path) {
  return parse_decode_measurements(read_text_file(path, "measurement file"), path);
}

std::vector<decode_measurement> parse_decode_measurements(const std::string& text, const std::string& name) {
  return parse_measurements(parse_json_text(text, "measurement file", name), "measurement file '" + name + "'");
}

cpu_bandwidth_fit fit_cpu_bandwidth(const target_profile& target, const std::vector<target_profile>& profiles,
                                    const std::vector<decode_measurement>& ms, int skip) {
  // Per-P-core figures of every measurement but the held-out one, and which of them share
  // the target's generation.
  std::vector<double> same, all;
  int own_same = 0, own_all = 0;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (int(i) == skip) continue;
    const target_profile& chip = measured_chip(profiles, ms, i);
    if (chip.p_cores < 1)
      throw std::runtime_error("measurement " + std::to_string(i) + " is on '" + chip.name +
                               "', whose profile gives no \"performance_cores\"");
    const double per_core = measurement_bytes(ms[i], chip) * ms[i].tokens_per_s / 1e9 / chip.p_cores;
    const bool own = chip.name == target.name;
    all.push_back(per_core);
    own_all += own;
    if (!target.generation.empty() && chip.generation == target.generation) {
      same.push_back(per_core);
      own_same += own;
    }
  }
  if (all.empty()) throw std::runtime_error("no decode measurement left to fit a CPU bandwidth on");
  if (target.p_cores < 1) throw std::runtime_error("profile '" + target.name + "' gives no \"performance_cores\"");
  cpu_bandwidth_fit f;
  const bool by_generation = !same.empty();
  f.per_core_GBps = median_of(by_generation ? same : all);
  f.used = int(by_generation ? same.size() : all.size());
  f.own = by_generation ? own_same : own_all;
  f.pool = by_generation ? target.generation : "all generations";
  f.GBps = std::min(target.soc_GBps, f.per_core_GBps * target.p_cores);
  return f;
}

std::vector<validation_row> validate_leave_one_out(const std::vector<target_profile>& profiles,
                                                   const std::vector<decode_measurement>& ms) {
  std::vector<validation_row> rows;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const target_profile& chip = measured_chip(profiles, ms, i);
    validation_row r;
    r.bytes = measurement_bytes(ms[i], chip);
    r.effective_GBps = r.bytes * ms[i].tokens_per_s / 1e9;
    r.fit = fit_cpu_bandwidth(chip, profiles, ms, int(i));
    r.projected_tps = r.fit.GBps * 1e9 / r.bytes;
    r.error = r.projected_tps / ms[i].tokens_per_s - 1;
    rows.push_back(r);
  }
  return rows;
}

validation_summary summarize_validation(const std::vector<validation_row>& rows) {
  if (rows.empty()) throw std::runtime_error("no validation rows to summarize");
  std::vector<double> abs_err;
  for (const auto& r : rows) abs_err.push_back(std::abs(r.error));
  validation_summary s;
  s.median_abs = median_of(abs_err);
  s.worst_abs = *std::max_element(abs_err.begin(), abs_err.end());
  s.met = s.median_abs <= kValidationMedianGoal && s.worst_abs <= kValidationWorstGoal;
  return s;
}

}  // namespace roofline
