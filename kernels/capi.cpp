// kernels/capi.cpp: the C interface (include/actsparse/actsparse.h) over actsparse::dispatch.
// Every entry point catches everything: C callers, and Swift, Rust or Python through their
// FFIs, cannot unwind C++ exceptions.
#include <actsparse/actsparse.h>

#include <actsparse/dispatch.hpp>
#include <actsparse/half.hpp>
#include <actsparse/mlx.hpp>
#include <actsparse/pack.hpp>
#include <actsparse/version.hpp>
#include <atomic>
#include <new>
#include <string>
#include <vector>

// A matrix from actsparse_pack or actsparse_from_mlx holds W; one from
// actsparse_split_panels holds P (and an empty W).
struct actsparse_matrix {
  actsparse::packed_matrix W;
  actsparse::panel_matrix P;
};

namespace {

thread_local std::string g_message;
std::atomic<int> g_threads{0};

template <class F>
actsparse_status guard(F&& f) noexcept {
  try {
    f();
    return ACTSPARSE_OK;
  } catch (const actsparse::dispatch::unsupported_isa& e) {
    g_message = e.what();
    return ACTSPARSE_ERROR_UNSUPPORTED;
  } catch (const actsparse::error& e) {
    g_message = e.what();
    return ACTSPARSE_ERROR_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    g_message = "actsparse: out of memory";
    return ACTSPARSE_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    g_message = std::string("actsparse: internal error: ") + e.what();
    return ACTSPARSE_ERROR_INTERNAL;
  } catch (...) {
    g_message = "actsparse: internal error: unknown exception";
    return ACTSPARSE_ERROR_INTERNAL;
  }
}

const actsparse::packed_matrix& matrix(const char* where, const actsparse_matrix* W) {
  if (W == nullptr) actsparse::detail::fail(where, "W is null");
  if (!W->P.empty())
    actsparse::detail::fail(where, "W is a panel matrix (actsparse_split_panels); ", where,
                            " takes a matrix from actsparse_pack or actsparse_from_mlx");
  return W->W;
}

// f(packed_matrix) or f(panel_matrix), whichever W holds.
template <class F>
auto visit(const actsparse_matrix& W, F&& f) -> decltype(f(W.W)) {
  return W.P.empty() ? f(W.W) : f(W.P);
}

// The product entry points take either kind.
template <class F>
void either(const char* where, const actsparse_matrix* W, F&& f) {
  if (W == nullptr) actsparse::detail::fail(where, "W is null");
  visit(*W, f);
}

actsparse::element_type element(const char* where, const char* param, actsparse_dtype t) {
  switch (t) {
    case ACTSPARSE_F32: return actsparse::element_type::f32;
    case ACTSPARSE_F16: return actsparse::element_type::f16;
    case ACTSPARSE_BF16: return actsparse::element_type::bf16;
    default: break;
  }
  actsparse::detail::fail(where, param, " = ", static_cast<int>(t),
                          " is not a dtype; legal values are ACTSPARSE_F32, ACTSPARSE_F16, ACTSPARSE_BF16");
}

actsparse::gemv_options options() { return {g_threads.load(std::memory_order_relaxed)}; }

// The _ex entry points' options: f(dispatch options, x as fp32). A f16/bf16 x is converted
// into options->x_f32 or a vector of the call's own.
template <class F>
void with_options(const char* where, const actsparse_matrix* W, const void* x, const actsparse_gemv_options* o,
                  F&& f) {
  if (W == nullptr) actsparse::detail::fail(where, "W is null");
  actsparse::gemv_options opt = options();
  const actsparse_gemv_options none{};
  if (o == nullptr) o = &none;
  if (o->threads < 0) actsparse::detail::fail(where, "options->threads = ", o->threads, " must be >= 0");
  if (o->threads > 0) opt.threads = o->threads;
  opt.accumulate = o->accumulate != 0;
  opt.row_begin = o->row_begin;
  opt.row_end = o->row_end;
  opt.index = o->index;
  if (o->precision != ACTSPARSE_EXACT && o->precision != ACTSPARSE_INT8)
    actsparse::detail::fail(where, "options->precision = ", static_cast<int>(o->precision),
                            " is not a precision; legal values are ACTSPARSE_EXACT (0), ACTSPARSE_INT8 (1)");
  opt.precision = o->precision == ACTSPARSE_INT8 ? actsparse::precision::int8 : actsparse::precision::exact;
  const actsparse::element_type t = element(where, "options->x_type", o->x_type);
  if (t == actsparse::element_type::f32 || x == nullptr) return f(opt, static_cast<const float*>(x));
  const std::size_t K = visit(*W, [](const auto& M) { return M.cols(); });
  std::vector<float> own(o->x_f32 ? 0 : K);
  float* xf = o->x_f32 ? o->x_f32 : own.data();
  const auto* h = static_cast<const std::uint16_t*>(x);
  const auto hb = reinterpret_cast<std::uintptr_t>(h), fb = reinterpret_cast<std::uintptr_t>(xf);
  if (o->x_f32 && fb < hb + K * 2 && hb < fb + K * 4)
    actsparse::detail::fail(where, "options->x_f32 (room for ", K, " floats) overlaps x; give it its own buffer");
  for (std::size_t k = 0; k < K; ++k)
    xf[k] = t == actsparse::element_type::f16 ? actsparse::half_to_float(h[k]) : actsparse::bf16_to_float(h[k]);
  f(opt, static_cast<const float*>(xf));
}

// Shape and size of either kind (0 for NULL).
template <class F>
auto of(const actsparse_matrix* W, F&& f) -> decltype(f(W->W)) {
  return W ? visit(*W, f) : 0;
}

template <class Make>
actsparse_status make(const char* where, actsparse_matrix** out, Make&& m) {
  return guard([&] {
    if (out == nullptr) actsparse::detail::fail(where, "out is null");
    auto* W = new actsparse_matrix{m(), {}};
    *out = W;
  });
}

}  // namespace

