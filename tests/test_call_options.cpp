// tests/test_call_options.cpp: the gemv_options fields for a runtime's own code
// (threading.hpp): accumulate, row_begin/row_end, index, and the fp16/bf16-activation entry
// points with x_f32. Each is checked bit for bit against the plain call it is defined by
// (which test_gemv.cpp and test_gemm.cpp check against the double-precision oracle; the
// plain results here are checked against it too), on packed and panel matrices, 1 and 2
// threads; plus every error path.
#include "test_common.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

using namespace actsparse;
using namespace actsparse_test;

namespace {

constexpr std::size_t kN = 384, kK = 200;  // 3 groups of 128: 3 panels in every format
constexpr std::size_t kM = 3;  // gemm rows

// NaN with a payload no kernel produces: marks outputs a call must not touch.
float sentinel() {
  std::uint32_t u = 0x7fc0beefu;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

struct fixture {
  packed_matrix W;
  panel_matrix P;
  std::vector<float> x, X;
  std::vector<std::uint32_t> idx, uidx;
  fixture(int bits, int group, std::uint32_t seed)
      : W(random_matrix(kN, kK, {bits, group}, seed)),
        P(W, 3),
        x(sparse_x(kK, 0.5, seed + 1)),
        X(batch_x(kM, kK, 0.5, false, seed + 2)),
        idx(active_list(x)),
        uidx(kK) {
    uidx.resize(find_active_union(test_arch{}, X.data(), kM, kK, 0.0f, uidx.data()));
  }
};

// Every gemv/gemm entry point on W (packed or panels) with options o into y (kN or kM x kN).
enum class op { dense, sparse, gemv, gemm_dense, gemm_sparse, gemm };
const op kOps[] = {op::dense, op::sparse, op::gemv, op::gemm_dense, op::gemm_sparse, op::gemm};
const char* name(op o) {
  const char* names[] = {"gemv_dense", "gemv_sparse", "gemv", "gemm_dense", "gemm_sparse", "gemm"};
  return names[static_cast<int>(o)];
}
std::size_t out_size(op o) { return o >= op::gemm_dense ? kM * kN : kN; }

template <class Matrix>
void call(op o, const Matrix& W, const fixture& f, std::vector<float>& y, const gemv_options& opt) {
  switch (o) {
    case op::dense: gemv_dense(test_arch{}, W, f.x.data(), y.data(), opt); break;
    case op::sparse: gemv_sparse(test_arch{}, W, f.x.data(), f.idx.data(), f.idx.size(), y.data(), opt); break;
    case op::gemv: gemv(test_arch{}, W, f.x.data(), y.data(), 0.25f, opt); break;
    case op::gemm_dense: gemm_dense(test_arch{}, W, f.X.data(), kM, y.data(), opt); break;
    case op::gemm_sparse:
      gemm_sparse(test_arch{}, W, f.X.data(), kM, f.uidx.data(), f.uidx.size(), y.data(), opt);
      break;
    case op::gemm: gemm(test_arch{}, W, f.X.data(), kM, y.data(), 0.25f, opt); break;
  }
}

std::string where(op o, const packed_matrix& W, bool panels, int threads) {
  return std::string(name(o)) + " bits " + std::to_string(W.bits()) + " g" + std::to_string(W.group_size()) +
         (panels ? " panels" : "") + " threads " + std::to_string(threads);
}

template <class F>
void for_formats(F&& f) {
  std::uint32_t seed = 100;
  for (int bits : {3, 4, 8})
    for (int group : {32, 128}) f(fixture(bits, group, seed += 10));
}

}  // namespace

// accumulate: y0 + (W x), each output rounded once: bitwise the plain call's y added to y0.
TEST(CallOptions, AccumulateAddsTheProductToY) {
  for_formats([](const fixture& f) {
    const auto y0 = random_normal(kM * kN, 7);
    // The plain dense product against the double-precision oracle, so the base is right.
    std::vector<float> plain(kN);
    gemv_dense(test_arch{}, f.W, f.x.data(), plain.data());
    EXPECT_TRUE(near_oracle(plain, dense_oracle(f.W, f.x), f.W.bits(), f.idx.size()));
    for (op o : kOps)
      for (bool panels : {false, true})
        for (int threads : {1, 2}) {
          const std::size_t n = out_size(o);
          std::vector<float> base(n), y(y0.begin(), y0.begin() + static_cast<std::ptrdiff_t>(n));
          gemv_options opt;
          opt.threads = threads;
          panels ? call(o, f.P, f, base, opt) : call(o, f.W, f, base, opt);
          opt.accumulate = true;
          panels ? call(o, f.P, f, y, opt) : call(o, f.W, f, y, opt);
          for (std::size_t i = 0; i < n; ++i) base[i] = y0[i] + base[i];
          EXPECT_TRUE(bitwise_equal(y.data(), base.data(), n)) << where(o, f.W, panels, threads);
        }
  });
}

// row_begin, row_end: each range writes exactly its outputs, with the whole call's values;
// ranges that tile the outputs give the whole y (with and without accumulate).
TEST(CallOptions, RowRangesWriteOnlyTheirOutputsWithTheWholeCallsValues) {
  for_formats([](const fixture& f) {
    const std::size_t g = static_cast<std::size_t>(f.W.group_size());
    // Cuts at group boundaries, uneven, the last one given as 0 (to the end).
    const std::vector<std::size_t> cuts = {0, g, kN - g, kN};
    for (op o : kOps)
      for (bool panels : {false, true})
        for (int threads : {1, 2})
          for (bool acc : {false, true}) {
            const std::size_t n = out_size(o);
            gemv_options opt;
            opt.threads = threads;
            opt.accumulate = acc;
            const auto y0 = random_normal(n, 9);
            std::vector<float> whole(y0), pieces(y0);
            panels ? call(o, f.P, f, whole, opt) : call(o, f.W, f, whole, opt);
            for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
              opt.row_begin = cuts[c];
              opt.row_end = cuts[c + 1] == kN ? 0 : cuts[c + 1];
              std::vector<float> alone(n, sentinel());
              if (acc) alone = y0;
              panels ? call(o, f.P, f, alone, opt) : call(o, f.W, f, alone, opt);
              panels ? call(o, f.P, f, pieces, opt) : call(o, f.W, f, pieces, opt);
              for (std::size_t i = 0; i < n; ++i) {
                const std::size_t row = i % kN;
                const bool inside = row >= cuts[c] && row < cuts[c + 1];
                const float want = inside ? whole[i] : acc ? y0[i] : sentinel();
                ASSERT_TRUE(bitwise_equal(&alone[i], &want, 1))
                    << where(o, f.W, panels, threads) << " accumulate " << acc << " range [" << cuts[c] << ", "
                    << cuts[c + 1] << ") output " << i;
              }
            }
            EXPECT_TRUE(bitwise_equal(pieces.data(), whole.data(), n))
                << where(o, f.W, panels, threads) << " accumulate " << acc;
          }
  });
}

