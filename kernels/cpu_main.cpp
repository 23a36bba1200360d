// kernels/cpu_main.cpp: actsparse-cpu, the instruction sets this CPU and OS run, for scripts
// (scripts/run-tests.sh picks the sanitizer build's ISA with --best). The answer is
// host_features() (kernels/cpu.cpp), the same the dispatcher and the test binaries ask.
// Built with the baseline flags only, like cpu.cpp: it must run on every CPU.
#include <cstdio>
#include <cstring>

#include "cpu.hpp"

namespace ks = actsparse_kernels;

namespace {

constexpr const char* kUsage =
    "usage: actsparse-cpu [--dispatch] [--best]\n"
    "Prints the instruction sets this CPU and OS run, one per line, the best last.\n"
    "  (default)   the per-ISA test binaries' names: scalar sse41 avx2 avx512 avx512vbmi neon neondot\n"
    "  --dispatch  the dispatcher's names (ACTSPARSE_ISA): scalar sse4.2 avx2 avx512 avx512vnni avx512vbmi neon neondot\n"
    "  --best      only the best one\n";

}  // namespace

int main(int argc, char** argv) {
  ks::vocabulary v = ks::vocabulary::tests;
  bool best_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dispatch") == 0) {
      v = ks::vocabulary::dispatch;
    } else if (std::strcmp(argv[i], "--best") == 0) {
      best_only = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "actsparse-cpu: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  const auto names = ks::isa_names(ks::host_features(), v);  // never empty: scalar always
  if (best_only) {
    std::puts(names.back());
  } else {
    for (const char* n : names) std::puts(n);
  }
  return 0;
}
