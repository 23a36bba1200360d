// tests/test_half.cpp: half.hpp conversions, exhaustively where the space is small.
#include "test_common.hpp"

#if defined(__F16C__)
#include <immintrin.h>
#endif

using namespace actsparse;

// Every one of the 65536 halves survives half -> float -> half (NaN stays NaN).
TEST(Half, EveryHalfRoundTrips) {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<std::uint16_t>(h));
    const bool nan = (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0;
    if (nan) {
      ASSERT_TRUE(std::isnan(f)) << h;
      ASSERT_EQ(float_to_half(f) & 0x7c00u, 0x7c00u);
    } else {
      ASSERT_EQ(float_to_half(f), h) << "half 0x" << std::hex << h;
    }
  }
}

// half_to_float against arithmetic: (-1)^s 2^(e-15) (1 + m/1024), subnormals 2^-14 m/1024.
TEST(Half, DecodesByTheDefinition) {
  for (std::uint32_t h = 0; h < 0x7c00u; ++h) {
    const std::uint32_t e = h >> 10, m = h & 0x3ffu;
    const double v = e == 0 ? std::ldexp(m / 1024.0, -14) : std::ldexp(1.0 + m / 1024.0, static_cast<int>(e) - 15);
    ASSERT_EQ(static_cast<double>(half_to_float(static_cast<std::uint16_t>(h))), v);
    ASSERT_EQ(static_cast<double>(half_to_float(static_cast<std::uint16_t>(h | 0x8000u))), -v);
  }
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00u)));
  EXPECT_LT(half_to_float(0xfc00u), 0.0f);
}

// float -> half rounds to the nearest half, ties to even mantissa: checked against the two
// neighbours by arithmetic (and against the F16C instruction where this build has it).
TEST(Half, RoundsToNearestEven) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::uint32_t> bits(0, 0x477fefffu);  // up to just below 65520
  for (int i = 0; i < 200000; ++i) {
    const float f = bits_float(bits(rng));
    const std::uint16_t h = float_to_half(f);
    const double err = std::abs(static_cast<double>(half_to_float(h)) - f);
    for (int d : {-1, 1}) {
      const std::uint32_t nb = static_cast<std::uint32_t>(h) + static_cast<std::uint32_t>(d);
      if (nb > 0x7bffu) continue;
      const double nerr = std::abs(static_cast<double>(half_to_float(static_cast<std::uint16_t>(nb))) - f);
      ASSERT_TRUE(err < nerr || (err == nerr && (h & 1u) == 0)) << "f=" << f << " h=" << h;
    }
#if defined(__F16C__)
    ASSERT_EQ(h, _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT)) << f;
#endif
  }
  EXPECT_EQ(float_to_half(65504.0f), 0x7bffu);
  EXPECT_EQ(float_to_half(65519.99f), 0x7bffu);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00u);  // the tie rounds to even: Inf
  EXPECT_EQ(float_to_half(1e-8f), 0x0000u);      // below half the smallest subnormal
  EXPECT_EQ(float_to_half(-1e-7f), 0x8002u);     // 1e-7 / 2^-24 = 1.68 -> 2
}

TEST(Half, Bfloat16IsTheHighHalfOfAFloat) {
  EXPECT_EQ(bf16_to_float(0x3f80u), 1.0f);
  EXPECT_EQ(bf16_to_float(0xc040u), -3.0f);
  EXPECT_TRUE(std::isinf(bf16_to_float(0x7f80u)));
}
