// tests/fuzz/fuzz_decode.cpp: libFuzzer target for the decode results reader
// (roofline/decode_result.cpp: parse_decode, the body of load_decode, which `actsparse report
// --decode` reads), under the contract of fuzz_roofline.hpp. Accepted results have runs and
// parts, every run a time per part, and give their byte totals and plan.
#include "decode.hpp"
#include "fuzz_roofline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roofline::decode_result r;
  if (!fuzz::accepted([&] { r = roofline::parse_decode(fuzz::text(data, size), fuzz::kName); })) return 0;
  fuzz::check(!r.runs.empty() && !r.parts.empty());
  for (const auto& run : r.runs) fuzz::check(run.part_seconds.size() == r.parts.size());
  (void)r.bytes(false);
  (void)r.bytes(true);
  (void)r.plan();
  return 0;
}
