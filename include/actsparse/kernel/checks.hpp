// actsparse/kernel/checks.hpp: the argument checks of the gemv and gemm entry points,
// run once at the API boundary, before anything is written; the kernels below them
// neither check nor throw. Each names the function and the bad parameter.
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <cstdint>

#include "../error.hpp"
#include "../format.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace detail {

// Outputs are written tile by tile while the inputs are still being read: they must not
// overlap (x of n_in floats, y of n_out floats).
inline bool overlaps(const float* x, std::size_t n_in, const float* y, std::size_t n_out) {
  const auto xb = reinterpret_cast<std::uintptr_t>(x), yb = reinterpret_cast<std::uintptr_t>(y);
  return xb < yb + n_out * sizeof(float) && yb < xb + n_in * sizeof(float);
}

template <class Matrix>  // packed_matrix or panel_matrix
inline void check_gemv(const char* where, const Matrix& W, const float* x, const float* y) {
  if (W.empty()) fail(where, "W is empty (default-constructed or moved from)");
  check_ptr(where, "x", x);
  check_ptr(where, "y", y);
  if (overlaps(x, W.cols(), y, W.rows()))
    fail(where, "y (", W.rows(), " floats) overlaps x (", W.cols(), " floats); the product cannot be computed in place");
}

// y_floats: the extent of the output (W.rows(), or (m - 1) * ldy + W.rows() for a batch).
// Each output tile is written before the next tile reads idx again, so they must not overlap.
template <class Matrix>
inline void check_index(const char* where, const Matrix& W, const std::uint32_t* idx, std::size_t nnz, const float* y,
                        std::size_t y_floats) {
  if (nnz > 0 && idx == nullptr) fail(where, "idx is null but nnz = ", nnz);
  const auto ib = reinterpret_cast<std::uintptr_t>(idx), yb = reinterpret_cast<std::uintptr_t>(y);
  if (nnz > 0 && y_floats > 0 && ib < yb + y_floats * sizeof(float) && yb < ib + nnz * sizeof(std::uint32_t))
    fail(where, "idx (nnz = ", nnz, " entries) overlaps the output; they must be separate buffers");
  for (std::size_t i = 0; i < nnz; ++i)
    if (idx[i] >= W.cols()) fail(where, "idx[", i, "] = ", idx[i], " is out of range; indices must be < cols = ", W.cols());
}

// Y is m rows of W.rows() floats, ldy apart (ldy >= W.rows(): W.rows() for a whole matrix,
// the full output count when W is one panel of it).
template <class Matrix>  // packed_matrix or panel_matrix
inline void check_gemm(const char* where, const Matrix& W, const float* X, std::size_t m, const float* Y,
                       std::size_t ldy) {
  if (W.empty()) fail(where, "W is empty (default-constructed or moved from)");
  if (ldy < W.rows()) fail(where, "ldy = ", ldy, " is below W.rows() = ", W.rows());
  if (m == 0) return;
  check_ptr(where, "X", X);
  check_ptr(where, "Y", Y);
  if (overlaps(X, m * W.cols(), Y, (m - 1) * ldy + W.rows()))
    fail(where, "Y (", m, " x ", W.rows(), " floats) overlaps X (", m, " x ", W.cols(), " floats)");
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
