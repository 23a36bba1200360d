// kernels/isa_kernels.cpp: the kernels of one instruction set, compiled once per ISA
// (kernels/CMakeLists.txt) with that ISA's flags and these definitions:
//   ACTSPARSE_ISA_NAMESPACE  the inline namespace the headers go into (config.hpp),
//   ACTSPARSE_KERNEL_ISA     the table's suffix: scalar, sse42, avx2, avx512, avx512vnni,
//                            avx512vbmi, neon, neondot.
// The scalar table runs the scalar reference twins; the others the best xsimd arch the
// flags enable, checked below so a flag mistake fails the build instead of running a
// slower arch under a faster name.
#include <actsparse/actsparse.hpp>

#include <type_traits>

#include "kernel_table.hpp"

#if !defined(ACTSPARSE_ISA_NAMESPACE) || !defined(ACTSPARSE_KERNEL_ISA)
#error "isa_kernels.cpp is built by kernels/CMakeLists.txt, once per ISA"
#endif

#define ACTSPARSE_CAT2(a, b) a##b
#define ACTSPARSE_CAT(a, b) ACTSPARSE_CAT2(a, b)
#define ACTSPARSE_STR2(a) #a
#define ACTSPARSE_STR(a) ACTSPARSE_STR2(a)

namespace {

namespace ks = actsparse_kernels;
namespace as = actsparse;

#define ACTSPARSE_ISA_IS(x) (ACTSPARSE_CAT(ACTSPARSE_ISA_TAG_, ACTSPARSE_KERNEL_ISA) == ACTSPARSE_ISA_TAG_##x)
#define ACTSPARSE_ISA_TAG_scalar 1
#define ACTSPARSE_ISA_TAG_sse42 2
#define ACTSPARSE_ISA_TAG_avx2 3
#define ACTSPARSE_ISA_TAG_avx512 4
#define ACTSPARSE_ISA_TAG_neon 5
#define ACTSPARSE_ISA_TAG_avx512vnni 6
#define ACTSPARSE_ISA_TAG_neondot 7
#define ACTSPARSE_ISA_TAG_avx512vbmi 8

#if ACTSPARSE_ISA_IS(scalar)
using arch = xsimd::unavailable;
#else
using arch = as::simd::native_arch;
#endif
#if ACTSPARSE_ISA_IS(sse42)
static_assert(std::is_base_of<xsimd::sse4_2, arch>::value && !std::is_base_of<xsimd::avx, arch>::value,
              "the sse42 table must be built with -msse4.2 and no AVX");
#elif ACTSPARSE_ISA_IS(avx2)
static_assert(std::is_same<arch, xsimd::fma3<xsimd::avx2>>::value, "the avx2 table must be built with -mavx2 -mfma");
#elif ACTSPARSE_ISA_IS(avx512)
static_assert(std::is_base_of<xsimd::avx512bw, arch>::value, "the avx512 table must be built with -mavx512bw");
#elif ACTSPARSE_ISA_IS(avx512vnni)
static_assert(std::is_base_of<xsimd::avx512bw, arch>::value, "the avx512vnni table must be built with -mavx512bw");
#if !defined(__AVX512VNNI__)
#error "the avx512vnni table must be built with -mavx512vnni"
#endif
#elif ACTSPARSE_ISA_IS(avx512vbmi)
static_assert(std::is_base_of<xsimd::avx512bw, arch>::value, "the avx512vbmi table must be built with -mavx512bw");
#if !defined(__AVX512VBMI__) || !defined(__AVX512VNNI__)
#error "the avx512vbmi table must be built with -mavx512vbmi -mavx512vnni"
#endif
#elif ACTSPARSE_ISA_IS(neon)
static_assert(std::is_base_of<xsimd::neon64, arch>::value, "the neon table must be built for aarch64");
#elif ACTSPARSE_ISA_IS(neondot)
static_assert(std::is_base_of<xsimd::neon64, arch>::value, "the neondot table must be built for aarch64");
#if !defined(__ARM_FEATURE_DOTPROD)
#error "the neondot table must be built with DotProd (-march=armv8.2-a+dotprod)"
#endif
#endif

// A matrix_view as a packed_matrix of this ISA's namespace (no copy). An empty view (data
// null) becomes an empty matrix, which the entry points refuse by name.
as::packed_matrix matrix(const ks::matrix_view& W) {
  if (W.data == nullptr) return {};
  return as::packed_matrix::borrow(W.data, W.rows, W.cols, {W.bits, W.group_size});
}

// A panels_view as the driver's panel list (kernel/driver.hpp, for_each_panel).
struct panel_list {
  const ks::panels_view& v;
  std::size_t panels() const { return v.count; }
  as::packed_matrix panel(std::size_t b) const { return matrix(v.panels[b]); }
  std::size_t first_row(std::size_t b) const { return v.first_rows[b]; }
  std::size_t rows() const { return v.rows; }
  std::size_t cols() const { return v.cols; }
  bool empty() const { return v.count == 0; }
};

as::gemv_options options(const ks::call_options& o) {
  as::gemv_options r;
  r.threads = o.threads;
  r.accumulate = o.accumulate;
  r.row_begin = o.row_begin;
  r.row_end = o.row_end;
  r.index = o.index;
  r.precision = static_cast<as::precision>(o.precision);  // checked by the entry points
  return r;
}

std::size_t find_active(const float* x, std::size_t n, float t, std::uint32_t* idx) {
  return as::find_active(arch{}, x, n, t, idx);
}
std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float t, std::uint32_t* idx) {
  return as::find_active_union(arch{}, X, m, n, t, idx);
}

