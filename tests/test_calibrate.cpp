// tests/test_calibrate.cpp: calibrate.hpp. Quantiles against sorted samples, streaming and
// merging, the realised sparsity of a calibrated threshold, the table file format.
#include "test_common.hpp"

#include <algorithm>
#include <fstream>

using namespace actsparse;
using namespace actsparse_test;

namespace {
// Fraction of |x| <= t in a sample, by definition.
double fraction_at_most(const std::vector<float>& x, float t) {
  std::size_t c = 0;
  for (float v : x) c += std::abs(v) <= t ? 1 : 0;
  return double(c) / double(x.size());
}
}  // namespace

// threshold_for(s) is the s-quantile of |x| to one bin (64 linear steps per octave, so
// 0.8-1.6% relative): at least s of the sample is at or below it, and the previous bin's
// top edge would not reach s.
TEST(Calibrate, ThresholdIsTheQuantileToOneBin) {
  const auto x = random_normal(200000, 1);
  threshold_calibrator c;
  c.add(x.data(), x.size());
  std::vector<float> mags(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) mags[i] = std::abs(x[i]);
  std::sort(mags.begin(), mags.end());
  for (double s : {0.1, 0.4, 0.5, 0.9, 0.99}) {
    const float t = c.threshold_for(s);
    EXPECT_GE(fraction_at_most(x, t), s) << "s=" << s;
    const float below = bits_float(float_bits(t) - (1u << threshold_calibrator::kBinShift));  // previous bin's top
    EXPECT_LT(fraction_at_most(x, below), s) << "s=" << s;
    const float exact = mags[static_cast<std::size_t>(std::ceil(s * double(x.size()))) - 1];
    EXPECT_NEAR(t, exact, exact * 0.016) << "s=" << s;
    EXPECT_NEAR(c.sparsity_at(t), fraction_at_most(x, t), 1e-12);
  }
}

// Calibrated on one sample, the threshold skips about s of fresh activations from the same
// distribution (what a runtime relies on).
TEST(Calibrate, RealisedSparsityOnFreshActivations) {
  threshold_calibrator c;
  for (std::uint32_t chunk = 0; chunk < 20; ++chunk) {
    const auto x = random_normal(4096, 100 + chunk, 0.3f);
    c.add(x.data(), x.size());
  }
  const auto fresh = random_normal(65536, 999, 0.3f);
  std::vector<std::uint32_t> idx(fresh.size());
  for (double s : {0.4, 0.5}) {
    const std::size_t nnz = find_active(fresh.data(), fresh.size(), c.threshold_for(s), idx.data());
    EXPECT_NEAR(1.0 - double(nnz) / double(fresh.size()), s, 0.015) << "s=" << s;
  }
}

TEST(Calibrate, StreamingAndMergingEqualOneAdd) {
  const auto x = random_normal(10000, 2);
  threshold_calibrator whole, parts, merged, other;
  whole.add(x.data(), x.size());
  parts.add(x.data(), 3333);
  parts.add(x.data() + 3333, x.size() - 3333);
  merged.add(x.data(), 5000);
  other.add(x.data() + 5000, 5000);
  merged.merge(other);
  for (double s : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    EXPECT_EQ(whole.threshold_for(s), parts.threshold_for(s));
    EXPECT_EQ(whole.threshold_for(s), merged.threshold_for(s));
  }
  EXPECT_EQ(merged.count(), 10000u);
}

// ReLU-like samples: 60% exact zeros. Up to 60% sparsity the threshold skips only zeros.
TEST(Calibrate, ExactZerosAndSpecialValues) {
  auto x = sparse_x(10000, 0.6, 3);
  threshold_calibrator c;
  c.add(x.data(), x.size());
  EXPECT_EQ(c.threshold_for(0.0), 0.0f);
  EXPECT_LT(c.threshold_for(0.55), 1e-38f);
  EXPECT_GT(c.threshold_for(0.7), 1e-3f);
  const std::vector<float> special = {std::nanf(""), std::numeric_limits<float>::infinity(), 1.0f, 2.0f};
  threshold_calibrator d;
  d.add(special.data(), special.size());
  EXPECT_GE(d.threshold_for(0.25), 1.0f);  // drop the 1: top of 1.0's bin
  EXPECT_LT(d.threshold_for(0.25), 1.02f);
  EXPECT_GE(d.threshold_for(0.5), 2.0f);  // drop the 1 and the 2
  EXPECT_LT(d.threshold_for(0.5), 2.04f);
  EXPECT_EQ(d.threshold_for(0.75), std::numeric_limits<float>::max());  // Inf and NaN never drop
}

TEST(Calibrate, BadArgumentsAreNamed) {
  threshold_calibrator c;
  EXPECT_THROW(c.threshold_for(0.5), actsparse::error);  // no samples
  const float one = 1.0f;
  c.add(&one, 1);
  try {
    c.threshold_for(1.5);
    ADD_FAILURE();
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("sparsity = 1.5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.add(nullptr, 3), actsparse::error);
}

TEST(ThresholdTable, RoundTripsExactly) {
  threshold_table t;
  t.set("layers.0.mlp.down_proj", 0.0123456789f);
  t.set("layers.0.self_attn.q_proj", 3.4e-5f);
  t.set("zero", 0.0f);
  // One file per test binary: ctest runs the binaries of every ISA at once.
  const std::string path = ::testing::TempDir() + "/actsparse_" ACTSPARSE_TEST_ISA "_thresholds.txt";
  t.save(path);
  const threshold_table u = threshold_table::load(path);
  EXPECT_EQ(u.entries(), t.entries());
  EXPECT_EQ(u.get("layers.0.mlp.down_proj"), 0.0123456789f);
  EXPECT_THROW(u.get("missing"), actsparse::error);
}

TEST(ThresholdTable, BadFilesNameTheLine) {
  // One file per test binary: ctest runs the binaries of every ISA at once.
  const std::string path = ::testing::TempDir() + "/actsparse_" ACTSPARSE_TEST_ISA "_bad_thresholds.txt";
  auto expect_error = [&](const std::string& text, const char* needle) {
    std::ofstream(path) << text;
    try {
      threshold_table::load(path);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const actsparse::error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("", "lacks the header");
  expect_error("thresholds 1\na 0.5\n", "line 1");
  expect_error("actsparse-thresholds 1\n# comment\na 0.5\nb -1\n", "line 4");
  expect_error("actsparse-thresholds 1\na nan\n", "not a finite number");
  expect_error("actsparse-thresholds 1\na 0.5\na 0.6\n", "appears twice");
  expect_error("actsparse-thresholds 1\na 0.5 extra\n", "line 2");
  expect_error("actsparse-thresholds 1\na\n", "expected '<name> <threshold>'");
  EXPECT_THROW(threshold_table::load(path + ".missing"), actsparse::error);
  threshold_table t;
  EXPECT_THROW(t.set("has space", 1.0f), actsparse::error);
  EXPECT_THROW(t.set("x", std::numeric_limits<float>::infinity()), actsparse::error);
}
