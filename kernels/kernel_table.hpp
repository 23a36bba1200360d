// kernels/kernel_table.hpp: what one instruction set's translation unit (isa_kernels.cpp)
// hands to the dispatcher. Internal to the library.
//
// Only plain types cross between translation units built with different ISA flags (each
// of them sees actsparse's classes in its own ISA namespace, config.hpp), so a matrix
// travels as a matrix_ref and is re-wrapped on the other side with packed_matrix::borrow.
#pragma once

#include <cstddef>
#include <cstdint>

namespace actsparse_kernels {

struct matrix_ref {
  const void* data;
  std::size_t rows, cols;
  int bits, group_size;
};

// One entry per kernel of the public API; arguments as in dispatch.hpp, threads as
// gemv_options::threads, ldy the distance between rows of Y (W.rows() for a whole matrix,
// the full output count for one panel of a panel_matrix). Entries validate their arguments
// and throw actsparse::error.
struct table {
  const char* name;
  std::size_t (*find_active)(const float* x, std::size_t n, float threshold, std::uint32_t* idx);
  std::size_t (*find_active_union)(const float* X, std::size_t m, std::size_t n, float threshold, std::uint32_t* idx);
  void (*gemv_dense)(const matrix_ref& W, const float* x, float* y, int threads);
  void (*gemv_sparse)(const matrix_ref& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                      int threads);
  void (*gemv)(const matrix_ref& W, const float* x, float* y, float threshold, int threads);
  void (*gemm_dense)(const matrix_ref& W, const float* X, std::size_t m, float* Y, std::size_t ldy, int threads);
  void (*gemm_sparse)(const matrix_ref& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                      float* Y, std::size_t ldy, int threads);
  void (*gemm)(const matrix_ref& W, const float* X, std::size_t m, float* Y, std::size_t ldy, float threshold,
               int threads);
};

// Defined by isa_kernels.cpp, once per ISA the build has (a table this build lacks is
// declared but never referenced).
extern const table table_scalar;
extern const table table_sse42;
extern const table table_avx2;
extern const table table_avx512;
extern const table table_neon;

}  // namespace actsparse_kernels
