// tests/test_int8.cpp: the int8 precision mode (gemv_options::precision, kernel/int8.hpp).
// Every entry point equals the mode's scalar twin bit for bit (dense, sparse, with a
// threshold, gemm rows, panels, 1 to 3 threads, row ranges, accumulate), and the twin's
// results lie within the mode's rounding bound of a double-precision product, computed
// here independently from the definition. Plus non-finite activations and the errors.
#include "test_common.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

using namespace actsparse;
using namespace actsparse_test;

namespace {

constexpr std::size_t kK = 200;  // dense: 6 blocks of 32 inputs and a partial one

gemv_options int8_options(int threads = 0) {
  gemv_options o;
  o.precision = precision::int8;
  o.threads = threads;
  return o;
}

// The twin on x with inputs |x| <= keep_above left out (dense list).
std::vector<float> int8_twin(const packed_matrix& W, const std::vector<float>& x, float keep_above) {
  std::vector<float> y(W.rows());
  detail::gemv_int8_ref_impl(W, x.data(), nullptr, W.cols(), keep_above, true, y.data(), {});
  return y;
}

std::string fmt(const packed_matrix& W) {
  return "bits " + std::to_string(W.bits()) + " g" + std::to_string(W.group_size()) + " N " +
         std::to_string(W.rows());
}

// The int8 mode's rounding bound, from its definition: each a_kj is replaced by a8 * d with
// |a8 * d - a_kj| <= d / 2 (d = amax / 127 of its block and group; a block is 32 nonzero
// inputs in a row, zeros skipped), and the sum multiplies it by q - c; plus the fp32
// accumulation's own bound (test_common.hpp) with a margin for the rounding of d and a * inv.
std::vector<double> int8_bound(const packed_matrix& W, const std::vector<float>& x) {
  const std::size_t N = W.rows(), g = static_cast<std::size_t>(W.group_size());
  const double c = std::ldexp(1.0, W.bits() - 1);
  std::vector<std::size_t> nonzero;
  for (std::size_t k = 0; k < x.size(); ++k)
    if (x[k] != 0.0f) nonzero.push_back(k);
  std::vector<double> bound(N, 0.0);
  for (std::size_t b0 = 0; b0 < nonzero.size(); b0 += 32) {
    const std::size_t b1 = std::min(nonzero.size(), b0 + 32);
    for (std::size_t j = 0; j < W.groups(); ++j) {
      double amax = 0.0;
      for (std::size_t u = b0; u < b1; ++u)
        amax = std::max(amax, std::abs(static_cast<double>(x[nonzero[u]]) * half_to_float(W.scales(nonzero[u])[j])));
      const double half_step = amax / 127.0 / 2.0 * 1.001;
      for (std::size_t n = j * g; n < (j + 1) * g; ++n)
        for (std::size_t u = b0; u < b1; ++u) bound[n] += half_step * std::abs(W.code(nonzero[u], n) - c);
    }
  }
  return bound;
}

template <class F>
void for_formats(F&& f) {
  std::uint32_t seed = 500;
  for (int bits : kBits)
    for (int group : kGroups) {
      // 5 groups: a 4-bit tile is 2 or more chunks of 128 outputs with a partial last one.
      const std::size_t N = 5 * static_cast<std::size_t>(group);
      seed += 10;
      f(random_matrix(N, kK, {bits, group}, seed), seed);
    }
}

}  // namespace

