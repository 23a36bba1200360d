# Instruction sets actsparse builds kernels for, with the compiler flags of each. Tests (and
# later the dispatching library) compile one translation unit per entry with its flags.
# "scalar" is the compiler's baseline (SSE2 on x86-64): the generic xsimd paths and the
# scalar twins.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(ACTSPARSE_ISAS scalar sse41 avx2 avx512 avx512vbmi)
  set(ACTSPARSE_ISA_FLAGS_scalar "")
  set(ACTSPARSE_ISA_FLAGS_sse41 -msse4.1)
  set(ACTSPARSE_ISA_FLAGS_avx2 -mavx2 -mfma -mf16c)
  set(ACTSPARSE_ISA_FLAGS_avx512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c)
  # The 3-bit look-up kernel needs AVX512_VBMI (gemv.hpp), the int8 mode's 3-, 5- and 6-bit
  # kernel VBMI and VNNI (kernel/int8.hpp): the Ice Lake / Zen 4 level.
  set(ACTSPARSE_ISA_FLAGS_avx512vbmi ${ACTSPARSE_ISA_FLAGS_avx512} -mavx512vbmi -mavx512vnni)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(ACTSPARSE_ISAS neon neondot)
  set(ACTSPARSE_ISA_FLAGS_neon "")
  # Tests only: the int8 mode's sdot kernel needs ARMv8.2's DotProd (kernel/int8.hpp).
  set(ACTSPARSE_ISA_FLAGS_neondot -march=armv8.2-a+dotprod)
else()
  set(ACTSPARSE_ISAS scalar)
  set(ACTSPARSE_ISA_FLAGS_scalar "")
endif()

# The dispatching library (kernels/) builds one kernel table per entry, ascending: the link
# order matters (kernels/CMakeLists.txt). SSE4.2 is its x86 floor for SIMD (the tests use
# SSE4.1, the same kernels).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(ACTSPARSE_DISPATCH_ISAS scalar sse42 avx2 avx512 avx512vnni avx512vbmi)
  set(ACTSPARSE_DISPATCH_FLAGS_scalar "")
  set(ACTSPARSE_DISPATCH_FLAGS_sse42 -msse4.2)
  set(ACTSPARSE_DISPATCH_FLAGS_avx2 ${ACTSPARSE_ISA_FLAGS_avx2})
  set(ACTSPARSE_DISPATCH_FLAGS_avx512 ${ACTSPARSE_ISA_FLAGS_avx512})
  set(ACTSPARSE_DISPATCH_FLAGS_avx512vnni ${ACTSPARSE_ISA_FLAGS_avx512} -mavx512vnni)
  set(ACTSPARSE_DISPATCH_FLAGS_avx512vbmi ${ACTSPARSE_ISA_FLAGS_avx512vbmi})
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(ACTSPARSE_DISPATCH_ISAS scalar neon neondot)
  set(ACTSPARSE_DISPATCH_FLAGS_scalar "")
  set(ACTSPARSE_DISPATCH_FLAGS_neon "")
  set(ACTSPARSE_DISPATCH_FLAGS_neondot ${ACTSPARSE_ISA_FLAGS_neondot})
else()
  set(ACTSPARSE_DISPATCH_ISAS scalar)
  set(ACTSPARSE_DISPATCH_FLAGS_scalar "")
endif()
# Names as ACTSPARSE_ISA and actsparse_set_isa spell them.
set(ACTSPARSE_DISPATCH_NAME_scalar scalar)
set(ACTSPARSE_DISPATCH_NAME_sse42 sse4.2)
set(ACTSPARSE_DISPATCH_NAME_avx2 avx2)
set(ACTSPARSE_DISPATCH_NAME_avx512 avx512)
set(ACTSPARSE_DISPATCH_NAME_neon neon)
set(ACTSPARSE_DISPATCH_NAME_avx512vnni avx512vnni)
set(ACTSPARSE_DISPATCH_NAME_avx512vbmi avx512vbmi)
set(ACTSPARSE_DISPATCH_NAME_neondot neondot)
