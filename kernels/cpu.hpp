// kernels/cpu.hpp: which instruction sets this CPU and OS can run. Internal.
//
// The decision is a pure function of the CPUID bits and XCR0 (x86_supported), so the tests
// can feed it made-up machines: a CPU with AVX-512 under an OS that does not save the ZMM
// state must not get the AVX-512 kernels.
#pragma once

#include <cstdint>

namespace actsparse_kernels {

// Bit (1 << isa) for each of these, in the order of actsparse::dispatch::isa.
enum isa_bit : unsigned {
  kScalar = 1u << 1,
  kSse42 = 1u << 2,
  kAvx2 = 1u << 3,
  kAvx512 = 1u << 4,
  kNeon = 1u << 5,
};

struct x86_cpuid {
  std::uint32_t leaf1_ecx = 0;  // CPUID.1:ECX
  std::uint32_t leaf7_ebx = 0;  // CPUID.(7,0):EBX, 0 when leaf 7 is absent
  std::uint64_t xcr0 = 0;       // XGETBV(0), 0 when the OS has not enabled XSAVE (OSXSAVE clear)
};

// The isa_bits an x86-64 CPU with these registers supports (scalar always).
unsigned x86_supported(const x86_cpuid& c);

// The isa_bits of the CPU and OS this runs on.
unsigned host_supported();

}  // namespace actsparse_kernels
