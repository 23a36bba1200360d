// tests/fuzz/fuzz_thresholds.cpp: libFuzzer target for the threshold table's text form
// (include/actsparse/calibrate.hpp, threshold_table::parse, which load() calls).
//
// The contract: parse the text or throw actsparse::error naming the line. On an accepted
// table every name must be one set() accepts and every threshold finite and >= 0, and the
// table written as save() writes it must read back to the same entries, bit for bit (save's
// "%.9g" is enough for any float). Anything else is a finding (__builtin_trap, a sanitizer
// report, another exception type). Built and run by tests/fuzz/run.sh.
#include <actsparse/calibrate.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

#include "fuzz_common.hpp"

namespace {

using fuzz::check;

// What save() writes, into a string (save() itself only writes files).
std::string saved_text(const actsparse::threshold_table& t) {
  std::string text = "actsparse-thresholds 1\n";
  for (const auto& [name, v] : t.entries()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    text += name + ' ' + buf + '\n';
  }
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  actsparse::threshold_table t;
  try {
    t = actsparse::threshold_table::parse(in, "fuzz input");
  } catch (const actsparse::error&) {
    return 0;
  }
  actsparse::threshold_table copy;
  for (const auto& [name, v] : t.entries()) {
    check(std::isfinite(v) && v >= 0.0f);
    copy.set(name, v);  // throws (a finding) if the parser let through a name set() refuses
  }
  std::istringstream again(saved_text(t));
  const actsparse::threshold_table back = actsparse::threshold_table::parse(again, "saved table");
  check(back.entries().size() == t.entries().size());
  for (const auto& [name, v] : t.entries()) {
    const float w = back.get(name);
    check(std::memcmp(&v, &w, sizeof v) == 0);
  }
  return 0;
}
