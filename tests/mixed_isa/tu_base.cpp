// tests/mixed_isa/tu_base.cpp: main() of the mixed-ISA program, in its baseline unit.
//
// Guards against one program sharing actsparse's inline functions between translation units
// built with different -m flags: with tu_native.cpp (-mavx2 -mfma -mf16c) linked first, the
// linker kept the AVX copy of detail::fail and friends for this unit too, and on a CPU
// without AVX `pack` with bits = 7 died with SIGILL instead of throwing. ctest runs this
// natively and under qemu-x86_64 on CPUs without AVX (Nehalem) and without SSE4.2 (core2duo);
// everything main() does before asking the CPU runs on baseline x86-64.
//
// Checked here, in this unit's own headers: pack, gemv_dense / gemv_sparse / gemv / gemm_dense
// / gemm_sparse / gemm against a double-precision product of the packed weights, bitwise
// against the scalar twin with this arch's rounding and against each other where the API
// promises it; pack's errors (bits = 7, group_size = 48) as actsparse::error naming the value
// and the legal ones. Then, if this CPU runs AVX2, the same through the AVX2 unit: its packed
// bytes equal ours, its products meet the same oracle, and its error crosses into this unit
// as the one actsparse::error type.
#include <actsparse/actsparse.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cpu.hpp"  // kernels/cpu.hpp: the tests' CPU detector
#include "mixed_isa.hpp"
#include "test_data.hpp"

#define MIXED_ISA_STR2(a) #a
#define MIXED_ISA_STR(a) MIXED_ISA_STR2(a)

namespace mixed_isa {
const char* base_namespace() { return MIXED_ISA_STR(ACTSPARSE_ISA_NAMESPACE); }
}  // namespace mixed_isa