// gemv_dense, gemv_sparse and gemv (threshold) on 1, 2 and 3 threads: the twin, bit for bit.
TEST(Int8, EveryGemvEqualsTheScalarTwin) {
  for_formats([](const packed_matrix& W, std::uint32_t seed) {
    for (double sparsity : {0.0, 0.5, 0.9}) {
      const auto x = sparse_x(kK, sparsity, seed + 1);
      const auto idx = active_list(x);
      const auto ref_dense = int8_twin(W, x, -std::numeric_limits<float>::infinity());
      const auto ref_sparse = int8_twin(W, x, 0.0f);
      const auto ref_thr = int8_twin(W, x, 0.25f);
      for (int threads : {1, 2, 3}) {
        const std::string at = fmt(W) + " sparsity " + std::to_string(sparsity) + " threads " + std::to_string(threads);
        std::vector<float> y(W.rows());
        gemv_dense(test_arch{}, W, x.data(), y.data(), int8_options(threads));
        EXPECT_TRUE(bitwise_equal(y.data(), ref_dense.data(), y.size())) << "gemv_dense " << at;
        gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data(), int8_options(threads));
        EXPECT_TRUE(bitwise_equal(y.data(), ref_sparse.data(), y.size())) << "gemv_sparse " << at;
        gemv(test_arch{}, W, x.data(), y.data(), 0.25f, int8_options(threads));
        EXPECT_TRUE(bitwise_equal(y.data(), ref_thr.data(), y.size())) << "gemv " << at;
      }
      // Zeros contribute nothing: the dense call equals the sparse one (finite weights).
      EXPECT_TRUE(bitwise_equal(ref_dense.data(), ref_sparse.data(), ref_dense.size())) << fmt(W);
    }
  });
}

// Blocks count nonzero inputs (kernel/int8.hpp): a sparse call on x equals the dense call
// on W's nonzero columns alone, where blocks are plain runs of 32 columns. With blocks over
// fixed ranges of k the two would quantize different sets together.
TEST(Int8, ZerosTakeNoPlaceInABlock) {
  for_formats([](const packed_matrix& W, std::uint32_t seed) {
    for (double sparsity : {0.3, 0.9}) {
      const auto x = sparse_x(kK, sparsity, seed + 7);
      const auto idx = active_list(x);
      packed_matrix Wc(W.rows(), idx.size(), {W.bits(), W.group_size()});
      std::vector<float> xc;
      for (std::size_t u = 0; u < idx.size(); ++u) {
        std::memcpy(Wc.strip(u), W.strip(idx[u]), W.strip_bytes());
        xc.push_back(x[idx[u]]);
      }
      std::vector<float> y(W.rows()), yc(W.rows());
      gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data(), int8_options(2));
      gemv_dense(test_arch{}, Wc, xc.data(), yc.data(), int8_options(2));
      EXPECT_TRUE(bitwise_equal(y.data(), yc.data(), y.size())) << fmt(W) << " sparsity " << sparsity;
    }
  });
}

// The twin against a double-precision product of the same quantized weights: within the
// bound the definition gives, and not exact (the activations really are rounded).
TEST(Int8, WithinItsRoundingBoundOfTheDoublePrecisionProduct) {
  for_formats([](const packed_matrix& W, std::uint32_t seed) {
    const auto x = sparse_x(kK, 0.5, seed + 2);
    const auto y = int8_twin(W, x, 0.0f);
    const auto o = dense_oracle(W, x);
    const auto bound = int8_bound(W, x);
    const std::size_t terms = active_list(x).size();
    double worst = 0.0, total_err = 0.0;
    for (std::size_t n = 0; n < W.rows(); ++n) {
      const double err = std::abs(static_cast<double>(y[n]) - o.y[n]);
      const double tol = bound[n] + tolerance(W.bits(), terms + 8, o.magnitude[n]);
      EXPECT_LE(err, tol) << fmt(W) << " y[" << n << "] = " << y[n] << ", oracle " << o.y[n];
      worst = std::max(worst, err / tol);
      total_err += err;
    }
    EXPECT_GT(total_err, 0.0) << fmt(W) << ": no rounding at all is not the int8 mode";
    // The bound is a worst case; typical errors sit well inside it.
    EXPECT_LT(worst, 0.5) << fmt(W);
  });
}

