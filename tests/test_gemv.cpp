// tests/test_gemv.cpp: gemv.hpp. The SIMD kernels of this binary's ISA and the scalar
// twins against the double-precision dense oracle, against each other (bitwise where the
// ISA has a fused multiply-add), across every format, shape edge, sparsity, thread count,
// pointer misalignment, NaN/Inf, and every error path.
#include "test_common.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using namespace actsparse;
using namespace actsparse_test;

namespace {

// Rows in units of groups, chosen around the vector width (scales are converted V groups
// at a time) and past one macro-kernel tile (kTileOutputs).
std::vector<std::size_t> row_groups(int g) {
  std::vector<std::size_t> r = {1, kV - 1 > 0 ? kV - 1 : 1, kV, kV + 1, 8 * kV + 2};
  r.push_back(kTileOutputs / static_cast<std::size_t>(g) + 3);
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

}  // namespace

class GemvFormat : public ::testing::TestWithParam<std::tuple<int, int>> {
 protected:
};

// Dense and sparse, every shape edge, sparsity 0 / 50 / 90 / 100 %: within the rounding
// bound of the oracle, bitwise equal to the scalar twin on FMA archs, and sparse == dense.
TEST_P(GemvFormat, MatchesOracleAndScalarTwin) {
  const auto [bits, g] = GetParam();
  const std::size_t Ks[] = {1, kV - 1 > 0 ? kV - 1 : 2, kV, kV + 1, 8 * kV + 2, 37};
  std::uint32_t seed = 1;
  for (std::size_t G : row_groups(g)) {
    const std::size_t N = G * static_cast<std::size_t>(g);
    for (std::size_t K : Ks) {
      if (N > kTileOutputs && K > 40) continue;  // the tile edge needs few inputs; keeps qemu runs short
      const packed_matrix W = random_matrix(N, K, {bits, g}, ++seed);
      for (double s : {0.0, 0.5, 0.9, 1.0}) {
        SCOPED_TRACE(::testing::Message() << "N=" << N << " K=" << K << " sparsity=" << s);
        const auto x = sparse_x(K, s, ++seed);
        const auto idx = active_list(x);
        const auto o = dense_oracle(W, x);
        std::vector<float> yd(N), ys(N), yr(N), yrs(N);
        gemv_dense(test_arch{}, W, x.data(), yd.data());
        gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), ys.data());
        gemv_dense_ref(W, x.data(), yr.data());
        gemv_sparse_ref(W, x.data(), idx.data(), idx.size(), yrs.data());
        EXPECT_TRUE(near_oracle(yd, o, bits, K));
        EXPECT_TRUE(near_oracle(ys, o, bits, idx.size()));
        EXPECT_TRUE(near_oracle(yr, o, bits, K));
        EXPECT_TRUE(bitwise_equal(ys.data(), yd.data(), N)) << "sparse != dense with exact zeros";
        EXPECT_TRUE(bitwise_equal(yrs.data(), yr.data(), N)) << "scalar twins: sparse != dense";
        // Against the twin that rounds as these kernels do (fused or not): bit for bit,
        // whatever the arch.
        const auto yt = twin(W, x, nullptr), yts = twin(W, x, &idx);
        EXPECT_TRUE(bitwise_equal(yd.data(), yt.data(), N)) << "SIMD dense != scalar twin";
        EXPECT_TRUE(bitwise_equal(ys.data(), yts.data(), N)) << "SIMD sparse != scalar twin";
        if (kernel_fuses(bits, g)) {
          EXPECT_TRUE(bitwise_equal(yd.data(), yr.data(), N)) << "SIMD != the public (fused) scalar twin";
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, GemvFormat, ::testing::Combine(::testing::ValuesIn(kBits), ::testing::ValuesIn(kGroups)),
                         [](const auto& info) {
                           return "b" + std::to_string(std::get<0>(info.param)) + "_g" +
                                  std::to_string(std::get<1>(info.param));
                         });

class Gemv : public ::testing::Test {
 protected:
};

// Work large enough that the driver really splits it (N * active > 4 x 2^16 weights), and
// rows enough for several macro-kernel tiles per thread.
TEST_F(Gemv, BitwiseIndependentOfThreadCount) {
  for (int bits : {3, 4}) {
    const std::size_t N = 2 * kTileOutputs + 64 * 3, K = 100;
    const packed_matrix W = random_matrix(N, K, {bits, 64}, 7);
    const auto x = sparse_x(K, 0.5, 8);
    const auto idx = active_list(x);
    std::vector<float> y1(N), yt(N);
    gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y1.data(), {1});
    for (int t : {2, 3, 5, 1000}) {  // 1000: more threads than groups
      gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), yt.data(), {t});
      EXPECT_TRUE(bitwise_equal(y1.data(), yt.data(), N)) << "sparse, threads=" << t;
      gemv_dense(test_arch{}, W, x.data(), yt.data(), {t});
      EXPECT_TRUE(bitwise_equal(y1.data(), yt.data(), N)) << "dense, threads=" << t;
      gemv(test_arch{}, W, x.data(), yt.data(), 0.0f, {t});
      EXPECT_TRUE(bitwise_equal(y1.data(), yt.data(), N)) << "gemv, threads=" << t;
    }
  }
}

