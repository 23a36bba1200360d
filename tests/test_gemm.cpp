// tests/test_gemm.cpp: gemm.hpp. gemm() and the batched kernels (gemm_sparse over a union
// list, gemm_dense) against m separate gemv calls (bit for bit), the double-precision
// oracle, the thread count, union detection and errors.
#include "test_common.hpp"

#include <algorithm>

using namespace actsparse;
using namespace actsparse_test;

class GemmBatch : public ::testing::TestWithParam<std::tuple<int, int>> {};

// Every row equals gemv of that row, bit for bit, and the oracle within rounding.
TEST_P(GemmBatch, EqualsSeparateGemvCalls) {
  const auto [bits, g] = GetParam();
  std::uint32_t seed = 100;
  for (std::size_t m : {std::size_t{1}, std::size_t{2}, std::size_t{3}, kV + 1, std::size_t{17}, std::size_t{64},
                        std::size_t{65}}) {
    for (const std::size_t N : {static_cast<std::size_t>(g), 3 * static_cast<std::size_t>(g) + 4096}) {
      const std::size_t K = 37;
      const auto w = random_normal(N * K, ++seed, 0.05f);
      const packed_matrix W = pack(w.data(), N, K, {bits, g});
      for (bool correlated : {false, true})
        for (float t : {0.0f, 0.01f, 0.4f}) {  // 0.01: dense rows stay batched, with masking
          SCOPED_TRACE(::testing::Message() << "m=" << m << " N=" << N << " correlated=" << correlated << " t=" << t);
          // Dense rows take gemm()'s batched path from 2 or 4 rows on (the arch's rule),
          // sparse ones the per-row path.
          const auto X = batch_x(m, K, correlated ? 0.6 : 0.0, correlated, ++seed);
          std::vector<float> Xm(X);  // the thresholded rows, for the batched kernels
          for (auto& v : Xm)
            if (!(std::abs(v) > t)) v = 0.0f;
          std::vector<std::uint32_t> idx(K);
          const std::size_t nnz = find_active_union(test_arch{}, Xm.data(), m, K, 0.0f, idx.data());
          std::vector<float> Y(m * N), Ys(m * N), Yd(m * N), y(N);
          gemm(test_arch{}, W, X.data(), m, Y.data(), t);
          gemm_sparse(test_arch{}, W, Xm.data(), m, idx.data(), nnz, Ys.data());
          gemm_dense(test_arch{}, W, Xm.data(), m, Yd.data());
          for (std::size_t r = 0; r < m; ++r) {
            gemv(test_arch{}, W, X.data() + r * K, y.data(), t);
            ASSERT_TRUE(bitwise_equal(Y.data() + r * N, y.data(), N)) << "gemm, row " << r;
            ASSERT_TRUE(bitwise_equal(Ys.data() + r * N, y.data(), N)) << "gemm_sparse, row " << r;
            ASSERT_TRUE(bitwise_equal(Yd.data() + r * N, y.data(), N)) << "gemm_dense, row " << r;
          }
          std::vector<float> xr(K);
          for (std::size_t r = 0; r < m; r += std::max<std::size_t>(1, m / 3)) {
            for (std::size_t k = 0; k < K; ++k) xr[k] = std::abs(X[r * K + k]) > t ? X[r * K + k] : 0.0f;
            ASSERT_TRUE(near_oracle(std::vector<float>(Y.begin() + r * N, Y.begin() + (r + 1) * N),
                                    dense_oracle(W, xr), bits, K));
          }
        }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, GemmBatch,
                         ::testing::Values(std::make_tuple(2, 32), std::make_tuple(3, 64), std::make_tuple(4, 64),
                                           std::make_tuple(5, 128), std::make_tuple(6, 32), std::make_tuple(8, 128)),
                         [](const auto& info) {
                           return "b" + std::to_string(std::get<0>(info.param)) + "_g" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST(Gemm, SparseDenseAndUnionListAgree) {
  const std::size_t N = 256, K = 90, m = 5;
  const auto w = random_normal(N * K, 3, 0.05f);
  const packed_matrix W = pack(w.data(), N, K, {4, 32});
  const auto X = batch_x(m, K, 0.7, false, 4);
  std::vector<std::uint32_t> idx(K);
  const std::size_t nnz = find_active_union(test_arch{}, X.data(), m, K, 0.0f, idx.data());
  std::vector<float> a(m * N), b(m * N), c(m * N);
  gemm_sparse(test_arch{}, W, X.data(), m, idx.data(), nnz, a.data());
  gemm_dense(test_arch{}, W, X.data(), m, b.data());
  gemm(test_arch{}, W, X.data(), m, c.data());
  EXPECT_TRUE(bitwise_equal(a.data(), b.data(), m * N));
  EXPECT_TRUE(bitwise_equal(a.data(), c.data(), m * N));
}

TEST(Gemm, BitwiseIndependentOfThreadCount) {
  const std::size_t N = 4096 + 512, K = 200, m = 6;
  const auto w = random_normal(N * K, 5, 0.05f);
  const packed_matrix W = pack(w.data(), N, K, {3, 64});
  const auto X = batch_x(m, K, 0.5, true, 6);
  std::vector<std::uint32_t> idx(K);
  const std::size_t nnz = find_active_union(test_arch{}, X.data(), m, K, 0.0f, idx.data());
  std::vector<float> y1(m * N), yt(m * N);
  gemm_sparse(test_arch{}, W, X.data(), m, idx.data(), nnz, y1.data(), {1});
  for (int t : {2, 3, 7}) {
    gemm_sparse(test_arch{}, W, X.data(), m, idx.data(), nnz, yt.data(), {t});
    EXPECT_TRUE(bitwise_equal(y1.data(), yt.data(), m * N)) << "gemm_sparse, threads=" << t;
    gemm_dense(test_arch{}, W, X.data(), m, yt.data(), {t});
    EXPECT_TRUE(bitwise_equal(y1.data(), yt.data(), m * N)) << "gemm_dense, threads=" << t;
  }
}

TEST(Gemm, UnionMatchesTheDefinition) {
  const std::size_t m = 4, K = 50;
  auto X = batch_x(m, K, 0.8, false, 7);
  X[0 * K + 3] = std::nanf("");
  X[2 * K + 3] = 9.0f;  // a later, larger value must not hide the NaN
  X[1 * K + 10] = -std::numeric_limits<float>::infinity();
  for (float t : {0.0f, 0.7f}) {
    std::vector<std::uint32_t> idx(K), expect;
    const std::size_t nnz = find_active_union(test_arch{}, X.data(), m, K, t, idx.data());
    for (std::size_t k = 0; k < K; ++k) {
      bool any = false;
      for (std::size_t r = 0; r < m; ++r) any |= std::isnan(X[r * K + k]) || std::abs(X[r * K + k]) > t;
      if (any) expect.push_back(static_cast<std::uint32_t>(k));
    }
    idx.resize(nnz);
    EXPECT_EQ(idx, expect) << "t=" << t;
  }
}

TEST(Gemm, NonFiniteRowsPropagateLikeGemv) {
  const std::size_t N = 64, K = 12, m = 3;
  const auto w = random_normal(N * K, 8, 0.05f);
  const packed_matrix W = pack(w.data(), N, K, {4, 64});
  auto X = batch_x(m, K, 0.3, false, 9);
  X[1 * K + 5] = std::numeric_limits<float>::infinity();
  X[2 * K + 0] = std::nanf("");
  std::vector<float> Y(m * N), y(N);
  gemm_dense(test_arch{}, W, X.data(), m, Y.data());
  for (std::size_t r = 0; r < m; ++r) {
    gemv(test_arch{}, W, X.data() + r * K, y.data());
    for (std::size_t n = 0; n < N; ++n) {
      ASSERT_EQ(std::isnan(Y[r * N + n]), std::isnan(y[n]));
      if (!std::isnan(y[n])) {
        ASSERT_EQ(Y[r * N + n], y[n]);
      }
    }
  }
}

TEST(Gemm, ErrorsNameTheParameter) {
  const std::size_t N = 64, K = 8, m = 2;
  const packed_matrix W(N, K, {4, 64});
  std::vector<float> X(m * K, 1.0f), Y(m * N, 5.0f);
  auto expect_error = [&](auto&& call, const char* needle) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const actsparse::error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    for (float v : Y) ASSERT_EQ(v, 5.0f);
  };
  expect_error([&] { gemm(test_arch{}, W, nullptr, m, Y.data()); }, "X is null");
  expect_error([&] { gemm(test_arch{}, W, X.data(), m, nullptr); }, "Y is null");
  expect_error([&] { gemm(test_arch{}, W, X.data(), m, Y.data(), -1.0f); }, "threshold");
  std::vector<float> XY(m * (N + K));
  expect_error([&] { gemm(test_arch{}, W, XY.data(), m, XY.data() + 3); }, "overlaps X");
  const std::vector<std::uint32_t> bad = {9};
  expect_error([&] { gemm_sparse(test_arch{}, W, X.data(), m, bad.data(), 1, Y.data()); }, "idx[0] = 9");
  gemm(test_arch{}, W, X.data(), 0, Y.data());  // m = 0 is nothing to do
}

TEST(Gemm, UnavailableArchIsCorrect) {
  const std::size_t N = 96, K = 20, m = 3;
  const auto w = random_normal(N * K, 10, 0.05f);
  const packed_matrix W = pack(w.data(), N, K, {5, 32});
  const auto X = batch_x(m, K, 0.5, false, 11);
  std::vector<float> Y(m * N), y(N);
  gemm_dense(xsimd::unavailable{}, W, X.data(), m, Y.data());
  for (std::size_t r = 0; r < m; ++r) {
    gemv(xsimd::unavailable{}, W, X.data() + r * K, y.data());
    EXPECT_TRUE(bitwise_equal(Y.data() + r * N, y.data(), N)) << "row " << r;
  }
}
