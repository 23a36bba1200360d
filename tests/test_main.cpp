// tests/test_main.cpp: main() of every test binary, compiled WITHOUT the binary's ISA flags
// so that it runs on any CPU. When the CPU lacks the binary's ISA, a global environment
// skips every test before any ISA-specific code runs (listing the tests still works).
#include <gtest/gtest.h>

#include <string>

#ifndef ACTSPARSE_TEST_ISA
#define ACTSPARSE_TEST_ISA "native"
#endif

namespace {

bool cpu_has_isa() {
#if defined(__x86_64__) || defined(__i386__)
  const std::string isa = ACTSPARSE_TEST_ISA;
  if (isa == "avx512vbmi")
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi");
  if (isa == "avx512") return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (isa == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == "sse41") return __builtin_cpu_supports("sse4.1");
#endif
  return true;
}

class require_isa : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!cpu_has_isa()) GTEST_SKIP() << "this CPU lacks " ACTSPARSE_TEST_ISA;
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new require_isa);
  return RUN_ALL_TESTS();
}
