// actsparse/dispatch.hpp: the C++ interface of the dispatching library (actsparse::dispatch).
//
// The header-only kernels run on the instruction set the includer's compiler flags enable.
// A runtime that ships one binary for many CPUs links libactsparse_dispatch instead: it
// holds the same kernels compiled once per instruction set (x86-64: scalar, SSE4.2,
// AVX2+FMA+F16C, AVX-512 F/BW/DQ/VL; aarch64: scalar, NEON) and, on first use, picks the
// best one the CPU and the operating system support (on x86 it checks, with XGETBV, that
// the OS saves the AVX and AVX-512 register state, which CPUID alone does not say).
//
// The environment variable ACTSPARSE_ISA (auto, scalar, sse4.2, avx2, avx512, neon) or
// force() overrides the choice, for testing. Naming an instruction set this CPU cannot run
// is an error (every call throws), not a silent fallback.
//
// Instruction sets differ only in how a term joins the sum: fused (scalar, AVX2, NEON,
// AVX-512 for 3, 5, 6 and 8 bits and 2-bit g32), or product rounded first (AVX-512's
// look-up kernels for 4 bits and 2-bit g64/g128; SSE4.2, which has no FMA). Those that
// round alike agree bit for bit (docs/integration.md, section 1). Functions, arguments and
// errors are those of the header-only API of the same name (gemv.hpp, gemm.hpp,
// detect.hpp); this file only adds the choice.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format.hpp"
#include "threading.hpp"

namespace actsparse {
namespace dispatch ACTSPARSE_VISIBLE {  // after the name, where GCC and Clang both take it

enum class isa { automatic, scalar, sse42, avx2, avx512, neon };

// Thrown when the requested instruction set cannot run here (by force() or ACTSPARSE_ISA).
class ACTSPARSE_VISIBLE unsupported_isa : public error {
 public:
  using error::error;
};

// "auto", "scalar", "sse4.2", "avx2", "avx512", "neon".
const char* name(isa i);
// The inverse of name(); throws actsparse::error naming the legal values.
isa parse(const char* s);
// Whether this CPU and OS can run the kernels of `i` (automatic: always true).
bool supported(isa i);
// The best supported instruction set.
isa best();
// The instruction set the calls below use: ACTSPARSE_ISA if set, else best(). Throws if
// ACTSPARSE_ISA names an unknown or unsupported instruction set.
isa active();
// Uses `i` from now on, for every thread (automatic: back to best(), ignoring ACTSPARSE_ISA).
// Throws actsparse::error, and changes nothing, if `i` is not supported here. Not meant to
// race with calls in flight on other threads (each call reads the choice once).
void force(isa i);

std::size_t find_active(const float* x, std::size_t n, float threshold, std::uint32_t* idx);
std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float threshold, std::uint32_t* idx);
void gemv_dense(const packed_matrix& W, const float* x, float* y, const gemv_options& opt = {});
void gemv_sparse(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const gemv_options& opt = {});
void gemv(const packed_matrix& W, const float* x, float* y, float threshold = 0.0f, const gemv_options& opt = {});
// The same on a panel_matrix: one thread per panel, each running this instruction set's
// 1-thread kernel on its panel; y is bitwise that of the packed_matrix calls.
void gemv_dense(const panel_matrix& W, const float* x, float* y, const gemv_options& opt = {});
void gemv_sparse(const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const gemv_options& opt = {});
void gemv(const panel_matrix& W, const float* x, float* y, float threshold = 0.0f, const gemv_options& opt = {});
void gemm_dense(const packed_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt = {});
void gemm_sparse(const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const gemv_options& opt = {});
void gemm(const packed_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
          const gemv_options& opt = {});
// The same on a panel_matrix: one thread per panel; Y is bitwise that of the packed calls.
void gemm_dense(const panel_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt = {});
void gemm_sparse(const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const gemv_options& opt = {});
void gemm(const panel_matrix& W, const float* X, std::size_t m, float* Y, float threshold = 0.0f,
          const gemv_options& opt = {});

}  // namespace dispatch
}  // namespace actsparse
