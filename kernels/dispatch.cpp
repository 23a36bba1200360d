// kernels/dispatch.cpp: actsparse::dispatch (dispatch.hpp): picks one kernel table per
// process and forwards every call to it. Built with the baseline flags only.
#include <actsparse/dispatch.hpp>
#include <actsparse/error.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu.hpp"
#include "kernel_table.hpp"

namespace actsparse {
namespace dispatch ACTSPARSE_VISIBLE {  // as declared: Clang takes the visibility from the block a function is defined in

namespace {

namespace ks = actsparse_kernels;

constexpr isa kAll[] = {isa::automatic, isa::scalar,     isa::sse42,   isa::avx2,      isa::avx512,
                        isa::neon,      isa::avx512vnni, isa::neondot, isa::avx512vbmi};

// The tables this build has, best last.
const ks::table* table_of(isa i) {
  switch (i) {
    case isa::scalar: return &ks::table_scalar;
#if defined(__x86_64__) || defined(_M_X64)
    case isa::sse42: return &ks::table_sse42;
    case isa::avx2: return &ks::table_avx2;
    case isa::avx512: return &ks::table_avx512;
    case isa::avx512vnni: return &ks::table_avx512vnni;
    case isa::avx512vbmi: return &ks::table_avx512vbmi;
#elif defined(__aarch64__)
    case isa::neon: return &ks::table_neon;
    case isa::neondot: return &ks::table_neondot;
#endif
    default: return nullptr;
  }
}

unsigned host_mask() {
  static const unsigned mask = ks::host_supported();
  return mask;
}

std::string legal_names() {
  std::string s;
  for (isa i : kAll) s += (s.empty() ? "" : ", ") + std::string(name(i));
  return s;
}

std::string supported_names() {
  std::string s;
  for (isa i : kAll)
    if (i != isa::automatic && supported(i)) s += (s.empty() ? "" : ", ") + std::string(name(i));
  return s;
}

void require_supported(const char* where, isa i) {
  if (!supported(i))
    throw unsupported_isa(std::string("actsparse::") + where + ": " + name(i) + " is not supported by this " +
                          (table_of(i) ? "CPU or operating system" : "build") + "; supported here: " +
                          supported_names());
}

struct choice {
  isa which;
  const ks::table* table;
};
std::atomic<const ks::table*> g_table{nullptr};
std::atomic<isa> g_isa{isa::automatic};

// The table to use: the forced one, else ACTSPARSE_ISA's, else the best. A bad
// ACTSPARSE_ISA throws on every call rather than running something the tester did not ask for.
choice current() {
  if (const ks::table* t = g_table.load(std::memory_order_acquire)) return {g_isa.load(std::memory_order_relaxed), t};
  isa i = isa::automatic;
  if (const char* env = std::getenv("ACTSPARSE_ISA"); env != nullptr && *env != '\0') {
    try {
      i = parse(env);
    } catch (const error&) {
      throw unsupported_isa(std::string("actsparse::dispatch: ACTSPARSE_ISA = '") + env +
                            "' is not an instruction set; legal values are " + legal_names());
    }
    if (i != isa::automatic) require_supported("dispatch (ACTSPARSE_ISA)", i);
  }
  if (i == isa::automatic) i = best();
  const ks::table* t = table_of(i);
  g_isa.store(i, std::memory_order_relaxed);
  g_table.store(t, std::memory_order_release);
  return {i, t};
}

}  // namespace

const char* name(isa i) {
  switch (i) {
    case isa::automatic: return "auto";
    case isa::scalar: return "scalar";
    case isa::sse42: return "sse4.2";
    case isa::avx2: return "avx2";
    case isa::avx512: return "avx512";
    case isa::neon: return "neon";
    case isa::avx512vnni: return "avx512vnni";
    case isa::neondot: return "neondot";
    case isa::avx512vbmi: return "avx512vbmi";
  }
  return "?";
}

isa parse(const char* s) {
  if (s != nullptr)
    for (isa i : kAll)
      if (std::strcmp(s, name(i)) == 0) return i;
  detail::fail("dispatch::parse", "'", s ? s : "(null)", "' is not an instruction set; legal values are ",
               legal_names());
}

bool supported(isa i) {
  if (i == isa::automatic) return true;
  return table_of(i) != nullptr && (host_mask() & (1u << static_cast<unsigned>(i))) != 0;
}

isa best() {
  for (isa i : {isa::avx512vbmi, isa::avx512vnni, isa::avx512, isa::avx2, isa::sse42, isa::neondot, isa::neon})
    if (supported(i)) return i;
  return isa::scalar;
}

isa active() { return current().which; }

void force(isa i) {
  if (i == isa::automatic) i = best();
  require_supported("dispatch::force", i);
  g_isa.store(i, std::memory_order_relaxed);
  g_table.store(table_of(i), std::memory_order_release);
}

std::size_t find_active(const float* x, std::size_t n, float threshold, std::uint32_t* idx) {
  return current().table->find_active(x, n, threshold, idx);
}
std::size_t find_active_union(const float* X, std::size_t m, std::size_t n, float threshold, std::uint32_t* idx) {
  return current().table->find_active_union(X, m, n, threshold, idx);
}
void gemv_dense(const matrix_view& W, const float* x, float* y, const call_options& opt) {
  current().table->gemv_dense(W, x, y, opt);
}
void gemv_sparse(const matrix_view& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const call_options& opt) {
  current().table->gemv_sparse(W, x, idx, nnz, y, opt);
}
void gemv(const matrix_view& W, const float* x, float* y, float threshold, const call_options& opt) {
  current().table->gemv(W, x, y, threshold, opt);
}
void gemm_dense(const matrix_view& W, const float* X, std::size_t m, float* Y, const call_options& opt) {
  current().table->gemm_dense(W, X, m, Y, opt);
}
void gemm_sparse(const matrix_view& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const call_options& opt) {
  current().table->gemm_sparse(W, X, m, idx, nnz, Y, opt);
}
void gemm(const matrix_view& W, const float* X, std::size_t m, float* Y, float threshold, const call_options& opt) {
  current().table->gemm(W, X, m, Y, threshold, opt);
}
void gemv_dense(const panels_view& W, const float* x, float* y, const call_options& opt) {
  current().table->gemv_dense_panels(W, x, y, opt);
}
void gemv_sparse(const panels_view& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const call_options& opt) {
  current().table->gemv_sparse_panels(W, x, idx, nnz, y, opt);
}
void gemv(const panels_view& W, const float* x, float* y, float threshold, const call_options& opt) {
  current().table->gemv_panels(W, x, y, threshold, opt);
}
void gemm_dense(const panels_view& W, const float* X, std::size_t m, float* Y, const call_options& opt) {
  current().table->gemm_dense_panels(W, X, m, Y, opt);
}
void gemm_sparse(const panels_view& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const call_options& opt) {
  current().table->gemm_sparse_panels(W, X, m, idx, nnz, Y, opt);
}
void gemm(const panels_view& W, const float* X, std::size_t m, float* Y, float threshold, const call_options& opt) {
  current().table->gemm_panels(W, X, m, Y, threshold, opt);
}

}  // namespace dispatch
}  // namespace actsparse
