// tests/dispatch_main.cpp: main() of the dispatcher's test binary. ctest runs it once per
// instruction set, naming it with --actsparse-isa=NAME (which sets ACTSPARSE_ISA before any
// test runs) or in ACTSPARSE_ISA itself; on a CPU that cannot run that one, every test is
// skipped (and says why).
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
  const std::string flag = "--actsparse-isa=";
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]).rfind(flag, 0) == 0) setenv("ACTSPARSE_ISA", argv[i] + flag.size(), 1);
  ::testing::AddGlobalTestEnvironment(new require_isa);
  return RUN_ALL_TESTS();
}