TEST_F(Gemv, MisalignedVectors) {
  const std::size_t N = 192, K = 45;
  const packed_matrix W = random_matrix(N, K, {5, 64}, 9);
  const auto x0 = sparse_x(K, 0.5, 10);
  std::vector<float> xbuf(K + 3), ybuf(N + 3), ya(N);
  gemv_dense(test_arch{}, W, x0.data(), ya.data());
  for (std::size_t off = 1; off <= 3; ++off) {
    std::copy(x0.begin(), x0.end(), xbuf.begin() + off);
    gemv(test_arch{}, W, xbuf.data() + off, ybuf.data() + off);
    EXPECT_TRUE(bitwise_equal(ya.data(), ybuf.data() + off, N)) << "offset " << off;
    std::vector<std::uint32_t> ibuf(K + 3);
    const std::size_t nnz = find_active(test_arch{}, xbuf.data() + off, K, 0.0f, ibuf.data() + off);
    gemv_sparse(test_arch{}, W, xbuf.data() + off, ibuf.data() + off, nnz, ybuf.data() + off);
    EXPECT_TRUE(bitwise_equal(ya.data(), ybuf.data() + off, N)) << "offset " << off;
  }
}

// gemv(threshold) computes W x' with x' = x masked to |x| > t, whichever path it takes.
TEST_F(Gemv, ThresholdedGemvEqualsMaskedProduct) {
  const std::size_t N = 256, K = 300;
  const packed_matrix W = random_matrix(N, K, {4, 32}, 11);
  for (float t : {0.0f, 0.3f, 1.0f, 3.0f}) {
    auto x = random_normal(K, 12);
    std::vector<float> masked(x);
    for (auto& v : masked)
      if (!(std::abs(v) > t)) v = 0.0f;
    const auto idx = active_list(masked);
    std::vector<float> y(N), ys(N);
    gemv(test_arch{}, W, x.data(), y.data(), t);
    gemv_sparse(test_arch{}, W, masked.data(), idx.data(), idx.size(), ys.data());
    EXPECT_TRUE(near_oracle(y, dense_oracle(W, masked), 4, idx.size())) << "t=" << t;
    EXPECT_TRUE(bitwise_equal(y.data(), ys.data(), N)) << "t=" << t << ": dense path != sparse path";
  }
}

// NaN and Inf in x propagate as in a dense product of the dequantized weights.
TEST_F(Gemv, NonFiniteActivationsPropagate) {
  const std::size_t N = 128, K = 20;
  const packed_matrix W = random_matrix(N, K, {4, 64}, 13);
  std::vector<float> wd(N * K);
  dequantize(W, wd.data());
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {inf, -inf, std::numeric_limits<float>::quiet_NaN()}) {
    auto x = sparse_x(K, 0.5, 14);
    x[3] = bad;
    x[11] = 0.0f;
    std::vector<float> y(N), ys(N), yr(N);
    gemv(test_arch{}, W, x.data(), y.data());
    gemv_dense(test_arch{}, W, x.data(), ys.data());
    gemv_dense_ref(W, x.data(), yr.data());
    for (std::size_t n = 0; n < N; ++n) {
      double expect = 0;
      for (std::size_t k = 0; k < K; ++k) expect += static_cast<double>(x[k]) * wd[n * K + k];
      for (const float* out : {y.data(), ys.data(), yr.data()}) {
        ASSERT_EQ(std::isnan(out[n]), std::isnan(expect)) << "n=" << n << " bad=" << bad;
        if (std::isinf(expect)) {
          ASSERT_EQ(out[n], static_cast<float>(expect)) << "n=" << n;
        }
      }
    }
  }
}

