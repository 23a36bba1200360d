// tests/mixed_isa/mixed_isa.hpp: what the baseline unit of the mixed-ISA program
// (tu_base.cpp) may call in its AVX2 unit (tu_native.cpp). Plain types only: the two units'
// actsparse types live in different namespaces (include/actsparse/config.hpp), and this
// header must not instantiate anything either unit could share (no std containers).
#pragma once

#include <cstddef>

namespace mixed_isa {

// The inline namespace each unit's headers opened, e.g. "isa_x86_00000000".
const char* base_namespace();
const char* native_namespace();

// In the native unit: packs w (rows x cols, row-major) with its own headers and computes,
// for x (cols) and X (m x cols):
//   packed    the packed buffer, W.bytes() + kTailPad bytes (more than packed_capacity: an error),
//   y_dense   gemv_dense,  y_sparse  gemv_sparse over find_active(x, 0),  y  gemv(x, 0),
//   Y         gemm(X, m, 0).
struct native_outputs {
  unsigned char* packed;
  std::size_t packed_capacity;
  float* y_dense;
  float* y_sparse;
  float* y;
  float* Y;
};
void native_products(const float* w, std::size_t rows, std::size_t cols, int bits, int group_size, const float* x,
                     const float* X, std::size_t m, const native_outputs& out);

// In the native unit: pack(w, rows, cols, {bits, group_size}); lets actsparse::error escape.
void native_pack(const float* w, std::size_t rows, std::size_t cols, int bits, int group_size);

}  // namespace mixed_isa
