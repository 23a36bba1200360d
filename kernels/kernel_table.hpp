// kernels/kernel_table.hpp: what one instruction set's translation unit (isa_kernels.cpp)
// hands to the dispatcher. Internal to the library.
//
// Only plain types cross between translation units built with different ISA flags (each
// of them sees actsparse's classes in its own ISA namespace, config.hpp): matrices travel
// as dispatch.hpp's matrix_view and panels_view, and are re-wrapped on the other side.
#pragma once

#include <cstddef>
#include <cstdint>

#include <actsparse/dispatch.hpp>

namespace actsparse_kernels {

using actsparse::dispatch::matrix_view;
using actsparse::dispatch::panels_view;
using actsparse::dispatch::call_options;

// One entry per operation and matrix kind of dispatch.hpp, with its arguments. Entries validate their arguments and throw actsparse::error;
// dispatch.cpp only forwards.
struct table {
  const char* name;
  std::size_t (*find_active)(const float* x, std::size_t n, float threshold, std::uint32_t* idx);
  std::size_t (*find_active_union)(const float* X, std::size_t m, std::size_t n, float threshold, std::uint32_t* idx);
  void (*gemv_dense)(const matrix_view& W, const float* x, float* y, const call_options& opt);
  void (*gemv_sparse)(const matrix_view& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                      const call_options& opt);
  void (*gemv)(const matrix_view& W, const float* x, float* y, float threshold, const call_options& opt);
  void (*gemm_dense)(const matrix_view& W, const float* X, std::size_t m, float* Y, const call_options& opt);
  void (*gemm_sparse)(const matrix_view& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                      float* Y, const call_options& opt);
  void (*gemm)(const matrix_view& W, const float* X, std::size_t m, float* Y, float threshold, const call_options& opt);
  void (*gemv_dense_panels)(const panels_view& W, const float* x, float* y, const call_options& opt);
  void (*gemv_sparse_panels)(const panels_view& W, const float* x, const std::uint32_t* idx, std::size_t nnz,
                             float* y, const call_options& opt);
  void (*gemv_panels)(const panels_view& W, const float* x, float* y, float threshold, const call_options& opt);
  void (*gemm_dense_panels)(const panels_view& W, const float* X, std::size_t m, float* Y, const call_options& opt);
  void (*gemm_sparse_panels)(const panels_view& W, const float* X, std::size_t m, const std::uint32_t* idx,
                             std::size_t nnz, float* Y, const call_options& opt);
  void (*gemm_panels)(const panels_view& W, const float* X, std::size_t m, float* Y, float threshold, const call_options& opt);
};

// Defined by isa_kernels.cpp, once per ISA the build has (a table this build lacks is
// declared but never referenced).
extern const table table_scalar;
extern const table table_sse42;
extern const table table_avx2;
extern const table table_avx512;
extern const table table_neon;
extern const table table_avx512vnni;
extern const table table_neondot;
extern const table table_avx512vbmi;

}  // namespace actsparse_kernels
