// tests/test_dispatch.cpp: the dispatching library's own behaviour: the CPU/OS decision
// (against made-up CPUID/XCR0 values and against GCC's own CPU model), names, forcing,
// and every instruction set against the scalar one and the oracle in one process.
// The kernels' full suite (test_gemv, test_gemm, test_detect) also runs through the
// dispatcher, once per instruction set (tests/CMakeLists.txt).
#include "test_common.hpp"

#include <actsparse/dispatch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "cpu.hpp"

using namespace actsparse;
using namespace actsparse_test;
namespace ks = actsparse_kernels;

namespace {

constexpr std::uint32_t bit(int b) { return 1u << b; }
constexpr std::uint32_t kSse42Ecx = bit(9) | bit(19) | bit(20);
constexpr std::uint32_t kAvx2Ecx = kSse42Ecx | bit(12) | bit(27) | bit(28) | bit(29);  // + FMA OSXSAVE AVX F16C
constexpr std::uint32_t kAvx2Ebx = bit(5);
constexpr std::uint32_t kAvx512Ebx = kAvx2Ebx | bit(16) | bit(17) | bit(30) | bit(31);  // + F DQ BW VL

unsigned pick(std::uint32_t ecx, std::uint32_t ebx, std::uint64_t xcr0) { return ks::x86_supported({ecx, ebx, xcr0}); }

// Every isa_bit, the test-only ones too; ecx7 is CPUID.(7,0):ECX.
unsigned features(std::uint32_t ecx, std::uint32_t ebx, std::uint32_t ecx7, std::uint64_t xcr0) {
  ks::x86_cpuid c{ecx, ebx, xcr0};
  c.leaf7_ecx = ecx7;
  return ks::x86_features(c);
}

std::string joined(const std::vector<const char*>& names) {
  std::string s;
  for (const char* n : names) s += (s.empty() ? "" : " ") + std::string(n);
  return s;
}

// Restores the process's choice after a test that forces others.
struct keep_isa {
  dispatch::isa saved = dispatch::active();
  ~keep_isa() { dispatch::force(saved); }
};

}  // namespace

TEST(DispatchCpu, X86DecisionNeedsCpuAndOsSupport) {
  EXPECT_EQ(pick(0, 0, 0), ks::kScalar);
  EXPECT_EQ(pick(kSse42Ecx, 0, 0), ks::kScalar | ks::kSse42);
  EXPECT_EQ(pick(kSse42Ecx & ~bit(9), 0, 0), ks::kScalar) << "SSE4.2 kernels need SSSE3's pshufb";
  // AVX2 and FMA present, but the OS does not save YMM state.
  EXPECT_EQ(pick(kAvx2Ecx, kAvx2Ebx, 0x3), ks::kScalar | ks::kSse42);
  EXPECT_EQ(pick(kAvx2Ecx & ~bit(27), kAvx2Ebx, 0x7), ks::kScalar | ks::kSse42) << "OSXSAVE clear";
  EXPECT_EQ(pick(kAvx2Ecx, kAvx2Ebx, 0x7), ks::kScalar | ks::kSse42 | ks::kAvx2);
  EXPECT_EQ(pick(kAvx2Ecx & ~bit(12), kAvx2Ebx, 0x7), ks::kScalar | ks::kSse42) << "no FMA";
  EXPECT_EQ(pick(kAvx2Ecx & ~bit(29), kAvx2Ebx, 0x7), ks::kScalar | ks::kSse42) << "no F16C";
  // An AVX-512 CPU under an OS that saves YMM but not ZMM/opmask state gets AVX2.
  EXPECT_EQ(pick(kAvx2Ecx, kAvx512Ebx, 0x7), ks::kScalar | ks::kSse42 | ks::kAvx2);
  EXPECT_EQ(pick(kAvx2Ecx, kAvx512Ebx, 0x27), ks::kScalar | ks::kSse42 | ks::kAvx2) << "opmask only";
  EXPECT_EQ(pick(kAvx2Ecx, kAvx512Ebx, 0xe7), ks::kScalar | ks::kSse42 | ks::kAvx2 | ks::kAvx512);
  EXPECT_EQ(pick(kAvx2Ecx, kAvx512Ebx & ~bit(30), 0xe7), ks::kScalar | ks::kSse42 | ks::kAvx2) << "AVX-512F without BW";
}

