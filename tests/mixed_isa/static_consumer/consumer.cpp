// tests/mixed_isa/static_consumer/consumer.cpp: a program that links the static dispatching
// library (ACTSPARSE_DISPATCH_SHARED=OFF) and includes the headers itself; built twice, with
// the AVX2 flags (consumer_native) and the baseline flags (consumer_base, which also runs
// under qemu-x86_64 -cpu Nehalem).
//
// Guards against the static library and a program built with other -m flags sharing code:
// without a version script, the program's objects and the library's are one link, so any
// inline function both define under one name is kept once, perhaps the program's AVX copy
// for the library's scalar or SSE4.2 path (a SIGILL on a CPU without AVX, or FMA rounding
// where the SSE4.2 kernels round each product). The checks, for each instruction set in turn
// (forced with dispatch::force, or the one ACTSPARSE_ISA names):
//   - find_active / find_active_union equal the program's header-only lists;
//   - every entry point (gemv_dense, gemv_sparse, gemv with threshold 0 and 0.5, gemm_dense,
//     gemm_sparse, gemm) on a packed_matrix and on its panels equals, bit for bit, the scalar
//     twin run with that instruction set's rounding (dispatch.hpp: fused products on scalar
//     and AVX2, rounded products on SSE4.2), and gemv_dense meets a double-precision oracle;
//   - scalar equals the program's own header-only scalar kernels, and the instruction set the
//     program's flags select (AVX2 for consumer_native) equals the program's own kernels;
//   - a view with bits = 7 is refused with actsparse::error naming the legal values;
//   - an instruction set this CPU lacks is refused by force() with unsupported_isa.
// --expect NAME: the automatic choice (dispatch::best) must be NAME (the qemu runs).
#include <actsparse/actsparse.hpp>
#include <actsparse/dispatch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "test_data.hpp"  // tests/mixed_isa/

