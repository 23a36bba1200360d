// actsparse/dispatch.hpp: the C++ interface of the dispatching library (actsparse::dispatch).
//
// The header-only kernels run on the instruction set the includer's compiler flags enable.
// A runtime that ships one binary for many CPUs links libactsparse_dispatch instead: it
// holds the same kernels compiled once per instruction set (x86-64: scalar, SSE4.2,
// AVX2+FMA+F16C, AVX-512 F/BW/DQ/VL, the same plus VNNI, the same plus VBMI and VNNI;
// aarch64: scalar, NEON, NEON plus DotProd) and, on first use, picks the
// best one the CPU and the operating system support (on x86 it checks, with XGETBV, that
// the OS saves the AVX and AVX-512 register state, which CPUID alone does not say).
//
// The environment variable ACTSPARSE_ISA (auto, scalar, sse4.2, avx2, avx512, avx512vnni,
// avx512vbmi, neon, neondot) or
// force() overrides the choice, for testing. Naming an instruction set this CPU cannot run
// is an error (every call throws), not a silent fallback.
//
// Instruction sets differ only in how a term joins the sum: fused (scalar, AVX2, NEON,
// AVX-512 for 5, 6 and 8 bits, 2-bit g32 and 3-bit but on avx512vbmi's look-ups), or product
// rounded first (AVX-512's look-up kernels for 4 bits, 2-bit g64/g128 and, on avx512vbmi,
// 3-bit g64/g128; SSE4.2, which has no FMA). Those that
// round alike agree bit for bit (docs/integration.md, section 1). Functions, arguments and
// errors are those of the header-only API of the same name (gemv.hpp, gemm.hpp,
// detect.hpp); this file only adds the choice.
//
// Matrices cross the library boundary as plain views (matrix_view, panels_view): the
// header-only types live in a namespace named after the includer's instruction set
// (config.hpp), so a packed_matrix of a -march=native program is not the library's type.
// The inline overloads at the end take the program's own packed_matrix and panel_matrix,
// make the views and call the library, so a program built with any flags links to it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "config.hpp"
#include "error.hpp"
#include "format.hpp"
#include "memory.hpp"
#include "mlx.hpp"   // from_mlx, to_mlx: how a program makes the matrices it passes
#include "pack.hpp"  // pack, dequantize: likewise
#include "threading.hpp"

namespace actsparse {
namespace dispatch ACTSPARSE_VISIBLE {  // after the name, where GCC and Clang both take it

// avx512vnni and neondot differ from avx512 and neon only in the int8 precision mode, where
// their integer dot products (vpdpbusd, sdot) serve 8-bit codes (every width on NEON).
// avx512vbmi (VBMI and VNNI: Ice Lake, Zen 4 and later) adds the int8 kernel for 3-, 5- and
// 6-bit codes and the exact mode's 3-bit look-up kernel (g >= 64), which rounds each product
// before the add where avx512's 3-bit kernel fuses it.
enum class isa { automatic, scalar, sse42, avx2, avx512, neon, avx512vnni, neondot, avx512vbmi };

// Thrown when the requested instruction set cannot run here (by force() or ACTSPARSE_ISA).
class ACTSPARSE_VISIBLE unsupported_isa : public error {
 public:
  using error::error;
};

// "auto", "scalar", "sse4.2", "avx2", "avx512", "neon", "avx512vnni", "neondot", "avx512vbmi".
const char* name(isa i);
// The inverse of name(); throws actsparse::error naming the legal values.
isa parse(const char* s);
// Whether this CPU and OS can run the kernels of `i` (automatic: always true).
bool supported(isa i);
// The best supported instruction set.
isa best();
// The instruction set the calls below use: ACTSPARSE_ISA if set, else best(). Throws if
// ACTSPARSE_ISA names an unknown or unsupported instruction set.
isa active();
// Uses `i` from now on, for every thread (automatic: back to best(), ignoring ACTSPARSE_ISA).
// Throws actsparse::error, and changes nothing, if `i` is not supported here. Not meant to
// race with calls in flight on other threads (each call reads the choice once).
void force(isa i);

std::size_t find_active(const float* x, std::size_t n, float threshold, std::uint32_t* idx);
std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float threshold, std::uint32_t* idx);

// One packed matrix: its buffer (data() of a packed_matrix: strips, then kTailPad bytes)
// and format. data = nullptr stands for an empty matrix (an error in every call).
struct matrix_view {
  const void* data;
  std::size_t rows, cols;
  int bits, group_size;
};
// A panel matrix: `count` panels, panel b holding outputs [first_rows[b], first_rows[b] +
// panels[b].rows) of a rows x cols matrix.
struct panels_view {
  const matrix_view* panels;
  const std::size_t* first_rows;
  std::size_t count, rows, cols;
};

// gemv_options in plain types (the headers' struct is of the includer's ISA namespace):
// threads, accumulate, row_begin, row_end and index as there (threading.hpp); precision as
// an int (static_cast of actsparse::precision: 0 exact, 1 int8).
struct call_options {
  int threads = 0;
  bool accumulate = false;
  std::size_t row_begin = 0, row_end = 0;
  std::uint32_t* index = nullptr;
  int precision = 0;
};

// The library's entry points, one per operation and matrix kind. The overloads below,
// taking gemv_options, are the convenient form.
void gemv_dense(const matrix_view& W, const float* x, float* y, const call_options& opt);
void gemv_sparse(const matrix_view& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const call_options& opt);
void gemv(const matrix_view& W, const float* x, float* y, float threshold, const call_options& opt);
void gemm_dense(const matrix_view& W, const float* X, std::size_t m, float* Y, const call_options& opt);
void gemm_sparse(const matrix_view& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const call_options& opt);
void gemm(const matrix_view& W, const float* X, std::size_t m, float* Y, float threshold, const call_options& opt);
// On panels: one thread per panel, each running this instruction set's 1-thread kernel on
// its panel; results bitwise those of the whole matrix.
void gemv_dense(const panels_view& W, const float* x, float* y, const call_options& opt);
void gemv_sparse(const panels_view& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const call_options& opt);
void gemv(const panels_view& W, const float* x, float* y, float threshold, const call_options& opt);
void gemm_dense(const panels_view& W, const float* X, std::size_t m, float* Y, const call_options& opt);
void gemm_sparse(const panels_view& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const call_options& opt);
void gemm(const panels_view& W, const float* X, std::size_t m, float* Y, float threshold, const call_options& opt);

}  // namespace dispatch
}  // namespace actsparse