// index: gemv and gemm with a threshold list the active inputs in the caller's buffer and
// give the same y as with a buffer of their own.
TEST(CallOptions, IndexBufferHoldsTheActiveListAndChangesNothing) {
  for_formats([](const fixture& f) {
    for (bool panels : {false, true}) {
      std::vector<float> own(kN), given(kN);
      std::vector<std::uint32_t> index(kK, 0xffffffffu);
      gemv_options opt;
      panels ? gemv(test_arch{}, f.P, f.x.data(), own.data(), 0.0f, opt)
             : gemv(test_arch{}, f.W, f.x.data(), own.data(), 0.0f, opt);
      opt.index = index.data();
      panels ? gemv(test_arch{}, f.P, f.x.data(), given.data(), 0.0f, opt)
             : gemv(test_arch{}, f.W, f.x.data(), given.data(), 0.0f, opt);
      EXPECT_TRUE(bitwise_equal(own.data(), given.data(), kN));
      const std::vector<std::uint32_t> listed(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(f.idx.size()));
      EXPECT_EQ(listed, f.idx);
      std::vector<float> Yown(kM * kN), Ygiven(kM * kN);
      opt.index = nullptr;
      gemm(test_arch{}, f.W, f.X.data(), kM, Yown.data(), 0.1f, opt);
      opt.index = index.data();
      gemm(test_arch{}, f.W, f.X.data(), kM, Ygiven.data(), 0.1f, opt);
      EXPECT_TRUE(bitwise_equal(Yown.data(), Ygiven.data(), kM * kN));
    }
  });
}

