// tests/test_main.cpp: main() of every test binary, compiled WITHOUT the binary's ISA flags
// so that it runs on any CPU. When the CPU or OS cannot run the binary's ISA, a global
// environment skips every test before any ISA-specific code runs (listing the tests still
// works). The answer comes from the dispatcher's own detector (kernels/cpu.cpp, linked in
// with baseline flags), which also checks that the OS saves the AVX/AVX-512 state.
#include <gtest/gtest.h>

#include "cpu.hpp"

#ifndef ACTSPARSE_TEST_ISA
#define ACTSPARSE_TEST_ISA "native"
#endif

namespace {

namespace ks = actsparse_kernels;

bool cpu_has_isa() {
  const unsigned isa = ks::isa_named(ACTSPARSE_TEST_ISA, ks::vocabulary::tests);
  return isa == 0 /* a name without a test ISA ("native") */ || (ks::host_features() & isa) != 0;
}

class require_isa : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!cpu_has_isa()) GTEST_SKIP() << "this CPU or OS lacks " ACTSPARSE_TEST_ISA;
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new require_isa);
  return RUN_ALL_TESTS();
}
