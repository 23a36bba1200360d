// roofline/model.cpp: the roofline model's prediction for one kernel call, and the bytes of
// a packed matrix by format.hpp's rule (model.hpp).
#include "model.hpp"

#include <actsparse/format.hpp>
#include <algorithm>
#include <stdexcept>

namespace roofline {

prediction predict_from(const machine_profile& m, const level_bandwidth& lvl, double bytes, double weights, int bits,
                        int threads) {
  prediction p;
  p.level = lvl.name;
  p.roof_GBps = lvl.GBps;
  p.memory_s = bytes / (lvl.GBps * 1e9);
  if (bits > 0) p.compute_s = weights / m.compute_rate(bits, threads);
  p.fixed_s = m.fixed_seconds(threads);
  p.compute_bound = p.compute_s > p.memory_s;
  p.seconds = std::max(p.memory_s, p.compute_s) + p.fixed_s;
  return p;
}

prediction predict(const machine_profile& m, const bench_row& r) {
  const int t = int(r.threads);
  const bool packed = r.kind != "fp32" && r.kind != "fp16" && r.bits > 0;
  // The level the weights come from: DRAM when streamed; when hot, the smallest level that
  // holds the whole matrix (its active strips are spread over it), packed as actsparse-bench
  // packed it on this machine.
  auto matrix_bytes = [&] {
    return packed ? packed_bytes(std::size_t(r.N), std::size_t(r.K), int(r.bits), int(r.group), actsparse::kStripAlign)
                  : r.bytes;
  };
  const level_bandwidth& lvl = r.stream ? m.level("DRAM", t) : m.level_holding(std::size_t(matrix_bytes()), t);
  // One unpack-and-multiply-add per weight per row that uses it: batched rows share the
  // unpack, but the union kernel also pays FMAs for rows inactive within a pass, so for
  // them this is an estimate, not a bound.
  return predict_from(m, lvl, r.bytes, r.N * r.K * r.active * r.batch, packed ? int(r.bits) : 0, t);
}

double packed_bytes(std::size_t N, std::size_t K, int bits, int group, std::size_t align) {
  if (bits < 0 || group < 1)
    throw std::runtime_error("a packed matrix of " + std::to_string(bits) + "-bit codes in groups of " +
                             std::to_string(group) + " has no size (bits >= 0, group >= 1)");
  return double(actsparse::detail::strip_stride(N, actsparse::quant_config{bits, group}, align)) * double(K);
}

}  // namespace roofline
