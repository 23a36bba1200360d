// roofline/decode_result.cpp: the results of `actsparse decode` (decode.hpp) apart from the
// run that makes them: their totals and plan, the roofline model's prediction per part,
// and their JSON form ("actsparse-decode/1"), which the report reads back.
#include "decode.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "json_file.hpp"
#include "model.hpp"       // predict_from
#include "projection.hpp"  // find_model, plan_matrix

namespace roofline {

std::vector<plan_matrix> decode_result::plan() const {
  std::vector<plan_matrix> out;
  for (const auto& p : parts) {
    plan_matrix m;
    m.proj = p.proj;
    m.N = p.N;
    m.K = p.K;
    m.bits = p.bits;
    m.group = group;
    m.sparsity = p.sparsity;
    m.count = p.matrices;
    out.push_back(m);
  }
  return out;
}

double decode_result::bytes(bool sparse) const {
  double b = 0;
  for (const auto& p : parts) b += sparse ? p.bytes_sparse : p.bytes_dense;
  return b;
}

prediction predict_decode(const machine_profile& m, const decode_result& r, const decode_part& p, bool sparse,
                          int threads) {
  // Every matrix is read once per token, so the level the weights come from is the one that
  // holds the whole model: DRAM unless the model fits in the last-level cache.
  const level_bandwidth& lvl = m.level_holding(std::size_t(r.weights_bytes), threads);
  const double n = p.matrices;
  prediction one = predict_from(m, lvl, (sparse ? p.bytes_sparse : p.bytes_dense) / n,
                                (sparse ? p.weights_sparse : p.weights_dense) / n, p.bits, threads);
  one.seconds *= n;
  one.memory_s *= n;
  one.compute_s *= n;
  one.fixed_s *= n;
  return one;
}

// ---- JSON

void to_json(nlohmann::json& j, const decode_result& r) {
  j = {{"schema", "actsparse-decode/1"},
       {"date", r.date},
       {"host", r.host},
       {"isa", r.isa},
       {"model", {{"name", r.model.name}, {"label", r.model.label}, {"layers", r.model.layers}, {"hidden", r.model.hidden},
                  {"intermediate", r.model.intermediate}, {"kv_dim", r.model.kv_dim}, {"vocab", r.model.vocab}}},
       {"group", r.group},
       {"bits_mean", r.bits_mean},
       {"bits", r.bits_spec},
       {"sparsity", r.sparsity_spec},
       {"pattern", r.pattern},
       {"tokens", r.tokens},
       {"panels", r.panels},
       {"memory", {{"weights_bytes", r.weights_bytes}, {"peak_rss_bytes", r.peak_rss_bytes},
                   {"available_bytes", r.available_bytes}, {"total_bytes", r.total_bytes}}},
       {"runs", nlohmann::json::array()}};
  j["parts"] = r.parts;
  for (const auto& run : r.runs)
    j["runs"].push_back({{"threads", run.threads}, {"pass", run.sparse ? "sparse" : "dense"},
                         {"precision", run.precision}, {"max_rel_err", run.max_rel_err}, {"seconds", run.seconds},
                         {"token_seconds", run.token_seconds}, {"part_seconds", run.part_seconds}});
}

decode_result load_decode(const std::string& path) {
  return parse_decode(read_text_file(path, "decode JSON"), path);
}

decode_result parse_decode(const std::string& text, const std::string& path) {
  const nlohmann::json j = parse_json_text(text, "decode JSON", path);
  if (!j.is_object() || !j.contains("schema") || j["schema"] != "actsparse-decode/1")  // value() throws on a non-string
    throw std::runtime_error("decode JSON '" + path + "': unknown schema (expected \"actsparse-decode/1\" from `actsparse decode`)");
  decode_result r;
  try {
    const auto& m = j.at("model");
    r.model = find_model(m.at("name").get<std::string>());
    r.date = j.at("date");
    r.host = j.at("host");
    r.isa = j.at("isa");
    r.group = integer_field<int>(j, "group");
    r.bits_mean = j.at("bits_mean");
    r.bits_spec = j.at("bits");
    r.sparsity_spec = j.at("sparsity");
    r.pattern = j.at("pattern");
    r.tokens = integer_field<int>(j, "tokens");
    r.panels = j.contains("panels") ? integer_field<int>(j, "panels") : 0;
    const auto& mem = j.at("memory");
    r.weights_bytes = mem.at("weights_bytes");
    r.peak_rss_bytes = mem.at("peak_rss_bytes");
    r.available_bytes = mem.at("available_bytes");
    r.total_bytes = mem.at("total_bytes");
    for (const auto& p : j.at("parts")) {  // not get<decode_part>(): its integers would be unchecked
      decode_part d;
      d.proj = p.at("proj");
      d.N = integer_field<std::size_t>(p, "N");
      d.K = integer_field<std::size_t>(p, "K");
      d.bits = integer_field<int>(p, "bits");
      d.sparsity = p.at("sparsity");
      d.matrices = integer_field<int>(p, "matrices");
      d.bytes_dense = p.at("bytes_dense");
      d.bytes_sparse = p.at("bytes_sparse");
      d.weights_dense = p.at("weights_dense");
      d.weights_sparse = p.at("weights_sparse");
      r.parts.push_back(d);
    }
    for (const auto& run : j.at("runs")) {
      decode_run d;
      d.threads = integer_field<int>(run, "threads");
      d.sparse = run.at("pass") == "sparse";
      // Files written before the int8 mode have neither field: exact, error not measured.
      d.precision = run.value("precision", std::string("exact"));
      if (d.precision != "exact" && d.precision != "int8")
        throw std::runtime_error("a run's precision is \"" + d.precision + "\" (legal: exact, int8)");
      d.max_rel_err = run.value("max_rel_err", -1.0);
      d.seconds = run.at("seconds");
      d.token_seconds = run.at("token_seconds").get<std::vector<double>>();
      d.part_seconds = run.at("part_seconds").get<std::vector<double>>();
      if (d.part_seconds.size() != r.parts.size())
        throw std::runtime_error("a run has " + std::to_string(d.part_seconds.size()) + " part times for " +
                                 std::to_string(r.parts.size()) + " parts");
      r.runs.push_back(d);
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("decode JSON '" + path + "' lacks a field or has a wrong type: " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("decode JSON '" + path + "': " + e.what());
  }
  if (r.runs.empty() || r.parts.empty()) throw std::runtime_error("decode JSON '" + path + "' holds no runs");
  return r;
}

}  // namespace roofline