// ---- The program's own matrices, turned into views. These are inline and take the
// includer's types, so each instruction-set namespace has its own copies (config.hpp).
namespace actsparse {
namespace dispatch {

inline call_options call(const gemv_options& o) {
  return {o.threads, o.accumulate, o.row_begin, o.row_end, o.index, static_cast<int>(o.precision)};
}

inline matrix_view view(const packed_matrix& W) {
  return {W.empty() ? nullptr : W.data(), W.rows(), W.cols(), W.bits(), W.group_size()};
}

}  // namespace dispatch
}  // namespace actsparse

ACTSPARSE_NAMESPACE_BEGIN
namespace detail {
// The views of a panel matrix's panels, alive as long as the object. In the ISA namespace:
// its members are of the includer's types.
class panel_views {
 public:
  explicit panel_views(const panel_matrix& W) : views_(W.panels()), first_(W.panels()) {
    for (std::size_t b = 0; b < W.panels(); ++b) {
      views_[b] = dispatch::view(W.panel(b));
      first_[b] = W.first_row(b);
    }
    view_ = {views_.data(), first_.data(), W.panels(), W.rows(), W.cols()};
  }
  const dispatch::panels_view& get() const { return view_; }

 private:
  buffer<dispatch::matrix_view> views_;
  buffer<std::size_t> first_;
  dispatch::panels_view view_{};
};
}  // namespace detail
ACTSPARSE_NAMESPACE_END

namespace actsparse {
namespace dispatch {


inline void gemv_dense(const packed_matrix& W, const float* x, float* y, const gemv_options& opt = {}) {
  gemv_dense(view(W), x, y, call(opt));
}
inline void gemv_sparse(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt = {}) {
  gemv_sparse(view(W), x, idx, nnz, y, call(opt));
}
inline void gemv(const packed_matrix& W, const float* x, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemv(view(W), x, y, threshold, call(opt));
}
inline void gemv_dense(const panel_matrix& W, const float* x, float* y, const gemv_options& opt = {}) {
  gemv_dense(actsparse::detail::panel_views(W).get(), x, y, call(opt));
}
inline void gemv_sparse(const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                        const gemv_options& opt = {}) {
  gemv_sparse(actsparse::detail::panel_views(W).get(), x, idx, nnz, y, call(opt));
}
inline void gemv(const panel_matrix& W, const float* x, float* y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemv(actsparse::detail::panel_views(W).get(), x, y, threshold, call(opt));
}
inline void gemm_dense(const packed_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt = {}) {
  gemm_dense(view(W), X, m, Y, call(opt));
}
inline void gemm_sparse(const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& opt = {}) {
  gemm_sparse(view(W), X, m, idx, nnz, Y, call(opt));
}
inline void gemm(const packed_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemm(view(W), X, m, Y, threshold, call(opt));
}
inline void gemm_dense(const panel_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt = {}) {
  gemm_dense(actsparse::detail::panel_views(W).get(), X, m, Y, call(opt));
}
inline void gemm_sparse(const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx,
                        std::size_t nnz, float* Y, const gemv_options& opt = {}) {
  gemm_sparse(actsparse::detail::panel_views(W).get(), X, m, idx, nnz, Y, call(opt));
}
inline void gemm(const panel_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
                 const gemv_options& opt = {}) {
  gemm(actsparse::detail::panel_views(W).get(), X, m, Y, threshold, call(opt));
}

}  // namespace dispatch
}  // namespace actsparse
