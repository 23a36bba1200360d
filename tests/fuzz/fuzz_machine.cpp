// tests/fuzz/fuzz_machine.cpp: libFuzzer target for the machine profile reader
// (roofline/machine.cpp: parse_machine, the body of load_machine, which `actsparse report`
// and `actsparse decode --machine` call), under the contract of fuzz_roofline.hpp. An
// accepted profile then answers the lookups the model makes (level, level_holding,
// compute_rate, fixed_seconds), each of which may refuse a missing figure the same way.
#include "fuzz_roofline.hpp"
#include "machine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roofline::machine_profile m;
  if (!fuzz::accepted([&] { m = roofline::parse_machine(fuzz::text(data, size), fuzz::kName); })) return 0;
  fuzz::check(m.schema == "actsparse-machine/1" && !m.levels.empty());
  // The lookups name what is missing, not the file: any runtime_error will do here.
  auto lookup = [](auto&& f) {
    try {
      f();
    } catch (const std::runtime_error&) {
    }
  };
  for (int threads : {1, 2, 64}) {
    for (const char* level : {"L1", "L2", "LLC", "DRAM"}) lookup([&] { (void)m.level(level, threads); });
    for (std::size_t bytes : {std::size_t{0}, std::size_t{1} << 20, ~std::size_t{0}})
      lookup([&] { (void)m.level_holding(bytes, threads); });
    for (int bits : {2, 3, 4, 5, 6, 8}) lookup([&] { (void)m.compute_rate(bits, threads); });
    (void)m.fixed_seconds(threads);
  }
  return 0;
}
