// actsparse/half.hpp: IEEE fp16 and bfloat16 <-> fp32 conversion, scalar.
//
// The packed format stores one fp16 scale and one fp16 bias per group (MLX's layout), and
// pack() accepts fp16 and bf16 sources. Conversions are exact bit manipulations, so the
// results do not depend on the compiler or the instruction set: float -> half rounds to
// nearest even, half -> float is exact, subnormals, infinities and NaN are kept.
#pragma once

#include <cstdint>
#include <cstring>

namespace actsparse {

inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// fp16 -> fp32, exact. The exponent/mantissa field is shifted into fp32 position and
// rescaled by 2^112 (the difference of the two exponent biases, 127 - 15), which also
// turns fp16 subnormals into the right fp32 normals; Inf and NaN get the full exponent.
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t em = h & 0x7fffu;
  if (em >= 0x7c00u) return bits_float(sign | 0x7f800000u | ((em & 0x3ffu) << 13));
  const float magnitude = bits_float(em << 13) * 0x1p112f;
  return bits_float(sign | float_bits(magnitude));
}

// fp32 -> fp16, round to nearest even, overflow to Inf, NaN stays NaN (quiet).
inline std::uint16_t float_to_half(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (a < 0x38800000u) {
    // Result is an fp16 subnormal (or zero): add 0.5 so the float adder rounds the
    // mantissa at the 2^-24 position, to nearest even, then read the low bits.
    const float r = bits_float(a) + 0.5f;
    return static_cast<std::uint16_t>(sign | (float_bits(r) - 0x3f000000u));
  }
  const std::uint32_t odd = (a >> 13) & 1u;
  const std::uint32_t rounded = a + 0xfffu + odd - (112u << 23);
  return static_cast<std::uint16_t>(sign | (rounded >> 13));
}

inline float bf16_to_float(std::uint16_t b) { return bits_float(static_cast<std::uint32_t>(b) << 16); }

}  // namespace actsparse
