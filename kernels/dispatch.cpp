// kernels/dispatch.cpp: actsparse::dispatch (dispatch.hpp): picks one kernel table per
// process and forwards every call to it. Built with the baseline flags only.
#include <actsparse/dispatch.hpp>
#include <actsparse/gemm.hpp>
#include <actsparse/gemv.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cpu.hpp"
#include "kernel_table.hpp"

namespace actsparse {
namespace dispatch ACTSPARSE_VISIBLE {  // as declared: Clang takes the visibility from the block a function is defined in

namespace {

namespace ks = actsparse_kernels;

constexpr isa kAll[] = {isa::automatic, isa::scalar, isa::sse42, isa::avx2, isa::avx512, isa::neon};

// The tables this build has, best last.
const ks::table* table_of(isa i) {
  switch (i) {
    case isa::scalar: return &ks::table_scalar;
#if defined(__x86_64__) || defined(_M_X64)
    case isa::sse42: return &ks::table_sse42;
    case isa::avx2: return &ks::table_avx2;
    case isa::avx512: return &ks::table_avx512;
#elif defined(__aarch64__)
    case isa::neon: return &ks::table_neon;
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

ks::matrix_ref ref(const char* where, const packed_matrix& W) {
  if (W.empty()) detail::fail(where, "W is empty (default-constructed or moved from)");
  return {W.data(), W.rows(), W.cols(), W.bits(), W.group_size()};
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
  for (isa i : {isa::avx512, isa::avx2, isa::sse42, isa::neon})
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
void gemv_dense(const packed_matrix& W, const float* x, float* y, const gemv_options& opt) {
  current().table->gemv_dense(ref("gemv_dense", W), x, y, opt.threads);
}
void gemv_sparse(const packed_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const gemv_options& opt) {
  current().table->gemv_sparse(ref("gemv_sparse", W), x, idx, nnz, y, opt.threads);
}
void gemv(const packed_matrix& W, const float* x, float* y, float threshold, const gemv_options& opt) {
  current().table->gemv(ref("gemv", W), x, y, threshold, opt.threads);
}
// Panels: every argument is checked here, before the threads start, so the table's
// entries (which check again) cannot throw inside the parallel region.
void gemv_dense(const panel_matrix& W, const float* x, float* y, const gemv_options& opt) {
  detail::check_gemv("gemv_dense", W, x, y);
  const int threads = detail::requested_threads("gemv_dense", opt);
  const ks::table* t = current().table;
  detail::for_each_panel(W, threads, y, [&](const packed_matrix& P, float* yp) {
    t->gemv_dense(ref("gemv_dense", P), x, yp, 1);
  });
}
void gemv_sparse(const panel_matrix& W, const float* x, const std::uint32_t* idx, std::size_t nnz, float* y,
                 const gemv_options& opt) {
  detail::check_gemv("gemv_sparse", W, x, y);
  detail::check_index("gemv_sparse", W, idx, nnz, y, W.rows());
  const int threads = detail::requested_threads("gemv_sparse", opt);
  const ks::table* t = current().table;
  detail::for_each_panel(W, threads, y, [&](const packed_matrix& P, float* yp) {
    t->gemv_sparse(ref("gemv_sparse", P), x, idx, nnz, yp, 1);
  });
}
// gemv() of gemv.hpp, with the detection done once for all panels. Its dense path counts
// x_k only where |x_k| > threshold (or NaN); the table's dense entry counts every x_k, so it
// gets x with the others set to +0, which is what the kernel does with them.
void gemv(const panel_matrix& W, const float* x, float* y, float threshold, const gemv_options& opt) {
  detail::check_gemv("gemv", W, x, y);
  detail::check_threshold("gemv", threshold);
  const int threads = detail::requested_threads("gemv", opt);
  const ks::table* t = current().table;
  std::vector<std::uint32_t> idx(W.cols());
  const std::size_t nnz = t->find_active(x, W.cols(), threshold, idx.data());
  if (static_cast<double>(nnz) < kSparseBelowActiveFraction * static_cast<double>(W.cols())) {
    detail::for_each_panel(W, threads, y, [&](const packed_matrix& P, float* yp) {
      t->gemv_sparse(ref("gemv", P), x, idx.data(), nnz, yp, 1);
    });
  } else {
    std::vector<float> kept(W.cols(), 0.0f);
    for (std::size_t i = 0; i < nnz; ++i) kept[idx[i]] = x[idx[i]];
    detail::for_each_panel(W, threads, y, [&](const packed_matrix& P, float* yp) {
      t->gemv_dense(ref("gemv", P), kept.data(), yp, 1);
    });
  }
}

void gemm_dense(const packed_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt) {
  current().table->gemm_dense(ref("gemm_dense", W), X, m, Y, W.rows(), opt.threads);
}
void gemm_sparse(const packed_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const gemv_options& opt) {
  current().table->gemm_sparse(ref("gemm_sparse", W), X, m, idx, nnz, Y, W.rows(), opt.threads);
}
void gemm(const packed_matrix& W, const float* X, std::size_t m, float* Y, float threshold, const gemv_options& opt) {
  current().table->gemm(ref("gemm", W), X, m, Y, W.rows(), threshold, opt.threads);
}
// Panels, checked first as for gemv: each panel's rows of Y (ldy = all outputs) on one
// thread. gemm() decides batched or per row in each panel; the rule depends only on X, so
// every panel takes the same path, and on the per-row path each panel detects again (O(m K)
// per panel, small against the product).
void gemm_dense(const panel_matrix& W, const float* X, std::size_t m, float* Y, const gemv_options& opt) {
  detail::check_gemm("gemm_dense", W, X, m, Y, W.rows());
  const int threads = detail::requested_threads("gemm_dense", opt);
  const ks::table* t = current().table;
  if (m == 0) return;
  detail::for_each_panel(W, threads, Y, [&](const packed_matrix& P, float* Yp) {
    t->gemm_dense(ref("gemm_dense", P), X, m, Yp, W.rows(), 1);
  });
}
void gemm_sparse(const panel_matrix& W, const float* X, std::size_t m, const std::uint32_t* idx, std::size_t nnz,
                 float* Y, const gemv_options& opt) {
  detail::check_gemm("gemm_sparse", W, X, m, Y, W.rows());
  detail::check_index("gemm_sparse", W, idx, nnz, Y, m * W.rows());
  const int threads = detail::requested_threads("gemm_sparse", opt);
  const ks::table* t = current().table;
  if (m == 0) return;
  detail::for_each_panel(W, threads, Y, [&](const packed_matrix& P, float* Yp) {
    t->gemm_sparse(ref("gemm_sparse", P), X, m, idx, nnz, Yp, W.rows(), 1);
  });
}
void gemm(const panel_matrix& W, const float* X, std::size_t m, float* Y, float threshold, const gemv_options& opt) {
  detail::check_gemm("gemm", W, X, m, Y, W.rows());
  detail::check_threshold("gemm", threshold);
  const int threads = detail::requested_threads("gemm", opt);
  const ks::table* t = current().table;
  if (m == 0) return;
  detail::for_each_panel(W, threads, Y, [&](const packed_matrix& P, float* Yp) {
    t->gemm(ref("gemm", P), X, m, Yp, W.rows(), threshold, 1);
  });
}

}  // namespace dispatch
}  // namespace actsparse