// Every entry, on one matrix kind (View: ks::matrix_view or ks::panels_view) turned into
// the header kernels' type by Wrap.
template <class View, class Wrap>
struct entries {
  static void gemv_dense(const View& W, const float* x, float* y, const ks::call_options& opt) {
    as::detail::gemv_dense<arch>(Wrap{}(W), x, y, options(opt));
  }
  static void gemv_sparse(const View& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                          const ks::call_options& opt) {
    as::detail::gemv_sparse<arch>(Wrap{}(W), x, idx, nnz, y, options(opt));
  }
  static void gemv(const View& W, const float* x, float* y, float t, const ks::call_options& opt) {
    as::detail::gemv(arch{}, Wrap{}(W), x, y, t, options(opt));
  }
  static void gemm_dense(const View& W, const float* X, std::size_t m, float* Y, const ks::call_options& opt) {
    const auto M = Wrap{}(W);
    as::detail::gemm_dense<arch>(M, X, m, Y, M.rows(), options(opt));
  }
  static void gemm_sparse(const View& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                          float* Y, const ks::call_options& opt) {
    const auto M = Wrap{}(W);
    as::detail::gemm_sparse<arch>(M, X, m, idx, nnz, Y, M.rows(), options(opt));
  }
  static void gemm(const View& W, const float* X, std::size_t m, float* Y, float t, const ks::call_options& opt) {
    const auto M = Wrap{}(W);
    as::detail::gemm(arch{}, M, X, m, Y, M.rows(), t, options(opt));
  }
};
struct wrap_matrix {
  as::packed_matrix operator()(const ks::matrix_view& W) const { return matrix(W); }
};
struct wrap_panels {
  panel_list operator()(const ks::panels_view& W) const { return {W}; }
};
using one = entries<ks::matrix_view, wrap_matrix>;
using panels = entries<ks::panels_view, wrap_panels>;

}  // namespace

namespace actsparse_kernels {
extern const table ACTSPARSE_CAT(table_, ACTSPARSE_KERNEL_ISA);
const table ACTSPARSE_CAT(table_, ACTSPARSE_KERNEL_ISA) = {
    ACTSPARSE_STR(ACTSPARSE_KERNEL_ISA), find_active, find_active_union,
    one::gemv_dense, one::gemv_sparse, one::gemv, one::gemm_dense, one::gemm_sparse, one::gemm,
    panels::gemv_dense, panels::gemv_sparse, panels::gemv, panels::gemm_dense, panels::gemm_sparse, panels::gemm};
}  // namespace actsparse_kernels
