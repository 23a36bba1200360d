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

// ---- the searched rule (quant_rule::mse)

namespace {
// The group's squared error as the strip stores it: fp16 scale and bias, and the given codes
// (MLX's rule: affine_code's).
double stored_sq_error(const float* w, std::size_t n, group_params p, const std::vector<std::uint32_t>& codes) {
  const double s = half_to_float(float_to_half(p.scale)), b = half_to_float(float_to_half(p.bias));
  double e = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = s * codes[i] + b - w[i];
    e += d * d;
  }
  return e;
}

// mse_group_params' pair and codes.
group_params searched(const std::vector<float>& w, int bits, std::vector<std::uint32_t>& codes) {
  std::uint8_t q[kMseMaxGroup];
  const group_params p = mse_group_params(w.data(), w.size(), bits, q);
  codes.assign(q, q + w.size());
  return p;
}

// An independent near-optimum: every pair of a 48 x 48 grid of fp16 (scale, bias) around the
// group's range, each weight on its nearest grid point (clipped to the codes).
double grid_search_sq_error(const float* w, std::size_t n, int bits) {
  const float lo = *std::min_element(w, w + n), hi = *std::max_element(w, w + n);
  const double n_bins = (1 << bits) - 1, step = (double(hi) - lo) / n_bins;
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 48; ++i) {
    const double s = half_to_float(float_to_half(float(step * (0.6 + 0.5 * i / 47))));
    if (s == 0) continue;
    for (int j = 0; j < 48; ++j) {
      const double b = half_to_float(float_to_half(float(lo - s + 2 * s * j / 47)));
      double e = 0;
      for (std::size_t k = 0; k < n; ++k) {
        const double q = std::min(std::max(std::nearbyint((w[k] - b) / s), 0.0), n_bins);
        e += (s * q + b - w[k]) * (s * q + b - w[k]);
      }
      best = std::min(best, e);
    }
  }
  return best;
}

// Groups of the shapes weights take: normal, uniform, heavy-tailed (Student-t, 3 degrees)
// and normal with one outlier.
std::vector<std::vector<float>> test_groups(std::size_t g, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::uniform_real_distribution<float> ud(-0.03f, 0.05f);
  std::student_t_distribution<float> td(3.0f);
  std::vector<std::vector<float>> out;
  for (int kind = 0; kind < 4; ++kind)
    for (int r = 0; r < 6; ++r) {
      std::vector<float> w(g);
      for (auto& v : w) v = kind == 1 ? ud(rng) : kind == 2 ? 0.01f * td(rng) : nd(rng);
      if (kind == 3) w[static_cast<std::size_t>(r) % g] = 0.15f;
      out.push_back(w);
    }
  return out;
}
}  // namespace

// Never worse than MLX's rule on any group (MLX's pair is its first candidate), at least 7%
// less RMS error over the groups at 2 to 4 bits (3% at 5 to 8), and within 3% of the RMS
// error of a 48 x 48 grid search of fp16 pairs at 2 to 4 bits (12% at 5 to 8). A pair that
// is not MLX's is stored exactly (fp16 values).
TEST(QuantizeMse, BeatsMlxAndComesNearAGridSearch) {
  for (int bits : actsparse_test::kBits)
    for (int g : actsparse_test::kGroups) {
      double mlx_sum = 0, mse_sum = 0, grid_sum = 0;
      for (const auto& w : test_groups(static_cast<std::size_t>(g), static_cast<std::uint32_t>(bits * 131 + g))) {
        const group_params pm = affine_group_params(w.data(), w.size(), bits);
        std::vector<std::uint32_t> cs;
        const group_params ps = searched(w, bits, cs);
        const double em = stored_sq_error(w.data(), w.size(), pm, codes_of(w, bits, pm));
        const double es = stored_sq_error(w.data(), w.size(), ps, cs);
        ASSERT_LE(es, em) << "bits=" << bits << " g=" << g;
        if (ps.scale != pm.scale || ps.bias != pm.bias) {  // a searched pair: fp16 values, nearest codes
          EXPECT_EQ(half_to_float(float_to_half(ps.scale)), ps.scale);
          EXPECT_EQ(half_to_float(float_to_half(ps.bias)), ps.bias);
          for (std::size_t i = 0; i < w.size(); ++i) {
            const double err = std::abs(double(ps.scale) * cs[i] + ps.bias - w[i]);
            for (std::uint32_t q = 0; q < (1u << bits); ++q)
              ASSERT_LE(err, std::abs(double(ps.scale) * q + ps.bias - w[i]) + 1e-6 * std::abs(ps.scale))
                  << "bits=" << bits << " w=" << w[i] << " code " << cs[i];
          }
        } else {
          EXPECT_EQ(cs, codes_of(w, bits, pm));  // MLX's pair comes with MLX's codes
        }
        mlx_sum += em, mse_sum += es, grid_sum += grid_search_sq_error(w.data(), w.size(), bits);
      }
      // Measured (RMS ratios): mse / mlx 0.76-0.92 at 2-4 bits, 0.84-0.96 at 5-8; mse / grid
      // 0.99-1.02 at 2-4 bits, 1.01-1.10 at 5-8 (the grid's finer scale steps pay where codes
      // are many).
      const double vs_mlx = std::sqrt(mse_sum / mlx_sum), vs_grid = std::sqrt(mse_sum / grid_sum);
      EXPECT_LT(vs_mlx, bits <= 4 ? 0.93 : 0.97) << "bits=" << bits << " g=" << g;
      EXPECT_LT(vs_grid, bits <= 4 ? 1.03 : 1.12) << "bits=" << bits << " g=" << g;
    }
}

