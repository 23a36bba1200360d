// actsparse/half.hpp: IEEE fp16 and bfloat16 <-> fp32 conversion, scalar.
//
// The packed format stores one fp16 scale and one fp16 bias per group (MLX's layout), and
// pack() accepts fp16 and bf16 sources. Conversions are exact bit manipulations, so the
// results do not depend on the compiler or the instruction set: float -> half rounds to
// nearest even, half -> float is exact, subnormals, infinities and NaN are kept.
#pragma once

#include "config.hpp"

#include <cstdint>
#include <cstring>

ACTSPARSE_NAMESPACE_BEGIN

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

// fp16 -> fp32, exact, and without ever handing a denormal to the FPU, so the result does
// not change when the caller runs with denormals-are-zero (DAZ, set by -ffast-math startup
// code and some frameworks): normals and Inf/NaN are rebiased with integer arithmetic
// (exponent + 127 - 15), subnormals (m * 2^-24, m < 1024) are an int -> float conversion
// times 2^-24, whose result is a normal float.
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t em = h & 0x7fffu;
  if (em >= 0x7c00u) return bits_float(sign | 0x7f800000u | ((em & 0x3ffu) << 13));
  if (em >= 0x0400u) return bits_float(sign | ((em << 13) + (112u << 23)));
  return bits_float(sign | float_bits(static_cast<float>(em) * 0x1p-24f));
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

ACTSPARSE_NAMESPACE_END  // namespace actsparse
