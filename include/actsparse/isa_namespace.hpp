// actsparse/isa_namespace.hpp: the inline namespace name config.hpp derives from the
// instruction-set features the compiler flags enable (its predefined macros), when the
// includer sets no ACTSPARSE_ISA_NAMESPACE.
//
// The name is isa_x86_ followed by 8 hex digits, one bit per feature below (first feature
// = highest bit of the first digit), isa_arm64_ and 2 digits on aarch64, isa_generic
// elsewhere. -march=x86-64 gives isa_x86_00000000; -mavx2 -mfma -mf16c, isa_x86_ff800000
// (SSE3 to AVX2 with FMA and F16C: -mavx2 implies the levels below it). Any feature the
// compiler may use for code generation is listed, so two flag sets that can produce
// different instructions give different names. A feature missing from the list does not
// change the name: add it here when compilers gain one.
#pragma once

#define ACTSPARSE_HEX_0000 0
#define ACTSPARSE_HEX_0001 1
#define ACTSPARSE_HEX_0010 2
#define ACTSPARSE_HEX_0011 3
#define ACTSPARSE_HEX_0100 4
#define ACTSPARSE_HEX_0101 5
#define ACTSPARSE_HEX_0110 6
#define ACTSPARSE_HEX_0111 7
#define ACTSPARSE_HEX_1000 8
#define ACTSPARSE_HEX_1001 9
#define ACTSPARSE_HEX_1010 a
#define ACTSPARSE_HEX_1011 b
#define ACTSPARSE_HEX_1100 c
#define ACTSPARSE_HEX_1101 d
#define ACTSPARSE_HEX_1110 e
#define ACTSPARSE_HEX_1111 f
#define ACTSPARSE_HEX2(a, b, c, d) ACTSPARSE_HEX_##a##b##c##d
#define ACTSPARSE_HEX(a, b, c, d) ACTSPARSE_HEX2(a, b, c, d)
#define ACTSPARSE_PASTE3(a, b, c) a##b##c
#define ACTSPARSE_PASTE(a, b, c) ACTSPARSE_PASTE3(a, b, c)
#define ACTSPARSE_JOIN8_2(p, a, b, c, d, e, f, g, h) p##a##b##c##d##e##f##g##h
#define ACTSPARSE_JOIN8(p, a, b, c, d, e, f, g, h) ACTSPARSE_JOIN8_2(p, a, b, c, d, e, f, g, h)
#define ACTSPARSE_JOIN2_2(p, a, b) p##a##b
#define ACTSPARSE_JOIN2(p, a, b) ACTSPARSE_JOIN2_2(p, a, b)

