// roofline/study_result.cpp: the reader of `actsparse study` results (study_result.hpp).
// Every refusal names the file and the field by its path in the file, e.g.
// "study JSON 's.json': quality[3].perplexity is \"x\", not a number".
#include "study_result.hpp"

#include <stdexcept>

#include "json_file.hpp"

namespace roofline {

using nlohmann::json;

namespace {

std::string path_of(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string shown(const json& v) {
  const std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

const json& field(const json& j, const std::string& where, const char* key) {
  if (!j.is_object()) throw std::runtime_error((where.empty() ? "the file" : where) + " is not an object");
  const auto it = j.find(key);
  if (it == j.end()) throw std::runtime_error(path_of(where, key) + " is missing");
  return *it;
}

double number(const json& j, const std::string& where, const char* key) {
  const json& v = field(j, where, key);
  if (!v.is_number()) throw std::runtime_error(path_of(where, key) + " is " + shown(v) + ", not a number");
  return v.get<double>();
}

std::string text(const json& j, const std::string& where, const char* key) {
  const json& v = field(j, where, key);
  if (!v.is_string()) throw std::runtime_error(path_of(where, key) + " is " + shown(v) + ", not a string");
  return v.get<std::string>();
}

// The host facts study_cmd.cpp finds only where /proc and /sys have them.
std::string optional_text(const json& j, const std::string& where, const char* key) {
  return j.contains(key) ? text(j, where, key) : std::string();
}

int integer(const json& j, const std::string& where, const char* key) {
  field(j, where, key);
  try {
    return integer_field<int>(j, key);
  } catch (const std::runtime_error&) {
    throw std::runtime_error(path_of(where, key) + " is " + shown(j[key]) + ", not an integer in range");
  }
}

const json& array(const json& j, const std::string& where, const char* key) {
  const json& v = field(j, where, key);
  if (!v.is_array()) throw std::runtime_error(path_of(where, key) + " is " + shown(v) + ", not an array");
  return v;
}

std::vector<double> numbers(const json& j, const std::string& where, const char* key) {
  const json& a = array(j, where, key);
  std::vector<double> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_number())
      throw std::runtime_error(path_of(where, key) + "[" + std::to_string(i) + "] is " + shown(a[i]) +
                               ", not a number");
    out.push_back(a[i].get<double>());
  }
  return out;
}

std::string item(const std::string& key, std::size_t i) { return key + "[" + std::to_string(i) + "]"; }

study_histogram read_histogram(const json& j, const std::string& at) {
  study_histogram h;
  h.projection = text(j, at, "projection");
  h.samples = number(j, at, "samples");
  h.exact_zero_fraction = number(j, at, "exact_zero_fraction");
  h.upper_edges = numbers(j, at, "upper_edges");
  h.fraction = numbers(j, at, "fraction");
  h.median_abs_per_layer = numbers(j, at, "median_abs_per_layer");
  // The page labels the bins on a log scale, so the edges must rise from above 0.
  if (h.upper_edges.empty()) throw std::runtime_error(at + ".upper_edges is empty");
  for (std::size_t i = 0; i < h.upper_edges.size(); ++i)
    if (!(h.upper_edges[i] > (i ? h.upper_edges[i - 1] : 0.0)))
      throw std::runtime_error(at + ".upper_edges must be positive and rising (entry " + std::to_string(i) + ")");
  if (h.fraction.size() != h.upper_edges.size() + 1)
    throw std::runtime_error(at + " has " + std::to_string(h.fraction.size()) + " fractions for " +
                             std::to_string(h.upper_edges.size()) + " edges (one more bin than edges expected)");
  for (double f : h.fraction)
    if (f < -1e-9 || f > 1 + 1e-9)
      throw std::runtime_error(at + ".fraction holds " + std::to_string(f) + ", outside [0, 1]");
  return h;
}

study_quality read_quality(const json& j, const std::string& at) {
  study_quality q;
  q.weights = text(j, at, "weights");
  q.rule = text(j, at, "rule");
  q.target = number(j, at, "target");
  q.perplexity = number(j, at, "perplexity");
  q.perplexity_vs_dense = number(j, at, "perplexity_vs_dense");
  q.mean_kl = number(j, at, "mean_kl");
  q.top1_agreement = number(j, at, "top1_agreement");
  q.sparsity = number(j, at, "sparsity");
  return q;
}

study_speed read_speed(const json& j, const std::string& at) {
  study_speed s;
  s.weights = text(j, at, "weights");
  const std::string residency = text(j, at, "residency"), mode = text(j, at, "mode");
  if (residency != "hot" && residency != "stream")
    throw std::runtime_error(at + ".residency is \"" + residency + "\", not \"hot\" or \"stream\"");
  if (mode != "dense" && mode != "sparse")
    throw std::runtime_error(at + ".mode is \"" + mode + "\", not \"dense\" or \"sparse\"");
  s.stream = residency == "stream";
  s.sparse = mode == "sparse";
  s.copies = integer(j, at, "copies");
  s.threads = integer(j, at, "threads");
  s.target = number(j, at, "target");
  s.tokens_per_s = number(j, at, "tokens_per_s");
  s.projections_ms_per_token = number(j, at, "projections_ms_per_token");
  s.projections_bytes_per_token = number(j, at, "projections_bytes_per_token");
  s.weight_bytes = number(j, at, "weight_bytes");
  s.runs = numbers(j, at, "runs");
  const json& per = array(j, at, "per_projection");
  for (std::size_t i = 0; i < per.size(); ++i) {
    const std::string pat = at + "." + item("per_projection", i);
    study_projection p;
    p.projection = text(per[i], pat, "projection");
    p.sparsity = number(per[i], pat, "sparsity");
    p.bytes_per_token = number(per[i], pat, "bytes_per_token");
    p.ms_per_token = number(per[i], pat, "ms_per_token");
    p.GBps = number(per[i], pat, "GBps");
    if (per[i].contains("roof_level")) {  // written when the study was given a machine profile
      p.roof_level = text(per[i], pat, "roof_level");
      p.roof_GBps = number(per[i], pat, "roof_GBps");
      p.roof_fraction = number(per[i], pat, "roof_fraction");
    }
    s.per_projection.push_back(p);
  }
  return s;
}

study_text read_text(const json& j, const std::string& at) {
  study_text t;
  t.file = text(j, at, "file");
  t.tokens_in_file = number(j, at, "tokens_in_file");
  t.tokens_used = number(j, at, "tokens_used");
  t.chunks = number(j, at, "chunks");
  return t;
}

}  // namespace

study_result load_study(const std::string& path) { return parse_study(read_text_file(path, "study JSON"), path); }

study_result parse_study(const std::string& text_in, const std::string& path) {
  const json j = parse_json_text(text_in, "study JSON", path);
  if (!j.is_object() || !j.contains("schema") || j["schema"] != "actsparse-study/1")
    throw std::runtime_error("study JSON '" + path +
                             "': unknown schema (expected \"actsparse-study/1\" from `actsparse study`)");
  study_result r;
  try {
    r.date = text(j, "", "date");
    r.model = text(j, "", "model");
    const json& host = field(j, "", "host");
    r.hostname = text(host, "host", "hostname");
    r.cpu = optional_text(host, "host", "cpu");
    r.cpu_family = optional_text(host, "host", "cpu_family");
    r.cpu_model = optional_text(host, "host", "cpu_model");
    r.l3 = optional_text(host, "host", "l3");
    const json& texts = field(j, "", "texts");
    r.calibration = read_text(field(texts, "texts", "calibration"), "texts.calibration");
    r.evaluation = read_text(field(texts, "texts", "evaluation"), "texts.evaluation");
    r.chunk = integer(texts, "texts", "chunk");
    r.dense_layers = integer(j, "", "dense_layers");
    const json& hp = field(j, "", "hparams");
    for (const char* key : {"n_layers", "n_embd", "n_ff", "n_heads", "n_kv_heads", "n_vocab"})
      r.hparams[key] = integer(hp, "hparams", key);
    const json& act = array(j, "", "activations");
    for (std::size_t i = 0; i < act.size(); ++i)
      r.activations.push_back(read_histogram(act[i], item("activations", i)));
    const json& quality = array(j, "", "quality");
    for (std::size_t i = 0; i < quality.size(); ++i) r.quality.push_back(read_quality(quality[i], item("quality", i)));
    if (j.contains("speed")) {  // absent while the study runs its quality part
      const json& speed = array(j, "", "speed");
      for (std::size_t i = 0; i < speed.size(); ++i) r.speed.push_back(read_speed(speed[i], item("speed", i)));
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("study JSON '" + path + "': " + e.what());
  } catch (const nlohmann::json::exception& e) {  // not expected: every access above is checked first
    throw std::runtime_error("study JSON '" + path + "': " + e.what());
  }
  if (r.quality.empty()) throw std::runtime_error("study JSON '" + path + "' holds no quality rows");
  return r;
}

}  // namespace roofline