// The per-ISA test binaries' instruction sets from the same registers: sse41 (-msse4.1), which
// only the tests build, and avx512vbmi (the avx512 binary's flags plus -mavx512vbmi
// -mavx512vnni, a test binary and a dispatcher table); and the dispatcher's avx512vnni, under
// the same conditions.
TEST(DispatchCpu, X86TestIsasNeedCpuAndOsSupport) {
  constexpr std::uint32_t kSse41Ecx = bit(9) | bit(19);  // SSSE3 SSE4.1
  constexpr std::uint32_t kVbmiEcx7 = bit(1), kVnniEcx7 = bit(11);
  constexpr unsigned kUpToAvx2 = ks::kScalar | ks::kSse41 | ks::kSse42 | ks::kAvx2;
  constexpr unsigned kUpToAvx512 = kUpToAvx2 | ks::kAvx512;
  EXPECT_EQ(features(kSse41Ecx, 0, 0, 0), ks::kScalar | ks::kSse41);
  EXPECT_EQ(features(bit(19), 0, 0, 0), ks::kScalar) << "no SSSE3";
  EXPECT_EQ(features(kSse42Ecx, 0, 0, 0), ks::kScalar | ks::kSse41 | ks::kSse42);
  EXPECT_EQ(features(kAvx2Ecx, kAvx2Ebx, 0, 0x7), kUpToAvx2);
  EXPECT_EQ(features(kAvx2Ecx, kAvx2Ebx, kVbmiEcx7, 0x7), kUpToAvx2) << "VBMI without AVX-512";
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, 0, 0xe7), kUpToAvx512);
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, ~(kVbmiEcx7 | kVnniEcx7), 0xe7), kUpToAvx512)
      << "every leaf-7 ECX bit but VBMI and VNNI";
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, kVnniEcx7, 0xe7), kUpToAvx512 | ks::kAvx512Vnni);
  EXPECT_EQ(features(kAvx2Ecx, kAvx2Ebx, kVnniEcx7, 0x7), kUpToAvx2) << "VNNI without AVX-512";
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, kVnniEcx7, 0x7), kUpToAvx2) << "VNNI without the OS's ZMM state";
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, kVbmiEcx7, 0xe7), kUpToAvx512) << "VBMI without VNNI";
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, kVbmiEcx7 | kVnniEcx7, 0xe7),
            kUpToAvx512 | ks::kAvx512Vnni | ks::kAvx512Vbmi);
  // A VBMI CPU under an OS that does not save the ZMM/opmask state gets neither AVX-512 binary.
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, kVbmiEcx7 | kVnniEcx7, 0x7), kUpToAvx2);
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx, kVbmiEcx7 | kVnniEcx7, 0x27), kUpToAvx2) << "opmask only";
  EXPECT_EQ(features(kAvx2Ecx, kAvx512Ebx & ~bit(30), kVbmiEcx7 | kVnniEcx7, 0xe7), kUpToAvx2)
      << "VBMI without AVX-512BW";
  // The dispatcher's answer is the same decision without the test-only set (sse41).
  EXPECT_EQ(ks::x86_supported({kAvx2Ecx, kAvx512Ebx, 0xe7, kVbmiEcx7}),
            ks::kScalar | ks::kSse42 | ks::kAvx2 | ks::kAvx512);
  EXPECT_EQ(ks::x86_supported({kAvx2Ecx, kAvx512Ebx, 0xe7, kVbmiEcx7 | kVnniEcx7}),
            ks::kScalar | ks::kSse42 | ks::kAvx2 | ks::kAvx512 | ks::kAvx512Vnni | ks::kAvx512Vbmi);
}

TEST(DispatchCpu, IsaNamesAscendInBothVocabularies) {
  const unsigned x86 = ks::kScalar | ks::kSse41 | ks::kSse42 | ks::kAvx2 | ks::kAvx512 | ks::kAvx512Vbmi;
  EXPECT_EQ(joined(ks::isa_names(x86, ks::vocabulary::tests)), "scalar sse41 avx2 avx512 avx512vbmi");
  EXPECT_EQ(joined(ks::isa_names(x86, ks::vocabulary::dispatch)), "scalar sse4.2 avx2 avx512 avx512vbmi");
  EXPECT_EQ(joined(ks::isa_names(ks::kScalar | ks::kNeon, ks::vocabulary::tests)), "scalar neon");
  const unsigned arm = ks::kScalar | ks::kNeon | ks::kNeonDot;
  EXPECT_EQ(joined(ks::isa_names(arm, ks::vocabulary::tests)), "scalar neon neondot");
  EXPECT_EQ(joined(ks::isa_names(arm, ks::vocabulary::dispatch)), "scalar neon neondot");
  EXPECT_EQ(joined(ks::isa_names(x86 | ks::kAvx512Vnni, ks::vocabulary::dispatch)),
            "scalar sse4.2 avx2 avx512 avx512vnni avx512vbmi");
  EXPECT_EQ(joined(ks::isa_names(x86 | ks::kAvx512Vnni, ks::vocabulary::tests)), "scalar sse41 avx2 avx512 avx512vbmi");
  EXPECT_EQ(joined(ks::isa_names(ks::kScalar | ks::kSse41, ks::vocabulary::dispatch)), "scalar");
  // The dispatcher's names map to the bit of their dispatch::isa, as dispatch.cpp reads the mask.
  for (auto i : {dispatch::isa::scalar, dispatch::isa::sse42, dispatch::isa::avx2, dispatch::isa::avx512,
                 dispatch::isa::neon, dispatch::isa::avx512vnni, dispatch::isa::neondot, dispatch::isa::avx512vbmi})
    EXPECT_EQ(ks::isa_named(dispatch::name(i), ks::vocabulary::dispatch), 1u << static_cast<unsigned>(i))
        << dispatch::name(i);
  EXPECT_EQ(ks::isa_named("avx512vbmi", ks::vocabulary::tests), ks::kAvx512Vbmi);
  EXPECT_EQ(ks::isa_named("avx512vbmi", ks::vocabulary::dispatch), ks::kAvx512Vbmi);
  EXPECT_EQ(ks::isa_named("neondot", ks::vocabulary::tests), ks::kNeonDot);
  EXPECT_EQ(ks::isa_named("sse41", ks::vocabulary::tests), ks::kSse41);
  EXPECT_EQ(ks::isa_named("sse4.2", ks::vocabulary::tests), 0u);
  EXPECT_EQ(ks::isa_named("sse41", ks::vocabulary::dispatch), 0u);
  EXPECT_EQ(ks::isa_named("native", ks::vocabulary::tests), 0u);
}