#if defined(__x86_64__) || defined(__i386__)
#if defined(__SSE3__)
#define ACTSPARSE_ISA_BIT00 1  // SSE3
#else
#define ACTSPARSE_ISA_BIT00 0
#endif
#if defined(__SSSE3__)
#define ACTSPARSE_ISA_BIT01 1  // SSSE3
#else
#define ACTSPARSE_ISA_BIT01 0
#endif
#if defined(__SSE4_1__)
#define ACTSPARSE_ISA_BIT02 1  // SSE4_1
#else
#define ACTSPARSE_ISA_BIT02 0
#endif
#if defined(__SSE4_2__)
#define ACTSPARSE_ISA_BIT03 1  // SSE4_2
#else
#define ACTSPARSE_ISA_BIT03 0
#endif
#if defined(__POPCNT__)
#define ACTSPARSE_ISA_BIT04 1  // POPCNT
#else
#define ACTSPARSE_ISA_BIT04 0
#endif
#if defined(__AVX__)
#define ACTSPARSE_ISA_BIT05 1  // AVX
#else
#define ACTSPARSE_ISA_BIT05 0
#endif
#if defined(__AVX2__)
#define ACTSPARSE_ISA_BIT06 1  // AVX2
#else
#define ACTSPARSE_ISA_BIT06 0
#endif
#if defined(__FMA__)
#define ACTSPARSE_ISA_BIT07 1  // FMA
#else
#define ACTSPARSE_ISA_BIT07 0
#endif
#if defined(__F16C__)
#define ACTSPARSE_ISA_BIT08 1  // F16C
#else
#define ACTSPARSE_ISA_BIT08 0
#endif
#if defined(__BMI__)
#define ACTSPARSE_ISA_BIT09 1  // BMI
#else
#define ACTSPARSE_ISA_BIT09 0
#endif
#if defined(__BMI2__)
#define ACTSPARSE_ISA_BIT10 1  // BMI2
#else
#define ACTSPARSE_ISA_BIT10 0
#endif
#if defined(__LZCNT__)
#define ACTSPARSE_ISA_BIT11 1  // LZCNT
#else
#define ACTSPARSE_ISA_BIT11 0
#endif
#if defined(__MOVBE__)
#define ACTSPARSE_ISA_BIT12 1  // MOVBE
#else
#define ACTSPARSE_ISA_BIT12 0
#endif
#if defined(__AVX512F__)
#define ACTSPARSE_ISA_BIT13 1  // AVX512F
#else
#define ACTSPARSE_ISA_BIT13 0
#endif
#if defined(__AVX512VL__)
#define ACTSPARSE_ISA_BIT14 1  // AVX512VL
#else
#define ACTSPARSE_ISA_BIT14 0
#endif
#if defined(__AVX512BW__)
#define ACTSPARSE_ISA_BIT15 1  // AVX512BW
#else
#define ACTSPARSE_ISA_BIT15 0
#endif
#if defined(__AVX512DQ__)
#define ACTSPARSE_ISA_BIT16 1  // AVX512DQ
#else
#define ACTSPARSE_ISA_BIT16 0
#endif
#if defined(__AVX512CD__)
#define ACTSPARSE_ISA_BIT17 1  // AVX512CD
#else
#define ACTSPARSE_ISA_BIT17 0
#endif
#if defined(__AVX512VBMI__)
#define ACTSPARSE_ISA_BIT18 1  // AVX512VBMI
#else
#define ACTSPARSE_ISA_BIT18 0
#endif
#if defined(__AVX512VBMI2__)
#define ACTSPARSE_ISA_BIT19 1  // AVX512VBMI2
#else
#define ACTSPARSE_ISA_BIT19 0
#endif
#if defined(__AVX512VNNI__)
#define ACTSPARSE_ISA_BIT20 1  // AVX512VNNI
#else
#define ACTSPARSE_ISA_BIT20 0
#endif
#if defined(__AVX512BF16__)
#define ACTSPARSE_ISA_BIT21 1  // AVX512BF16
#else
#define ACTSPARSE_ISA_BIT21 0
#endif
#if defined(__AVX512FP16__)
#define ACTSPARSE_ISA_BIT22 1  // AVX512FP16
#else
#define ACTSPARSE_ISA_BIT22 0
#endif
#if defined(__AVX512IFMA__)
#define ACTSPARSE_ISA_BIT23 1  // AVX512IFMA
#else
#define ACTSPARSE_ISA_BIT23 0
#endif
#if defined(__AVX512BITALG__)
#define ACTSPARSE_ISA_BIT24 1  // AVX512BITALG
#else
#define ACTSPARSE_ISA_BIT24 0
#endif
#if defined(__AVX512VPOPCNTDQ__)
#define ACTSPARSE_ISA_BIT25 1  // AVX512VPOPCNTDQ
#else
#define ACTSPARSE_ISA_BIT25 0
#endif
#if defined(__AVXVNNI__)
#define ACTSPARSE_ISA_BIT26 1  // AVXVNNI
#else
#define ACTSPARSE_ISA_BIT26 0
#endif
#if defined(__GFNI__)
#define ACTSPARSE_ISA_BIT27 1  // GFNI
#else
#define ACTSPARSE_ISA_BIT27 0
#endif
#if defined(__VAES__)
#define ACTSPARSE_ISA_BIT28 1  // VAES
#else
#define ACTSPARSE_ISA_BIT28 0
#endif
#if defined(__VPCLMULQDQ__)
#define ACTSPARSE_ISA_BIT29 1  // VPCLMULQDQ
#else
#define ACTSPARSE_ISA_BIT29 0
#endif
#if defined(__AVX512ER__)
#define ACTSPARSE_ISA_BIT30 1  // AVX512ER
#else
#define ACTSPARSE_ISA_BIT30 0
#endif
#if defined(__AVX512PF__)
#define ACTSPARSE_ISA_BIT31 1  // AVX512PF
#else
#define ACTSPARSE_ISA_BIT31 0
#endif
#define ACTSPARSE_DERIVED_ISA_NAMESPACE \
  ACTSPARSE_JOIN8(isa_x86_, ACTSPARSE_HEX(ACTSPARSE_ISA_BIT00, ACTSPARSE_ISA_BIT01, ACTSPARSE_ISA_BIT02, ACTSPARSE_ISA_BIT03), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT04, ACTSPARSE_ISA_BIT05, ACTSPARSE_ISA_BIT06, ACTSPARSE_ISA_BIT07), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT08, ACTSPARSE_ISA_BIT09, ACTSPARSE_ISA_BIT10, ACTSPARSE_ISA_BIT11), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT12, ACTSPARSE_ISA_BIT13, ACTSPARSE_ISA_BIT14, ACTSPARSE_ISA_BIT15), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT16, ACTSPARSE_ISA_BIT17, ACTSPARSE_ISA_BIT18, ACTSPARSE_ISA_BIT19), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT20, ACTSPARSE_ISA_BIT21, ACTSPARSE_ISA_BIT22, ACTSPARSE_ISA_BIT23), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT24, ACTSPARSE_ISA_BIT25, ACTSPARSE_ISA_BIT26, ACTSPARSE_ISA_BIT27), \
                  ACTSPARSE_HEX(ACTSPARSE_ISA_BIT28, ACTSPARSE_ISA_BIT29, ACTSPARSE_ISA_BIT30, ACTSPARSE_ISA_BIT31))
