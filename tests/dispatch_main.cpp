// tests/dispatch_main.cpp: main() of the dispatcher's test binary. ctest runs it once per
// instruction set, naming it in ACTSPARSE_ISA; on a CPU that cannot run that one, every
// test is skipped (and says why).
#include <gtest/gtest.h>

#include <actsparse/dispatch.hpp>
#include <cstdlib>
#include <string>

namespace {

class require_isa : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* want = std::getenv("ACTSPARSE_ISA");
    if (want == nullptr || *want == '\0') return;
    if (!actsparse::dispatch::supported(actsparse::dispatch::parse(want)))
      GTEST_SKIP() << "this CPU, OS or build cannot run " << want;
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new require_isa);
  return RUN_ALL_TESTS();
}