#if defined(__x86_64__)
// GCC's runtime CPU model (which also checks XCR0) is an independent reading of the host.
TEST(DispatchCpu, HostAgreesWithCompilerCpuModel) {
  const unsigned m = ks::host_supported();
  EXPECT_EQ((m & ks::kSse42) != 0, __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3"));
  EXPECT_EQ((m & ks::kAvx2) != 0, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  EXPECT_EQ((m & ks::kAvx512) != 0, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"));
  const unsigned f = ks::host_features();
  EXPECT_EQ(f & ks::kDispatchBits, m);
  EXPECT_EQ((f & ks::kSse41) != 0, __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3"));
  EXPECT_EQ((m & ks::kAvx512Vbmi) != 0,
            (m & ks::kAvx512) != 0 && __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vnni"));
  EXPECT_EQ((m & ks::kAvx512Vnni) != 0, (m & ks::kAvx512) != 0 && __builtin_cpu_supports("avx512vnni"));
  EXPECT_EQ(dispatch::best(), (m & ks::kAvx512Vbmi)  ? dispatch::isa::avx512vbmi
                              : (m & ks::kAvx512Vnni) ? dispatch::isa::avx512vnni
                              : (m & ks::kAvx512)  ? dispatch::isa::avx512
                              : (m & ks::kAvx2)  ? dispatch::isa::avx2
                              : (m & ks::kSse42) ? dispatch::isa::sse42
                                                 : dispatch::isa::scalar);
}
#endif

TEST(Dispatch, NamesRoundTripAndBadNamesListTheLegalOnes) {
  for (auto i : {dispatch::isa::automatic, dispatch::isa::scalar, dispatch::isa::sse42, dispatch::isa::avx2,
                 dispatch::isa::avx512, dispatch::isa::neon, dispatch::isa::avx512vnni, dispatch::isa::neondot,
                 dispatch::isa::avx512vbmi})
    EXPECT_EQ(dispatch::parse(dispatch::name(i)), i);
  try {
    dispatch::parse("avx-512");
    ADD_FAILURE() << "no error";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("legal values are auto, scalar, sse4.2, avx2, avx512, neon, avx512vnni, neondot, avx512vbmi"),
              std::string::npos)
        << e.what();
  }
}

// The instruction set in use is the one the environment asked for (ctest sets
// ACTSPARSE_ISA per entry; the qemu entries set ACTSPARSE_EXPECT_ISA for the automatic pick).
TEST(Dispatch, ActiveIsTheRequestedOne) {
  if (const char* want = std::getenv("ACTSPARSE_ISA"); want && *want && std::string(want) != "auto") {
    EXPECT_STREQ(dispatch::name(dispatch::active()), want);
  } else {
    EXPECT_EQ(dispatch::active(), dispatch::best());
  }
  if (const char* expect = std::getenv("ACTSPARSE_EXPECT_ISA"); expect && *expect) {
    EXPECT_STREQ(dispatch::name(dispatch::active()), expect);
  }
  EXPECT_TRUE(dispatch::supported(dispatch::active()));
  EXPECT_TRUE(dispatch::supported(dispatch::isa::scalar));
}

TEST(Dispatch, ForcingAnUnsupportedIsaThrowsAndChangesNothing) {
  keep_isa keep;
  const dispatch::isa before = dispatch::active();
#if defined(__x86_64__)
  const dispatch::isa foreign = dispatch::isa::neon;
#else
  const dispatch::isa foreign = dispatch::isa::avx2;
#endif
  EXPECT_FALSE(dispatch::supported(foreign));
  try {
    dispatch::force(foreign);
    ADD_FAILURE() << "no error";
  } catch (const dispatch::unsupported_isa& e) {
    EXPECT_NE(std::string(e.what()).find("not supported by this build"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("supported here: "), std::string::npos) << e.what();
  }
  EXPECT_EQ(dispatch::active(), before);
}

// Every supported instruction set, forced in turn in one process, against the oracle and
// against the scalar kernels: bitwise on the fused-multiply-add ones.
TEST(Dispatch, EveryIsaMatchesScalarAndOracle) {
  keep_isa keep;
  const std::size_t N = 4096 + 64 * 3, K = 301, m = 5;
  for (int bits : {2, 3, 4, 8}) {
    const auto w = random_normal(N * K, 7u + static_cast<std::uint32_t>(bits), 0.05f);
    const packed_matrix W = pack(w.data(), N, K, {bits, 64});
    const auto X = sparse_x(m * K, 0.6, 11);
    const std::vector<float> x(X.begin(), X.begin() + static_cast<std::ptrdiff_t>(K));
    const oracle_result o = dense_oracle(W, x);
    std::size_t terms = 0;
    for (float v : x) terms += v != 0.0f;

    dispatch::force(dispatch::isa::scalar);
    std::vector<float> y_ref(N), Y_ref(m * N);
    dispatch::gemv(W, x.data(), y_ref.data());
    dispatch::gemm(W, X.data(), m, Y_ref.data());
    for (auto i : {dispatch::isa::sse42, dispatch::isa::avx2, dispatch::isa::avx512, dispatch::isa::avx512vnni,
                   dispatch::isa::avx512vbmi, dispatch::isa::neon, dispatch::isa::neondot}) {
      if (!dispatch::supported(i)) continue;
      SCOPED_TRACE(::testing::Message() << dispatch::name(i) << " bits=" << bits);
      dispatch::force(i);
      std::vector<float> y(N), yd(N), Y(m * N);
      dispatch::gemv(W, x.data(), y.data());
      dispatch::gemv_dense(W, x.data(), yd.data(), {1});
      dispatch::gemm(W, X.data(), m, Y.data());
      EXPECT_TRUE(near_oracle(y, o, bits, terms));
      EXPECT_TRUE(bitwise_equal(y.data(), yd.data(), N)) << "sparse and dense paths differ";
      EXPECT_TRUE(bitwise_equal(y.data(), Y.data(), N)) << "gemm row 0 differs from gemv";
      EXPECT_TRUE(bitwise_equal(y.data(), twin(W, x, nullptr).data(), N)) << "differs from its scalar twin";
      if (kernel_fuses(bits, 64)) {
        EXPECT_TRUE(bitwise_equal(y.data(), y_ref.data(), N)) << "differs from scalar";
        EXPECT_TRUE(bitwise_equal(Y.data(), Y_ref.data(), m * N)) << "gemm differs from scalar";
      }
    }
  }
}

TEST(Dispatch, EmptyMatrixIsAnError) {
  std::vector<float> x(8, 1.0f), y(64, 3.0f);
  try {
    dispatch::gemv(packed_matrix{}, x.data(), y.data());
    ADD_FAILURE() << "no error";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("W is empty"), std::string::npos) << e.what();
  }
  EXPECT_EQ(y, std::vector<float>(64, 3.0f));
}

// packed_matrix::borrow: a view of strips someone else owns computes the same product.
TEST(Dispatch, BorrowedMatrixIsAView) {
  const std::size_t N = 128, K = 40;
  const auto w = random_normal(N * K, 5, 0.05f);
  const packed_matrix W = pack(w.data(), N, K, {4, 64});
  const packed_matrix V = packed_matrix::borrow(W.data(), N, K, W.config());
  EXPECT_EQ(V.data(), W.data());
  EXPECT_FALSE(V.owns_data());
  const auto x = sparse_x(K, 0.5, 3);
  std::vector<float> a(N), b(N);
  dispatch::gemv(W, x.data(), a.data());
  dispatch::gemv(V, x.data(), b.data());
  EXPECT_TRUE(bitwise_equal(a.data(), b.data(), N));
  const packed_matrix copy = V;
  EXPECT_TRUE(copy.owns_data());
  EXPECT_NE(copy.data(), W.data());
  EXPECT_THROW(packed_matrix::borrow(W.data() + 1, N, K, W.config()), actsparse::error);
  EXPECT_THROW(packed_matrix::borrow(nullptr, N, K, W.config()), actsparse::error);
}
