// actsparse/threading.hpp: thread count and the parallel loop, OpenMP or none.
//
// Without OpenMP (the includer did not pass -fopenmp) everything runs on the calling thread.
// Work is split over outputs, never over inputs, so each output is accumulated by one thread
// in one fixed order and results are bitwise the same for every thread count.
#pragma once

#include "config.hpp"

#include <cstddef>

#include "error.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

ACTSPARSE_NAMESPACE_BEGIN

// Per-call options. threads = 0 follows the OpenMP settings (omp_get_max_threads(), i.e.
// OMP_NUM_THREADS or omp_set_num_threads); a positive value asks for that many.
struct gemv_options {
  int threads = 0;
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