namespace {

// The double-precision product of the packed weights (fp16 scale and bias, integer code) and
// the magnitude the float kernels' rounding scales with; tolerance as tests/test_common.hpp.
struct oracle {
  std::vector<double> y, magnitude;
  std::size_t terms = 0;
};
oracle dense_oracle(const actsparse::packed_matrix& W, const float* x) {
  const std::size_t N = W.rows(), K = W.cols(), g = static_cast<std::size_t>(W.group_size());
  oracle o{std::vector<double>(N, 0.0), std::vector<double>(N, 0.0)};
  for (std::size_t k = 0; k < K; ++k) {
    if (x[k] == 0.0f) continue;
    ++o.terms;
    for (std::size_t n = 0; n < N; ++n) {
      const double s = actsparse::half_to_float(W.scales(k)[n / g]);
      const double b = actsparse::half_to_float(W.biases(k)[n / g]);
      const double q = W.code(k, n);
      o.y[n] += static_cast<double>(x[k]) * (s * q + b);
      o.magnitude[n] += std::fabs(static_cast<double>(x[k])) * (std::fabs(s * q) + std::fabs(b));
    }
  }
  return o;
}
bool near(const float* y, const oracle& o, std::size_t N, const char* what) {
  for (std::size_t n = 0; n < N; ++n) {
    const double tol = std::numeric_limits<float>::epsilon() * static_cast<double>(o.terms + 4) * o.magnitude[n] +
                       std::numeric_limits<float>::denorm_min();
    if (!(std::fabs(static_cast<double>(y[n]) - o.y[n]) <= tol)) {
      std::printf("  %s: y[%zu] = %.9g, oracle %.9g, tolerance %.3g\n", what, n, static_cast<double>(y[n]), o.y[n], tol);
      return false;
    }
  }
  return true;
}

// The scalar twin with the rounding of this unit's kernels (kernel/micro_ref.hpp).
std::vector<float> twin(const actsparse::packed_matrix& W, const float* x) {
  using A = actsparse::simd::native_arch;
  std::vector<float> y(W.rows());
  actsparse::detail::gemv_ref_impl(W, x, nullptr, W.cols(), -std::numeric_limits<float>::infinity(), true, y.data(),
                                   actsparse::simd::fused_products<A>(W.bits(), W.group_size()),
                                   actsparse::simd::kArchFma<A>);
  return y;
}

// The message of the actsparse::error f throws ("" and a failure if none).
template <class F>
std::string error_of(F&& f, const std::string& what) {
  try {
    f();
  } catch (const actsparse::error& e) {
    return e.what();
  }
  expect(false, what + ": no actsparse::error");
  return "";
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

constexpr actsparse::quant_config kFormats[] = {{2, 32}, {3, 64}, {4, 64}, {5, 128}, {6, 32}, {8, 128}};
constexpr std::size_t N = 256, K = 77, M = 5;

// One format through this unit's headers.
void check_base(actsparse::quant_config cfg, const std::vector<float>& w, const std::vector<float>& x,
                const std::vector<float>& X) {
  const std::string fmt = "bits=" + std::to_string(cfg.bits) + " g=" + std::to_string(cfg.group_size);
  const actsparse::packed_matrix W = actsparse::pack(w.data(), N, K, cfg);
  const oracle o = dense_oracle(W, x.data());
  std::vector<std::uint32_t> idx(K), uidx(K);
  const std::size_t nnz = actsparse::find_active(x.data(), K, 0.0f, idx.data());
  expect(nnz == o.terms, fmt + ": find_active counts the non-zeros");
  std::vector<float> yd(N), ys(N), y(N), Yd(M * N), Ys(M * N), Y(M * N);
  actsparse::gemv_dense(W, x.data(), yd.data());
  actsparse::gemv_sparse(W, x.data(), idx.data(), nnz, ys.data());
  actsparse::gemv(W, x.data(), y.data());
  const std::size_t unnz = actsparse::find_active_union(X.data(), M, K, 0.0f, uidx.data());
  actsparse::gemm_dense(W, X.data(), M, Yd.data());
  actsparse::gemm_sparse(W, X.data(), M, uidx.data(), unnz, Ys.data());
  actsparse::gemm(W, X.data(), M, Y.data());

  expect(near(yd.data(), o, N, "gemv_dense"), fmt + ": gemv_dense meets the double-precision oracle");
  expect(bitwise_equal(yd.data(), twin(W, x.data()).data(), N), fmt + ": gemv_dense equals its scalar twin bitwise");
  expect(bitwise_equal(ys.data(), yd.data(), N), fmt + ": gemv_sparse equals gemv_dense bitwise");
  expect(bitwise_equal(y.data(), yd.data(), N), fmt + ": gemv equals gemv_dense bitwise");
  for (std::size_t r = 0; r < M; ++r) {
    std::vector<float> yr(N);
    actsparse::gemv_dense(W, X.data() + r * K, yr.data());
    const std::string row = fmt + " row " + std::to_string(r);
    expect(bitwise_equal(Yd.data() + r * N, yr.data(), N), row + ": gemm_dense equals gemv_dense bitwise");
    expect(bitwise_equal(Ys.data() + r * N, yr.data(), N), row + ": gemm_sparse equals gemv_dense bitwise");
    expect(bitwise_equal(Y.data() + r * N, yr.data(), N), row + ": gemm equals gemv_dense bitwise");
  }
}

// bits = 7 and group_size = 48: actsparse::error naming the value and the legal ones.
void check_errors(const char* unit, void (*pack)(const float*, std::size_t, std::size_t, int, int),
                  const std::vector<float>& w) {
  const std::string u = unit;
  const std::string bits = error_of([&] { pack(w.data(), N, K, 7, 64); }, u + " pack bits = 7");
  expect(contains(bits, "bits = 7") && contains(bits, "legal values are 2, 3, 4, 5, 6, 8"),
         u + ": pack with bits = 7 names the value and the legal ones: '" + bits + "'");
  const std::string group = error_of([&] { pack(w.data(), N, K, 4, 48); }, u + " pack group_size = 48");
  expect(contains(group, "group_size = 48") && contains(group, "legal values are 32, 64, 128"),
         u + ": pack with group_size = 48 names the value and the legal ones: '" + group + "'");
}

void base_pack(const float* w, std::size_t rows, std::size_t cols, int bits, int group_size) {
  (void)actsparse::pack(w, rows, cols, {bits, group_size});
}

// The same format through the AVX2 unit, against this unit's packing and the oracle.
void check_native(actsparse::quant_config cfg, const std::vector<float>& w, const std::vector<float>& x,
                  const std::vector<float>& X) {
  const std::string fmt = "native bits=" + std::to_string(cfg.bits) + " g=" + std::to_string(cfg.group_size);
  const actsparse::packed_matrix W = actsparse::pack(w.data(), N, K, cfg);
  const oracle o = dense_oracle(W, x.data());
  std::vector<unsigned char> packed(W.bytes() + actsparse::kTailPad);
  std::vector<float> yd(N), ys(N), y(N), Y(M * N);
  mixed_isa::native_products(w.data(), N, K, cfg.bits, cfg.group_size, x.data(), X.data(), M,
                             {packed.data(), packed.size(), yd.data(), ys.data(), y.data(), Y.data()});
  expect(std::memcmp(packed.data(), W.data(), packed.size()) == 0, fmt + ": packs the same bytes as the baseline unit");
  expect(near(yd.data(), o, N, "native gemv_dense"), fmt + ": gemv_dense meets the double-precision oracle");
  expect(bitwise_equal(ys.data(), yd.data(), N), fmt + ": gemv_sparse equals gemv_dense bitwise");
  expect(bitwise_equal(y.data(), yd.data(), N), fmt + ": gemv equals gemv_dense bitwise");
  for (std::size_t r = 0; r < M; ++r) {
    const oracle orow = dense_oracle(W, X.data() + r * K);
    expect(near(Y.data() + r * N, orow, N, "native gemm"), fmt + " row " + std::to_string(r) + ": gemm meets the oracle");
  }
  expect(bitwise_equal(Y.data(), yd.data(), N), fmt + ": gemm row 0 (x itself) equals gemv_dense bitwise");
}

}  // namespace

int main() {
  std::printf("mixed_isa: baseline unit in actsparse::%s, AVX2 unit in actsparse::%s\n", mixed_isa::base_namespace(),
              mixed_isa::native_namespace());
  const auto w = weights(N * K, 1);
  auto X = std::vector<float>(M * K);
  const auto x = activations(K, 2);
  for (std::size_t r = 0; r < M; ++r) {
    const auto row = activations(K, 3 + r);
    std::copy(row.begin(), row.end(), X.begin() + static_cast<std::ptrdiff_t>(r * K));
  }
  std::copy(x.begin(), x.end(), X.begin());  // row 0 is x

  for (const auto& cfg : kFormats) check_base(cfg, w, x, X);
  check_errors("baseline unit", base_pack, w);

  const bool avx2 = (actsparse_kernels::host_features() & actsparse_kernels::kAvx2) != 0;
  if (avx2) {
    for (const auto& cfg : kFormats) check_native(cfg, w, x, X);
    check_errors("AVX2 unit", mixed_isa::native_pack, w);
  }
  std::printf("mixed_isa: %s; AVX2 unit %s\n", failures ? "FAILED" : "baseline unit ok",
              avx2 ? (failures ? "run" : "ok") : "not run (this CPU lacks AVX2, FMA or F16C)");
  return failures ? 1 : 0;
}