namespace {

namespace as = actsparse;
namespace dsp = actsparse::dispatch;
using native = as::simd::native_arch;

// The arch each table of the library is built for (kernels/isa_kernels.cpp); its rounding is
// that of the kernels the table runs.
template <class F>
auto with_arch(dsp::isa i, F&& f) {
  switch (i) {
    case dsp::isa::sse42: return f(xsimd::sse4_2{});
    case dsp::isa::avx2: return f(xsimd::fma3<xsimd::avx2>{});
    case dsp::isa::avx512: return f(xsimd::avx512bw{});
    default: return f(xsimd::unavailable{});
  }
}

// The scalar twin with instruction set i's rounding; dense over all inputs above
// `keep_above` when idx is null, else over the listed ones.
std::vector<float> twin(dsp::isa i, const as::packed_matrix& W, const float* x, const std::uint32_t* idx,
                        std::size_t nnz, float keep_above) {
  std::vector<float> y(W.rows());
  with_arch(i, [&](auto arch) {
    using A = decltype(arch);
    const bool fused_bias = std::is_same<A, xsimd::unavailable>::value || as::simd::kArchFma<A>;
    as::detail::gemv_ref_impl(W, x, idx, idx ? nnz : W.cols(), keep_above, idx == nullptr, y.data(),
                              as::simd::fused_products<A>(W.bits(), W.group_size()), fused_bias);
    return 0;
  });
  return y;
}

// gemv_dense against the double-precision product of the packed weights (tests/test_common.hpp).
bool near_oracle(const as::packed_matrix& W, const float* x, const float* y) {
  const std::size_t N = W.rows(), K = W.cols(), g = static_cast<std::size_t>(W.group_size());
  std::vector<double> ref(N, 0.0), mag(N, 0.0);
  std::size_t terms = 0;
  for (std::size_t k = 0; k < K; ++k) {
    if (x[k] == 0.0f) continue;
    ++terms;
    for (std::size_t n = 0; n < N; ++n) {
      const double s = as::half_to_float(W.scales(k)[n / g]), b = as::half_to_float(W.biases(k)[n / g]);
      const double q = W.code(k, n);
      ref[n] += static_cast<double>(x[k]) * (s * q + b);
      mag[n] += std::fabs(static_cast<double>(x[k])) * (std::fabs(s * q) + std::fabs(b));
    }
  }
  for (std::size_t n = 0; n < N; ++n)
    if (!(std::fabs(y[n] - ref[n]) <=
          std::numeric_limits<float>::epsilon() * static_cast<double>(terms + 4) * mag[n] + 1e-45))
      return false;
  return true;
}

constexpr as::quant_config kFormats[] = {{2, 32}, {3, 64}, {4, 64}, {4, 128}, {5, 128}, {6, 32}, {8, 64}};
constexpr std::size_t N = 256, K = 77, M = 5;
constexpr float kThreshold = 0.5f;

// Every entry point of the library on one format, instruction set i active.
void check_format(dsp::isa i, as::quant_config cfg) {
  const std::string at = std::string(dsp::name(i)) + " bits=" + std::to_string(cfg.bits) + " g=" +
                         std::to_string(cfg.group_size);
  const auto w = weights(N * K, static_cast<std::uint64_t>(cfg.bits * 1000 + cfg.group_size));
  const as::packed_matrix W = as::pack(w.data(), N, K, cfg);
  const as::panel_matrix P(W, 2);
  const auto x = activations(K, 7);
  std::vector<float> X(M * K);
  for (std::size_t r = 0; r < M; ++r) {
    const auto row = activations(K, 11 + r);
    std::memcpy(X.data() + r * K, row.data(), K * sizeof(float));
  }

  std::vector<std::uint32_t> idx(K), ref_idx(K), uidx(K), ref_uidx(K);
  const std::size_t nnz = dsp::find_active(x.data(), K, 0.0f, idx.data());
  const std::size_t ref_nnz = as::find_active(x.data(), K, 0.0f, ref_idx.data());
  expect(nnz == ref_nnz && std::memcmp(idx.data(), ref_idx.data(), nnz * 4) == 0, at + ": find_active");
  const std::size_t unnz = dsp::find_active_union(X.data(), M, K, 0.0f, uidx.data());
  const std::size_t ref_unnz = as::find_active_union(X.data(), M, K, 0.0f, ref_uidx.data());
  expect(unnz == ref_unnz && std::memcmp(uidx.data(), ref_uidx.data(), unnz * 4) == 0, at + ": find_active_union");

  const auto t_dense = twin(i, W, x.data(), nullptr, 0, -std::numeric_limits<float>::infinity());
  const auto t_sparse = twin(i, W, x.data(), idx.data(), nnz, 0.0f);
  const auto t_masked = twin(i, W, x.data(), nullptr, 0, kThreshold);
  expect(near_oracle(W, x.data(), t_dense.data()), at + ": the twin meets the double-precision oracle");

  // gemv, on the packed matrix and on its panels.
  auto gemvs = [&](const auto& A, const char* kind) {
    const std::string where = at + " " + kind;
    std::vector<float> y(N);
    dsp::gemv_dense(A, x.data(), y.data());
    expect(bitwise_equal(y.data(), t_dense.data(), N), where + ": gemv_dense equals the twin");
    expect(near_oracle(W, x.data(), y.data()), where + ": gemv_dense meets the oracle");
    dsp::gemv_sparse(A, x.data(), idx.data(), nnz, y.data());
    expect(bitwise_equal(y.data(), t_sparse.data(), N), where + ": gemv_sparse equals the twin");
    dsp::gemv(A, x.data(), y.data());
    expect(bitwise_equal(y.data(), t_dense.data(), N), where + ": gemv equals the twin");
    dsp::gemv(A, x.data(), y.data(), kThreshold, {2});
    expect(bitwise_equal(y.data(), t_masked.data(), N), where + ": gemv with a threshold equals the twin");
  };
  gemvs(W, "packed");
  gemvs(P, "panels");

  // gemm: each row is the twin of that row.
  std::vector<float> Yd(M * N), Ys(M * N), Y(M * N), Yp(M * N);
  dsp::gemm_dense(W, X.data(), M, Yd.data());
  dsp::gemm_sparse(W, X.data(), M, uidx.data(), unnz, Ys.data());
  dsp::gemm(W, X.data(), M, Y.data());
  for (std::size_t r = 0; r < M; ++r) {
    const float* xr = X.data() + r * K;
    const std::string where = at + " row " + std::to_string(r);
    const auto td = twin(i, W, xr, nullptr, 0, -std::numeric_limits<float>::infinity());
    const auto ts = twin(i, W, xr, uidx.data(), unnz, 0.0f);
    expect(bitwise_equal(Yd.data() + r * N, td.data(), N), where + ": gemm_dense equals the twin");
    expect(bitwise_equal(Ys.data() + r * N, ts.data(), N), where + ": gemm_sparse equals the twin");
    expect(bitwise_equal(Y.data() + r * N, td.data(), N), where + ": gemm equals the twin");
  }
  dsp::gemm_dense(P, X.data(), M, Yp.data(), {2});
  expect(bitwise_equal(Yp.data(), Yd.data(), M * N), at + " panels: gemm_dense equals the packed one");
  dsp::gemm_sparse(P, X.data(), M, uidx.data(), unnz, Yp.data());
  expect(bitwise_equal(Yp.data(), Ys.data(), M * N), at + " panels: gemm_sparse equals the packed one");
  dsp::gemm(P, X.data(), M, Yp.data());
  expect(bitwise_equal(Yp.data(), Y.data(), M * N), at + " panels: gemm equals the packed one");

  // The program's own header-only kernels: the scalar ones, and those of its flags' arch
  // when that is the arch of the active table.
  auto own = [&](auto arch, const char* what) {
    std::vector<float> y(N), Yo(M * N);
    as::gemv_dense(arch, W, x.data(), y.data());
    expect(bitwise_equal(y.data(), t_dense.data(), N), at + ": the program's " + what + " gemv_dense equals the library's");
    as::gemv(arch, W, x.data(), y.data(), kThreshold);
    expect(bitwise_equal(y.data(), t_masked.data(), N), at + ": the program's " + what + " gemv equals the library's");
    as::gemm(arch, W, X.data(), M, Yo.data());
    expect(bitwise_equal(Yo.data(), Y.data(), M * N), at + ": the program's " + what + " gemm equals the library's");
  };
  if (i == dsp::isa::scalar) own(xsimd::unavailable{}, "scalar");
  with_arch(i, [&](auto arch) {
    if constexpr (std::is_same<decltype(arch), native>::value) own(native{}, "native-arch");
    return 0;
  });
}

// The library refuses a view of an illegal format in this instruction set's copy.
void check_errors(dsp::isa i) {
  const std::vector<unsigned char> bytes(4096, 0);
  std::vector<float> x(K, 1.0f), y(N, 3.0f);
  const dsp::matrix_view bad{bytes.data(), N, K, 7, 64};
  std::string msg;
  try {
    dsp::gemv_dense(bad, x.data(), y.data(), dsp::call_options{1});
  } catch (const as::error& e) {
    msg = e.what();
  }
  expect(msg.find("bits = 7") != std::string::npos && msg.find("legal values are 2, 3, 4, 5, 6, 8") != std::string::npos,
         std::string(dsp::name(i)) + ": a view with bits = 7 is refused naming the legal values: '" + msg + "'");
  expect(y == std::vector<float>(N, 3.0f), std::string(dsp::name(i)) + ": the refused call leaves y alone");
}

}  // namespace