TEST_F(Gemv, AllInactiveGivesZero) {
  const std::size_t N = 64, K = 9;
  const packed_matrix W = random_matrix(N, K, {2, 32}, 15);
  std::vector<float> x(K, 0.0f), y(N, 7.0f);
  x[2] = -0.0f;
  gemv(test_arch{}, W, x.data(), y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
  std::fill(y.begin(), y.end(), 7.0f);
  gemv_sparse(test_arch{}, W, x.data(), nullptr, 0, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

// Bad input: a clear error naming the parameter, and y untouched.
TEST_F(Gemv, ErrorsNameTheParameterAndLeaveOutputUntouched) {
  const std::size_t N = 64, K = 8;
  const packed_matrix W = random_matrix(N, K, {4, 64}, 16);
  const std::vector<float> x(K, 1.0f);
  std::vector<float> y(N, 42.0f);
  const std::vector<std::uint32_t> bad_idx = {1, 8};
  auto expect_error = [&](auto&& call, const char* needle) {
    try {
      call();
      ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const actsparse::error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    for (float v : y) ASSERT_EQ(v, 42.0f) << "y was written before the error";
  };
  expect_error([&] { gemv_sparse(test_arch{}, W, x.data(), bad_idx.data(), 2, y.data()); }, "idx[1] = 8");
  expect_error([&] { gemv_sparse(test_arch{}, W, x.data(), nullptr, 2, y.data()); }, "idx is null");
  std::vector<float> xy(N + K, 1.0f);
  expect_error([&] { gemv_dense(test_arch{}, W, xy.data(), xy.data() + K - 1); }, "overlaps x");
  expect_error([&] { gemv(test_arch{}, W, x.data(), y.data(), std::numeric_limits<float>::infinity()); },
               "must be finite");
  expect_error([&] { gemv_dense(test_arch{}, W, nullptr, y.data()); }, "x is null");
  expect_error([&] { gemv_dense(test_arch{}, W, x.data(), nullptr); }, "y is null");
  expect_error([&] { gemv(test_arch{}, W, x.data(), y.data(), -1.0f); }, "threshold = -1");
  expect_error([&] { gemv(test_arch{}, W, x.data(), y.data(), std::nanf("")); }, "threshold");
  expect_error([&] { gemv_dense(test_arch{}, W, x.data(), y.data(), {-2}); }, "options.threads = -2");
  expect_error([&] { gemv_dense(test_arch{}, packed_matrix{}, x.data(), y.data()); }, "W is empty");
  expect_error([&] { gemv_dense_ref(packed_matrix{}, x.data(), y.data()); }, "W is empty");
}

// xsimd::unavailable (no SIMD arch enabled) runs the scalar twins: still right.
TEST_F(Gemv, UnavailableArchIsCorrect) {
  const std::size_t N = 96, K = 17;
  const packed_matrix W = random_matrix(N, K, {6, 32}, 17);
  const auto x = sparse_x(K, 0.5, 18);
  std::vector<float> y(N);
  gemv(xsimd::unavailable{}, W, x.data(), y.data());
  EXPECT_TRUE(near_oracle(y, dense_oracle(W, x), 6, K));
}

// Index lists need not be ascending or unique: each listing adds its strip once.
TEST_F(Gemv, UnorderedAndRepeatedIndices) {
  const std::size_t N = 128, K = 10;
  const packed_matrix W = random_matrix(N, K, {4, 64}, 19);
  const auto x = random_normal(K, 20);
  const std::vector<std::uint32_t> idx = {7, 2, 2, 9, 0, 7, 7};
  std::vector<float> weight(K, 0.0f);
  for (auto k : idx) weight[k] += 1.0f;
  std::vector<float> xw(K);
  for (std::size_t k = 0; k < K; ++k) xw[k] = x[k] * weight[k];
  std::vector<float> y(N);
  gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data());
  EXPECT_TRUE(near_oracle(y, dense_oracle(W, xw), 4, idx.size()));
}

// fp16 subnormal scales decode the same with denormals-are-zero set (as -ffast-math code
// and some frameworks run), and the result does not depend on it.
TEST_F(Gemv, SubnormalScalesIgnoreDenormalsAreZero) {
#if defined(__SSE__) || defined(__x86_64__)
  const std::size_t N = 128, K = 12;
  const auto w = random_normal(N * K, 21, 1e-4f);  // 8-bit scales ~1e-6: fp16 subnormals
  const packed_matrix W = pack(w.data(), N, K, {8, 64});
  bool subnormal = false;
  for (std::size_t k = 0; k < K; ++k) subnormal |= (W.scales(k)[0] & 0x7c00u) == 0;
  ASSERT_TRUE(subnormal) << "the test needs a subnormal scale";
  const auto x = random_normal(K, 22);
  std::vector<float> y(N), yd(N);
  gemv_dense(test_arch{}, W, x.data(), y.data(), {1});
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x0040u);  // DAZ
  gemv_dense(test_arch{}, W, x.data(), yd.data(), {1});
  const float h = half_to_float(0x0001u);
  _mm_setcsr(csr);
  EXPECT_EQ(h, 0x1p-24f);
  EXPECT_TRUE(bitwise_equal(y.data(), yd.data(), N));
  EXPECT_TRUE(near_oracle(y, dense_oracle(W, x), 8, K));
#else
  GTEST_SKIP() << "DAZ is an x86 control bit";
#endif
}