// Rows of gemm_dense, gemm_sparse (a union list) and gemm are the int8 gemv of each row.
TEST(Int8, BatchRowsEqualTheirGemv) {
  constexpr std::size_t kM = 3;
  for_formats([](const packed_matrix& W, std::uint32_t seed) {
    const auto X = batch_x(kM, kK, 0.5, true, seed + 3);
    std::vector<std::uint32_t> uidx(kK);
    uidx.resize(find_active_union(test_arch{}, X.data(), kM, kK, 0.0f, uidx.data()));
    std::vector<float> Yd(kM * W.rows()), Ys(kM * W.rows()), Yt(kM * W.rows());
    gemm_dense(test_arch{}, W, X.data(), kM, Yd.data(), int8_options());
    gemm_sparse(test_arch{}, W, X.data(), kM, uidx.data(), uidx.size(), Ys.data(), int8_options());
    gemm(test_arch{}, W, X.data(), kM, Yt.data(), 0.25f, int8_options());
    for (std::size_t r = 0; r < kM; ++r) {
      const std::vector<float> x(X.begin() + static_cast<std::ptrdiff_t>(r * kK),
                                 X.begin() + static_cast<std::ptrdiff_t>((r + 1) * kK));
      const auto d = int8_twin(W, x, -std::numeric_limits<float>::infinity());
      const auto s = int8_twin(W, x, 0.0f);
      const auto t = int8_twin(W, x, 0.25f);
      EXPECT_TRUE(bitwise_equal(Yd.data() + r * W.rows(), d.data(), W.rows())) << "gemm_dense " << fmt(W) << " row " << r;
      EXPECT_TRUE(bitwise_equal(Ys.data() + r * W.rows(), s.data(), W.rows())) << "gemm_sparse " << fmt(W) << " row " << r;
      EXPECT_TRUE(bitwise_equal(Yt.data() + r * W.rows(), t.data(), W.rows())) << "gemm " << fmt(W) << " row " << r;
    }
  });
}

// Panels, row ranges and accumulate: the whole call's values.
TEST(Int8, PanelsRowRangesAndAccumulateGiveTheWholeCallsValues) {
  for_formats([](const packed_matrix& W, std::uint32_t seed) {
    const auto x = sparse_x(kK, 0.5, seed + 4);
    const auto idx = active_list(x);
    const auto ref = int8_twin(W, x, 0.0f);
    const panel_matrix P(W, 3);
    std::vector<float> y(W.rows());
    gemv_sparse(test_arch{}, P, x.data(), idx.data(), idx.size(), y.data(), int8_options(2));
    EXPECT_TRUE(bitwise_equal(y.data(), ref.data(), y.size())) << "panels " << fmt(W);
    const std::size_t g = static_cast<std::size_t>(W.group_size());
    std::vector<float> part(W.rows(), 0.0f);
    for (std::size_t b = 0; b < W.rows(); b += 2 * g) {
      gemv_options o = int8_options(1);
      o.row_begin = b;
      o.row_end = std::min(W.rows(), b + 2 * g);
      gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), part.data(), o);
    }
    EXPECT_TRUE(bitwise_equal(part.data(), ref.data(), ref.size())) << "row ranges " << fmt(W);
    const auto y0 = random_normal(W.rows(), seed + 5);
    std::vector<float> acc = y0, expect(W.rows());
    gemv_options o = int8_options();
    o.accumulate = true;
    gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), acc.data(), o);
    for (std::size_t n = 0; n < W.rows(); ++n) expect[n] = y0[n] + ref[n];
    EXPECT_TRUE(bitwise_equal(acc.data(), expect.data(), acc.size())) << "accumulate " << fmt(W);
  });
}

