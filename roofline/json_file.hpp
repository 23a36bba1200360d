// roofline/json_file.hpp: reading and writing the tool's JSON files, the part its readers
// share (machine.hpp, bench_rows.hpp, targets.hpp, projection.hpp, decode.hpp each turn
// one kind of file into structs). Every failure is a std::runtime_error that names the file
// and says what is wrong with it (the contract tests/fuzz holds the readers to), integer
// fields are checked for range, and a write never leaves half a file (json_file.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace roofline {

// Parses a whole JSON file, with a clear error on failure; nan_as_null turns the bare
// NaN/inf values Google Benchmark writes into null.
nlohmann::json read_json_file(const std::string& path, const char* what, bool nan_as_null = false);
// Its two halves: the file's text ("<what> '<path>' cannot be opened"), and the parse of a
// text that came from `name` ("<what> '<name>' is not valid JSON ...").
std::string read_text_file(const std::string& path, const char* what);
nlohmann::json parse_json_text(std::string text, const char* what, const std::string& name, bool nan_as_null = false);

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

// Writes j (indented by 2) to out.tmp beside `out` and renames it into place: never a
// half-written file; on failure the old file stays, out.tmp is removed and
// std::runtime_error names the file.
void write_json(const std::string& out, const nlohmann::json& j);

}  // namespace roofline
