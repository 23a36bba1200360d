// actsparse/kernel/checks.hpp: the argument checks of the gemv and gemm entry points,
// run once at the API boundary, before anything is written; the kernels below them
// neither check nor throw. Each names the function and the bad parameter.
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <cstdint>

#include "../error.hpp"
#include "../format.hpp"
#include "../threading.hpp"
#include "micro_ref.hpp"

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

// The group size of a matrix, or of the first panel of a panel list (the dispatching
// library's, which has no group_size()).
template <class Matrix>
inline auto group_of(const Matrix& W, int) -> decltype(W.group_size()) { return W.group_size(); }
template <class Matrix>
inline int group_of(const Matrix& W, long) { return W.panel(0).group_size(); }

// options.row_begin, row_end and accumulate, checked and resolved.
template <class Matrix>
inline outputs check_outputs(const char* where, const Matrix& W, const gemv_options& opt) {
  const std::size_t rows = W.rows(), g = static_cast<std::size_t>(group_of(W, 0));
  const std::size_t end = opt.row_end == 0 ? rows : opt.row_end;
  if (end > rows) fail(where, "options.row_end = ", opt.row_end, " is past W.rows() = ", rows);
  if (opt.row_begin > end)
    fail(where, "options.row_begin = ", opt.row_begin, " is past options.row_end = ", opt.row_end,
         opt.row_end == 0 ? " (0: W.rows())" : "");
  if (opt.row_begin % g != 0 || end % g != 0)
    fail(where, "options.row_begin = ", opt.row_begin, " and options.row_end = ", opt.row_end,
         " must be multiples of the group size ", g, " (row_end may be 0 or W.rows() = ", rows, ")");
  if (opt.precision != precision::exact && opt.precision != precision::int8)
    fail(where, "options.precision = ", static_cast<int>(opt.precision), " is not a precision (legal: exact = ",
         static_cast<int>(precision::exact), ", int8 = ", static_cast<int>(precision::int8), ")");
  return {opt.row_begin, end, opt.accumulate, opt.precision == precision::int8};
}

// The int8 mode's blocks are runs of the index list: it must be strictly ascending.
inline void check_int8_index(const char* where, const std::uint32_t* idx, std::size_t nnz, const outputs& out) {
  if (!out.int8) return;
  for (std::size_t i = 1; i < nnz; ++i)
    if (idx[i] <= idx[i - 1])
      fail(where, "idx[", i, "] = ", idx[i], " follows idx[", i - 1, "] = ", idx[i - 1],
           "; options.precision = int8 needs the index list strictly ascending (as find_active makes it)");
}

// options.index, where gemv() or gemm() with a threshold writes the active list: room for
// W.cols() entries that overlap neither the inputs nor the outputs.
inline void check_index_buffer(const char* where, const std::uint32_t* index, std::size_t cols, const float* x,
                               std::size_t x_floats, const float* y, std::size_t y_floats) {
  if (index == nullptr) return;
  const auto ib = reinterpret_cast<std::uintptr_t>(index), ie = ib + cols * sizeof(std::uint32_t);
  auto meets = [&](const float* p, std::size_t n) {
    const auto pb = reinterpret_cast<std::uintptr_t>(p);
    return n > 0 && ib < pb + n * sizeof(float) && pb < ie;
  };
  if (meets(x, x_floats)) fail(where, "options.index (room for ", cols, " entries) overlaps x; give it its own buffer");
  if (meets(y, y_floats))
    fail(where, "options.index (room for ", cols, " entries) overlaps the output; give it its own buffer");
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
