// kernels/cpu.hpp: which instruction sets this CPU and OS can run. Internal: the one detector
// behind the dispatcher (host_supported), the per-ISA test binaries' skip (tests/test_main.cpp)
// and the scripts (actsparse-cpu, kernels/cpu_main.cpp).
//
// The decision is a pure function of the CPUID bits and XCR0 (x86_features), so the tests
// can feed it made-up machines: a CPU with AVX-512 under an OS that does not save the ZMM
// state must not get the AVX-512 kernels.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace actsparse_kernels {

// Bit (1 << isa) for the first eight, in the order of actsparse::dispatch::isa; then the one
// instruction set only the per-ISA test binaries are built for (ACTSPARSE_ISAS, cmake/isa.cmake).
enum isa_bit : unsigned {
  kScalar = 1u << 1,
  kSse42 = 1u << 2,
  kAvx2 = 1u << 3,
  kAvx512 = 1u << 4,
  kNeon = 1u << 5,
  kAvx512Vnni = 1u << 6,  // AVX-512 plus VNNI: the int8 mode's vpdpbusd (int8.hpp)
  kNeonDot = 1u << 7,     // NEON plus ARMv8.2 DotProd: the int8 mode's sdot (int8.hpp); a test binary too
  kAvx512Vbmi = 1u << 8,  // AVX-512 plus VBMI and VNNI: 3-bit look-ups (vpermb), int8 3/5/6-bit (vpermi2b)
  kSse41 = 1u << 9,       // the sse41 test binary (-msse4.1); the dispatcher's floor is SSE4.2
};
constexpr unsigned kDispatchBits = kScalar | kSse42 | kAvx2 | kAvx512 | kNeon | kAvx512Vnni | kNeonDot | kAvx512Vbmi;

struct x86_cpuid {
  std::uint32_t leaf1_ecx = 0;  // CPUID.1:ECX
  std::uint32_t leaf7_ebx = 0;  // CPUID.(7,0):EBX, 0 when leaf 7 is absent
  std::uint64_t xcr0 = 0;       // XGETBV(0), 0 when the OS has not enabled XSAVE (OSXSAVE clear)
  std::uint32_t leaf7_ecx = 0;  // CPUID.(7,0):ECX, 0 when leaf 7 is absent (last: {ecx, ebx, xcr0} still reads)
};

// Every isa_bit an x86-64 CPU with these registers supports (scalar always).
unsigned x86_features(const x86_cpuid& c);
// Those the dispatcher has kernel tables for: x86_features(c) & kDispatchBits.
unsigned x86_supported(const x86_cpuid& c);

// The same for the CPU and OS this runs on.
unsigned host_features();
unsigned host_supported();

// The two spellings of instruction-set names: the per-ISA test binaries' (ACTSPARSE_ISAS:
// scalar sse41 avx2 avx512 avx512vbmi neon neondot) and the dispatcher's (actsparse::dispatch::name
// and ACTSPARSE_ISA: scalar sse4.2 avx2 avx512 avx512vnni avx512vbmi neon neondot).
enum class vocabulary { tests, dispatch };

// The names, in `v`, of the isa_bits set in `bits` that `v` has a name for; ascending, so the
// best comes last.
std::vector<const char*> isa_names(unsigned bits, vocabulary v);

// The isa_bit `name` spells in `v`; 0 when `v` has no such name.
unsigned isa_named(std::string_view name, vocabulary v);

}  // namespace actsparse_kernels
