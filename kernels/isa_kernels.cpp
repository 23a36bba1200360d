// kernels/isa_kernels.cpp: the kernels of one instruction set, compiled once per ISA
// (kernels/CMakeLists.txt) with that ISA's flags and these definitions:
//   ACTSPARSE_ISA_NAMESPACE  the inline namespace the headers go into (config.hpp),
//   ACTSPARSE_KERNEL_ISA     the table's suffix: scalar, sse42, avx2, avx512, neon.
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
#elif ACTSPARSE_ISA_IS(neon)
static_assert(std::is_base_of<xsimd::neon64, arch>::value, "the neon table must be built for aarch64");
#endif

as::packed_matrix view(const ks::matrix_ref& W) {
  return as::packed_matrix::borrow(W.data, W.rows, W.cols, {W.bits, W.group_size});
}

std::size_t find_active(const float* x, std::size_t n, float t, std::uint32_t* idx) {
  return as::find_active(arch{}, x, n, t, idx);
}
std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float t, std::uint32_t* idx) {
  return as::find_active_union(arch{}, X, m, n, t, idx);
}
void gemv_dense(const ks::matrix_ref& W, const float* x, float* y, int threads) {
  as::gemv_dense(arch{}, view(W), x, y, {threads});
}
void gemv_sparse(const ks::matrix_ref& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 int threads) {
  as::gemv_sparse(arch{}, view(W), x, idx, nnz, y, {threads});
}
void gemv(const ks::matrix_ref& W, const float* x, float* y, float t, int threads) {
  as::gemv(arch{}, view(W), x, y, t, {threads});
}
void gemm_dense(const ks::matrix_ref& W, const float* X, std::size_t m, float* Y, std::size_t ldy, int threads) {
  as::detail::gemm_dense<arch>(view(W), X, m, Y, ldy, {threads});
}
void gemm_sparse(const ks::matrix_ref& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, std::size_t ldy, int threads) {
  as::detail::gemm_sparse<arch>(view(W), X, m, idx, nnz, Y, ldy, {threads});
}
void gemm(const ks::matrix_ref& W, const float* X, std::size_t m, float* Y, std::size_t ldy, float t, int threads) {
  as::detail::gemm(arch{}, view(W), X, m, Y, ldy, t, {threads});
}

}  // namespace

namespace actsparse_kernels {
extern const table ACTSPARSE_CAT(table_, ACTSPARSE_KERNEL_ISA);
const table ACTSPARSE_CAT(table_, ACTSPARSE_KERNEL_ISA) = {
    ACTSPARSE_STR(ACTSPARSE_KERNEL_ISA), find_active, find_active_union, gemv_dense, gemv_sparse, gemv,
    gemm_dense, gemm_sparse, gemm};
}  // namespace actsparse_kernels
