// tests/fuzz/fuzz_model_file.cpp: libFuzzer target for the model file reader
// (include/actsparse/model_file.hpp, model_file::from_memory).
//
// The contract on untrusted bytes: parse them or throw actsparse::error; never read outside
// the buffer or crash. Each input goes through twice:
//   1. copied to a kStripAlign-aligned buffer of exactly its size (ASan sees any read past
//      it), with the checksum at byte 40 recomputed, so mutations get past the checksum to
//      the table; every entry is then read: matrix() must succeed on a packed entry (a view,
//      or a re-strided copy for another strip alignment), values() on an fp32 one, the wrong
//      getter must refuse, and matrices of up to 2^16 weights are dequantized;
//   2. as given, one byte past an aligned start, without the checksum: parsing works as
//      before, and a view (matrix() at this build's strip alignment, values()) must be refused.
// Anything else (a crash, a sanitizer report, another exception type, a broken invariant:
// __builtin_trap) is a finding. Built and run by tests/fuzz/run.sh.
#include <actsparse/model_file.hpp>
#include <actsparse/pack.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {

constexpr std::size_t kMaxWeights = std::size_t{1} << 16;  // larger matrices: viewed, not dequantized

using fuzz::check;

using fuzz::refused;

// An exact-size buffer starting `skew` bytes past a kStripAlign boundary.
struct buffer {
  void* base = nullptr;
  std::uint8_t* data = nullptr;
  buffer(const std::uint8_t* src, std::size_t size, std::size_t skew) {
    if (posix_memalign(&base, actsparse::kStripAlign, size + skew) != 0) std::abort();
    data = static_cast<std::uint8_t*>(base) + skew;
    if (size != 0) std::memcpy(data, src, size);
  }
  ~buffer() { std::free(base); }
};

void exercise(const actsparse::model_file& m, const std::uint8_t* data, std::size_t size, bool aligned) {
  for (const auto& e : m.tensors()) {
    check(m.has(e.name) && &m.find(e.name) == &e);
    check(e.offset % actsparse::kDataAlign == 0 && e.offset <= size && e.bytes <= size - e.offset);
    if (!e.packed) {
      check(refused([&] { (void)m.matrix(e.name); }));
      const float* v = nullptr;
      const bool view_refused = refused([&] { v = m.values(e.name); });
      check(view_refused != aligned);
      if (aligned) {
        check(reinterpret_cast<const std::uint8_t*>(v) == data + e.offset);
        volatile float sum = 0;  // every value read: ASan checks they lie in the buffer
        for (std::size_t i = 0; i < e.cols; ++i) sum = sum + v[i];
      }
      continue;
    }
    check(refused([&] { (void)m.values(e.name); }));
    const bool view = m.strip_align() == actsparse::kStripAlign;
    actsparse::packed_matrix W;
    const bool matrix_refused = refused([&] { W = m.matrix(e.name); });
    check(matrix_refused == (view && !aligned));
    if (matrix_refused) continue;
    check(W.rows() == e.rows && W.cols() == e.cols && W.bits() == e.cfg.bits && W.group_size() == e.cfg.group_size);
    check(W.owns_data() != view);
    if (view) check(W.data() == data + e.offset && W.bytes() + actsparse::kTailPad <= size - e.offset);
    if (e.rows * e.cols > kMaxWeights) continue;
    std::vector<float> w(e.rows * e.cols);
    actsparse::dequantize(W, w.data());
  }
  // Any name can be in a file (the fuzzer wrote one with this name in 20 s): find() refuses
  // exactly the names has() does not know.
  const std::string probe = "fuzz.no.such.tensor";
  check(refused([&] { (void)m.find(probe); }) == !m.has(probe));
}

// Only the parse may throw: a table it accepted must be readable as exercise() says.
std::optional<actsparse::model_file> parse(const std::uint8_t* data, std::size_t size, bool verify) {
  try {
    return actsparse::model_file::from_memory(data, size, "fuzz input", verify);
  } catch (const actsparse::error&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    buffer b(data, size, 0);
    if (size >= 48) {
      const std::uint64_t sum = actsparse::detail::checksum64(b.data + 48, size - 48);
      std::memcpy(b.data + 40, &sum, 8);
    }
    if (const auto m = parse(b.data, size, true)) exercise(*m, b.data, size, true);
  }
  buffer b(data, size, 1);
  if (const auto m = parse(b.data, size, false)) exercise(*m, b.data, size, false);
  return 0;
}