#elif defined(__aarch64__)
#if defined(__ARM_NEON)
#define ACTSPARSE_ISA_BIT00 1  // NEON
#else
#define ACTSPARSE_ISA_BIT00 0
#endif
#if defined(__ARM_FEATURE_FMA)
#define ACTSPARSE_ISA_BIT01 1  // FMA
#else
#define ACTSPARSE_ISA_BIT01 0
#endif
#if defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)
#define ACTSPARSE_ISA_BIT02 1  // FP16
#else
#define ACTSPARSE_ISA_BIT02 0
#endif
#if defined(__ARM_FEATURE_DOTPROD)
#define ACTSPARSE_ISA_BIT03 1  // DOTPROD
#else
#define ACTSPARSE_ISA_BIT03 0
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
#define ACTSPARSE_ISA_BIT04 1  // I8MM
#else
#define ACTSPARSE_ISA_BIT04 0
#endif
#if defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#define ACTSPARSE_ISA_BIT05 1  // BF16
#else
#define ACTSPARSE_ISA_BIT05 0
#endif
#if defined(__ARM_FEATURE_SVE)
#define ACTSPARSE_ISA_BIT06 1  // SVE
#else
#define ACTSPARSE_ISA_BIT06 0
#endif
#if defined(__ARM_FEATURE_SVE2)
#define ACTSPARSE_ISA_BIT07 1  // SVE2
#else
#define ACTSPARSE_ISA_BIT07 0
#endif
#define ACTSPARSE_DERIVED_ISA_NAMESPACE ACTSPARSE_JOIN2(isa_arm64_, ACTSPARSE_HEX(ACTSPARSE_ISA_BIT00, ACTSPARSE_ISA_BIT01, ACTSPARSE_ISA_BIT02, ACTSPARSE_ISA_BIT03), ACTSPARSE_HEX(ACTSPARSE_ISA_BIT04, ACTSPARSE_ISA_BIT05, ACTSPARSE_ISA_BIT06, ACTSPARSE_ISA_BIT07))
#else
#define ACTSPARSE_DERIVED_ISA_NAMESPACE isa_generic
#endif
