// tests/fuzz/fuzz_bench.cpp: libFuzzer target for the benchmark JSON reader (roofline/bench_rows.cpp:
// parse_bench, the body of load_bench: Google Benchmark's JSON from actsparse-bench, with its
// bare NaN/inf turned into null, which `actsparse report --bench` reads), under the contract
// of fuzz_roofline.hpp. An accepted file has at least one row, each of a kind the report knows.
#include <algorithm>

#include "bench_rows.hpp"
#include "fuzz_roofline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<roofline::bench_row> rows;
  if (!fuzz::accepted([&] { rows = roofline::parse_bench(fuzz::text(data, size), fuzz::kName); })) return 0;
  fuzz::check(!rows.empty());
  for (const auto& r : rows) fuzz::check(!r.kind.empty() && r.name.compare(0, r.kind.size(), r.kind) == 0);
  return 0;
}