#if !defined(ACTSPARSE_TEST_DISPATCH)
// fp16 and bf16 activations: x made of values both types hold exactly, so the converted x is
// the fp32 x and every entry point must give the fp32 call's y bit for bit, with and without
// a caller's x_f32.
TEST(CallOptions, HalfActivationsGiveTheFp32Result) {
  for_formats([](const fixture& f) {
    std::vector<float> x(kK);
    std::vector<std::uint16_t> h(kK), b(kK);
    for (std::size_t k = 0; k < kK; ++k) {
      // Multiples of 1/64 in [-2, 2] with at most 8 significant bits: exact in fp16 and bf16.
      x[k] = f.x[k] == 0.0f ? 0.0f : std::round(std::fmax(-2.0f, std::fmin(2.0f, f.x[k])) * 64.0f) / 64.0f;
      h[k] = float_to_half(x[k]);
      b[k] = static_cast<std::uint16_t>(float_bits(x[k]) >> 16);
      ASSERT_EQ(half_to_float(h[k]), x[k]);
      ASSERT_EQ(bf16_to_float(b[k]), x[k]);
    }
    const auto idx = active_list(x);
    std::vector<float> want(kN), got(kN), scratch(kK);
    for (bool use_scratch : {false, true}) {
      gemv_options opt;
      opt.x_f32 = use_scratch ? scratch.data() : nullptr;
      for (element_type t : {element_type::f16, element_type::bf16}) {
        const void* xv = t == element_type::f16 ? static_cast<const void*>(h.data()) : b.data();
        gemv_dense(test_arch{}, f.W, x.data(), want.data());
        gemv_dense(test_arch{}, f.W, xv, t, got.data(), opt);
        EXPECT_TRUE(bitwise_equal(want.data(), got.data(), kN)) << "dense";
        gemv_sparse(test_arch{}, f.W, x.data(), idx.data(), idx.size(), want.data());
        gemv_sparse(test_arch{}, f.P, xv, t, idx.data(), idx.size(), got.data(), opt);
        EXPECT_TRUE(bitwise_equal(want.data(), got.data(), kN)) << "sparse";
        gemv(test_arch{}, f.W, x.data(), want.data(), 0.1f);
        gemv(test_arch{}, f.W, xv, t, got.data(), 0.1f, opt);
        EXPECT_TRUE(bitwise_equal(want.data(), got.data(), kN)) << "gemv";
      }
      gemv(test_arch{}, f.W, static_cast<const void*>(x.data()), element_type::f32, got.data(), 0.1f, opt);
      EXPECT_TRUE(bitwise_equal(want.data(), got.data(), kN)) << "gemv f32";
    }
  });
}
#endif

// Bad options: an error naming the field and the legal values, y untouched.
TEST(CallOptions, BadOptionsNameTheFieldAndLeaveYUntouched) {
  const fixture f(4, 64, 300);
  std::vector<float> y(kN, 42.0f);
  auto expect_error = [&](const gemv_options& opt, const char* needle, bool gemv_only = false) {
    for (op o : {op::dense, op::sparse, op::gemv}) {
      if (gemv_only && o != op::gemv) continue;
      try {
        call(o, f.W, f, y, opt);
        ADD_FAILURE() << name(o) << ": no error; expected one mentioning '" << needle << "'";
      } catch (const actsparse::error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      }
      for (float v : y) ASSERT_EQ(v, 42.0f) << name(o) << ": y was written before the error";
    }
  };
  gemv_options opt;
  opt.row_begin = 32;
  expect_error(opt, "must be multiples of the group size 64");
  opt.row_begin = 0;
  opt.row_end = kN + 64;
  expect_error(opt, "options.row_end = 448 is past W.rows() = 384");
  opt.row_begin = 192;
  opt.row_end = 128;
  expect_error(opt, "options.row_begin = 192 is past options.row_end = 128");
  opt = {};
  std::vector<float> xy(kK + kN);
  std::copy(f.x.begin(), f.x.end(), xy.begin());
  opt.index = reinterpret_cast<std::uint32_t*>(y.data());
  expect_error(opt, "options.index (room for 200 entries) overlaps the output", true);
#if !defined(ACTSPARSE_TEST_DISPATCH)
  opt = {};
  std::vector<std::uint16_t> h(kK, 0);
  try {
    gemv(test_arch{}, f.W, h.data(), static_cast<element_type>(7), y.data(), 0.0f, opt);
    ADD_FAILURE() << "no error for x_type 7";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("x_type = 7 is not an activation type (legal: f32, f16, bf16)"),
              std::string::npos)
        << e.what();
  }
  for (float v : y) ASSERT_EQ(v, 42.0f);
#endif
}
