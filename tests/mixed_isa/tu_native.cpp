// tests/mixed_isa/tu_native.cpp: the AVX2 unit of the mixed-ISA program (built with
// -mavx2 -mfma -mf16c, linked before the baseline unit). It instantiates what the baseline
// unit does (pack, its error path, gemv, gemm, find_active), so that if the two units shared
// a name, the linker would keep this AVX2 copy for both: the bug these tests guard against
// (a baseline caller dying with SIGILL on a CPU without AVX, in `pack` with bits = 7).
// Only the baseline unit calls in here, and only when the CPU runs AVX2.
#include <actsparse/actsparse.hpp>

#include <cstring>

#include "mixed_isa.hpp"

#define MIXED_ISA_STR2(a) #a
#define MIXED_ISA_STR(a) MIXED_ISA_STR2(a)

namespace mixed_isa {

const char* native_namespace() { return MIXED_ISA_STR(ACTSPARSE_ISA_NAMESPACE); }

void native_products(const float* w, std::size_t rows, std::size_t cols, int bits, int group_size, const float* x,
                     const float* X, std::size_t m, const native_outputs& out) {
  const actsparse::packed_matrix W = actsparse::pack(w, rows, cols, {bits, group_size});
  if (W.bytes() + actsparse::kTailPad > out.packed_capacity) actsparse::detail::fail("native_products", "packed too small");
  std::memcpy(out.packed, W.data(), W.bytes() + actsparse::kTailPad);
  actsparse::detail::buffer<std::uint32_t> idx(cols);
  const std::size_t nnz = actsparse::find_active(x, cols, 0.0f, idx.data());
  actsparse::gemv_dense(W, x, out.y_dense);
  actsparse::gemv_sparse(W, x, idx.data(), nnz, out.y_sparse);
  actsparse::gemv(W, x, out.y);
  actsparse::gemm(W, X, m, out.Y);
}

void native_pack(const float* w, std::size_t rows, std::size_t cols, int bits, int group_size) {
  (void)actsparse::pack(w, rows, cols, {bits, group_size});
}

}  // namespace mixed_isa