int main(int argc, char** argv) {
  const char* expected = nullptr;
  for (int a = 1; a < argc; ++a) {
    if (std::string(argv[a]) == "--expect" && a + 1 < argc) {
      expected = argv[++a];
    } else {
      std::printf("usage: %s [--expect ISA]\n", argv[0]);
      return 2;
    }
  }
  if (expected)
    expect(std::string(dsp::name(dsp::best())) == expected,
           std::string("the automatic choice is ") + dsp::name(dsp::best()) + ", expected " + expected);

  std::string report;
  auto run = [&](dsp::isa i) {
    for (const auto& cfg : kFormats) check_format(i, cfg);
    check_errors(i);
    report += std::string(report.empty() ? "" : ", ") + dsp::name(i) + " checked";
  };
  const char* env = std::getenv("ACTSPARSE_ISA");
  if (env && *env && std::string(env) != "auto") {
    // The environment's choice, unforced.
    expect(std::string(dsp::name(dsp::active())) == env, std::string("ACTSPARSE_ISA = ") + env + " is active");
    run(dsp::active());
  } else {
    expect(dsp::active() == dsp::best(), "without ACTSPARSE_ISA the best instruction set is active");
    for (dsp::isa i : {dsp::isa::scalar, dsp::isa::sse42, dsp::isa::avx2, dsp::isa::avx512}) {
      if (!dsp::supported(i)) {
        bool refused = false;
        try {
          dsp::force(i);
        } catch (const dsp::unsupported_isa&) {
          refused = true;
        }
        expect(refused, std::string("force(") + dsp::name(i) + ") on a CPU without it throws unsupported_isa");
        report += std::string(report.empty() ? "" : ", ") + dsp::name(i) + " not supported here";
        continue;
      }
      dsp::force(i);
      expect(dsp::active() == i, std::string("force(") + dsp::name(i) + ") makes it active");
      run(i);
    }
    dsp::force(dsp::isa::automatic);
  }
  std::printf("static consumer (%s): %s; %s\n", std::is_same<native, xsimd::unavailable>::value ? "no SIMD" : native::name(),
              report.c_str(), failures ? "FAILED" : "all ok");
  return failures ? 1 : 0;
}