extern "C" {

const char* actsparse_version(void) { return actsparse::kVersion; }

const char* actsparse_status_name(actsparse_status s) {
  switch (s) {
    case ACTSPARSE_OK: return "ACTSPARSE_OK";
    case ACTSPARSE_ERROR_INVALID_ARGUMENT: return "ACTSPARSE_ERROR_INVALID_ARGUMENT";
    case ACTSPARSE_ERROR_OUT_OF_MEMORY: return "ACTSPARSE_ERROR_OUT_OF_MEMORY";
    case ACTSPARSE_ERROR_UNSUPPORTED: return "ACTSPARSE_ERROR_UNSUPPORTED";
    case ACTSPARSE_ERROR_INTERNAL: return "ACTSPARSE_ERROR_INTERNAL";
    default: break;
  }
  return "unknown actsparse_status";
}

const char* actsparse_last_error(void) { return g_message.c_str(); }

actsparse_status actsparse_pack(const void* w, actsparse_dtype type, size_t rows, size_t cols, int bits,
                                int group_size, actsparse_matrix** out) {
  return make("pack", out, [&] { return actsparse::pack(w, element("pack", "type", type), rows, cols, {bits, group_size}); });
}

actsparse_status actsparse_pack_ex(const void* w, actsparse_dtype type, size_t rows, size_t cols, int bits,
                                   int group_size, actsparse_quantizer quantizer, actsparse_matrix** out) {
  return make("pack_ex", out, [&] {
    if (quantizer != ACTSPARSE_QUANT_MLX && quantizer != ACTSPARSE_QUANT_MSE)
      actsparse::detail::fail("pack_ex", "quantizer = ", static_cast<int>(quantizer),
                              " is not a quantizer; legal values are ACTSPARSE_QUANT_MLX (0), ACTSPARSE_QUANT_MSE (1)");
    const actsparse::quant_rule rule =
        quantizer == ACTSPARSE_QUANT_MSE ? actsparse::quant_rule::mse : actsparse::quant_rule::mlx;
    return actsparse::pack(w, element("pack_ex", "type", type), rows, cols, {bits, group_size, rule});
  });
}

actsparse_status actsparse_from_mlx(const uint32_t* wq, const void* scales, const void* biases,
                                    actsparse_dtype scale_type, size_t rows, size_t cols, int bits, int group_size,
                                    actsparse_matrix** out) {
  return make("from_mlx", out, [&] {
    return actsparse::from_mlx(wq, scales, biases, rows, cols, {bits, group_size},
                               element("from_mlx", "scale_type", scale_type));
  });
}

actsparse_status actsparse_to_mlx(const actsparse_matrix* W, uint32_t* wq, uint16_t* scales, uint16_t* biases) {
  return guard([&] { actsparse::to_mlx(matrix("to_mlx", W), wq, scales, biases); });
}

actsparse_status actsparse_dequantize(const actsparse_matrix* W, float* w_out) {
  return guard([&] {
    if (W == nullptr) actsparse::detail::fail("dequantize", "W is null");
    actsparse::detail::check_ptr("dequantize", "w_out", w_out);
    if (W->P.empty()) return actsparse::dequantize(W->W, w_out);
    // Panel p holds rows [first_row(p), first_row(p) + rows) of every column: a contiguous
    // block of the row-major output.
    for (std::size_t p = 0; p < W->P.panels(); ++p)
      actsparse::dequantize(W->P.panel(p), w_out + W->P.first_row(p) * W->P.cols());
  });
}

actsparse_status actsparse_split_panels(const actsparse_matrix* W, size_t panels, actsparse_matrix** out) {
  return guard([&] {
    if (out == nullptr) actsparse::detail::fail("split_panels", "out is null");
    actsparse::panel_matrix P(matrix("split_panels", W), panels);
    *out = new actsparse_matrix{{}, std::move(P)};
  });
}

void actsparse_free(actsparse_matrix* W) { delete W; }

size_t actsparse_panels(const actsparse_matrix* W) { return W ? W->P.panels() : 0; }

size_t actsparse_rows(const actsparse_matrix* W) {
  return of(W, [](const auto& M) { return M.rows(); });
}
size_t actsparse_cols(const actsparse_matrix* W) {
  return of(W, [](const auto& M) { return M.cols(); });
}
int actsparse_bits(const actsparse_matrix* W) {
  return of(W, [](const auto& M) { return M.bits(); });
}
int actsparse_group_size(const actsparse_matrix* W) {
  return of(W, [](const auto& M) { return M.group_size(); });
}
size_t actsparse_bytes(const actsparse_matrix* W) {
  return of(W, [](const auto& M) { return M.bytes(); });
}
size_t actsparse_strip_bytes(const actsparse_matrix* W) {
  return of(W, [](const auto& M) { return M.strip_bytes(); });
}

actsparse_status actsparse_find_active(const float* x, size_t n, float threshold, uint32_t* idx, size_t* nnz) {
  return guard([&] {
    if (nnz == nullptr) actsparse::detail::fail("find_active", "nnz is null");
    const std::size_t count = actsparse::dispatch::find_active(x, n, threshold, idx);
    *nnz = count;
  });
}

actsparse_status actsparse_gemv_dense(const actsparse_matrix* W, const float* x, float* y) {
  return guard([&] {
    either("gemv_dense", W, [&](const auto& M) { actsparse::dispatch::gemv_dense(M, x, y, options()); });
  });
}

actsparse_status actsparse_gemv_sparse(const actsparse_matrix* W, const float* x, const uint32_t* idx, size_t nnz,
                                       float* y) {
  return guard([&] {
    either("gemv_sparse", W, [&](const auto& M) { actsparse::dispatch::gemv_sparse(M, x, idx, nnz, y, options()); });
  });
}

actsparse_status actsparse_gemv(const actsparse_matrix* W, const float* x, float* y, float threshold) {
  return guard([&] {
    either("gemv", W, [&](const auto& M) { actsparse::dispatch::gemv(M, x, y, threshold, options()); });
  });
}

actsparse_status actsparse_gemm(const actsparse_matrix* W, const float* X, size_t m, float* Y, float threshold) {
  return guard([&] {
    either("gemm", W, [&](const auto& M) { actsparse::dispatch::gemm(M, X, m, Y, threshold, options()); });
  });
}

actsparse_status actsparse_gemv_dense_ex(const actsparse_matrix* W, const void* x, float* y,
                                         const actsparse_gemv_options* o) {
  return guard([&] {
    with_options("gemv_dense", W, x, o, [&](const actsparse::gemv_options& opt, const float* xf) {
      visit(*W, [&](const auto& M) { actsparse::dispatch::gemv_dense(M, xf, y, opt); });
    });
  });
}

actsparse_status actsparse_gemv_sparse_ex(const actsparse_matrix* W, const void* x, const uint32_t* idx, size_t nnz,
                                          float* y, const actsparse_gemv_options* o) {
  return guard([&] {
    with_options("gemv_sparse", W, x, o, [&](const actsparse::gemv_options& opt, const float* xf) {
      visit(*W, [&](const auto& M) { actsparse::dispatch::gemv_sparse(M, xf, idx, nnz, y, opt); });
    });
  });
}

actsparse_status actsparse_gemv_ex(const actsparse_matrix* W, const void* x, float* y, float threshold,
                                   const actsparse_gemv_options* o) {
  return guard([&] {
    with_options("gemv", W, x, o, [&](const actsparse::gemv_options& opt, const float* xf) {
      visit(*W, [&](const auto& M) { actsparse::dispatch::gemv(M, xf, y, threshold, opt); });
    });
  });
}

actsparse_status actsparse_set_threads(int threads) {
  return guard([&] {
    if (threads < 0) actsparse::detail::fail("set_threads", "threads = ", threads, " must be >= 0 (0 follows OpenMP)");
    g_threads.store(threads, std::memory_order_relaxed);
  });
}

actsparse_status actsparse_set_isa(const char* name) {
  return guard([&] {
    if (name == nullptr) actsparse::detail::fail("set_isa", "name is null");
    actsparse::dispatch::force(actsparse::dispatch::parse(name));
  });
}

const char* actsparse_isa(void) {
  const char* result = nullptr;
  guard([&] { result = actsparse::dispatch::name(actsparse::dispatch::active()); });
  return result;
}

}  // extern "C"
