// tests/fuzz/fuzz_gguf.cpp: libFuzzer target for the GGUF reader (include/actsparse/gguf.hpp).
//
// The reader's contract on untrusted bytes: it either parses them or throws actsparse::error;
// it never reads outside the buffer, never crashes, never throws anything else, and every
// tensor it accepts lies inside the buffer. So the input goes through from_memory, then every
// getter on every key (each may refuse with actsparse::error), then dequantize,
// dequantize_rows and pack on each tensor small enough to decode quickly. A crash, a
// sanitizer report, another exception type (std::terminate) or a broken invariant
// (__builtin_trap) is a finding. Built and run by tests/fuzz/run.sh.
#include <actsparse/gguf.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {

constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 16;  // larger tensors: listed, not decoded

template <class F>
void refusable(F&& f) {
  try {
    f();
  } catch (const actsparse::error&) {
  }
}

using fuzz::check;

void exercise_metadata(const actsparse::gguf_file& f) {
  for (const auto& kv : f.metadata()) {
    const std::string& key = kv.first;  // not a structured binding: C++17 lambdas cannot capture one
    check(f.has(key) && &f.value(key) == &kv.second);
    refusable([&] { (void)f.get_int(key); });
    refusable([&] { (void)f.get_float(key); });
    refusable([&] { (void)f.get_bool(key); });
    refusable([&] { (void)f.get_string(key); });
    refusable([&] { (void)f.get_strings(key); });
    refusable([&] { (void)f.get_ints(key); });
    refusable([&] { (void)f.get_floats(key); });
  }
  refusable([&] { (void)f.value("fuzz.no.such.key"); });
}

void exercise_tensor(const actsparse::gguf_file& f, const actsparse::gguf_file::tensor& t) {
  // The invariants every accepted tensor keeps.
  check(f.has_tensor(t.name) && &f.find(t.name) == &t);
  check(!t.shape.empty() && t.shape.size() <= 4);
  check(t.offset >= f.data_offset() && t.offset <= f.size() && t.bytes <= f.size() - t.offset);
  check(t.offset % f.alignment() == 0);
  const std::uint64_t n = t.elements();
  if (n > kMaxElements) return;
  const std::uint64_t rows = n / t.shape[0];
  std::vector<float> out(n);
  refusable([&] { f.dequantize(t.name, out.data()); });
  refusable([&] { f.dequantize_rows(t.name, rows / 2, rows - rows / 2, out.data()); });
  refusable([&] { f.dequantize_rows(t.name, rows, 1, out.data()); });  // out of range: refused
  // pack takes 2-D weights with ne1 a multiple of the group; it refuses non-finite values.
  refusable([&] { (void)f.pack(t.name, actsparse::quant_config{4, 32}); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const actsparse::gguf_file f = actsparse::gguf_file::from_memory(data, size, "fuzz input");
    exercise_metadata(f);
    for (const auto& t : f.tensors()) exercise_tensor(f, t);
    refusable([&] { (void)f.find("fuzz.no.such.tensor"); });
  } catch (const actsparse::error&) {
  }
  return 0;
}
