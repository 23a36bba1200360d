// actsparse/threading.hpp: thread count and the parallel loop, OpenMP or none.
//
// Without OpenMP (the includer did not pass -fopenmp) everything runs on the calling thread.
// Work is split over outputs, never over inputs, so each output is accumulated by one thread
// in one fixed order and results are bitwise the same for every thread count.
#pragma once

#include "config.hpp"

#include <cstddef>
#include <cstdint>

#include "error.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

ACTSPARSE_NAMESPACE_BEGIN

// How the products are computed (gemv_options::precision):
// - exact: fp32 arithmetic on the exact activations (the default; gemv.hpp gives the order).
// - int8: the activations times the weight scales quantized to 8 bits per block of 32 active
//   nonzero inputs and output group, integer dot products over the codes (kernel/int8.hpp gives the exact
//   definition). Faster where the CPU has an integer-dot kernel (AVX-512 BW: 2 and 4 bits, 8
//   with VNNI, 3, 5 and 6 with VBMI and VNNI; NEON with DotProd: every width; elsewhere a
//   generic pass on the exact kernels' unpack), at the cost of the activations' rounding;
//   every output is still a deterministic function of W and x, the same for every thread
//   count, output range, instruction set, and for dense and sparse calls. Sparse calls need
//   the index list strictly ascending (as find_active makes it).
enum class precision { exact, int8 };

// Per-call options. threads = 0 follows the OpenMP settings (omp_get_max_threads(), i.e.
// OMP_NUM_THREADS or omp_set_num_threads); a positive value asks for that many.
//
// The other fields are for a runtime that calls the kernels from its own code:
// - accumulate: y += W x instead of y = W x. Each output is y[n] + (W x)[n], one rounding,
//   bitwise what computing W x and then adding it to y gives (the residual add of a layer).
// - row_begin, row_end: compute outputs [row_begin, row_end) only (row_end = 0: to the
//   last). y still holds all W.rows() outputs (Y rows of ldy); the others are not touched.
//   Both are multiples of W.group_size() (row_end may be W.rows()). Each output is the
//   same sum in the same order as in the whole call, so a runtime's own thread pool can
//   split a product into ranges (threads = 1 each) and get bitwise the whole call's y.
// - index: gemv() and gemm() with a threshold list the active inputs here (room for
//   W.cols() entries, separate from x and y) instead of in a buffer they allocate.
// - x_f32: the fp16/bf16-activation entry points (gemv.hpp) convert x into it (room for
//   W.cols() floats) instead of into a buffer they allocate.
// - precision: exact (default) or int8, above.
struct gemv_options {
  int threads = 0;
  bool accumulate = false;
  std::size_t row_begin = 0, row_end = 0;
  std::uint32_t* index = nullptr;
  float* x_f32 = nullptr;
  ::actsparse::precision precision = ::actsparse::precision::exact;
};

namespace detail {

inline int requested_threads(const char* where, const gemv_options& opt) {
  if (opt.threads < 0) fail(where, "options.threads = ", opt.threads, " must be >= 0 (0 follows the OpenMP settings)");
#if defined(_OPENMP)
  return opt.threads > 0 ? opt.threads : omp_get_max_threads();
#else
  return 1;
#endif
}

// Runs body(t, p) for t in [0, p) on p threads (p may come out lower than asked).
template <class Body>
inline void parallel_for_threads(int threads, Body&& body) {
#if defined(_OPENMP)
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    body(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  (void)threads;
  body(0, 1);
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
