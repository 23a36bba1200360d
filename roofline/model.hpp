// roofline/model.hpp: the roofline model. A kernel call takes
//   time = max(bytes / bandwidth of the level the data comes from,
//              weights / compute ceiling) + fixed cost,
// with the bandwidths, ceilings and fixed costs from the machine profile (machine.hpp).
// Also the bytes a packed matrix occupies, by the packed format's own strip rule
// (actsparse/format.hpp), which the model, the projection and the decode benchmark share.
#pragma once

#include <cstddef>
#include <string>

#include "bench_rows.hpp"
#include "machine.hpp"

namespace roofline {

struct prediction {
  double seconds = 0, memory_s = 0, compute_s = 0, fixed_s = 0, roof_GBps = 0;
  std::string level;  // L1, L2, LLC, DRAM
  bool compute_bound = false;
};
prediction predict(const machine_profile& m, const bench_row& r);
// The same for `bytes` read from level `lvl` and `weights` multiply-adds of a `bits`-bit
// kernel (bits 0: no compute term).
prediction predict_from(const machine_profile& m, const level_bandwidth& lvl, double bytes, double weights, int bits,
                        int threads);

// Bytes of one K-major packed matrix of N outputs and K inputs: K strips, each padded to
// `align` bytes as actsparse lays them out (format.hpp's detail::strip_stride; kStripAlign
// on the machine that packs, a target's cache line in projections). Which widths and
// groups are legal is the callers' to check (run_decode words its own message for 7 bits);
// a group below 1 or a negative width (a hand-edited results file) throws
// std::runtime_error here rather than divide by zero or wrap around.
double packed_bytes(std::size_t N, std::size_t K, int bits, int group, std::size_t align);

}  // namespace roofline
