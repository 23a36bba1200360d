// roofline/json_file.cpp: the tool's JSON file reading and writing (json_file.hpp).
#include "json_file.hpp"

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace roofline {

using nlohmann::json;

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string(what) + " '" + path + "' cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json read_json_file(const std::string& path, const char* what, bool nan_as_null) {
  return parse_json_text(read_text_file(path, what), what, path, nan_as_null);
}

json parse_json_text(std::string text, const char* what, const std::string& name, bool nan_as_null) {
  if (nan_as_null) {
    // Google Benchmark writes bare NaN / inf in its stddev and cv aggregates (0 / 0 on a
    // constant counter); JSON has no such literals. They become null.
    static const std::regex bad(R"((:\s*)(-?nan|-?NaN|-?inf|-?Infinity)\b)");
    text = std::regex_replace(text, bad, "$1null");
  }
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number beyond double (1e400)
    throw std::runtime_error(std::string(what) + " '" + name + "' is not valid JSON (truncated?): " + e.what());
  }
}

void write_json(const std::string& out, const nlohmann::json& j) {
  const std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp);
    if (!f) throw std::runtime_error("cannot write '" + tmp + "'");
    f << j.dump(2) << "\n";
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw std::runtime_error("cannot write '" + tmp + "' (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename '" + tmp + "' to '" + out + "'");
  }
}

}  // namespace roofline