// Groups at the edges of fp16: a constant group stays MLX's exact pair; weights near 65504
// and weights so small their step is an fp16 subnormal give finite pairs no worse than MLX's.
TEST(QuantizeMse, EdgesOfFp16) {
  const std::vector<float> constant(32, -0.375f);
  std::vector<std::uint32_t> cc;
  const group_params pc = searched(constant, 4, cc);
  const group_params mc = affine_group_params(constant.data(), constant.size(), 4);
  EXPECT_EQ(pc.scale, mc.scale);
  EXPECT_EQ(pc.bias, mc.bias);
  for (float scale : {60000.0f, 1e-6f, 1e-9f}) {
    std::vector<float> w = actsparse_test::random_normal(64, 7);
    const float top = *std::max_element(w.begin(), w.end(), [](float a, float b) { return std::abs(a) < std::abs(b); });
    for (auto& v : w) v = v / std::abs(top) * scale;  // |w| <= scale
    for (int bits : actsparse_test::kBits) {
      std::vector<std::uint32_t> cs;
      const group_params p = searched(w, bits, cs);
      const group_params pm = affine_group_params(w.data(), w.size(), bits);
      ASSERT_TRUE(std::isfinite(p.scale) && std::isfinite(p.bias)) << scale << " " << bits;
      EXPECT_LE(stored_sq_error(w.data(), w.size(), p, cs), stored_sq_error(w.data(), w.size(), pm, codes_of(w, bits, pm)))
          << "scale " << scale << " bits " << bits;
    }
  }
}

// pack() with rule mse stores exactly the searched pairs and codes; a rule that is not
// a quant_rule is refused by name, and the spelling of the tools parses both ways.
TEST(QuantizeMse, PackStoresTheSearchedGroups) {
  const std::size_t N = 128, K = 5;
  const auto w = actsparse_test::random_normal(N * K, 11, 0.02f);
  for (int bits : {3, 4}) {
    const packed_matrix W = pack(w.data(), N, K, quant_config{bits, 64, quant_rule::mse});
    EXPECT_EQ(W.config().rule, quant_rule::mse);
    std::vector<float> col(64);
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t j = 0; j < N / 64; ++j) {
        for (std::size_t i = 0; i < 64; ++i) col[i] = w[(j * 64 + i) * K + k];
        std::vector<std::uint32_t> cs;
        const group_params p = searched(col, bits, cs);
        ASSERT_EQ(W.scales(k)[j], float_to_half(p.scale));
        ASSERT_EQ(W.biases(k)[j], float_to_half(p.bias));
        for (std::size_t i = 0; i < 64; ++i) ASSERT_EQ(W.code(k, j * 64 + i), cs[i]);
      }
  }
  try {
    (void)pack(w.data(), N, K, quant_config{4, 64, static_cast<quant_rule>(5)});
    FAIL() << "an unknown rule was accepted";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("rule = 5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mlx (0), mse (1)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_quant_rule("mse", "t"), quant_rule::mse);
  EXPECT_EQ(parse_quant_rule("mlx", "t"), quant_rule::mlx);
  EXPECT_STREQ(quant_rule_name(quant_rule::mse), "mse");
  EXPECT_THROW(parse_quant_rule("gptq", "t"), actsparse::error);
}
