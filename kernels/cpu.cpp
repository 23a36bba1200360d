// kernels/cpu.cpp: CPU and OS feature detection for the dispatcher, the test binaries and
// actsparse-cpu. Built with the baseline flags only: it must run on every CPU.
#include "cpu.hpp"

#include <cstddef>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define ACTSPARSE_X86 1
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>  // HWCAP_ASIMDDP
#include <sys/auxv.h>
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace actsparse_kernels {

namespace {
constexpr bool bit(std::uint64_t v, int b) { return ((v >> b) & 1u) != 0; }

struct isa_spelling {
  unsigned isa;  // an isa_bit
  const char* tests;     // nullptr: no test binary for it
  const char* dispatch;  // nullptr: no kernel table for it
};
// Ascending: each entry is a better choice than every earlier one the machine runs.
constexpr isa_spelling kSpellings[] = {
    {kScalar, "scalar", "scalar"},
    {kSse41, "sse41", nullptr},
    {kSse42, nullptr, "sse4.2"},
    {kAvx2, "avx2", "avx2"},
    {kAvx512, "avx512", "avx512"},
    {kAvx512Vnni, nullptr, "avx512vnni"},
    {kAvx512Vbmi, "avx512vbmi", "avx512vbmi"},
    {kNeon, "neon", "neon"},
    {kNeonDot, "neondot", "neondot"},
};

const char* spelling(const isa_spelling& s, vocabulary v) { return v == vocabulary::tests ? s.tests : s.dispatch; }
}  // namespace

unsigned x86_features(const x86_cpuid& c) {
  unsigned s = kScalar;
  // The SSE4.1/4.2 kernels use SSSE3's pshufb and SSE4.1's pmulld/pmovzx; no OS state beyond SSE.
  const bool sse41 = bit(c.leaf1_ecx, 9) && bit(c.leaf1_ecx, 19);
  if (sse41) s |= kSse41;
  const bool sse42 = sse41 && bit(c.leaf1_ecx, 20);
  if (sse42) s |= kSse42;
  // AVX needs the OS to save YMM state: OSXSAVE set and XCR0 bits 1 (SSE) and 2 (AVX).
  const bool os_avx = bit(c.leaf1_ecx, 27) && (c.xcr0 & 0x6) == 0x6;
  const bool avx2 = sse42 && os_avx && bit(c.leaf1_ecx, 28) /*AVX*/ && bit(c.leaf1_ecx, 12) /*FMA*/ &&
                    bit(c.leaf1_ecx, 29) /*F16C*/ && bit(c.leaf7_ebx, 5) /*AVX2*/;
  if (avx2) s |= kAvx2;
  // AVX-512 also needs XCR0 bits 5-7 (opmask, upper ZMM0-15, ZMM16-31).
  const bool os_avx512 = (c.xcr0 & 0xe6) == 0xe6;
  const bool avx512 = avx2 && os_avx512 && bit(c.leaf7_ebx, 16) /*F*/ && bit(c.leaf7_ebx, 17) /*DQ*/ &&
                      bit(c.leaf7_ebx, 30) /*BW*/ && bit(c.leaf7_ebx, 31) /*VL*/;
  if (avx512) s |= kAvx512;
  // VBMI's vpermb works on the same ZMM state: nothing more to ask of the OS. The avx512vbmi
  // test binary and dispatch table are built with VNNI too (every CPU with VBMI so far has it).
  if (avx512 && bit(c.leaf7_ecx, 1) && bit(c.leaf7_ecx, 11)) s |= kAvx512Vbmi;
  if (avx512 && bit(c.leaf7_ecx, 11)) s |= kAvx512Vnni;  // likewise for VNNI's vpdpbusd
  return s;
}

unsigned x86_supported(const x86_cpuid& c) { return x86_features(c) & kDispatchBits; }

unsigned host_features() {
#if defined(ACTSPARSE_X86)
  x86_cpuid c;
  unsigned a = 0, b = 0, cx = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &cx, &d)) c.leaf1_ecx = cx;
  if (__get_cpuid_max(0, nullptr) >= 7 && __get_cpuid_count(7, 0, &a, &b, &cx, &d)) {
    c.leaf7_ebx = b;
    c.leaf7_ecx = cx;
  }
  if (bit(c.leaf1_ecx, 27)) {  // XGETBV is only legal when the OS set OSXSAVE
    std::uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    c.xcr0 = (static_cast<std::uint64_t>(hi) << 32) | lo;
  }
  return x86_features(c);
#elif defined(__aarch64__)
  unsigned s = kScalar | kNeon;  // Advanced SIMD is part of every ARMv8-A core
  // DotProd (sdot, udot): optional in ARMv8.2-A and 8.3, mandatory from 8.4 (Apple M1 on).
#if defined(__linux__)
  if ((getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0) s |= kNeonDot;
#elif defined(__APPLE__)
  int dot = 0;
  std::size_t size = sizeof dot;
  if (sysctlbyname("hw.optional.arm.FEAT_DotProd", &dot, &size, nullptr, 0) == 0 && dot != 0) s |= kNeonDot;
#endif
  return s;
#else
  return kScalar;
#endif
}

unsigned host_supported() { return host_features() & kDispatchBits; }

std::vector<const char*> isa_names(unsigned bits, vocabulary v) {
  std::vector<const char*> names;
  for (const isa_spelling& s : kSpellings)
    if ((bits & s.isa) != 0 && spelling(s, v) != nullptr) names.push_back(spelling(s, v));
  return names;
}

unsigned isa_named(std::string_view name, vocabulary v) {
  for (const isa_spelling& s : kSpellings)
    if (spelling(s, v) != nullptr && name == spelling(s, v)) return s.isa;
  return 0;
}

}  // namespace actsparse_kernels
