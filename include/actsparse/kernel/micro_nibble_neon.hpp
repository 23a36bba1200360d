// actsparse/kernel/micro_nibble_neon.hpp: the NEON micro-kernel for 4-bit codes, one group
// of Group outputs of U strips, one row of accumulators. The two nibbles of 16 code bytes
// split with one AND and one shift (no table shuffle and per-lane shift as in the general
// unpack), then widened, converted and FMA'd: about 31 instructions per 32 weights against
// about 46. Same slot order as the AVX-512 look-up kernel (acc_slot, traits.hpp). Tested
// under qemu only; not timed on Apple hardware. Scalar twin: gemv_ref_impl (micro_ref.hpp).
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <cstdint>

#include "../xsimd_compat.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

#if XSIMD_WITH_NEON64
template <int Group, std::size_t U>
inline void micro_group_neon4(float* acc, const std::uint8_t* const* codes, std::size_t offset, const float* a) {
  static_assert(Group % 32 == 0, "a group must hold whole 32-code chunks");
  for (std::size_t c = 0; c < static_cast<std::size_t>(Group); c += 32) {
    float32x4_t y[8];  // slots: even outputs in y[0..3], odd ones in y[4..7]
#pragma GCC unroll 16
    for (int r = 0; r < 8; ++r) y[r] = vld1q_f32(acc + c + 4 * r);
#pragma GCC unroll 16
    for (std::size_t u = 0; u < U; ++u) {
      const uint8x16_t b = vld1q_u8(codes[u] + offset + c / 2);
      const float32x4_t av = vdupq_n_f32(a[u]);
      const uint8x16_t nibbles[2] = {vandq_u8(b, vdupq_n_u8(15)), vshrq_n_u8(b, 4)};
#pragma GCC unroll 16
      for (int h = 0; h < 2; ++h) {
        const uint16x8_t w0 = vmovl_u8(vget_low_u8(nibbles[h])), w1 = vmovl_high_u8(nibbles[h]);
        float32x4_t* yh = y + 4 * h;
        yh[0] = vfmaq_f32(yh[0], av, vcvtq_f32_u32(vmovl_u16(vget_low_u16(w0))));
        yh[1] = vfmaq_f32(yh[1], av, vcvtq_f32_u32(vmovl_high_u16(w0)));
        yh[2] = vfmaq_f32(yh[2], av, vcvtq_f32_u32(vmovl_u16(vget_low_u16(w1))));
        yh[3] = vfmaq_f32(yh[3], av, vcvtq_f32_u32(vmovl_high_u16(w1)));
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < 8; ++r) vst1q_f32(acc + c + 4 * r, y[r]);
  }
}
#endif

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse
