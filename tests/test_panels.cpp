// tests/test_panels.cpp: panel_matrix (format.hpp) and the gemv and gemm functions on it
// (gemv.hpp, gemm.hpp). The panels hold exactly W's rows, and every product equals the
// packed_matrix one bit for bit (which test_gemv.cpp and test_gemm.cpp check against the
// oracles), for every format, panel count, thread count, path (dense, sparse, gemv; gemm's
// batched and per-row paths) and NaN/Inf input; plus every error path.
#include "test_common.hpp"

#include <cmath>
#include <limits>

using namespace actsparse;
using namespace actsparse_test;

namespace {

// Every path on W and on its panels, compared bit for bit; the packed results also against
// the double-precision oracle, so a wrong pair cannot agree by accident.
void expect_same_products(const packed_matrix& W, std::size_t panels, const std::vector<float>& x, bool finite) {
  const panel_matrix P(W, panels);
  const auto idx = active_list(x);
  const std::size_t N = W.rows();
  std::vector<float> yw(N), yp(N);
  for (int threads : {1, 2, 3, 8}) {
    const gemv_options opt{threads};
    const std::string where = "bits " + std::to_string(W.bits()) + " g" + std::to_string(W.group_size()) + " N " +
                              std::to_string(N) + " panels " + std::to_string(panels) + " threads " +
                              std::to_string(threads);
    gemv_dense(test_arch{}, W, x.data(), yw.data(), opt);
    if (finite && threads == 1) {
      EXPECT_TRUE(near_oracle(yw, dense_oracle(W, x), W.bits(), idx.size())) << where;
    }
    gemv_dense(test_arch{}, P, x.data(), yp.data(), opt);
    EXPECT_TRUE(bitwise_equal(yw.data(), yp.data(), N)) << "dense, " << where;
    gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), yw.data(), opt);
    gemv_sparse(test_arch{}, P, x.data(), idx.data(), idx.size(), yp.data(), opt);
    EXPECT_TRUE(bitwise_equal(yw.data(), yp.data(), N)) << "sparse, " << where;
    gemv(test_arch{}, W, x.data(), yw.data(), 0.0f, opt);
    gemv(test_arch{}, P, x.data(), yp.data(), 0.0f, opt);
    EXPECT_TRUE(bitwise_equal(yw.data(), yp.data(), N)) << "gemv, " << where;
  }
}

// gemm, gemm_dense and gemm_sparse (over the union list) on W and on its panels, bit for
// bit; row 0 of the packed gemm_dense also against the double-precision oracle.
void expect_same_batches(const packed_matrix& W, std::size_t panels, const std::vector<float>& X, std::size_t m,
                         bool finite) {
  const panel_matrix P(W, panels);
  const std::size_t N = W.rows(), K = W.cols();
  std::vector<std::uint32_t> idx(K);
  idx.resize(find_active_union(test_arch{}, X.data(), m, K, 0.0f, idx.data()));
  std::vector<float> Yw(m * N), Yp(m * N);
  for (int threads : {1, 2, 3}) {
    const gemv_options opt{threads};
    const std::string where = "bits " + std::to_string(W.bits()) + " g" + std::to_string(W.group_size()) + " N " +
                              std::to_string(N) + " m " + std::to_string(m) + " panels " + std::to_string(panels) +
                              " threads " + std::to_string(threads);
    gemm_dense(test_arch{}, W, X.data(), m, Yw.data(), opt);
    if (finite && threads == 1) {
      const std::vector<float> x0(X.begin(), X.begin() + static_cast<std::ptrdiff_t>(K)), y0(Yw.begin(), Yw.begin() + static_cast<std::ptrdiff_t>(N));
      EXPECT_TRUE(near_oracle(y0, dense_oracle(W, x0), W.bits(), K)) << where;
    }
    gemm_dense(test_arch{}, P, X.data(), m, Yp.data(), opt);
    EXPECT_TRUE(bitwise_equal(Yw.data(), Yp.data(), m * N)) << "gemm_dense, " << where;
    gemm_sparse(test_arch{}, W, X.data(), m, idx.data(), idx.size(), Yw.data(), opt);
    gemm_sparse(test_arch{}, P, X.data(), m, idx.data(), idx.size(), Yp.data(), opt);
    EXPECT_TRUE(bitwise_equal(Yw.data(), Yp.data(), m * N)) << "gemm_sparse, " << where;
    gemm(test_arch{}, W, X.data(), m, Yw.data(), 0.0f, opt);
    gemm(test_arch{}, P, X.data(), m, Yp.data(), 0.0f, opt);
    EXPECT_TRUE(bitwise_equal(Yw.data(), Yp.data(), m * N)) << "gemm, " << where;
  }
}

}  // namespace

TEST(Panels, HoldExactlyTheRowsOfW) {
  const packed_matrix W = random_matrix(7 * 64, 9, {3, 64}, 1);
  for (std::size_t panels : {1, 2, 3, 7}) {
    const panel_matrix P(W, panels);
    ASSERT_EQ(P.panels(), panels);
    EXPECT_EQ(P.rows(), W.rows());
    EXPECT_EQ(P.cols(), W.cols());
    EXPECT_EQ(P.bits(), 3);
    EXPECT_EQ(P.group_size(), 64);
    std::size_t next = 0, bytes = 0;
    for (std::size_t p = 0; p < panels; ++p) {
      const packed_matrix& B = P.panel(p);
      ASSERT_EQ(P.first_row(p), next) << "panel " << p;
      // As even as whole groups allow: 7 groups over 3 panels are 2, 2, 3 (G p / P bounds).
      const std::size_t groups = 7 * (p + 1) / panels - 7 * p / panels;
      ASSERT_EQ(B.rows(), groups * 64) << "panel " << p;
      for (std::size_t k = 0; k < W.cols(); ++k) {
        for (std::size_t n = 0; n < B.rows(); ++n) ASSERT_EQ(B.code(k, n), W.code(k, next + n)) << k << ", " << n;
        for (std::size_t j = 0; j < B.groups(); ++j) {
          ASSERT_EQ(B.scales(k)[j], W.scales(k)[next / 64 + j]);
          ASSERT_EQ(B.biases(k)[j], W.biases(k)[next / 64 + j]);
        }
      }
      next += B.rows();
      bytes += B.bytes();
    }
    EXPECT_EQ(next, W.rows());
    EXPECT_EQ(P.bytes(), bytes);
  }
}

TEST(Panels, ProductsEqualThePackedMatrixBitwise) {
  std::uint32_t seed = 10;
  for (int bits : kBits)
    for (int g : kGroups)
      for (std::size_t groups : {std::size_t{1}, std::size_t{5}}) {
        const packed_matrix W = random_matrix(groups * static_cast<std::size_t>(g), 23, {bits, g}, ++seed);
        const auto x = sparse_x(23, 0.5, ++seed);
        for (std::size_t panels = 1; panels <= groups; panels += 2) expect_same_products(W, panels, x, true);
      }
}

// Batches: 1 and 3 rows (gemm() runs one gemv per row), 4 and 9 dense rows (its batched
// kernel), every format.
TEST(Panels, BatchesEqualThePackedMatrixBitwise) {
  std::uint32_t seed = 60;
  for (int bits : kBits)
    for (int g : kGroups) {
      const packed_matrix W = random_matrix(5 * static_cast<std::size_t>(g), 19, {bits, g}, ++seed);
      for (std::size_t m : {1, 3, 4, 9}) {
        const auto X = batch_x(m, 19, m >= 4 ? 0.0 : 0.5, false, seed);
        ASSERT_EQ(gemm_takes_batched(W, X.data(), m, 0.0f), m >= 4);
        for (std::size_t panels : {1, 2, 5}) expect_same_batches(W, panels, X, m, true);
      }
    }
}

// Panels longer than the batched kernel's tile (1024 outputs at 4 rows), and NaN / Inf.
TEST(Panels, LargeAndNonFiniteBatches) {
  const packed_matrix W = random_matrix(40 * 64, 7, {4, 64}, 70);
  expect_same_batches(W, 2, batch_x(5, 7, 0.0, false, 71), 5, true);
  auto X = batch_x(4, 7, 0.0, false, 72);
  X[7 + 2] = std::numeric_limits<float>::quiet_NaN();
  X[3 * 7 + 5] = std::numeric_limits<float>::infinity();
  expect_same_batches(W, 3, X, 4, false);
}

// Past one macro-kernel tile per panel, with every input active (gemv takes the dense path).
TEST(Panels, LargePanelsAndDenseInputs) {
  const packed_matrix W = random_matrix(2 * kTileOutputs + 3 * 64, 6, {4, 64}, 30);
  expect_same_products(W, 2, random_normal(6, 31), true);
  expect_same_products(W, 5, sparse_x(6, 0.5, 32), true);
}

// A threshold masks the same inputs on both: few below it (gemv's dense path, which masks in
// the kernel) and most below it (the sparse path).
TEST(Panels, ThresholdsMaskTheSameInputs) {
  const packed_matrix W = random_matrix(6 * 64, 40, {4, 64}, 35);
  auto x = random_normal(40, 36);
  x[3] = 0.01f;  // below the lower threshold too
  x[17] = -0.02f;
  std::vector<float> yw(W.rows()), yp(W.rows()), y0(W.rows());
  const panel_matrix P(W, 3);
  gemv(test_arch{}, W, x.data(), y0.data(), 0.0f);
  gemv(test_arch{}, W, x.data(), yw.data(), 0.05f);
  ASSERT_FALSE(bitwise_equal(y0.data(), yw.data(), W.rows())) << "the threshold masked nothing";
  for (float t : {0.05f, 0.8f})
    for (int threads : {1, 3}) {
      gemv(test_arch{}, W, x.data(), yw.data(), t, {threads});
      gemv(test_arch{}, P, x.data(), yp.data(), t, {threads});
      EXPECT_TRUE(bitwise_equal(yw.data(), yp.data(), W.rows())) << "threshold " << t << ", threads " << threads;
    }
}

// NaN and Inf reach the same outputs, as the same bits.
TEST(Panels, NonFiniteInputsPropagateAsInThePackedMatrix) {
  const packed_matrix W = random_matrix(4 * 64, 12, {4, 64}, 40);
  auto x = sparse_x(12, 0.3, 41);
  x[2] = std::numeric_limits<float>::quiet_NaN();
  x[7] = -std::numeric_limits<float>::infinity();
  expect_same_products(W, 3, x, false);
  std::vector<float> y(W.rows());
  gemv(test_arch{}, panel_matrix(W, 2), x.data(), y.data());
  for (float v : y) EXPECT_TRUE(std::isnan(v));
}

TEST(Panels, BadInputGetsAClearErrorAndLeavesYAlone) {
  const packed_matrix W = random_matrix(3 * 32, 8, {4, 32}, 50);
  auto expect_error = [](auto&& call, const char* needle) {
    try {
      call();
      ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const actsparse::error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([&] { panel_matrix(W, 0); }, "panels = 0 is out of range; legal values are 1 to W.groups() = 3");
  expect_error([&] { panel_matrix(W, 4); }, "panels = 4");
  expect_error([&] { panel_matrix(packed_matrix{}, 1); }, "W is empty");
  expect_error([&] { panel_matrix(W, 2).panel(2); }, "p = 2 is out of range; legal values are 0 to 1");
  expect_error([&] { panel_matrix(W, 3).first_row(7); }, "p = 7 is out of range; legal values are 0 to 2");
  expect_error([&] { panel_matrix{}.panel(0); }, "the matrix is empty");

  const panel_matrix P(W, 2);
  const auto x = random_normal(8, 51);
  std::vector<float> y(W.rows(), 42.0f);
  auto expect_untouched = [&](auto&& call, const char* needle) {
    expect_error(call, needle);
    for (float v : y) ASSERT_EQ(v, 42.0f) << "y was written before the error";
  };
  const std::vector<std::uint32_t> bad_idx = {1, 8};
  expect_untouched([&] { gemv_sparse(test_arch{}, P, x.data(), bad_idx.data(), 2, y.data()); }, "idx[1] = 8");
  expect_untouched([&] { gemv_sparse(test_arch{}, P, x.data(), nullptr, 2, y.data()); }, "idx is null");
  expect_untouched([&] { gemv_dense(test_arch{}, P, nullptr, y.data()); }, "x is null");
  expect_untouched([&] { gemv_dense(test_arch{}, P, x.data(), y.data(), {-1}); }, "options.threads = -1");
  expect_untouched([&] { gemv(test_arch{}, P, x.data(), y.data(), -2.0f); }, "threshold = -2");
  expect_untouched([&] { gemv_dense(test_arch{}, panel_matrix{}, x.data(), y.data()); }, "W is empty");
  expect_error([&] { gemv_dense(test_arch{}, P, x.data(), nullptr); }, "y is null");
  std::vector<float> xy(W.rows() + 8, 1.0f);
  expect_error([&] { gemv_dense(test_arch{}, P, xy.data(), xy.data() + 7); }, "overlaps x");

  // gemm on panels: the same checks, Y (2 rows) untouched.
  const std::size_t m = 2;
  const auto X = random_normal(m * 8, 52);
  y.assign(m * W.rows(), 42.0f);
  expect_untouched([&] { gemm_sparse(test_arch{}, P, X.data(), m, bad_idx.data(), 2, y.data()); }, "idx[1] = 8");
  expect_untouched([&] { gemm_dense(test_arch{}, P, nullptr, m, y.data()); }, "X is null");
  expect_untouched([&] { gemm(test_arch{}, P, X.data(), m, y.data(), -1.0f); }, "threshold = -1");
  expect_untouched([&] { gemm(test_arch{}, P, X.data(), m, y.data(), 0.0f, {-3}); }, "options.threads = -3");
  expect_untouched([&] { gemm_dense(test_arch{}, panel_matrix{}, X.data(), m, y.data()); }, "W is empty");
  expect_error([&] { gemm(test_arch{}, P, X.data(), m, nullptr); }, "Y is null");
  std::vector<float> XY(m * (W.rows() + 8), 1.0f);
  expect_error([&] { gemm_dense(test_arch{}, P, XY.data(), m, XY.data() + 3); }, "overlaps X");
  gemm(test_arch{}, P, X.data(), 0, y.data());  // m = 0 is nothing to do
  for (float v : y) ASSERT_EQ(v, 42.0f);
}