// x = +-Inf or NaN: the same outputs are NaN, and the same are Inf of the same sign, as in
// the exact mode's dense product; and the kernels still equal the twin.
TEST(Int8, NonFiniteActivationsPropagateAsInADenseProduct) {
  for_formats([](const packed_matrix& W, std::uint32_t seed) {
    for (float bad : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN()}) {
      auto x = sparse_x(kK, 0.5, seed + 6);
      x[37] = bad;
      const auto ref = int8_twin(W, x, 0.0f);
      std::vector<float> y(W.rows()), exact(W.rows());
      const auto idx = active_list(x);
      gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data(), int8_options(2));
      gemv_dense(test_arch{}, W, x.data(), exact.data());
      for (std::size_t n = 0; n < W.rows(); ++n) {
        ASSERT_EQ(std::memcmp(&y[n], &ref[n], sizeof(float)), 0) << fmt(W) << " x = " << bad << " y[" << n << "]";
        EXPECT_EQ(std::isnan(y[n]), std::isnan(exact[n])) << fmt(W) << " x = " << bad << " y[" << n << "]";
        if (std::isinf(exact[n])) {
          EXPECT_EQ(y[n], exact[n]) << fmt(W) << " x = " << bad << " y[" << n << "]";
        }
      }
    }
  });
}

// Huge finite activations: x * scale, or the bias sums, overflow to +-Inf, and the pairs
// whose a_kj overflowed go to the unfolded terms. Every kernel gives the twin's outputs bit
// for bit, in builds with FMA and without (the dispatching library's tables run the twin
// compiled without it: a contracted unfolded term once gave Inf there where it gave NaN).
TEST(Int8, HugeFiniteActivationsEqualTheScalarTwin) {
  for_formats([](const packed_matrix& small, std::uint32_t seed) {
    // Weights of standard deviation 50: scales well above 1, so x * scale overflows.
    const auto w = random_normal(small.rows() * kK, seed, 50.0f);
    const packed_matrix W = actsparse::pack(w.data(), small.rows(), kK, {small.bits(), small.group_size()});
    for (float big : {FLT_MAX, -FLT_MAX, 3e36f}) {
      auto x = sparse_x(kK, 0.5, seed + 8);
      x[37] = big;
      x[70] = -big / 2;
      const auto idx = active_list(x);
      const auto ref = int8_twin(W, x, 0.0f);
      const auto ref_dense = int8_twin(W, x, -std::numeric_limits<float>::infinity());
      for (int threads : {1, 2}) {
        std::vector<float> y(W.rows());
        gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data(), int8_options(threads));
        EXPECT_TRUE(bitwise_equal(y.data(), ref.data(), y.size())) << fmt(W) << " x[37] = " << big;
        gemv_dense(test_arch{}, W, x.data(), y.data(), int8_options(threads));
        EXPECT_TRUE(bitwise_equal(y.data(), ref_dense.data(), y.size())) << fmt(W) << " dense, x[37] = " << big;
      }
    }
  });
}

// A precision that is not one, and an index list that is not strictly ascending: refused
// with the field named, y untouched.
TEST(Int8, BadPrecisionAndUnsortedListsAreRefused) {
  const packed_matrix W = random_matrix(128, 64, {4, 64}, 9);
  const auto x = sparse_x(64, 0.5, 10);
  auto idx = active_list(x);
  ASSERT_GE(idx.size(), 3u);
  std::vector<float> y(128, 1.5f);
  gemv_options o;
  o.precision = static_cast<precision>(7);
  try {
    gemv_dense(test_arch{}, W, x.data(), y.data(), o);
    ADD_FAILURE() << "precision 7 accepted";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("options.precision = 7"), std::string::npos) << e.what();
  }
  std::swap(idx[1], idx[2]);
  try {
    gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data(), int8_options());
    ADD_FAILURE() << "an unsorted list accepted";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("strictly ascending"), std::string::npos) << e.what();
  }
  for (float v : y) EXPECT_EQ(v, 1.5f);
  // The exact mode still takes any order.
  EXPECT_NO_THROW(gemv_sparse(test_arch{}, W, x.data(), idx.data(), idx.size(), y.data()));
}
