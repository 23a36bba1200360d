// tests/test_quantize.cpp: quantize.hpp follows MLX's affine rules, on hand-computed groups.
#include "test_common.hpp"

using namespace actsparse;

namespace {
std::vector<std::uint32_t> codes_of(const std::vector<float>& w, int bits, group_params p) {
  std::vector<std::uint32_t> c;
  for (float v : w) c.push_back(affine_code(v, p, bits));
  return c;
}
}  // namespace

// 0..31 at 4 bits: the max (31) is the larger edge, so the scale is negated and 31 is exact:
// scale = 31/15 -> -31/15, q0 = rint(31 / (-31/15)) = -15, scale = 31 / -15, bias = 31;
// code(w) = rint((w - 31) / (-31/15)) = rint((31 - w) * 15 / 31).
TEST(Quantize, MaxEdgeGroupIsExactAtTheEdge) {
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i) w[i] = static_cast<float>(i);
  const group_params p = affine_group_params(w.data(), w.size(), 4);
  EXPECT_FLOAT_EQ(p.scale, 31.0f / -15.0f);
  EXPECT_EQ(p.bias, 31.0f);
  const auto c = codes_of(w, 4, p);
  EXPECT_EQ(c[0], 15u);
  EXPECT_EQ(c[31], 0u);
  EXPECT_EQ(c[16], 7u);   // (31 - 16) * 15 / 31 = 7.26
  EXPECT_EQ(c[10], 10u);  // 21 * 15 / 31 = 10.16
  EXPECT_EQ(p.scale * static_cast<float>(c[31]) + p.bias, 31.0f);
}

// [-8, 4] at 2 bits: the min is the larger edge: scale = 12 / 3 = 4 (kept positive),
// q0 = rint(-8 / 4) = -2, scale = -8 / -2 = 4, bias = -8; codes rint((w + 8) / 4) with
// ties to even: -2 -> rint(1.5) = 2, 2 -> rint(2.5) = 2.
TEST(Quantize, MinEdgeGroupAndRoundHalfToEven) {
  const std::vector<float> w = {-8.0f, 4.0f, 0.0f, -2.0f, 2.0f, -6.0f, 3.9f, -8.0f};
  const group_params p = affine_group_params(w.data(), w.size(), 2);
  EXPECT_EQ(p.scale, 4.0f);
  EXPECT_EQ(p.bias, -8.0f);
  EXPECT_EQ(codes_of(w, 2, p), (std::vector<std::uint32_t>{0, 3, 2, 2, 2, 0, 3, 0}));
}

// A constant group: scale floors at 1e-7 (negated: max is the edge), q0 = rint(0.5 / -1e-7)
// != 0, so bias = 0.5 exactly and every code is 0.
TEST(Quantize, ConstantGroupKeepsItsValueInTheBias) {
  const std::vector<float> w(64, 0.5f);
  const group_params p = affine_group_params(w.data(), w.size(), 3);
  EXPECT_EQ(p.bias, 0.5f);
  EXPECT_LT(p.scale, 0.0f);
  for (auto c : codes_of(w, 3, p)) EXPECT_EQ(c, 0u);
}

// All zeros: q0 = 0, so the bias stays 0 and the scale is the -1e-7 floor.
TEST(Quantize, ZeroGroup) {
  const std::vector<float> w(32, 0.0f);
  const group_params p = affine_group_params(w.data(), w.size(), 8);
  EXPECT_EQ(p.bias, 0.0f);
  EXPECT_FLOAT_EQ(p.scale, -1e-7f);
  for (auto c : codes_of(w, 8, p)) EXPECT_EQ(c, 0u);
}

// Each code picks the grid point scale * q + bias (q in [0, 2^bits - 1]) nearest to w. Not
// "within half a step": keeping the edge exact rescales the grid, so the far end of a group
// can fall outside it and clip, in MLX as here.
TEST(Quantize, CodesPickTheNearestGridPoint) {
  for (int bits : actsparse_test::kBits) {
    const auto w = actsparse_test::random_normal(128, static_cast<std::uint32_t>(bits));
    const group_params p = affine_group_params(w.data(), w.size(), bits);
    for (float v : w) {
      const std::uint32_t c = affine_code(v, p, bits);
      ASSERT_LE(c, (1u << bits) - 1);
      const double err = std::abs(double(p.scale) * c + p.bias - v);
      for (std::uint32_t q = 0; q < (1u << bits); ++q)
        ASSERT_LE(err, std::abs(double(p.scale) * q + p.bias - v) + 1e-6 * std::abs(p.scale)) << "bits=" << bits << " w=" << v;
    }
  }
}
