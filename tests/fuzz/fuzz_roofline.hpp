// tests/fuzz/fuzz_roofline.hpp: what the libFuzzer targets of the `actsparse` tool's readers
// (fuzz_machine, fuzz_bench, fuzz_decode, fuzz_projection) share: the contract they hold
// the readers to.
//
// roofline/main.cpp turns any std::exception into "actsparse: <what()>" and exit 1, so no
// input can crash the tool through an exception; the contract here is stricter, so that
// the message is a clear one: a bad input gives a std::runtime_error (or a type derived from
// it) whose message names the input. A bare nlohmann::json exception ("[json.exception.
// type_error.302] type must be number, but is string", no file named), a std::logic_error
// (std::out_of_range from .at()), any other type, a crash or a sanitizer report is a finding.
#pragma once

#include "fuzz_common.hpp"

#include <cstdint>
#include <string>
#include <stdexcept>

namespace fuzz {

inline constexpr const char* kName = "fuzz input";


inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs f; true if it returned, false if it refused the input as the contract says. Other
// exceptions propagate out of LLVMFuzzerTestOneInput, which libFuzzer reports as a crash.
template <class F>
bool accepted(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    check(std::string(e.what()).find(kName) != std::string::npos);
    return false;
  }
  return true;
}

}  // namespace fuzz
